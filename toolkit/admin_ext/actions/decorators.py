"""Declaring actions: :func:`bulk_action` for the changelist (and the change form),
:func:`row_action` for a method that acts on one object.

Both mark the function with what the mixins read back: ``allowed_permissions`` (Django's
own attribute), ``row_label`` (the label of a row or change-form button) and
``log_entry = False`` for an action that writes its own LogEntries (see
:class:`~toolkit.admin_ext.actions.log.ActionLogWatch`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.contrib import admin
from django.utils.text import capfirst

from toolkit.admin_ext.actions.offered import ActionLocation

__all__ = ["bulk_action", "row_action"]


def bulk_action(
    *,
    permissions: Sequence[str],
    description: Any,
    on_change_form: bool = False,
    row_label: Any = None,
    log_entry: bool = True,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``@admin.action`` that can also be offered on the change form.

    ``on_change_form=True`` uses Django's change-form location where it has one (6.1+);
    on Django 5.2 :class:`~toolkit.admin_ext.actions.RowActionsMixin` renders the
    action on the change form itself. ``row_label`` is the action's label on a row or
    change-form button (default: ``description``). ``log_entry=False`` says the action
    writes its own LogEntries (perhaps later, from a background job), so the mixin's
    safety net writes none for it (see
    :meth:`~toolkit.admin_ext.actions.log.ActionLogMixin.response_action`).
    """
    kwargs: dict[str, Any] = {"permissions": list(permissions), "description": description}
    if on_change_form and ActionLocation is not None:
        kwargs["location"] = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]
    decorate = admin.action(**kwargs)

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        func = decorate(func)
        func.toolkit_on_change_form = on_change_form  # type: ignore[attr-defined]
        if not log_entry:
            func.log_entry = False  # type: ignore[attr-defined]
        if row_label is not None:
            func.row_label = row_label  # type: ignore[attr-defined]
        return func

    return decorator


def row_action(
    *, permissions: Sequence[str] = (), description: Any = None, log_entry: bool = True
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a ModelAdmin method ``(self, request, obj)`` as an action on one object.

    List its name in ``row_actions``. ``permissions`` are checked per object
    (``has_change_permission(request, obj)`` for ``"change"``); ``description`` is the
    button's label. Return ``None`` to go back where the person came from, or a response
    (a page of your own). A run that finishes its work and writes no LogEntry of its
    own gets one saying which action ran (see
    :class:`~toolkit.admin_ext.actions.log.ActionLogWatch`); ``log_entry=False`` leaves
    the logging to the method.
    """

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        if not log_entry:
            func.log_entry = False  # type: ignore[attr-defined]
        func.allowed_permissions = tuple(permissions)  # type: ignore[attr-defined]
        func.short_description = description or capfirst(func.__name__.replace("_", " "))  # type: ignore[attr-defined]
        func.row_label = func.short_description  # type: ignore[attr-defined]
        func.toolkit_object_action = True  # type: ignore[attr-defined]
        return func

    return decorator
