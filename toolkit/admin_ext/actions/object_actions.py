"""Running one action on one object: the rules row buttons and change-form actions share.

Every run is POST-only (a GET shows a confirmation page and changes nothing), checks
``has_<permission>_permission(request, obj)`` for each of the action's
``allowed_permissions`` on that very object, leaves a LogEntry (the action's own, or a
"Ran “...”" entry when it finished and wrote none: the safety net changelist actions
share, :class:`~toolkit.admin_ext.actions.log.ActionLogWatch`) and a message.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.admin import options as admin_options
from django.contrib.admin.utils import quote
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.inspect import get_func_args
from django.utils.translation import gettext_lazy as _

from toolkit.admin_ext.actions.log import ActionLogWatch
from toolkit.admin_ext.actions.offered import (
    ROW,
    OfferedActionsMixin,
    action_description,
    action_func,
)

__all__ = ["ObjectAction", "ObjectActionsMixin"]

#: The page a GET of an object action's URL shows.
CONFIRM_TEMPLATE = "toolkit/admin_ext/actions/object_action.html"


@dataclass(frozen=True)
class ObjectAction:
    """One action as offered on one object."""

    #: The name posted (the admin action's name, or the method's).
    name: str
    #: ``func(modeladmin, request, queryset)`` for an admin action,
    #: ``func(modeladmin, request, obj)`` when ``takes_object``.
    func: Callable[..., Any]
    #: The button's label.
    label: str
    #: ``allowed_permissions`` of the action, checked against the object.
    permissions: tuple[str, ...] = ()
    #: Whether ``func`` takes the object (a :func:`row_action`) or a queryset.
    takes_object: bool = False


def _takes_object(check: Callable[..., Any]) -> bool:
    """Whether a ``has_<x>_permission`` method takes ``obj`` (reading its signature
    once per method, not once per row)."""
    func = getattr(check, "__func__", check)
    try:
        return bool(_TAKES_OBJECT[func])
    except KeyError:
        takes = _TAKES_OBJECT[func] = len(get_func_args(check)) >= 2
        return takes
    except TypeError:  # not hashable
        return len(get_func_args(check)) >= 2


_TAKES_OBJECT: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()

#: The ModelAdmin methods a permission check goes through (Django's
#: has_view_or_change_permission asks the other two).
_ASKS = {
    "view_or_change": (
        "has_view_or_change_permission",
        "has_view_permission",
        "has_change_permission",
    ),
}


class ObjectActionsMixin(OfferedActionsMixin):
    """Resolving, permitting, running and linking actions on one object. Part of
    :class:`~toolkit.admin_ext.actions.RowActionsMixin`."""

    def resolve_object_action(
        self, request: HttpRequest, name: str, obj: models.Model
    ) -> ObjectAction | None:
        """The action ``name`` of ``row_actions`` for ``obj``: an admin action the
        person may run (``get_actions``), else a :func:`row_action` method; ``None``
        when neither exists."""
        actions = self._actions_at(request, ROW)
        if name in actions:
            # The same for every row of the page: made once a request.
            made = request.__dict__.setdefault("_toolkit_row_object_actions", {})
            key = (id(self), name)
            if key not in made:
                made[key] = self._object_action(name, action_func(actions[name]), actions[name])
            return made[key]
        method = getattr(type(self), name, None)
        if callable(method) and getattr(method, "toolkit_object_action", False):
            return ObjectAction(
                name=name,
                func=method,
                label=str(method.short_description),
                permissions=tuple(getattr(method, "allowed_permissions", ())),
                takes_object=True,
            )
        return None

    def has_object_action_permission(
        self, request: HttpRequest, action: ObjectAction, obj: models.Model
    ) -> bool:
        """Whether the person may run ``action`` on ``obj``: may see or change it, and
        holds each of its ``allowed_permissions`` for that object (``obj`` is passed to
        ``has_<permission>_permission`` where the method takes it)."""
        if not self._object_permission(request, "view_or_change", obj):
            return False
        return all(
            self._object_permission(request, permission, obj) for permission in action.permissions
        )

    def _object_permission(self, request: HttpRequest, permission: str, obj: models.Model) -> bool:
        """``has_<permission>_permission(request[, obj])``. Django's own methods give every
        object of a page the same answer, so theirs is asked once a request; a method
        the ModelAdmin overrides is asked for each object."""
        name = f"has_{permission}_permission"
        check = getattr(self, name, None)
        if check is None:
            return False

        def ask() -> bool:
            return bool(check(request, obj) if _takes_object(check) else check(request))

        own = type(self)
        for method in _ASKS.get(permission, (name,)):
            if getattr(own, method, None) is not getattr(admin_options.ModelAdmin, method, None):
                return ask()
        answers = request.__dict__.setdefault("_toolkit_object_permissions", {})
        key = (id(self), permission)
        if key not in answers:
            answers[key] = ask()
        return bool(answers[key])

    def _object_action(self, name: str, func: Any, entry: Any) -> ObjectAction:
        label = getattr(func, "row_label", None)
        if label is None:
            label = action_description(entry, self.opts)
        return ObjectAction(
            name=name,
            func=func,
            label=str(label),
            permissions=tuple(getattr(func, "allowed_permissions", ())),
        )

    # -- running ---------------------------------------------------------------------

    def run_object_action(
        self, request: HttpRequest, obj: models.Model, action: ObjectAction
    ) -> HttpResponseBase | None:
        """Run ``action`` on ``obj`` (permissions already checked) and make sure it
        leaves a LogEntry: a run that finished, wrote none and said nothing went wrong
        gets a "Ran “...”" entry on ``obj`` (:class:`ActionLogWatch`)."""
        watch = ActionLogWatch(request, action.func)
        if action.takes_object:
            response = action.func(self, request, obj)
        else:
            response = action.func(self, request, self.get_queryset(request).filter(pk=obj.pk))
        if watch.needs_entry(response):
            self.log_change(request, obj, f"Ran “{action.label}”.")
        if isinstance(response, HttpResponseBase):
            return response
        if not watch.new_messages():
            self.message_user(
                request,
                _("“%(obj)s”: %(action)s done.") % {"obj": obj, "action": action.label},
                messages.SUCCESS,
            )
        return None

    def object_action_confirmation(
        self, request: HttpRequest, obj: models.Model, action: ObjectAction, origin: str
    ) -> HttpResponse:
        """The page a GET of an action's URL shows: what would run, and a button."""
        context = {
            **self.admin_site.each_context(request),
            "title": _("Run “%(action)s”?") % {"action": action.label},
            "subtitle": None,
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "object": obj,
            "action": action,
            "cancel_url": self._object_action_return_url(request, obj, origin),
            "changelist_query": self._object_action_query(request),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, CONFIRM_TEMPLATE, context)

    # -- URLs ------------------------------------------------------------------------

    def object_action_url(
        self, obj: models.Model, action: str, origin: str = ROW, query: str = ""
    ) -> str:
        """Where a button runs ``action`` on ``obj``; ``query`` is the changelist's
        query string, kept to come back to the same list."""
        return self.object_action_url_for_pk(obj.pk, action, origin, query)

    def object_action_url_for_pk(
        self, pk: Any, action: str, origin: str = ROW, query: str = ""
    ) -> str:
        """:meth:`object_action_url` for a primary key."""
        name = "row_action" if origin == ROW else "object_action"
        url = reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_{name}",
            args=(quote(pk), action),
        )
        return f"{url}?{urlencode({'_changelist_filters': query})}" if query else url

    def _object_action_query(self, request: HttpRequest) -> str:
        return request.GET.get("_changelist_filters", "")

    def _object_action_changelist_url(self, request: HttpRequest) -> str:
        url = reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_changelist"
        )
        query = self._object_action_query(request)
        return f"{url}?{query}" if query else url

    def _object_action_return_url(
        self, request: HttpRequest, obj: models.Model, origin: str
    ) -> str:
        if origin == ROW:
            return self._object_action_changelist_url(request)
        url = reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_change",
            args=(quote(obj.pk),),
        )
        query = self._object_action_query(request)
        return f"{url}?{urlencode({'_changelist_filters': query})}" if query else url
