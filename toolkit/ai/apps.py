from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from toolkit.ai.conf import DEFAULTS


class AIConfig(AppConfig):
    """``toolkit.ai``: LLM actions in the admin, with their models, admin and checks.

    Installed beside the core (``INSTALLED_APPS += ["toolkit.ai"]``); its label is
    ``toolkit_ai``, so its permissions are ``toolkit_ai.run_ai`` and
    ``toolkit_ai.view_insight``.
    """

    name = "toolkit.ai"
    label = "toolkit_ai"
    verbose_name = _("Toolkit AI")
    default_auto_field = "django.db.models.BigAutoField"

    #: The ``TOOLKIT_*`` settings this app reads (without the prefix), so that the core's
    #: check ``toolkit.W001`` does not call them unknown while the app is installed.
    toolkit_settings = tuple(DEFAULTS)

    def ready(self) -> None:
        from django.apps import apps

        from toolkit.ai import checks  # noqa: F401  (registers the system checks)

        # The AI job handler registers itself on import. The job layer's autodiscovery
        # imports each app's `jobs` module; this app keeps its handler in `handlers`.
        if apps.is_installed("toolkit.jobs"):
            import toolkit.ai.handlers  # noqa: F401
