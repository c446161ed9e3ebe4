"""Toggles for boolean fields (``toggle_fields = ["is_active"]``): "Set “Is active” on
selected products" and "Clear ...", applied and logged like a mass update.

On a row (``row_actions = ["toggle_is_active"]``) the toggle is the one that flips the
row's value: "Set" where it is off, "Clear" where it is on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from toolkit.admin_ext.actions.apply import FORM_PREFIX
from toolkit.admin_ext.actions.decorators import bulk_action
from toolkit.admin_ext.actions.mass_update import MassUpdateMixin
from toolkit.admin_ext.actions.object_actions import ObjectAction, ObjectActionsMixin
from toolkit.admin_ext.actions.offered import make_action

__all__ = ["TogglesMixin"]


class TogglesMixin(MassUpdateMixin, ObjectActionsMixin):
    """The "Set" and "Clear" actions of boolean fields. Part of
    :class:`~toolkit.admin_ext.actions.BulkActionsMixin`."""

    #: Boolean fields that get "Set"/"Clear" actions.
    toggle_fields: Sequence[str] = ()

    def get_toggle_fields(self, request: HttpRequest) -> list[str]:
        """Names of the boolean fields that get "Set"/"Clear" actions. See
        ``toggle_fields``."""
        return list(self.toggle_fields)

    def resolve_object_action(
        self, request: HttpRequest, name: str, obj: models.Model
    ) -> ObjectAction | None:
        """``"toggle_<field>"`` in ``row_actions`` is the toggle that flips ``obj``'s
        value: "Set" where it is off, "Clear" where it is on."""
        field = name.removeprefix("toggle_")
        if name != field and field in self.get_toggle_fields(request):
            name = f"toggle_{field}_{'off' if getattr(obj, field) else 'on'}"
        return super().resolve_object_action(request, name, obj)

    def _toggle_actions(self, request: HttpRequest, location: Any) -> dict[str, Any]:
        """The toggles' ``get_actions()`` entries, for a person who may change rows."""
        actions: dict[str, Any] = {}
        if self.has_change_permission(request):
            for name in self.get_toggle_fields(request):
                for value in (True, False):
                    func = self._toggle_action(name, value)
                    actions[func.__name__] = make_action(func, func.__name__, location)
        return actions

    def _toggle_action(self, name: str, value: bool) -> Callable[..., Any]:
        label = self.model._meta.get_field(name).verbose_name

        def toggle(
            modeladmin: MassUpdateMixin, request: HttpRequest, queryset: QuerySet[Any]
        ) -> Any:
            return modeladmin.run_mass_update(
                request,
                queryset,
                {name: value},
                data={f"{FORM_PREFIX}-{name}": ["on"]} if value else {},
            )

        toggle.__name__ = f"toggle_{name}_{'on' if value else 'off'}"
        return bulk_action(
            permissions=["change"],
            description=(
                _("Set “%(field)s” on selected %(items)s")
                if value
                else _("Clear “%(field)s” on selected %(items)s")
            )
            % {"field": label, "items": "%(verbose_name_plural)s"},
            on_change_form=True,
            log_entry=False,
            row_label=(_("Set “%(field)s”") if value else _("Clear “%(field)s”"))
            % {"field": label},
        )(toggle)
