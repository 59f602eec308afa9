"""The package as a whole: its stages import one way, no module imports another's private names, and no
modules import one another in a cycle (imports inside functions count)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import vietlao

PACKAGE = Path(vietlao.__file__).parent
#: The layers in pipeline order: a module may import from its own layer and earlier ones only. The
#: shared vocabularies and helpers come first; ``export`` precedes ``labelstudio``, whose ``pull``
#: validates with its rules; the error report (``report``) renders the scorer's output and the
#: benchmark writes one per protocol; ``models`` are the baselines (and the encoder they share), used by
#: ``assist`` (pre-annotation, the effort it saves, Label Studio's ML backend) and by ``benchmark``;
#: ``publish`` checks and copies the built dataset; the command line comes last.
LAYERS = (
    {"labels", "paths", "errors", "files", "spans", "emails", "versions", "tables"},
    {"corpus"},
    {"label_config"},
    {"export"},
    {"labelstudio"},
    {"dataset"},
    {"evaluation"},
    {"report"},
    {"models"},
    {"assist"},
    {"benchmark"},
    {"publish"},
    {"cli", "__main__"},
)
LAYER_OF = {name: i for i, names in enumerate(LAYERS) for name in names}


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """``(module, names)`` of every ``vietlao`` import in ``path``, in functions too."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "vietlao":
            found.append((node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names if a.name.split(".")[0] == "vietlao"]
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


def _part(path: Path) -> str:
    """The top-level module or sub-package ``path`` belongs to."""
    first = path.relative_to(PACKAGE).parts[0]
    return first[:-3] if first.endswith(".py") else first


def _module_name(path: Path, root: Path = PACKAGE) -> str:
    """``vietlao.a.b`` of ``a/b.py``, ``vietlao.a`` of ``a/__init__.py`` (under ``root``)."""
    parts = ("vietlao", *path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(paths: list[Path], root: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the ``vietlao`` modules it imports (at module level or in a function): ``from m
    import x`` is an import of the submodule ``m.x`` when there is one, else of ``m``."""
    names = {_module_name(p, root) for p in paths}

    def loaded(module: str, imported: list[str]) -> set[str]:
        return {f"{module}.{n}" if f"{module}.{n}" in names else module for n in imported} or {module}

    return {_module_name(p, root): set().union(*(loaded(m, i) for m, i in _imports(p))) & names for p in paths}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The modules that import one another, directly or through others: every strongly connected
    set of ``graph`` with more than one module (or a module importing itself), by Tarjan's method."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = stack[stack.index(v):]
            del stack[stack.index(v):]
            if len(group) > 1 or v in graph.get(v, ()):
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_check_finds_cycles_through_other_modules():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}, "f": {"d"}}
    assert sorted(cycles(graph)) == [["a", "b", "c"], ["e"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_the_graph_counts_imports_inside_functions(tmp_path):
    (tmp_path / "stage").mkdir()
    (tmp_path / "stage" / "__init__.py").write_text("")
    (tmp_path / "stage" / "a.py").write_text("from vietlao.stage import b\n")
    (tmp_path / "stage" / "b.py").write_text("def f():\n    from vietlao.stage.a import g\n")
    (tmp_path / "c.py").write_text("import vietlao.stage.a\n")
    graph = import_graph(sorted(tmp_path.rglob("*.py")), tmp_path)
    assert graph == {"vietlao.stage": set(), "vietlao.stage.a": {"vietlao.stage.b"},
                     "vietlao.stage.b": {"vietlao.stage.a"}, "vietlao.c": {"vietlao.stage.a"}}
    assert cycles(graph) == [["vietlao.stage.a", "vietlao.stage.b"]]


def test_no_modules_import_one_another():
    found = cycles(import_graph(MODULES))
    assert not found, "import cycles (imports inside functions count): " + "; ".join(" <-> ".join(c) for c in found)


def test_every_part_of_the_package_has_a_layer():
    assert {_part(p) for p in MODULES} - {"__init__"} <= set(LAYER_OF)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_one_way_and_take_no_private_names(path):
    here = _part(path)
    for module, names in _imports(path):
        parts = module.split(".")
        if len(parts) > 1 and here in LAYER_OF:
            assert LAYER_OF[parts[1]] <= LAYER_OF[here], f"{here} imports {module}, a later stage"
        private = [n for n in names if n.startswith("_") and not n.startswith("__")]
        assert not private, f"{module}: private name(s) {private} imported"


TESTS = Path(__file__).parent


def test_tests_import_no_other_test_and_leave_the_import_path_alone():
    """Shared fixtures live in helper modules (``small_dataset``, ``chromium``, ``extension``, …), not
    in test modules; no test changes ``sys.path``."""
    found = []
    for path in sorted(TESTS.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                     else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            found += [f"{path.name} imports {n}" for n in names if n.split(".")[0].startswith("test_")]
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and ast.unparse(node.func.value) == "sys.path"):
                found.append(f"{path.name} calls sys.path.{node.func.attr}")
    assert not found, "; ".join(found)
