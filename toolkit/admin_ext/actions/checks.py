"""System checks of the bulk actions' ModelAdmin options, ids ``toolkit.E060``-``E065``.

Each class is the ``mixin_checks_class`` of a mixin and joins the ``checks_class`` of
every admin using it (so ``manage.py check`` runs it for every registered one):
:class:`RowActionsChecks` of :class:`~toolkit.admin_ext.actions.RowActionsMixin`,
:class:`BulkActionsChecks` of :class:`~toolkit.admin_ext.actions.BulkActionsMixin`
(after the former).

=============  ==========================================================================
toolkit.E060   a ``mass_update_fields`` entry that is not a column a mass update can set
toolkit.E061   a ``toggle_fields`` entry that is not a BooleanField
toolkit.E062   a bulk threshold or limit that is not a positive integer;
               ``delete_list_max_objects`` that is not a non-negative integer
toolkit.E063   ``bulk_background_threshold`` set without ``toolkit.jobs`` installed
toolkit.W060   ``mass_update_per_object = False`` on a model that overrides ``save()``
toolkit.E064   a ``row_actions`` entry that is neither an action nor a ``@row_action``
               method (or ``row_actions`` is not a list)
toolkit.E065   a ``@row_action`` asks for a permission the admin has no method for
=============  ==========================================================================
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.admin.checks import ModelAdminChecks
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from toolkit.admin_ext.actions.apply import model_overrides_save
from toolkit.admin_ext.actions.mass_update import MassUpdateMixin

__all__ = ["BulkActionsChecks", "RowActionsChecks"]

#: Options counted in rows: each must be a positive integer (``None`` allowed where
#: listed in ``_MAY_BE_NONE``).
_ROW_LIMITS = (
    "bulk_background_threshold",
    "mass_update_log_each_limit",
    "duplicate_max_rows",
    "delete_summary_count_limit",
    "action_log_count_limit",
)
_MAY_BE_NONE = ("bulk_background_threshold", "delete_summary_count_limit")


def _where(admin_obj: Any) -> str:
    return f"{type(admin_obj).__module__}.{type(admin_obj).__qualname__}"


class RowActionsChecks(ModelAdminChecks):
    """Checks of ``row_actions`` and of the ``@row_action`` methods it names."""

    def check(self, admin_obj: Any, **kwargs: Any) -> list[checks.CheckMessage]:
        return [*super().check(admin_obj, **kwargs), *self._check_row_actions(admin_obj)]

    def _check_row_actions(self, admin_obj: Any) -> list[checks.CheckMessage]:
        """Every error of ``admin_obj``'s row actions (``toolkit.E064``, ``E065``)."""
        errors: list[checks.CheckMessage] = []
        where = _where(admin_obj)
        entries = admin_obj.row_actions
        if isinstance(entries, str) or not isinstance(entries, list | tuple):
            return [
                checks.Error(
                    f"{where}.row_actions must be a list or tuple of action names, "
                    f"not {entries!r}.",
                    hint="row_actions = ['duplicate_selected', 'toggle_is_active']",
                    obj=admin_obj,
                    id="toolkit.E064",
                ),
            ]
        for name in entries:
            if not isinstance(name, str) or not self._names_a_row_action(admin_obj, name):
                errors.append(
                    checks.Error(
                        f"{where}.row_actions names {name!r}, which is neither an action of "
                        "this ModelAdmin nor a method decorated with @row_action.",
                        hint="List names from `actions` (a toggle as 'toggle_<field>', "
                        "'delete_selected'), or decorate a method "
                        "`(self, request, obj)` with toolkit.admin_ext.row_action.",
                        obj=admin_obj,
                        id="toolkit.E064",
                    )
                )
                continue
            method = getattr(type(admin_obj), name, None)
            for permission in getattr(method, "allowed_permissions", ()):
                if not callable(getattr(admin_obj, f"has_{permission}_permission", None)):
                    errors.append(
                        checks.Error(
                            f"{where}.{name} asks for the {permission!r} permission, but "
                            f"{type(admin_obj).__qualname__} has no "
                            f"has_{permission}_permission().",
                            hint=f"Define has_{permission}_permission(self, request, obj=None) "
                            "or name a permission the admin knows (view, add, change, delete).",
                            obj=admin_obj,
                            id="toolkit.E065",
                        )
                    )
        return errors

    @staticmethod
    def _names_a_row_action(admin_obj: Any, name: str) -> bool:
        method = getattr(type(admin_obj), name, None)
        if callable(method) and getattr(method, "toolkit_object_action", False):
            return True
        if name == "delete_selected":
            return True
        declared = {
            a if isinstance(a, str) else getattr(a, "__name__", "") for a in admin_obj.actions or ()
        }
        if name in declared:
            return True
        toggles = set(getattr(admin_obj, "toggle_fields", ()) or ())
        field = name.removeprefix("toggle_")
        for suffix in ("", "_on", "_off"):
            if suffix and field.endswith(suffix) and field.removesuffix(suffix) in toggles:
                return True
        return field != name and field in toggles


class BulkActionsChecks(ModelAdminChecks):
    """Checks of the mass update, toggle, duplicate, delete and logging options."""

    def check(self, admin_obj: Any, **kwargs: Any) -> list[checks.CheckMessage]:
        """Django's checks, then every error and warning of ``admin_obj``'s bulk options
        (``toolkit.E060``-``E063``, ``W060``)."""
        return [
            *super().check(admin_obj, **kwargs),
            *self._check_mass_update_fields(admin_obj),
            *self._check_toggle_fields(admin_obj),
            *self._check_bulk_row_limits(admin_obj),
            *self._check_bulk_background_threshold(admin_obj),
            *self._check_mass_update_per_object(admin_obj),
        ]

    def _check_mass_update_fields(self, admin_obj: Any) -> list[checks.CheckMessage]:
        errors: list[checks.CheckMessage] = []
        model = admin_obj.model
        for name in admin_obj.mass_update_fields or ():
            try:
                f = model._meta.get_field(name)
            except FieldDoesNotExist:
                f = None
            if f is None or not getattr(f, "concrete", False) or f.many_to_many or f.primary_key:
                errors.append(
                    checks.Error(
                        f"{_where(admin_obj)}.mass_update_fields names {name!r}, which is not "
                        f"a column of {model._meta.label} that a mass update can set.",
                        hint="List concrete, non-primary-key, non-many-to-many field names.",
                        obj=admin_obj,
                        id="toolkit.E060",
                    )
                )
        return errors

    def _check_toggle_fields(self, admin_obj: Any) -> list[checks.CheckMessage]:
        errors: list[checks.CheckMessage] = []
        model = admin_obj.model
        for name in admin_obj.toggle_fields:
            try:
                f = model._meta.get_field(name)
            except FieldDoesNotExist:
                f = None
            if not isinstance(f, models.BooleanField):
                errors.append(
                    checks.Error(
                        f"{_where(admin_obj)}.toggle_fields names {name!r}, which is not a "
                        f"BooleanField of {model._meta.label}.",
                        hint="Toggle actions set and clear boolean fields only.",
                        obj=admin_obj,
                        id="toolkit.E061",
                    )
                )
        return errors

    def _check_bulk_row_limits(self, admin_obj: Any) -> list[checks.CheckMessage]:
        errors: list[checks.CheckMessage] = []
        where = _where(admin_obj)
        for attr in _ROW_LIMITS:
            value = getattr(admin_obj, attr)
            if value is None and attr in _MAY_BE_NONE:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                errors.append(
                    checks.Error(
                        f"{where}.{attr} must be a positive integer, not {value!r}.",
                        hint=f"Set {attr} to a number of rows, e.g. 1000.",
                        obj=admin_obj,
                        id="toolkit.E062",
                    )
                )
        value = admin_obj.delete_list_max_objects
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            errors.append(
                checks.Error(
                    f"{where}.delete_list_max_objects must be a non-negative integer, "
                    f"not {value!r}.",
                    hint="Set it to a number of rows, e.g. 1000 (0: always the summary).",
                    obj=admin_obj,
                    id="toolkit.E062",
                )
            )
        return errors

    def _check_bulk_background_threshold(self, admin_obj: Any) -> list[checks.CheckMessage]:
        # Only a threshold the admin sets asks for jobs: left at None, a site without
        # toolkit.jobs runs every selection in the request, as Django's actions do.
        threshold = admin_obj.bulk_background_threshold
        if threshold is None or apps.is_installed("toolkit.jobs"):
            return []
        return [
            checks.Error(
                f"{_where(admin_obj)}.bulk_background_threshold sends selections above "
                f"{threshold!r} rows to background jobs, but 'toolkit.jobs' is not "
                "installed.",
                hint="Add 'toolkit.jobs' to INSTALLED_APPS and run migrate, or leave "
                "bulk_background_threshold at None to run every selection in the "
                "request.",
                obj=admin_obj,
                id="toolkit.E063",
            )
        ]

    def _check_mass_update_per_object(self, admin_obj: Any) -> list[checks.CheckMessage]:
        model = admin_obj.model
        if (
            admin_obj.mass_update_per_object is False
            and model_overrides_save(model)
            and type(admin_obj).get_mass_update_values is MassUpdateMixin.get_mass_update_values
        ):
            return [
                checks.Warning(
                    f"{_where(admin_obj)}.mass_update_per_object is False, so mass updates "
                    f"skip {model._meta.label}.save(), which the model overrides.",
                    hint="Write the columns save() would set in get_mass_update_values(), "
                    "or leave mass_update_per_object at None.",
                    obj=admin_obj,
                    id="toolkit.W060",
                )
            ]
        return []
