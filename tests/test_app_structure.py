"""The shape of the app: one navigation table, thin pages, Streamlit kept out of the library."""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from app import HOME, SECTIONS  # noqa: E402

ENTRIES = [e for entries in SECTIONS.values() for e in entries]
PAGE_FILES = sorted(ROOT.glob("pages/*.py"))
LIBRARY_FILES = sorted(ROOT.glob("cnnviz/**/*.py"))
# Models, training, figure building and file formats belong in cnnviz/, not in a page.
HEAVY_FOR_PAGES = {"torch", "torchvision", "plotly", "safetensors", "pickle"}


def imported_roots(path: Path) -> set[str]:
    """Top-level package names a file imports."""
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def first_statement_after_imports(path: Path) -> str:
    """The source of the first module-level statement that is not the docstring or an import."""
    body = ast.parse(path.read_text()).body
    rest = [
        n
        for n in body
        if not isinstance(n, (ast.Import, ast.ImportFrom))
        and not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))
    ]
    return ast.unparse(rest[0]) if rest else ""


def test_navigation_lists_every_page_file_once():
    assert sorted(e.path for e in ENTRIES) == sorted(f"pages/{p.name}" for p in PAGE_FILES)
    assert len({e.url_path for e in ENTRIES}) == len({e.title for e in ENTRIES}) == len(ENTRIES)
    assert all(e.title and e.icon for e in ENTRIES)
    assert HOME == ENTRIES[0]


def test_page_file_is_named_like_its_url():
    """A cold server's first visit goes through legacy pages/ routing, which knows only file names."""
    assert all(Path(e.path).stem == e.url_path for e in ENTRIES)


@pytest.mark.parametrize("page", PAGE_FILES, ids=lambda p: p.name)
def test_page_first_routes_through_app(page):
    """Without this, a cold server's first visit runs the file outside st.navigation."""
    assert first_statement_after_imports(page) == "ui.route_through_app()", (
        f"{page.name}: put `ui.route_through_app()` (from cnnviz import ui) right after the imports"
    )


@pytest.mark.parametrize("page", PAGE_FILES, ids=lambda p: p.name)
def test_page_imports_nothing_heavy(page):
    assert not imported_roots(page) & HEAVY_FOR_PAGES


def test_only_ui_imports_streamlit_in_the_library():
    """cnnviz/browser.py is developer tooling (it reads Streamlit's websocket messages); the app never imports it.
    cnnviz/__main__.py starts Streamlit's server (``python -m cnnviz serve``)."""
    importers = {p.relative_to(ROOT).as_posix() for p in LIBRARY_FILES if "streamlit" in imported_roots(p)}
    assert importers <= {"cnnviz/ui.py", "cnnviz/browser.py", "cnnviz/__main__.py"}


def test_app_imports_only_streamlit():
    assert imported_roots(ROOT / "app.py") <= {"streamlit", "typing"}


def test_test_modules_have_unique_basenames():
    """pytest's default import mode collects by basename: two test_x.py files break the whole run."""
    names = [p.name for p in (ROOT / "tests").rglob("*.py") if p.name not in {"conftest.py", "__init__.py"}]
    assert sorted(set(names)) == sorted(names), [n for n in set(names) if names.count(n) > 1]


def test_the_browser_message_cache_is_off():
    """Its 'Cached ForwardMsg MISS' killed the page under load (timed fragment reruns); see config.toml."""
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["global"]["minCachedMessageSize"] >= 1e12
    assert config["server"]["address"] == "127.0.0.1" and config["client"]["showErrorDetails"] == "none"


@pytest.mark.skipif(sys.platform == "win32", reason="uvloop has no Windows build")
def test_the_server_runs_on_uvloop_and_httptools():
    """Both are dependencies: a first visit's script requests cost the server about 0.2 s less with them."""
    import uvicorn
    from streamlit.web import bootstrap

    assert bootstrap._get_uvloop_loop_factory() is not None  # Streamlit's server loop, when uvloop is there
    config = uvicorn.Config(app=None)
    config.load()
    assert config.http_protocol_class.__module__ == "uvicorn.protocols.http.httptools_impl"
