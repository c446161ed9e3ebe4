"""Imports run one way (docs/architecture.md): read from the code, every import counted,
those inside functions and ``if TYPE_CHECKING:`` included."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "toolkit"

#: A layer and the layers above it, which it must never import.
FORBIDDEN = {
    "toolkit": ("toolkit.admin_ext", "toolkit.jobs", "toolkit.ai"),
    "toolkit.jobs": ("toolkit.admin_ext", "toolkit.ai"),
    "toolkit.admin_ext": ("toolkit.ai",),
    "toolkit.ai": (),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str:
    for layer in ("toolkit.admin_ext", "toolkit.jobs", "toolkit.ai"):
        if module == layer or module.startswith(layer + "."):
            return layer
    return "toolkit"


def imports_of(path: Path) -> set[str]:
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.add(name)
    return found


SOURCES = sorted(p for p in ROOT.rglob("*.py") if "migrations" not in p.parts)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT.parent)))
def test_a_module_imports_no_layer_above_its_own(path):
    forbidden = FORBIDDEN[layer_of(module_name(path))]
    wrong = sorted(
        name
        for name in imports_of(path)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    )
    assert wrong == []


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT.parent)))
def test_nothing_at_run_time_imports_test_code_or_the_demo(path):
    wrong = sorted(
        name
        for name in imports_of(path)
        if name == "django.test" or name.startswith(("django.test.", "demo", "tests"))
    )
    assert wrong == []
