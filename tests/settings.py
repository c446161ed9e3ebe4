"""The settings the test suite runs with: the demo's, plus the apps of models that exist
only for tests (``pyproject.toml`` points pytest-django here)."""

from demo.settings import *  # noqa: F403
from demo.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.admin_ext.deletionapp"]
