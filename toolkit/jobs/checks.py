"""System checks of the job layer (ids ``toolkit.E08x`` / ``toolkit.W08x``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.compatibility)
def check_tasks_backend(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Jobs queued on a backend that never runs them would wait forever, silently."""
    backend = str(getattr(settings, "TASKS", {}).get("default", {}).get("BACKEND", ""))
    if backend.endswith(".DummyBackend"):
        return [
            Warning(
                "The default tasks backend is the DummyBackend: toolkit.jobs jobs will stay "
                "queued and never run.",
                hint="Use django_tasks_db.DatabaseBackend and run `manage.py db_worker`.",
                id="toolkit.W080",
            )
        ]
    return []
