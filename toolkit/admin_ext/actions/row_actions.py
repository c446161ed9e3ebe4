"""Actions on one object: a button per changelist row, and actions on the change form.

Row actions are admin actions offered on every row of the changelist ("Duplicate",
"Set “Is active”"), in one small menu per row (a ``<details>``: its "⋯" opens with a
click, Enter or Space, and its buttons are reached with Tab) or as a single button where
a row has one, plus methods written for one object with
:func:`~toolkit.admin_ext.actions.row_action`::

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

How a run is checked and logged is :mod:`~toolkit.admin_ext.actions.object_actions`;
the change form's actions are :mod:`~toolkit.admin_ext.actions.change_form`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from django import forms
from django.contrib import messages
from django.contrib.admin.options import IS_POPUP_VAR, TO_FIELD_VAR
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import (
    HttpRequest,
    HttpResponseBase,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from toolkit.admin_ext.actions.change_form import ChangeFormActionsMixin
from toolkit.admin_ext.actions.checks import RowActionsChecks
from toolkit.admin_ext.actions.object_actions import ObjectAction
from toolkit.admin_ext.actions.offered import CHANGE_FORM, ROW
from toolkit.admin_ext.changelist import pk_url_builder
from toolkit.admin_ext.parts import ChangeListPart, ChangeListParts

__all__ = ["RowActionsMedia", "RowActionsMixin"]


class RowActionsMedia(ChangeListPart):
    """The row buttons' stylesheet in the changelist page's media."""

    def update_page(self, response: TemplateResponse, context: dict[str, Any]) -> None:
        media = context.get("media")
        if self.model_admin.row_actions and media is not None:
            context["media"] = media + forms.Media(
                css={"all": ["toolkit/admin_ext/row_actions.css"]}
            )


class RowActionsMixin(ChangeFormActionsMixin):
    """ModelAdmin mixin: buttons on each changelist row, and change-form actions on
    Django 5.2. Part of :class:`~toolkit.admin_ext.actions.BulkActionsMixin`."""

    changelist_parts: ClassVar[ChangeListParts] = (RowActionsMedia,)
    mixin_checks_class: ClassVar[type | None] = RowActionsChecks

    #: Actions offered as a button on every changelist row: names of admin actions
    #: (``"duplicate_selected"``, a toggle as ``"toggle_<field>"``, which sets or
    #: clears the field depending on the row) or of :func:`row_action` methods.
    #: Vary them by row with ``get_row_actions(request, obj)``.
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

    def get_row_actions_label(self, request: HttpRequest) -> Any:
        """The heading of the row actions' column. See ``row_actions_label``."""
        return self.row_actions_label

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
        # One reverse() per action and page, not per row (pk_url_builder).
        builders: dict[str, Callable[[Any], str]] = {}

        def url_for(obj: models.Model, name: str) -> str:
            if name not in builders:
                builders[name] = pk_url_builder(
                    lambda pk: self.object_action_url_for_pk(pk, name, ROW, query)
                )
            return builders[name](obj.pk)

        # Each action's name and label, escaped once a page.
        escaped: dict[tuple[str, str], tuple[str, str]] = {}
        # One menu per row: a button each would stack up and widen the column.
        menu_label = conditional_escape(self.get_row_actions_label(request))
        menu_open = (
            '<details class="toolkit-row-actions">'
            f'<summary class="toolkit-row-actions-toggle" title="{menu_label}">'
            f'<span aria-hidden="true">⋯</span><span class="visually-hidden">{menu_label}'
            "</span></summary>"
            '<span class="toolkit-row-actions-menu">'
        )

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
            if len(buttons) == 1:
                return SafeString(f'<span class="toolkit-row-actions">{buttons[0]}</span>')
            if not buttons:
                return SafeString("")
            return SafeString(f"{menu_open}{''.join(buttons)}</span></details>")

        row_actions.short_description = self.get_row_actions_label(request)  # type: ignore[attr-defined]
        #: Not data: exports leave this column out.
        row_actions.toolkit_row_actions = True  # type: ignore[attr-defined]
        return row_actions

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
