"""What the wheel and the sdist must hold, judged against the source tree.

Every file a site needs at run time besides the modules (templates, static files,
migrations, translations, the ``py.typed`` marker) is found in ``toolkit/`` with the
patterns of ``[tool.setuptools.package-data]`` and must be in both archives; the first
four kinds must not be empty either, so a tree that lost them cannot pass. Translations
are checked when the tree has some.
"""

from __future__ import annotations

import tarfile
import zipfile
from collections import Counter
from email.parser import Parser
from pathlib import Path

#: Each kind of data file and the globs (relative to the package) that find it.
KINDS: dict[str, tuple[str, ...]] = {
    "templates": ("templates/**/*",),
    "static": ("static/**/*",),
    "migrations": ("**/migrations/*.py",),
    "py.typed": ("py.typed",),
    "translations": ("**/locale/*/LC_MESSAGES/*.po", "**/locale/*/LC_MESSAGES/*.mo"),
}
#: Kinds that a package with no such file is broken without.
REQUIRED = ("templates", "static", "migrations", "py.typed")
#: Top-level folders of the checkout that belong to no archive.
FOREIGN = ("demo/", "tests/", "bench/", "scripts/", "var/")


def expected_files(package: Path) -> dict[str, set[str]]:
    """The data files of ``package`` by kind, as archive names (``toolkit/...``)."""
    root = package.parent
    found: dict[str, set[str]] = {}
    for kind, patterns in KINDS.items():
        found[kind] = {
            path.relative_to(root).as_posix()
            for pattern in patterns
            for path in package.glob(pattern)
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
        }
    return found


def wheel_names(path: Path) -> set[str]:
    """The files of a wheel."""
    with zipfile.ZipFile(path) as wheel:
        return {name for name in wheel.namelist() if not name.endswith("/")}


def sdist_names(path: Path) -> set[str]:
    """The files of an sdist, without its ``<name>-<version>/`` folder."""
    with tarfile.open(path) as sdist:
        return {
            member.name.split("/", 1)[1]
            for member in sdist.getmembers()
            if member.isfile() and "/" in member.name
        }


def problems(archive: str, names: set[str], expected: dict[str, set[str]]) -> list[str]:
    """Sentences saying what ``names`` (the files of ``archive``) lacks or should not hold."""
    found = []
    for kind in REQUIRED:
        if not expected[kind]:
            found.append(f"the source tree has no {kind} under toolkit/ to package")
    for kind, files in expected.items():
        missing = sorted(files - names)
        if missing:
            shown = ", ".join(missing[:5]) + (
                f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            )
            found.append(f"{archive} lacks {len(missing)} {kind} file(s): {shown}")
    foreign = sorted(n for n in names if n.startswith(FOREIGN))
    if foreign:
        found.append(f"{archive} holds files that are not the package: {', '.join(foreign[:5])}")
    cached = sorted(n for n in names if "__pycache__/" in n or n.endswith(".pyc"))
    if cached:
        found.append(f"{archive} holds compiled files: {', '.join(cached[:5])}")
    return found


def summary(names: set[str]) -> list[str]:
    """One line per kind of file in an archive, with its count: what the listing shows."""
    counts: Counter[str] = Counter()
    for name in names:
        counts[kind_of(name)] += 1
    return [f"{kind:<13} {counts[kind]:>4}" for kind in sorted(counts)]


def kind_of(name: str) -> str:
    """The kind of an archive member, by where it sits."""
    parts = name.split("/")
    if not name.startswith("toolkit/"):
        return "metadata" if ".dist-info/" in name or ".egg-info/" in name else "other"
    if "templates" in parts:
        return "templates"
    if "static" in parts:
        return "static"
    if "locale" in parts:
        return "translations"
    if "migrations" in parts:
        return "migrations"
    if name == "toolkit/py.typed":
        return "py.typed"
    return "modules" if name.endswith(".py") else "other"


def unknown_classifiers(wheel: Path) -> list[str]:
    """Classifiers of the wheel's metadata that PyPI does not know (it refuses an upload
    with one; ``twine check`` does not look)."""
    from trove_classifiers import classifiers

    with zipfile.ZipFile(wheel) as archive:
        (name,) = (n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(name).decode())
    return [c for c in metadata.get_all("Classifier", []) if c not in classifiers]
