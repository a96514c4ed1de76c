"""Imports point one way: every cnnviz module sits in a layer and imports only from its own or lower ones.

Read with ast (module-level imports and those inside functions alike), so a late import cannot hide
an upward dependency. A new module fails here until it is given a layer below.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "cnnviz"
# Lowest first. Within one layer imports may go either way, but never round in a cycle.
LAYERS: list[tuple[str, set[str]]] = [
    ("maths", {"cnnviz", "cnnviz.conv", "cnnviz.transposed", "cnnviz.pooling", "cnnviz.kernels", "cnnviz.examples"}),
    ("inputs", {"cnnviz.data", "cnnviz.images", "cnnviz.augment", "cnnviz.transposed_settings"}),
    ("models", {"cnnviz.models"}),
    ("weights", {"cnnviz.card", "cnnviz.weights"}),
    (
        "engine and model reading",
        {
            "cnnviz.train",
            "cnnviz.progress",
            "cnnviz.advice",
            "cnnviz.activations",
            "cnnviz.predict",
            "cnnviz.explain",
            "cnnviz.layer_table",
            "cnnviz.state",
            "cnnviz.quiz",
            "cnnviz.lessons",
        },
    ),
    ("jobs", {"cnnviz.gate", "cnnviz.forks", "cnnviz.worker", "cnnviz.jobs", "cnnviz.sessions"}),
    (
        "figures",
        {
            "cnnviz.figures",
            "cnnviz.figures.palette",
            "cnnviz.figures.heatmaps",
            "cnnviz.figures.conv",
            "cnnviz.figures.network",
            "cnnviz.figures.predict",
            "cnnviz.figures.training",
            "cnnviz.figures.transposed",
            "cnnviz.figures.tiles",
            "cnnviz.export",
            "cnnviz.warmup",  # imports the figures (to warm them up); ui calls it
        },
    ),
    ("ui", {"cnnviz.ui"}),
    ("entry points and developer tooling", {"cnnviz.__main__", "cnnviz.browser"}),
]
LAYER_OF = {module: rank for rank, (_name, modules) in enumerate(LAYERS) for module in modules}


def module_name(path: Path) -> str:
    """cnnviz/figures/conv.py -> cnnviz.figures.conv; a package's __init__.py is the package."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_in(source: str, package: str) -> set[str]:
    """Every module name an import statement in the source names (relative ones resolved against package)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def imported_modules(name: str) -> set[str]:
    """The cnnviz modules a module imports anywhere in its file."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return {m for m in imports_in(path.read_text(), package) if m in MODULES and m != name}


def test_every_module_has_a_layer_and_every_layer_entry_exists():
    assert sorted(set(MODULES) - set(LAYER_OF)) == [], "give each new module a layer in LAYERS"
    assert sorted(set(LAYER_OF) - set(MODULES)) == [], "a module in LAYERS no longer exists"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_imports_only_from_its_layer_or_below(name):
    rank = LAYER_OF.get(name)
    assert rank is not None, f"{name} has no layer"
    upward = {m: LAYERS[LAYER_OF[m]][0] for m in imported_modules(name) if LAYER_OF.get(m, -1) > rank}
    assert upward == {}, f"{name} ({LAYERS[rank][0]}) imports from higher layers: {upward}"


def reexported_lazily(name: str) -> set[str]:
    """Modules a module's own ``__getattr__`` (PEP 562) re-exports from: a facade, not a dependency.

    ``conv.conv_transpose`` is the public name of ``transposed.conv_transpose``, which builds on conv;
    the layer test above still applies to such imports, only the cycle check leaves them out.
    """
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    hooks = [n for n in ast.parse(path.read_text()).body if isinstance(n, ast.FunctionDef) and n.name == "__getattr__"]
    return {m for hook in hooks for m in imports_in(ast.unparse(hook), package) if m in MODULES}


def test_no_import_cycles():
    graph = {name: imported_modules(name) - reexported_lazily(name) for name in MODULES}
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            pytest.fail("import cycle: " + " -> ".join(path[path.index(name) :] + [name]))
        if name in done:
            return
        for target in sorted(graph[name]):
            visit(target, path + [name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])


def test_the_reader_sees_late_and_relative_imports():
    """A late import is still an import: models importing weights inside a function was a cycle."""
    source = "def f():\n    from cnnviz.weights import load_weights\n    from .heatmaps import tile\n"
    found = imports_in(source, "cnnviz.figures")
    assert {"cnnviz.weights", "cnnviz.figures.heatmaps"} <= found
