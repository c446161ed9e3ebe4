"""System checks for the toolkit's settings and requirements.

Ids: ``toolkit.E0xx`` for errors that stop ``manage.py`` commands, ``toolkit.W0xx`` for
warnings. Each message has a hint that says how to fix it; each id has a test under
``tests/`` (``tests/test_checks.py`` checks that none is missing). Parts keep the checks
of their own options and settings beside them (``toolkit/admin_ext/*.py``,
``toolkit/jobs/checks.py``, ``toolkit/ai/checks.py``); an installed part's settings are
known to ``toolkit.W001`` through the ``toolkit_settings`` of its ``AppConfig``.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable
from typing import Any, cast

from django.apps import apps
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from toolkit.compat import TASKS_MODULE, tasks_module
from toolkit.conf import DEFAULTS, PREFIX, conf

_Check = Callable[..., list[CheckMessage]]

#: Apps the toolkit builds on; without them its admin integration cannot work.
REQUIRED_APPS = (
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.messages",
)


def _while_installed(check: _Check) -> _Check:
    """Run ``check`` only while ``toolkit`` is installed.

    Checks stay registered for the whole process; a test that overrides
    ``INSTALLED_APPS`` without the toolkit (Django's own admin tests do) must not hear
    about the toolkit's settings.
    """

    @functools.wraps(check)
    def wrapper(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
        if not apps.is_installed("toolkit"):
            return []
        return check(app_configs, **kwargs)

    return cast(_Check, wrapper)


@register(Tags.compatibility)
@_while_installed
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
@_while_installed
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

    known = known_setting_names()
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
                    else "Remove it, or see the settings reference (docs/reference/settings.md) "
                    "for what the toolkit reads (a part's settings are known while the part is in "
                    "INSTALLED_APPS)."
                ),
                id="toolkit.W001",
            )
        )
    return messages


def known_setting_names() -> set[str]:
    """Every ``TOOLKIT_*`` name read by the core or by an installed part: a part lists
    its names (without the prefix) as ``toolkit_settings`` on its ``AppConfig``."""
    names = set(DEFAULTS)
    for app_config in apps.get_app_configs():
        names.update(getattr(app_config, "toolkit_settings", ()))
    return {PREFIX + name for name in names}


@register(Tags.compatibility)
@_while_installed
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
