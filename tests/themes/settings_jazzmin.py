"""The demo admin under django-jazzmin: ``"jazzmin"`` before ``django.contrib.admin``
(jazzmin's installation guide)."""

from tests.themes.settings_stock import *  # noqa: F403
from tests.themes.settings_stock import INSTALLED_APPS
from tests.themes.theme_csp import allow_inline_code

INSTALLED_APPS = ["jazzmin", *INSTALLED_APPS]
JAZZMIN_SETTINGS = {
    # Jazzmin links a Google font by default; an admin behind a strict CSP (or offline)
    # serves its own fonts.
    "use_google_fonts_cdn": False,
}
# Jazzmin's base.html sets its colour mode and theme chooser with inline scripts.
SECURE_CSP = allow_inline_code(globals().get("SECURE_CSP"))
