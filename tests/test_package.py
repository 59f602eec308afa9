"""The package as a whole: its stages import one way, and no module imports another's private names."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import vietlao

PACKAGE = Path(vietlao.__file__).parent
#: The layers in pipeline order: a module may import from its own layer and earlier ones only. The
#: shared vocabularies and helpers come first; ``export`` precedes ``labelstudio``, whose ``pull``
#: validates with its rules; the error report (``report``) renders the scorer's output and the
#: benchmark writes one per protocol; ``publish`` checks and copies the built dataset; the command line comes last.
LAYERS = (
    {"labels", "paths", "errors", "files", "spans", "emails", "versions", "tables"},
    {"corpus"},
    {"label_config"},
    {"export"},
    {"labelstudio"},
    {"dataset"},
    {"evaluation"},
    {"report"},
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
