from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdminExtConfig(AppConfig):
    """Installed only by sites that use the admin extensions' own models (saved views)."""

    name = "toolkit.admin_ext"
    label = "toolkit_admin_ext"
    verbose_name = _("Admin extensions")
    default_auto_field = "django.db.models.BigAutoField"
