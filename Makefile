# Two commands matter: `make run` (set up and start the app) and `make test` (set up and run the tests).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Datasets: ../shared/data on the project's machines, else ./data (torchvision downloads there).
CNNVIZ_DATA ?= $(if $(wildcard ../shared/data/MNIST),$(abspath ../shared/data),$(CURDIR)/data)
export CNNVIZ_DATA

.PHONY: setup run serve test lint system bench screenshots

# torch and torchvision at the tested versions: the lower bounds in pyproject.toml (the one place they are
# written), e.g. "torch>=2.14.1" becomes torch==2.14.1. Where no such wheel exists, the newest allowed one.
TORCH_PINS := $(shell sed -n 's/^ *"\(torch\(vision\)\{0,1\}\)>=\([^",]*\)",*$$/\1==\3/p' pyproject.toml)
TORCH_BOUNDS := $(subst ==,>=,$(TORCH_PINS))

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(TORCH_PINS) || $(PY) -m pip install -q $(foreach b,$(TORCH_BOUNDS),"$(b)")
	$(PY) -m pip install -q -e ".[test]"
	touch $@

setup: $(VENV)/.installed

# One person on this machine: .streamlit/config.toml binds 127.0.0.1.
# `python -m cnnviz serve` warms up (imports, shipped models) before the server listens, then runs
# `streamlit run app.py` with the options given.
run: setup
	$(PY) -m cnnviz serve

# A class on the local network: bind this machine's LAN address (first of `hostname -I`, or
# SERVE_ADDRESS=...) and name it as the browser address, so links and websocket origin checks
# use it and Streamlit never looks up the public IP.
SERVE_ADDRESS ?= $(shell hostname -I 2>/dev/null | awk '{print $$1}')
# A teacher's own lessons (a folder of .toml files, beside the shipped ones): make serve LESSONS=~/class
ifdef LESSONS
export CNNVIZ_LESSONS := $(LESSONS)
endif
SERVE_PORT ?= 8501
serve: setup
	@test -n "$(SERVE_ADDRESS)" || { echo "No network address found; run: make serve SERVE_ADDRESS=<this machine's IP>"; exit 2; }
	$(PY) -m cnnviz serve --server.address $(SERVE_ADDRESS) --server.port $(SERVE_PORT) \
		--browser.serverAddress $(SERVE_ADDRESS) --browser.serverPort $(SERVE_PORT)

# Debian packages: headless Chromium for the end-to-end tests, an emoji font for the page icons,
# and Fashion-MNIST (the second dataset the app trains on). Needs root or sudo.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
SYSTEM_PKGS := chromium chromium-driver fonts-noto-color-emoji dataset-fashion-mnist
system:
	@dpkg -s $(SYSTEM_PKGS) >/dev/null 2>&1 || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q $(SYSTEM_PKGS); }

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: setup system lint
	$(PY) -m pytest

bench: setup
	$(PY) benchmarks/run_all.py

screenshots: setup system
	$(PY) scripts/screenshots.py
