"""What a mass update and a deletion do to rows, the same in the request and in a job.

A selection of 10 rows is changed in the request, one of a million by a background job
(:mod:`~toolkit.admin_ext.actions.jobs`) chunk by chunk; both call
:func:`apply_mass_update` and :func:`delete_objects`, so the rows are changed, checked
and logged alike. Only the transaction boundaries differ (one for the request, one per
chunk for a job): call these inside a transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from toolkit.admin_ext.actions.log import change_message, user_pk
from toolkit.admin_ext.actions.permissions import deletable_rows, object_permissions_matter

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin
    from django.http import HttpRequest

__all__ = [
    "FORM_PREFIX",
    "MassUpdateResult",
    "apply_mass_update",
    "changed_q",
    "delete_objects",
    "mass_update_form_class",
    "model_overrides_save",
    "plain_formfield",
]

#: Prefix of the mass update form's fields, so that a model field named "action" or
#: "index" cannot be mistaken for the changelist's own.
FORM_PREFIX = "mu"


def plain_formfield(
    modeladmin: ModelAdmin[Any],
    db_field: models.Field[Any, Any],
    request: HttpRequest,
    **kwargs: Any,
) -> forms.Field | None:
    """The admin's form field for ``db_field`` without the related-widget wrapper: a
    mass update page offers no links to edit, add or delete the related object, only
    the select (or the admin's autocomplete, where ``autocomplete_fields`` names it)."""
    formfield = modeladmin.formfield_for_dbfield(db_field, request, **kwargs)
    if formfield is not None and isinstance(formfield.widget, RelatedFieldWidgetWrapper):
        formfield.widget = formfield.widget.widget
    return formfield


def mass_update_form_class(
    modeladmin: ModelAdmin[Any], request: HttpRequest, fields: Sequence[str]
) -> type[forms.ModelForm[Any]]:
    """A ModelForm of ``fields`` with the admin's widgets (or the ModelAdmin's own
    ``get_mass_update_form_class``)."""
    hook = getattr(modeladmin, "get_mass_update_form_class", None)
    if hook is not None:
        return hook(request, list(fields))  # type: ignore[no-any-return,unused-ignore]
    return forms.modelform_factory(
        modeladmin.model,
        fields=list(fields),
        formfield_callback=partial(plain_formfield, modeladmin, request=request),
    )


def model_overrides_save(model: type[models.Model]) -> bool:
    """Whether the model declares per-object logic in ``save()`` (its own or a parent's,
    short of ``Model.save``): then ``queryset.update()`` would skip it."""
    return model.save is not models.Model.save


def changed_q(values: dict[str, Any]) -> Q:
    """Rows where at least one of ``values`` differs from the row's, in the sense of SQL's
    ``IS DISTINCT FROM``: NULL differs from any value and equals NULL. ``filter()`` by it
    to find the rows a mass update changes (an empty ``values`` matches no row).

    ``~Q(field=value)`` alone would miss the rows holding NULL (``NULL <> value`` is not
    true); a related object compares by its key, a boolean as a boolean."""
    changed = Q(pk__in=[])
    for name, value in values.items():
        if value is None:
            changed |= Q(**{f"{name}__isnull": False})
        else:
            changed |= ~Q(**{name: value}) | Q(**{f"{name}__isnull": True})
    return changed


@dataclass
class MassUpdateResult:
    """What one application of a mass update did."""

    #: Rows changed.
    done: int = 0
    #: Rows left alone: refused by a per-row permission check or by validation.
    failed: int = 0
    #: The first few reasons rows were left alone, as sentences.
    errors: list[str] = field(default_factory=list)

    def add_error(self, message: str) -> None:
        self.failed += 1
        if len(self.errors) < 5:
            self.errors.append(message)


def apply_mass_update(
    modeladmin: ModelAdmin[Any],
    request: HttpRequest,
    queryset: QuerySet[Any],
    values: dict[str, Any],
    *,
    per_object: bool,
    log_each: bool,
    compare: Sequence[str] | None = None,
) -> MassUpdateResult:
    """Set ``values`` on the rows of ``queryset`` that do not hold them yet.

    ``compare`` names the values that decide whether a row changes: the fields the
    person chose. Bookkeeping columns ``get_mass_update_values()`` adds (an ``updated``
    stamp) are written with them but never make a row count as changed. ``None``:
    every value.

    Call it inside a transaction. Without per-object logic one ``UPDATE`` changes the
    rows; with it each row is validated (``full_clean`` of the changed fields, so a
    value that breaks a row's constraint leaves that row alone) and saved. Rows the
    person may not change (per-row permissions) are counted as failed. With
    ``log_each`` every changed row gets a LogEntry (``CHANGE``), written in bulk.
    """
    from django.contrib.admin.models import CHANGE, LogEntry

    model = queryset.model
    names = list(values)
    result = MassUpdateResult()
    manager = model._base_manager
    compared = values if compare is None else {n: values[n] for n in compare if n in values}
    to_change = queryset.filter(changed_q(compared)).order_by("pk")
    check = object_permissions_matter(modeladmin, "change", request)
    message = change_message(model, names)
    if not per_object:
        if not check and not log_each:
            # Nothing to know about the rows one by one: a single statement.
            result.done = to_change.update(**values)
            return result
        pks = list(to_change.values_list("pk", flat=True))
        if check:
            allowed = []
            for obj in manager.filter(pk__in=pks):
                if modeladmin.has_change_permission(request, obj):
                    allowed.append(obj.pk)
                else:
                    result.add_error(_("You may not change “%(object)s”.") % {"object": obj})
            pks = allowed
        if pks:
            result.done = manager.filter(pk__in=pks).update(**values)
            if log_each:
                LogEntry.objects.log_actions(
                    user_pk(request), manager.filter(pk__in=pks), CHANGE, message
                )
        return result
    others = [f.name for f in model._meta.concrete_fields if f.name not in values]
    changed = []
    for obj in manager.filter(pk__in=to_change.values("pk")).order_by("pk"):
        if check and not modeladmin.has_change_permission(request, obj):
            result.add_error(_("You may not change “%(object)s”.") % {"object": obj})
            continue
        for name, value in values.items():
            setattr(obj, name, value)
        try:
            obj.full_clean(exclude=others)
        except ValidationError as exc:
            detail = "; ".join(
                f"{key}: {' '.join(str(m) for m in msgs)}" for key, msgs in exc.message_dict.items()
            )
            result.add_error(
                _("“%(object)s” was left alone (%(reason)s).") % {"object": obj, "reason": detail}
            )
            continue
        obj.save()
        changed.append(obj)
    result.done = len(changed)
    if log_each and changed:
        LogEntry.objects.log_actions(user_pk(request), changed, CHANGE, message)
    return result


def delete_objects(
    modeladmin: ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[Any]
) -> tuple[int, int]:
    """Delete the rows of ``queryset`` (with their cascade) as the admin does: a
    deletion LogEntry per row (``log_deletions``), then ``delete_queryset``. Rows the
    person may not delete stay (:func:`~toolkit.admin_ext.actions.permissions.deletable_rows`).
    Returns (deleted, refused). A row protected nonetheless raises ``ProtectedError``
    (or ``RestrictedError``): call it inside a transaction."""
    objects, refused = deletable_rows(modeladmin, request, queryset)
    count = objects.count()
    if count:
        modeladmin.log_deletions(request, objects)
        modeladmin.delete_queryset(request, objects)
    return count, refused
