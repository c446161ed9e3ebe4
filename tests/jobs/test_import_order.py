"""Inside the job layer imports run one way, from the model up to the admin: the model
knows no handler and the runner no task, so the package reads bottom to top. Every
import is counted, those inside functions and under ``if TYPE_CHECKING:`` too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "toolkit" / "jobs"

#: Bottom first: a module may import its own layer and those before it, never after.
LAYERS = [
    ("toolkit.jobs.exceptions", "toolkit.jobs.leases", "toolkit.jobs.checks"),
    ("toolkit.jobs.models",),
    ("toolkit.jobs.handlers",),
    ("toolkit.jobs.results",),
    ("toolkit.jobs.runner",),
    ("toolkit.jobs.tasks",),
    ("toolkit.jobs.admin", "toolkit.jobs.management", "toolkit.jobs.apps"),
]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    module_name(p): p
    for p in sorted(PACKAGE.rglob("*.py"))
    if "migrations" not in p.parts and p != PACKAGE / "__init__.py"
}


def layer(module: str) -> int:
    for index, names in enumerate(LAYERS):
        if any(module == name or module.startswith(name + ".") for name in names):
            return index
    raise AssertionError(f"{module} is in no layer of LAYERS: add it where it belongs.")


def jobs_imports(path: Path) -> set[str]:
    """The ``toolkit.jobs`` modules a file imports (``from toolkit.jobs import checks``
    counts as ``toolkit.jobs.checks``; the package itself as ``toolkit.jobs``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names = [
                f"{node.module}.{alias.name}"
                if f"{node.module}.{alias.name}" in MODULES
                else node.module
                for alias in node.names
            ]
        else:
            continue
        found.update(n for n in names if n == "toolkit.jobs" or n.startswith("toolkit.jobs."))
    return found


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_module_of_the_job_layer_imports_none_above_it(module):
    own = layer(module)
    above = sorted(
        name
        for name in jobs_imports(MODULES[module])
        if name == "toolkit.jobs" or layer(name) > own
    )
    assert above == []


def test_the_model_knows_no_handler_and_the_runner_no_task():
    assert jobs_imports(MODULES["toolkit.jobs.models"]) == set()
    assert "toolkit.jobs.tasks" not in jobs_imports(MODULES["toolkit.jobs.runner"])
