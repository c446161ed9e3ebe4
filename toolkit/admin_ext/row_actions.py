"""Actions on one object: a button per changelist row, and actions on the change form.

Row actions are admin actions offered on every row of the changelist ("Duplicate",
"Set “Is active”"), plus methods written for one object with :func:`row_action`::

    class ProductAdmin(BulkActionsMixin, admin.ModelAdmin):
        actions = ["duplicate_selected"]
        row_actions = ["duplicate_selected", "toggle_is_active", "discontinue"]

        @row_action(permissions=["change"], description="Discontinue")
        def discontinue(self, request, obj):
            obj.status = "discontinued"
            obj.save(update_fields=["status"])

        def get_row_actions(self, request, obj):
            actions = super().get_row_actions(request, obj)
            return [a for a in actions if a.name != "discontinue" or obj.status == "active"]

A row button posts to ``<pk>/row-action/<name>/`` of the ModelAdmin. It is a
``formaction`` button of the changelist's own form, because the rows sit inside that
form and forms cannot nest: the changelist's CSRF token goes with it, and no script is
needed (the demo runs under a strict CSP). Where ``list_editable`` puts inputs in the
rows, pressing Enter in one would submit the first row's button, so the rows then link
to a small confirmation page instead.

Every run is POST-only (a GET shows that confirmation page and changes nothing), checks
``has_<permission>_permission(request, obj)`` for each of the action's
``allowed_permissions`` on that very object, leaves a LogEntry (the action's own, or a
"Ran “...”" entry when it finished and wrote none: the safety net changelist actions
share, :class:`~toolkit.admin_ext.bulk_jobs.ActionLogWatch`) and a message.

Change-form actions are the actions declared with ``bulk_action(on_change_form=True)``.
Django 6.1 renders them on the change form itself (its action locations); the mixin adds
the same per-object permission check to them. On Django 5.2 the mixin renders them as
buttons among the change form's object tools, posting to
``<pk>/change/action/<name>/`` with the same checks.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin import options as admin_options
from django.contrib.admin.options import IS_POPUP_VAR, TO_FIELD_VAR
from django.contrib.admin.utils import model_format_dict, quote, unquote
from django.core import checks
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.loader import select_template
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import conditional_escape
from django.utils.inspect import get_func_args
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from toolkit.admin_ext.bulk_jobs import ActionLogWatch
from toolkit.admin_ext.urls import pk_url_builder
from toolkit.compat import get_actions_at

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

    _ModelAdminBase = ModelAdmin[Any]
else:
    _ModelAdminBase = object

__all__ = ["ObjectAction", "RowActionsMixin", "row_action"]

#: Django 6.1's ``ActionLocation`` (``None`` before: the mixin renders change-form actions).
ActionLocation: Any = getattr(admin_options, "ActionLocation", None)

#: The template of the Django 5.2 change form with the toolkit's object-action buttons.
CHANGE_FORM_TEMPLATE = "toolkit/admin_ext/actions/change_form.html"
CONFIRM_TEMPLATE = "toolkit/admin_ext/actions/object_action.html"

ROW = "row"
CHANGE_FORM = "change"


def row_action(
    *, permissions: Sequence[str] = (), description: Any = None, log_entry: bool = True
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a ModelAdmin method ``(self, request, obj)`` as an action on one object.

    List its name in ``row_actions``. ``permissions`` are checked per object
    (``has_change_permission(request, obj)`` for ``"change"``); ``description`` is the
    button's label. Return ``None`` to go back where the person came from, or a response
    (a page of your own). A run that finishes its work and writes no LogEntry of its
    own gets one saying which action ran (see
    :class:`~toolkit.admin_ext.bulk_jobs.ActionLogWatch`); ``log_entry=False`` leaves
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


def _action_func(entry: Any) -> Any:
    return entry[0] if isinstance(entry, tuple) else entry.func


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


def action_description(entry: Any, opts: Any) -> str:
    """The description of a ``get_actions()`` entry (a tuple before Django 6.1, an
    ``Action`` since), with ``%(verbose_name_plural)s`` filled in as Django does."""
    description = entry[2] if isinstance(entry, tuple) else entry.description
    return str(description) % model_format_dict(opts)


class RowActionsMixin(_ModelAdminBase):
    """ModelAdmin mixin: buttons on each changelist row, and change-form actions on
    Django 5.2. Part of :class:`~toolkit.admin_ext.BulkActionsMixin`."""

    #: Actions offered as a button on every changelist row: names of admin actions
    #: (``"duplicate_selected"``, a toggle as ``"toggle_<field>"``, which sets or
    #: clears the field depending on the row) or of :func:`row_action` methods.
    row_actions: Sequence[str] = ()

    #: Heading of the row actions' column.
    row_actions_label: Any = _("Actions")

    # -- hooks ---------------------------------------------------------------------

    def get_row_actions(self, request: HttpRequest, obj: models.Model) -> list[ObjectAction]:
        """The buttons of ``obj``'s row: every ``row_actions`` entry the person may run
        on ``obj``. Override to vary them by row; a POST is accepted only for an action
        this returns for the object."""
        found = []
        for name in self.row_actions:
            action = self.resolve_object_action(request, name, obj)
            if action is not None and self.has_object_action_permission(request, action, obj):
                found.append(action)
        return found

    def get_change_form_actions(
        self, request: HttpRequest, obj: models.Model
    ) -> list[ObjectAction]:
        """The actions offered on ``obj``'s change form: those declared with
        ``bulk_action(on_change_form=True)`` (Django 6.1's change-form location) that
        the person may run on ``obj``."""
        found = []
        for name, entry in self._actions_at(request, CHANGE_FORM).items():
            func = _action_func(entry)
            if ActionLocation is None and not getattr(func, "toolkit_on_change_form", False):
                continue
            action = self._object_action(name, func, entry)
            if self.has_object_action_permission(request, action, obj):
                found.append(action)
        return found

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
                made[key] = self._object_action(name, _action_func(actions[name]), actions[name])
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

    # -- system checks -----------------------------------------------------------------

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = list(super().check(**kwargs))
        where = f"{type(self).__module__}.{type(self).__qualname__}"
        entries = self.row_actions
        if isinstance(entries, str) or not isinstance(entries, list | tuple):
            return [
                *errors,
                checks.Error(
                    f"{where}.row_actions must be a list or tuple of action names, "
                    f"not {entries!r}.",
                    hint="row_actions = ['duplicate_selected', 'toggle_is_active']",
                    obj=self,
                    id="toolkit.E064",
                ),
            ]
        for name in entries:
            if not isinstance(name, str) or not self._names_an_object_action(name):
                errors.append(
                    checks.Error(
                        f"{where}.row_actions names {name!r}, which is neither an action of "
                        "this ModelAdmin nor a method decorated with @row_action.",
                        hint="List names from `actions` (a toggle as 'toggle_<field>', "
                        "'delete_selected'), or decorate a method "
                        "`(self, request, obj)` with toolkit.admin_ext.row_action.",
                        obj=self,
                        id="toolkit.E064",
                    )
                )
                continue
            method = getattr(type(self), name, None)
            for permission in getattr(method, "allowed_permissions", ()):
                if not callable(getattr(self, f"has_{permission}_permission", None)):
                    errors.append(
                        checks.Error(
                            f"{where}.{name} asks for the {permission!r} permission, but "
                            f"{type(self).__qualname__} has no has_{permission}_permission().",
                            hint=f"Define has_{permission}_permission(self, request, obj=None) "
                            "or name a permission the admin knows (view, add, change, delete).",
                            obj=self,
                            id="toolkit.E065",
                        )
                    )
        return errors

    def _names_an_object_action(self, name: str) -> bool:
        method = getattr(type(self), name, None)
        if callable(method) and getattr(method, "toolkit_object_action", False):
            return True
        if name == "delete_selected":
            return True
        declared = {
            a if isinstance(a, str) else getattr(a, "__name__", "") for a in self.actions or ()
        }
        if name in declared:
            return True
        toggles = set(getattr(self, "toggle_fields", ()) or ())
        field = name.removeprefix("toggle_")
        for suffix in ("", "_on", "_off"):
            if suffix and field.endswith(suffix) and field.removesuffix(suffix) in toggles:
                return True
        return field != name and field in toggles

    # -- resolving actions -------------------------------------------------------------

    def _actions_at(self, request: HttpRequest, where: str) -> dict[str, Any]:
        """``get_actions`` for the changelist or the change form, once per request."""
        cache = request.__dict__.setdefault("_toolkit_object_actions", {})
        key = (id(self), where)
        if key not in cache:
            # Django 5.2 has no locations: the change list's actions declared with
            # bulk_action(on_change_form=True) serve on the change form too.
            location = None
            if ActionLocation is not None and where == CHANGE_FORM:
                location = ActionLocation.CHANGE_FORM
            cache[key] = get_actions_at(self, request, location)
        return cache[key]

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

    # -- the changelist column -----------------------------------------------------------

    def get_list_display(self, request: HttpRequest) -> Any:
        list_display = super().get_list_display(request)
        if IS_POPUP_VAR in request.GET or TO_FIELD_VAR in request.GET:
            return list_display
        if not self.offers_row_actions(request):
            return list_display
        return [*list_display, self._row_actions_column(request)]

    def offers_row_actions(self, request: HttpRequest) -> bool:
        """Whether some row may get a button: the column is left out for a person who
        may run none of ``row_actions`` (as the admin leaves out the actions bar)."""
        actions = self._actions_at(request, ROW)
        for name in self.row_actions:
            if name in actions or f"{name}_on" in actions or f"{name}_off" in actions:
                return True
            method = getattr(type(self), name, None)
            if not getattr(method, "toolkit_object_action", False):
                continue
            checks_ = [
                getattr(self, f"has_{p}_permission", None)
                for p in getattr(method, "allowed_permissions", ())
            ]
            if self.has_view_or_change_permission(request) and all(
                check is not None and check(request) for check in checks_
            ):
                return True
        return False

    def _row_actions_column(self, request: HttpRequest) -> Callable[[models.Model], str]:
        query = request.GET.urlencode()
        as_links = bool(self.list_editable)
        # One reverse() per action and page, not per row (toolkit.admin_ext.urls).
        builders: dict[str, Callable[[Any], str]] = {}

        def url_for(obj: models.Model, name: str) -> str:
            if name not in builders:
                builders[name] = pk_url_builder(
                    lambda pk: self.object_action_url_for_pk(pk, name, ROW, query)
                )
            return builders[name](obj.pk)

        # Each action's name and label, escaped once a page.
        escaped: dict[tuple[str, str], tuple[str, str]] = {}

        def row_actions(obj: models.Model) -> str:
            buttons = []
            for action in self.get_row_actions(request, obj):
                key = (action.name, action.label)
                if key not in escaped:
                    escaped[key] = (
                        conditional_escape(action.name),
                        conditional_escape(action.label),
                    )
                name, label = escaped[key]
                url = conditional_escape(url_for(obj, action.name))
                if as_links:
                    buttons.append(f'<a class="button toolkit-row-action" href="{url}">{label}</a>')
                else:
                    buttons.append(
                        '<button type="submit" class="button toolkit-row-action" '
                        f'formaction="{url}" formmethod="post" formnovalidate '
                        f'name="_row_action" value="{name}">{label}</button>'
                    )
            return SafeString(f'<span class="toolkit-row-actions">{"".join(buttons)}</span>')

        row_actions.short_description = self.row_actions_label  # type: ignore[attr-defined]
        #: Not data: exports leave this column out.
        row_actions.toolkit_row_actions = True  # type: ignore[attr-defined]
        return row_actions

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        if self.row_actions and isinstance(response, TemplateResponse):
            media = response.context_data.get("media") if response.context_data else None
            if media is not None:
                response.context_data["media"] = media + self._row_actions_media()  # type: ignore[index]
        return response

    @staticmethod
    def _row_actions_media() -> Any:
        from django import forms

        return forms.Media(css={"all": ["toolkit/admin_ext/row_actions.css"]})

    # -- URLs and the view -------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view(self.object_action_view)
        return [
            path(
                "<path:object_id>/row-action/<str:action>/",
                view,
                {"origin": ROW},
                name=f"{info}_row_action",
            ),
            path(
                "<path:object_id>/change/action/<str:action>/",
                view,
                {"origin": CHANGE_FORM},
                name=f"{info}_object_action",
            ),
            *super().get_urls(),
        ]

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

    def object_action_view(
        self, request: HttpRequest, object_id: str, action: str, origin: str = ROW
    ) -> HttpResponseBase:
        """Run one object action: POST only; a GET shows a confirmation page."""
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            self.message_user(
                request,
                _("This %(name)s no longer exists; nothing was changed.")
                % {"name": self.opts.verbose_name},
                messages.WARNING,
            )
            return HttpResponseRedirect(self._object_action_changelist_url(request))
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        offered = (
            self.get_row_actions(request, obj)
            if origin == ROW
            else self.get_change_form_actions(request, obj)
        )
        chosen = next((a for a in offered if a.name == action), None)
        if chosen is None:
            self.message_user(
                request,
                _("You may not run “%(action)s” on “%(obj)s”; nothing was changed.")
                % {"action": action, "obj": obj},
                messages.ERROR,
            )
            return HttpResponseRedirect(self._object_action_return_url(request, obj, origin))
        if request.method == "GET":
            return self.object_action_confirmation(request, obj, chosen, origin)
        response = self.run_object_action(request, obj, chosen)
        if isinstance(response, HttpResponseBase):
            return response
        still_there = self.get_queryset(request).filter(pk=obj.pk).exists()
        if not still_there:
            return HttpResponseRedirect(self._object_action_changelist_url(request))
        return HttpResponseRedirect(self._object_action_return_url(request, obj, origin))

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

    # -- change-form actions -----------------------------------------------------------

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: models.Model | None = None,
    ) -> HttpResponse:
        response = super().render_change_form(request, context, add, change, form_url, obj)
        if (
            ActionLocation is not None
            or obj is None
            or add
            or IS_POPUP_VAR in request.GET
            or not isinstance(response, TemplateResponse)
            or response.context_data is None
        ):
            return response
        actions = self.get_change_form_actions(request, obj)
        if not actions:
            return response
        query = self._object_action_query(request)
        response.context_data["toolkit_object_actions"] = [
            {
                "label": a.label,
                "name": a.name,
                "url": self.object_action_url(obj, a.name, CHANGE_FORM, query),
            }
            for a in actions
        ]
        # The admin's usual template (or the ModelAdmin's own) stays the parent.
        response.context_data["toolkit_parent_change_form"] = select_template(
            [response.template_name]
            if isinstance(response.template_name, str)
            else list(response.template_name or [])  # type: ignore[arg-type]
        )
        response.template_name = CHANGE_FORM_TEMPLATE
        return response

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # Django 6.1 asks get_action_choices() for the change form's actions without
        # the object; remembering it lets the choices leave out what the object refuses.
        request._toolkit_action_object_id = object_id  # type: ignore[attr-defined]
        return super().change_view(request, object_id, form_url, extra_context)

    def _change_form_object(self, request: HttpRequest) -> models.Model | None:
        if "_toolkit_action_object" not in request.__dict__:
            object_id = getattr(request, "_toolkit_action_object_id", None)
            request._toolkit_action_object = (  # type: ignore[attr-defined]
                None if object_id is None else self.get_object(request, unquote(object_id))
            )
        return request._toolkit_action_object  # type: ignore[attr-defined]

    if ActionLocation is not None:

        def get_action_choices(  # type: ignore[override,unused-ignore]
            self,
            request: HttpRequest,
            default_choices: Any = None,
            action_location: Any = ActionLocation.CHANGE_LIST,
        ) -> list[tuple[str, str]]:
            choices = super().get_action_choices(  # type: ignore[call-arg,unused-ignore]
                request, default_choices, action_location=action_location
            )
            if action_location != ActionLocation.CHANGE_FORM:
                return choices
            obj = self._change_form_object(request)
            if obj is None:
                return choices
            allowed = {a.name for a in self.get_change_form_actions(request, obj)}
            return [(name, label) for name, label in choices if not name or name in allowed]

        def response_action(  # type: ignore[override,unused-ignore]
            self,
            request: HttpRequest,
            queryset: Any,
            action_location: Any = ActionLocation.CHANGE_LIST,
        ) -> HttpResponseBase | None:
            if action_location != ActionLocation.CHANGE_FORM:
                return super().response_action(  # type: ignore[call-arg,unused-ignore]
                    request, queryset, action_location=action_location
                )
            obj = self._change_form_object(request)
            prefix = ActionLocation.CHANGE_FORM.value
            name = request.POST.get(f"{prefix}-action", "")
            if obj is None or str(obj.pk) not in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
                return None
            if name not in self._actions_at(request, CHANGE_FORM):
                # None chosen, or one Django does not offer here: Django answers it
                # ("No action selected.").
                return super().response_action(  # type: ignore[call-arg,unused-ignore]
                    request, queryset, action_location=action_location
                )
            chosen = next(
                (a for a in self.get_change_form_actions(request, obj) if a.name == name), None
            )
            if chosen is None:
                # Offered by Django, refused for this very object by its per-object
                # permission check.
                self.message_user(
                    request,
                    _("You may not run “%(action)s” on “%(obj)s”; nothing was changed.")
                    % {"action": name, "obj": obj},
                    messages.ERROR,
                )
                return HttpResponseRedirect(request.get_full_path())
            return self.run_object_action(request, obj, chosen)
