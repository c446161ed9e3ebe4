"""Sphinx configuration of the django-toolkit documentation (`make docs`).

Sphinx with the Furo theme, pages in Markdown through MyST, and the reference read from
the code: autodoc for the public API (the toolkit's docstrings are reStructuredText, with
``:class:`` roles and ``====`` tables, which autodoc renders as written), and
``_ext/toolkit_reference.py`` for the settings and system checks tables. `make docs`
builds with ``-W``: any warning fails the build.
"""

from __future__ import annotations

import os
import sys
from importlib.metadata import version as package_version
from pathlib import Path

import django

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE / "_ext")]
# The demo's settings install every part of the toolkit, so every public class imports.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")
django.setup()

project = "django-toolkit"
author = "django-toolkit contributors"
copyright = "django-toolkit contributors"
release = package_version("django-toolkit")
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "toolkit_reference",
]

source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "_ext", "Thumbs.db", ".DS_Store"]
root_doc = "index"

myst_enable_extensions = ["colon_fence", "deflist"]
# Headings up to ### get anchors, so pages can link to a section: [text](search.md#limits).
myst_heading_anchors = 3

autodoc_default_options = {
    "members": True,
    "show-inheritance": True,
}
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_class_signature = "separated"
# Annotations stay as written (``from __future__ import annotations``); Django's lazy
# objects and models are not resolved against any inventory (the build needs no network).
autodoc_type_aliases: dict[str, str] = {}
# Only the toolkit's own docstrings: a method that overrides Django's (an expression's
# ``as_sql``, a ModelAdmin hook) would otherwise show Django's text, which is not written
# for Sphinx.
autodoc_inherit_docstrings = False

#: The packages whose ``__all__`` is the public API of the reference pages.
PUBLIC_PACKAGES = ("toolkit.admin_ext", "toolkit.jobs", "toolkit.ai")


def _public_names() -> set[str]:
    """Every public name, made a real attribute of its package for autodoc.

    Some names (``toolkit.jobs.Job``, ``start_job``...) are imported on first use by the
    package's ``__getattr__``, which autodoc, listing the module's attributes, does not
    see: reading each name once here puts it in the module for this build.
    """
    import importlib

    names: set[str] = set()
    for dotted in PUBLIC_PACKAGES:
        package = importlib.import_module(dotted)
        for name in package.__all__:
            setattr(package, name, getattr(package, name))
            names.add(name)
    return names


PUBLIC_NAMES = _public_names()


def _keep_public_names(app, what, name, obj, skip, options):  # type: ignore[no-untyped-def]
    """A name in a package's ``__all__`` is listed even without a docstring (an enum, a
    constant): it is public. Members of classes follow autodoc's rule (documented only)."""
    if what == "module" and name in PUBLIC_NAMES:
        return False
    return None


def setup(app):  # type: ignore[no-untyped-def]
    app.connect("autodoc-skip-member", _keep_public_names)


html_theme = "furo"
html_title = "django-toolkit"
html_static_path: list[str] = []
pygments_style = "sphinx"
