"""Write cnnviz/frontend/canvas/: streamlit-drawable-canvas's frontend with one change, the send delay.

The package's frontend waits a fixed 200 ms after each stroke before it sends the drawing (a
debounce, `Bc = 200` in its bundle, with no option to change it), which is most of what a student
waits between lifting the pen and seeing the new votes. This copies the installed package's built
frontend and sets that delay to 0; the Python side stays the package's own `st_canvas`
(cnnviz.ui.drawing_canvas points it at this copy). Run it again after upgrading the package:
tests/test_canvas_frontend.py fails until the copy matches the installed version.

    python scripts/vendor_canvas.py
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# found, not imported: the package registers its component on import, which needs a Streamlit server
SOURCE = Path(importlib.util.find_spec("streamlit_drawable_canvas").origin).parent / "frontend" / "build"
TARGET = ROOT / "cnnviz" / "frontend" / "canvas"
DELAY = "}, Bc = 200, Ar = (e) => {"  # the send delay after a stroke, in the 0.13.0 bundle
NO_DELAY = "}, Bc = 0, Ar = (e) => {"


def patched(js: str) -> str:
    """The bundle with the send delay set to 0; refuses a bundle where the delay is not found exactly once."""
    if js.count(DELAY) != 1:
        raise SystemExit(f"the send delay ({DELAY!r}) is not in this version's bundle exactly once: look again")
    return js.replace(DELAY, NO_DELAY)


def main() -> None:
    (js,) = SOURCE.glob("index-*.js")
    (css,) = SOURCE.glob("index-*.css")
    TARGET.mkdir(parents=True, exist_ok=True)
    for old in [*TARGET.glob("index-*"), TARGET / "LICENSE"]:
        old.unlink(missing_ok=True)
    (TARGET / js.name).write_text(patched(js.read_text(encoding="utf-8")), encoding="utf-8")
    shutil.copyfile(css, TARGET / css.name)
    licence = importlib.metadata.distribution("streamlit-drawable-canvas").read_text("licenses/LICENSE")
    (TARGET / "LICENSE").write_text(f"streamlit-drawable-canvas (MIT), whose frontend this is:\n\n{licence}")
    print(f"wrote {TARGET} from streamlit-drawable-canvas {importlib.metadata.version('streamlit-drawable-canvas')}")


if __name__ == "__main__":
    main()
