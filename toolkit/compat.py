"""Differences between the supported Django versions, kept in one place.

Django 6.0 ships the tasks framework as ``django.tasks``; on Django 5.2 the same API
comes from the ``django-tasks`` backport (``django_tasks``). Import task machinery from
here, never from either package directly. Templates get what differs through the
``toolkit_compat`` template tags (``toolkit/templatetags/toolkit_compat.py``).
"""

from __future__ import annotations

import importlib
import inspect
from types import ModuleType
from typing import Any

import django
from django.db import models

#: True where Django itself ships ``django.tasks`` (6.0 and newer).
HAS_BUILTIN_TASKS = django.VERSION >= (6, 0)

#: True where Django has built-in Content-Security-Policy support (6.0 and newer).
HAS_BUILTIN_CSP = django.VERSION >= (6, 0)

#: True where QuerySets have fetch modes (Django 6.1 and newer).
HAS_FETCH_MODES = django.VERSION >= (6, 1)

#: True where the admin's breadcrumbs are an ``<ol class="breadcrumbs">`` of ``<li>``
#: items (Django 6.1 and newer); before, a ``<div class="breadcrumbs">`` of links joined
#: by ``&rsaquo;``. The admin's CSS styles only the markup of its own version.
HAS_LIST_BREADCRUMBS = django.VERSION >= (6, 1)

#: The dotted name of the package that provides the tasks framework here.
TASKS_MODULE = "django.tasks" if HAS_BUILTIN_TASKS else "django_tasks"


def tasks_module() -> ModuleType:
    """Return the tasks framework package (``django.tasks`` or ``django_tasks``).

    Raises ``ImportError`` on Django 5.2 without the backport installed; the system
    check ``toolkit.E004`` reports that with a hint instead.
    """
    return importlib.import_module(TASKS_MODULE)


def fetch_peers(queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    """``queryset`` in Django 6.1's ``FETCH_PEERS`` mode; unchanged where there is none.

    A relation or deferred field first touched on one row is then loaded for every row
    fetched with it, in one query, instead of one query per row.
    """
    if not HAS_FETCH_MODES:
        return queryset
    return queryset.fetch_mode(models.FETCH_PEERS)  # type: ignore[attr-defined,unused-ignore]


def inclusion_admin_node(name: str, parser: Any, token: Any, **kwargs: Any) -> Any:
    """Django's ``InclusionAdminNode`` (a tag whose template an app or model may
    override). On Django 6.1 it takes the tag's ``name`` first; on 5.2 it does not."""
    from django.contrib.admin.templatetags.base import InclusionAdminNode

    if "name" in inspect.signature(InclusionAdminNode.__init__).parameters:
        return InclusionAdminNode(name, parser, token, **kwargs)
    return InclusionAdminNode(parser, token, **kwargs)


def get_actions_at(modeladmin: Any, request: Any, location: Any = None) -> dict[str, Any]:
    """``modeladmin.get_actions()`` for ``location`` (the change list when ``None``),
    whatever signature an override of it has.

    Django 6.1 added ``action_location`` to ``get_actions()`` and still accepts
    overrides written as ``get_actions(self, request)``: it calls those without the
    argument and offers them no change-form actions. The toolkit's code asks through
    here so that such an admin keeps working with our mixins added; Django itself warns
    about the old signature when it calls it.
    """
    from django.contrib.admin import options
    from django.utils.inspect import get_func_args

    action_location = getattr(options, "ActionLocation", None)
    if action_location is None:  # Django 5.2: actions belong to the change list only.
        return dict(modeladmin.get_actions(request)) if location is None else {}
    location = location or action_location.CHANGE_LIST
    django_asks = getattr(modeladmin, "_get_actions_with_action_location", None)
    if isinstance(modeladmin, options.ModelAdmin) and django_asks is not None:
        # An admin asked from outside (not ``super()`` inside a get_actions override):
        # exactly as Django asks it, so that its deprecation warning for the old
        # signature is the one a project sees first, whoever asks first.
        return dict(django_asks(request, action_location=location))
    if "action_location" in get_func_args(modeladmin.get_actions):
        return dict(modeladmin.get_actions(request, action_location=location))
    if location != action_location.CHANGE_LIST:
        return {}
    return dict(modeladmin.get_actions(request))
