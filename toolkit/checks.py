"""System checks for the toolkit's settings and requirements.

Ids: ``toolkit.E0xx`` for errors that stop ``manage.py`` commands, ``toolkit.W0xx`` for
warnings. Each message has a hint that says how to fix it; each id has a test in
``tests/test_checks.py``.
"""

from __future__ import annotations

import difflib
from typing import Any

from django.apps import apps
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from toolkit.compat import TASKS_MODULE, tasks_module
from toolkit.conf import DEFAULTS, PREFIX, conf

#: Apps the toolkit builds on; without them its admin integration cannot work.
REQUIRED_APPS = (
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.messages",
)


@register(Tags.compatibility)
def check_required_apps(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return [
        Error(
            f"django-toolkit needs {app!r} in INSTALLED_APPS.",
            hint=f"Add {app!r} to INSTALLED_APPS (the toolkit extends the Django admin).",
            id="toolkit.E001",
        )
        for app in REQUIRED_APPS
        if not apps.is_installed(app)
    ]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []

    chunk_size = conf.raw("CHUNK_SIZE")
    if not _is_int(chunk_size) or chunk_size < 1:
        messages.append(
            Error(
                f"TOOLKIT_CHUNK_SIZE must be a positive integer, not {chunk_size!r}.",
                hint="Set TOOLKIT_CHUNK_SIZE to the number of rows per chunk, e.g. 1000.",
                id="toolkit.E002",
            )
        )

    threshold = conf.raw("ESTIMATED_COUNT_THRESHOLD")
    if threshold is not None and (not _is_int(threshold) or threshold < 0):
        messages.append(
            Error(
                "TOOLKIT_ESTIMATED_COUNT_THRESHOLD must be a non-negative integer or None, "
                f"not {threshold!r}.",
                hint="Use a row count such as 100000, or None to always count exactly.",
                id="toolkit.E003",
            )
        )

    known = {PREFIX + name for name in DEFAULTS}
    for name in conf.user_setting_names():
        if name in known:
            continue
        close = difflib.get_close_matches(name, sorted(known), n=1)
        messages.append(
            Warning(
                f"{name} is not a django-toolkit setting and is ignored.",
                hint=(
                    f"Did you mean {close[0]}?"
                    if close
                    else "Remove it, or see the README for the settings the toolkit reads."
                ),
                id="toolkit.W001",
            )
        )
    return messages


@register(Tags.compatibility)
def check_tasks_framework(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    try:
        tasks_module()
    except ImportError:
        return [
            Error(
                f"The tasks framework ({TASKS_MODULE}) is not importable.",
                hint=(
                    "On Django 5.2 install the backport: pip install 'django-toolkit[django52]' "
                    "(or upgrade to Django 6, which ships django.tasks)."
                ),
                id="toolkit.E004",
            )
        ]
    return []
