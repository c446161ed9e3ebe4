"""The demo admin under a theme the toolkit knows nothing about: the project's own
``admin/base.html`` with minimal markup and none of the admin's stylesheets
(``tests/themes/templates/bare/``), under the demo's strict CSP."""

from pathlib import Path

from tests.themes.settings_stock import *  # noqa: F403
from tests.themes.settings_stock import TEMPLATES

TEMPLATES = [
    {
        **TEMPLATES[0],
        "DIRS": [Path(__file__).resolve().parent / "templates" / "bare", *TEMPLATES[0]["DIRS"]],
    }
]
