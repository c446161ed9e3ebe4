"""The demo admin under django-grappelli: ``"grappelli"`` before
``django.contrib.admin`` and its URLs under ``grappelli/`` (grappelli's quick start;
:mod:`tests.themes.urls` adds them when grappelli is installed)."""

from tests.themes.settings_stock import *  # noqa: F403
from tests.themes.settings_stock import INSTALLED_APPS
from tests.themes.theme_csp import allow_inline_code

INSTALLED_APPS = ["grappelli", *INSTALLED_APPS]
# Grappelli's templates start their widgets with inline scripts and hide parts of the
# page with style attributes.
SECURE_CSP = allow_inline_code(globals().get("SECURE_CSP"))
