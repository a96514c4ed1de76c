"""README.md stays true: every Python snippet runs and every shell command in it is checked.

Snippets run in this process (one fresh namespace each, from a temporary folder). Shell commands are
matched against CHECKS, which says how each kind is tried without its full cost: make targets with
`make -n`, `python -m cnnviz train` at a tiny size, `evaluate` for real, pytest by its paths and
markers. A command that no check knows fails the test, so a new README command comes with its check.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from cnnviz.__main__ import main as cnnviz_main

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SHELL_LANGUAGES = {"bash", "sh", "console"}
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
# Appended to a README training command: later options win in argparse, so it trains for seconds.
TINY_TRAINING = ["--epochs", "1", "--train-size", "256", "--test-size", "256", "--batch-size", "64"]


def blocks(text: str) -> list[tuple[str, str]]:
    """Every fenced code block as (language, body), the body led by blank lines up to its README line."""
    return [(m.group(1), "\n" * text.count("\n", 0, m.start(2)) + m.group(2)) for m in FENCE.finditer(text)]


def commands(language: str, body: str) -> list[list[str]]:
    """The commands of a shell block, split like the shell would; console blocks only take `$ ` lines."""
    lines = body.replace("\\\n", " ").splitlines()
    if language == "console":
        lines = [line[2:] for line in lines if line.startswith("$ ")]
    words = [shlex.split(line, comments=True) for line in lines]
    return [_without_env(w) for w in words if w]


def _without_env(words: list[str]) -> list[str]:
    """Drop leading NAME=value assignments (`CNNVIZ_DATA=... python ...`)."""
    while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
        words = words[1:]
    return words


README_TEXT = README.read_text(encoding="utf-8")
SNIPPETS = [body for language, body in blocks(README_TEXT) if language == "python"]
COMMANDS = [
    cmd for language, body in blocks(README_TEXT) if language in SHELL_LANGUAGES for cmd in commands(language, body)
]


def check_make(args: list[str], tmp_path: Path) -> None:
    """`make TARGET`: a rule of the Makefile (not a file such as tests/) whose recipe expands under `make -n`."""
    makefile = (ROOT / "Makefile").read_text()
    for target in args:
        assert re.search(rf"^{re.escape(target)}\s*:", makefile, re.MULTILINE), f"the Makefile has no rule {target}"
    done = subprocess.run(["make", "-n", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"make -n {' '.join(args)} failed:\n{done.stderr}"


def run_cli(args: list[str]) -> str:
    """Run `python -m cnnviz ARGS` in this process; its stdout (keeps torch's thread count as it was)."""
    threads, out = torch.get_num_threads(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            status = cnnviz_main(args)
    finally:
        torch.set_num_threads(threads)
    assert status == 0, f"python -m cnnviz {' '.join(args)} exited {status}: {out.getvalue()}"
    return out.getvalue()


def check_cnnviz(args: list[str], tmp_path: Path) -> None:
    """`python -m cnnviz`: train at a tiny size into tmp_path, evaluate for real, anything else with --help."""
    if args[0] == "train":
        out = run_cli([*args, *TINY_TRAINING, "--out", str(tmp_path / "model")])
        assert (tmp_path / "model.safetensors").exists(), out
    elif args[0] == "evaluate":
        assert "test accuracy" in run_cli(args)
    else:
        with pytest.raises(SystemExit) as stop, contextlib.redirect_stdout(io.StringIO()):
            cnnviz_main([args[0], "--help"])
        assert stop.value.code == 0, f"python -m cnnviz {args[0]} is not a command"


def check_pytest(args: list[str], tmp_path: Path) -> None:
    """`python -m pytest`: every path exists and every marker in -m is registered."""
    registered = {
        line.split(":")[0]
        for line in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["markers"]
    }
    words = iter(args)
    for word in words:
        if word == "-m":
            names = set(re.findall(r"[A-Za-z_]\w*", next(words))) - {"and", "or", "not"}
            assert names <= registered, f"unregistered markers {names - registered}"
        elif not word.startswith("-"):
            assert (ROOT / word.split("::")[0]).exists(), f"{word} does not exist"


# The first words of a README command -> how it is checked (given the remaining words).
CHECKS: dict[tuple[str, ...], Callable[[list[str], Path], None]] = {
    ("make",): check_make,
    ("python", "-m", "cnnviz"): check_cnnviz,
    ("python", "-m", "pytest"): check_pytest,
}


def check_for(command: list[str]) -> tuple[Callable[[list[str], Path], None], list[str]]:
    """The check whose prefix starts the command, and the words after that prefix."""
    for prefix, check in CHECKS.items():
        if tuple(command[: len(prefix)]) == prefix:
            return check, command[len(prefix) :]
    raise AssertionError(f"README command {shlex.join(command)!r} has no check: add one to CHECKS in {__name__}")


def test_readme_has_snippets_and_commands():
    assert SNIPPETS, "README.md has no ```python snippet"
    assert ["make", "run"] in COMMANDS and ["make", "test"] in COMMANDS


def test_every_code_block_says_its_language():
    """A block without a language (or an unknown one) would slip past the checks below."""
    known = SHELL_LANGUAGES | {"python"}
    assert [language for language, _ in blocks(README_TEXT) if language not in known] == []


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[f"python-{i}" for i in range(len(SNIPPETS))])
def test_python_snippet_runs(snippet, mnist_test, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(snippet, str(README), "exec"), {"__name__": "readme"})


@pytest.mark.parametrize("command", COMMANDS, ids=[shlex.join(c) for c in COMMANDS])
def test_shell_command_works(command, mnist_test, tmp_path):
    check, args = check_for(command)
    check(args, tmp_path)


def test_command_parsing():
    assert commands("bash", "make run   # start\n\n# a comment\nCNNVIZ_DATA=x python -m cnnviz \\\n  train\n") == [
        ["make", "run"],
        ["python", "-m", "cnnviz", "train"],
    ]
    assert commands("console", "$ make test\nok, 3 passed\n") == [["make", "test"]]
    with pytest.raises(AssertionError, match="has no check"):
        check_for(["rm", "-rf", "data"])


def test_checks_can_fail(tmp_path):
    """Each check rejects a README command that no longer works."""
    with pytest.raises(AssertionError):
        check_make(["no-such-target"], tmp_path)
    with pytest.raises(AssertionError, match="no rule tests"):
        check_make(["tests"], tmp_path)  # a folder: `make -n tests` alone would say "up to date"
    with pytest.raises(AssertionError):
        check_pytest(["tests/test_no_such_file.py"], tmp_path)
    with pytest.raises(AssertionError):
        check_pytest(["-m", "not gpu_only"], tmp_path)
    with pytest.raises((AssertionError, SystemExit)):
        check_cnnviz(["no-such-command"], tmp_path)
