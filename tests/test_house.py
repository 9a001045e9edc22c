"""The house keeps its shape: engine imports no Qt, no module imports in a circle (not even
from inside a function), modules stay small, the public face resolves, and the import
contracts in pyproject.toml catch what they promise to catch."""

import ast
import importlib
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

import engine

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 350
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def engine_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(engine.__path__, "engine."))


def test_every_engine_module_imports_without_qt():
    code = ("import importlib, sys\n"
            f"for name in {engine_modules()!r}:\n"
            "    importlib.import_module(name)\n"
            "qt = ('PySide6', 'shiboken6', 'pyqtgraph')\n"
            "bad = [m for m in sys.modules if m.startswith(qt)]\n"
            "assert not bad, bad\n"
            "print(len(sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert len(engine_modules()) >= 40


def _cycles(graph: grimp.ImportGraph, modules: set[str]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & modules) for m in modules}
    for root in sorted(modules):
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            node, it = work[-1]
            nxt = next(it, None)
            if nxt is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        m = stack.pop()
                        on.discard(m)
                        comp.append(m)
                        if m == node:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
            elif nxt not in index:
                index[nxt] = low[nxt] = counter[0]
                counter[0] += 1
                stack.append(nxt)
                on.add(nxt)
                work.append((nxt, iter(edges[nxt])))
            elif nxt in on:
                low[node] = min(low[node], index[nxt])
    return out


def test_no_import_cycle_anywhere():
    graph = grimp.build_graph("engine", "gui")  # imports inside functions count too
    modules = {m for m in graph.modules if m.split(".")[0] in ("engine", "gui")}
    assert "engine.measures.meter" in modules and "gui.transport" in modules
    assert _cycles(graph, modules) == []
    # the lazy public face can close no cycle: no room of the engine imports it
    importers = {m for m in graph.find_modules_that_directly_import("engine")
                 if m.startswith("engine.")}
    assert importers == set()


def test_the_cycle_finder_finds_a_cycle():
    graph = grimp.ImportGraph()
    for m in ("a", "a.x", "a.y", "a.z"):
        graph.add_module(m)
    graph.add_import(importer="a.x", imported="a.y")
    graph.add_import(importer="a.y", imported="a.x")
    graph.add_import(importer="a.z", imported="a.x")
    assert _cycles(graph, {"a.x", "a.y", "a.z"}) == [["a.x", "a.y"]]


def test_no_module_is_over_350_lines():
    files = [*ROOT.glob("engine/**/*.py"), *ROOT.glob("gui/**/*.py"), ROOT / "main.py"]
    long = {str(p.relative_to(ROOT)): n for p in files
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert len(files) > 60
    assert long == {}


def test_the_public_face_resolves_every_name_it_lists():
    for name, module in engine._FACE.items():
        own = engine._ALIASES.get(name, name)
        assert getattr(engine, name) is getattr(importlib.import_module(module), own), name
    assert set(engine.__all__) == {"__version__", *engine._FACE}
    assert "Engine" in dir(engine)
    with pytest.raises(AttributeError):
        engine.NoSuchThing  # noqa: B018


def test_the_window_imports_only_names_of_the_face():
    used = set()
    for path in ROOT.glob("gui/*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "engine":
                used |= {a.name for a in node.names}
    assert {"Session", "Freeze", "Shown", "colormap", "METRICS", "OPERATORS"} <= used
    assert used <= set(engine._FACE)


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed")
def test_the_import_contracts_catch_each_kind_of_break(tmp_path):
    for part in ("engine", "gui", "pyproject.toml"):
        src = ROOT / part
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / part)
    (tmp_path / "main.py").write_text("")

    def lint():
        done = subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=tmp_path, text=True,
                              capture_output=True, timeout=120,
                              env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
        return done.returncode, done.stdout

    code, out = lint()
    assert code == 0 and "5 kept, 0 broken" in out, out
    plant = {"engine/device.py": "import PySide6", "engine/errors.py": "import main",
             "gui/grid.py": "from engine.display import mosaic",
             "engine/network/rows.py": "from engine.measures import catalogue",
             "engine/measures/metrics.py": "from engine.measures import catalogue"}
    for rel, line in plant.items():
        with open(tmp_path / rel, "a", encoding="utf-8") as f:
            f.write(f"\n{line}  # planted\n")
    code, out = lint()
    assert code != 0
    assert "0 kept, 5 broken" in out, out
    for planted in ("engine.device -> PySide6", "engine.errors -> main",
                    "gui.grid -> engine.display.mosaic",
                    "engine.network.rows -> engine.measures.catalogue"):
        assert planted in out, planted
