from __future__ import annotations

from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "toolkit.jobs"
    label = "toolkit_jobs"
    verbose_name = _("Background jobs")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Job handlers live in each app's `jobs` module (as ModelAdmins live in `admin`):
        # importing them registers them, in the web process and in every worker alike.
        autodiscover_modules("jobs")
        from toolkit.jobs import checks  # noqa: F401  (registers the system checks)
