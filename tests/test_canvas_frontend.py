"""The vendored canvas frontend is the installed streamlit-drawable-canvas's, with only the send delay changed."""

import importlib.util
import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDORED = ROOT / "cnnviz" / "frontend" / "canvas"
INSTALLED = Path(importlib.util.find_spec("streamlit_drawable_canvas").origin).parent / "frontend" / "build"
VENDOR = runpy.run_path(str(ROOT / "scripts" / "vendor_canvas.py"))


def test_the_copy_is_the_installed_frontend_with_no_send_delay():
    (installed,) = INSTALLED.glob("index-*.js")
    (vendored,) = VENDORED.glob("index-*.js")
    assert vendored.name == installed.name, "run scripts/vendor_canvas.py after upgrading the package"
    original, copy = installed.read_text(encoding="utf-8"), vendored.read_text(encoding="utf-8")
    assert copy == VENDOR["patched"](original), "run scripts/vendor_canvas.py after upgrading the package"
    assert copy.count(VENDOR["NO_DELAY"]) == 1 and VENDOR["DELAY"] not in copy


def test_the_styles_are_the_installed_ones():
    (installed,) = INSTALLED.glob("index-*.css")
    assert (VENDORED / installed.name).read_bytes() == installed.read_bytes()


def test_the_copy_is_declared_for_streamlit_and_shipped_with_the_package():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    (component,) = [c for c in project["tool"]["streamlit"]["component"]["components"] if c["name"] == "canvas"]
    assert (ROOT / "cnnviz" / component["asset_dir"]) == VENDORED
    assert "frontend/canvas/*" in project["tool"]["setuptools"]["package-data"]["cnnviz"]
