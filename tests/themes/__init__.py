"""The demo admin under the admin themes that keep the stock ``ModelAdmin``.

Each theme is a settings module here (``settings_<name>.py``, the demo's settings plus
the theme's apps where the theme's own documentation puts them) that a server process
of its own runs (:mod:`tests.themes.server`): a theme replaces the admin's templates, so
it cannot be switched on inside the test process. ``tests/browser/test_themes.py``
walks each one in a real browser; ``tests/themes/test_bare_admin.py`` checks through
the test client that a theme the toolkit does not know degrades to working pages.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass


@dataclass(frozen=True)
class Theme:
    """An admin theme as the tests run it."""

    name: str
    #: The settings module its server runs with.
    settings: str
    #: The import name of the theme's package (``None``: nothing to install).
    package: str | None = None
    #: What ``pip install`` takes to bring the theme in.
    requirement: str | None = None
    #: The selector of the button that shows a filter sidebar the theme hides.
    open_filters: str | None = None
    #: What does not work under the theme, and why (docs/how-to/themes.md).
    search_box_broken: str | None = None

    def missing(self) -> str | None:
        """Why the theme cannot run here, or ``None`` when it can."""
        if self.package and importlib.util.find_spec(self.package) is None:
            return f"{self.requirement} is not installed (pip install 'django-toolkit[themes]')"
        return None


THEMES = [
    # Django's own look, the baseline the others are compared with.
    Theme("stock", "tests.themes.settings_stock"),
    Theme(
        "jazzmin",
        "tests.themes.settings_jazzmin",
        "jazzmin",
        "django-jazzmin",
        search_box_broken=(
            "jazzmin renders the list filters inside its search <form>; a toolkit range, "
            "date or autocomplete filter is a <form> of its own, and HTML does not nest "
            "forms: the browser ends jazzmin's form at the filter's </form>, leaving the "
            "search box outside any form"
        ),
    ),
    Theme(
        "admin_interface",
        "tests.themes.settings_admin_interface",
        "admin_interface",
        "django-admin-interface",
    ),
    Theme(
        "grappelli",
        "tests.themes.settings_grappelli",
        "grappelli",
        "django-grappelli",
        open_filters=".grp-pulldown-handler",
    ),
    # A theme the toolkit knows nothing about: a minimal admin/base.html without the
    # admin's stylesheets (tests/themes/templates/bare/).
    Theme("bare", "tests.themes.settings_bare"),
]
