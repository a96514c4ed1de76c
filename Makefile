# Two commands matter: `make run` (set up and start the app) and `make test` (set up and run the tests).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Datasets: ../shared/data on the project's machines, else ./data (torchvision downloads there).
CNNVIZ_DATA ?= $(if $(wildcard ../shared/data/MNIST),$(abspath ../shared/data),$(CURDIR)/data)
export CNNVIZ_DATA

.PHONY: setup run test browser bench screenshots

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "torch==2.14.1" "torchvision==0.29.1" || $(PY) -m pip install -q torch torchvision
	$(PY) -m pip install -q -e ".[test]"
	touch $@

setup: $(VENV)/.installed

run: setup
	$(VENV)/bin/streamlit run app.py

# Headless Chromium for the end-to-end tests (Debian packages; needs root or sudo).
browser:
	@command -v chromium >/dev/null || { apt-get update -q && apt-get install -y -q chromium chromium-driver; }

test: setup browser
	$(PY) -m pytest

bench: setup
	$(PY) benchmarks/run_all.py

screenshots: setup browser
	$(PY) scripts/screenshots.py
