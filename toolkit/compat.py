"""Differences between the supported Django versions, kept in one place.

Django 6.0 ships the tasks framework as ``django.tasks``; on Django 5.2 the same API
comes from the ``django-tasks`` backport (``django_tasks``). Import task machinery from
here, never from either package directly.
"""

from __future__ import annotations

import importlib
from types import ModuleType

import django

#: True where Django itself ships ``django.tasks`` (6.0 and newer).
HAS_BUILTIN_TASKS = django.VERSION >= (6, 0)

#: True where Django has built-in Content-Security-Policy support (6.0 and newer).
HAS_BUILTIN_CSP = django.VERSION >= (6, 0)

#: The dotted name of the package that provides the tasks framework here.
TASKS_MODULE = "django.tasks" if HAS_BUILTIN_TASKS else "django_tasks"


def tasks_module() -> ModuleType:
    """Return the tasks framework package (``django.tasks`` or ``django_tasks``).

    Raises ``ImportError`` on Django 5.2 without the backport installed; the system
    check ``toolkit.E004`` reports that with a hint instead.
    """
    return importlib.import_module(TASKS_MODULE)
