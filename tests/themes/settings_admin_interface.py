"""The demo admin under django-admin-interface: ``"admin_interface"`` and
``"colorfield"`` before ``django.contrib.admin``, and its popups in frames of the same
origin (its README)."""

from tests.themes.settings_stock import *  # noqa: F403
from tests.themes.settings_stock import INSTALLED_APPS
from tests.themes.theme_csp import allow_inline_code

INSTALLED_APPS = ["admin_interface", "colorfield", *INSTALLED_APPS]
X_FRAME_OPTIONS = "SAMEORIGIN"
SILENCED_SYSTEM_CHECKS = ["security.W019"]
# The theme's colours are an inline <style> rendered from its database row, and its
# related-object popups are frames of the admin itself.
SECURE_CSP = allow_inline_code(globals().get("SECURE_CSP"), frames=True)
