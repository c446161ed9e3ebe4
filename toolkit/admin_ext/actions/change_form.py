"""Actions on the change form: those declared with ``bulk_action(on_change_form=True)``.

Django 6.1 renders them on the change form itself (its action locations); the mixin adds
the per-object permission check to them. On Django 5.2 the mixin renders them as
buttons among the change form's object tools, posting to
``<pk>/change/action/<name>/`` with the same checks.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.utils import unquote
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.template.loader import select_template
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from toolkit.admin_ext.actions.object_actions import ObjectAction, ObjectActionsMixin
from toolkit.admin_ext.actions.offered import CHANGE_FORM, ActionLocation, action_func

__all__ = ["CHANGE_FORM_TEMPLATE", "ChangeFormActionsMixin"]

#: The template of the Django 5.2 change form with the toolkit's object-action buttons.
CHANGE_FORM_TEMPLATE = "toolkit/admin_ext/actions/change_form.html"


class ChangeFormActionsMixin(ObjectActionsMixin):
    """Change-form actions: rendered on Django 5.2, checked per object on both. Part
    of :class:`~toolkit.admin_ext.actions.RowActionsMixin`."""

    def get_change_form_actions(
        self, request: HttpRequest, obj: models.Model
    ) -> list[ObjectAction]:
        """The actions offered on ``obj``'s change form: those declared with
        ``bulk_action(on_change_form=True)`` (Django 6.1's change-form location) that
        the person may run on ``obj``."""
        found = []
        for name, entry in self._actions_at(request, CHANGE_FORM).items():
            func = action_func(entry)
            if ActionLocation is None and not getattr(func, "toolkit_on_change_form", False):
                continue
            action = self._object_action(name, func, entry)
            if self.has_object_action_permission(request, action, obj):
                found.append(action)
        return found

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
