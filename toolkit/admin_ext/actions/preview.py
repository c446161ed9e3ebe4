"""What a mass update would do, before it is applied: how many rows change, a sample of
them with each chosen field's value before and after, and the job's title in words.

Only the fields the person chose count: a row whose chosen values already hold is left
alone even if ``get_mass_update_values()`` stamps a bookkeeping column (``updated``) on
the rows it writes. On a million rows the preview costs two queries: one count of the
selection and of the rows that change (``COUNT(*) FILTER (WHERE ...)``), and one
``LIMIT`` query for the sample.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib.admin.utils import display_for_field, model_ngettext
from django.db import models
from django.db.models import Count, QuerySet
from django.utils.formats import number_format
from django.utils.html import strip_tags
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from toolkit.admin_ext.actions.apply import changed_q

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

__all__ = [
    "PREVIEW_ROWS",
    "MassUpdatePreview",
    "build_preview",
    "describe_values",
    "display_value",
    "mass_update_title",
]

#: Rows of a preview shown with their values before and after.
PREVIEW_ROWS = 20


@dataclass
class ValueChange:
    """One chosen field of one previewed row."""

    before: Any
    after: Any
    changes: bool


@dataclass
class PreviewRow:
    """A row that the mass update changes: its name and each chosen field's values."""

    name: str
    values: list[ValueChange]


@dataclass
class MassUpdatePreview:
    """What the preview of a mass update shows."""

    #: Rows in the selection.
    total: int
    #: Rows whose chosen fields differ from the new values: the rows that change.
    changing: int
    #: The chosen fields' labels, the columns of the sample.
    columns: list[str] = field(default_factory=list)
    #: Up to :data:`PREVIEW_ROWS` of the rows that change, by primary key.
    rows: list[PreviewRow] = field(default_factory=list)

    @property
    def more(self) -> int:
        """Rows that change beyond the sample."""
        return max(0, self.changing - len(self.rows))


def display_value(modeladmin: ModelAdmin[Any], db_field: models.Field[Any, Any], value: Any) -> Any:
    """``value`` of ``db_field`` as the changelist shows it: a choice's label, a related
    object's ``str()``, a boolean's icon, the admin's empty value for ``None``."""
    return display_for_field(value, db_field, modeladmin.get_empty_value_display(), avoid_link=True)


def value_in_words(
    modeladmin: ModelAdmin[Any], db_field: models.Field[Any, Any], value: Any
) -> str:
    """``value`` as words for a title: "yes"/"no" for a boolean, else as displayed."""
    if isinstance(db_field, models.BooleanField) and value is not None:
        return _("yes") if value else _("no")
    return strip_tags(str(display_value(modeladmin, db_field, value)))


def describe_values(
    modeladmin: ModelAdmin[Any], values: dict[str, Any], fields: Sequence[str]
) -> str:
    """The chosen new values in words: "Is active = yes, Status = Discontinued"."""
    opts = modeladmin.model._meta
    parts = []
    for name in fields:
        db_field = opts.get_field(name)
        label = capfirst(str(getattr(db_field, "verbose_name", name)))
        parts.append(f"{label} = {value_in_words(modeladmin, db_field, values.get(name))}")
    return ", ".join(parts)


def mass_update_title(
    modeladmin: ModelAdmin[Any], count: int, values: dict[str, Any], fields: Sequence[str]
) -> str:
    """A mass update job's title: "Mass update of 4,386 products: Is active = yes"."""
    return _("Mass update of %(count)s %(items)s: %(changes)s") % {
        "count": number_format(count, force_grouping=True),
        "items": model_ngettext(modeladmin.model._meta, count),
        "changes": describe_values(modeladmin, values, fields),
    }


def build_preview(
    modeladmin: ModelAdmin[Any],
    queryset: QuerySet[Any],
    values: dict[str, Any],
    fields: Sequence[str],
    *,
    limit: int = PREVIEW_ROWS,
) -> MassUpdatePreview:
    """Count the rows of ``queryset`` and those whose ``fields`` differ from ``values``
    (one query), and read up to ``limit`` of the latter (one ``LIMIT`` query)."""
    opts = modeladmin.model._meta
    compared = {name: values[name] for name in fields if name in values}
    changing = changed_q(compared)
    counts = queryset.order_by().aggregate(total=Count("pk"), changing=Count("pk", filter=changing))
    db_fields = [opts.get_field(name) for name in compared]
    preview = MassUpdatePreview(
        total=counts["total"],
        changing=counts["changing"],
        columns=[capfirst(str(f.verbose_name)) for f in db_fields],
    )
    if not preview.changing:
        return preview
    related = [f.name for f in db_fields if f.is_relation]
    sample = queryset.filter(changing).order_by("pk")
    if related:
        sample = sample.select_related(*related)
    for obj in sample[:limit]:
        row = PreviewRow(name=str(obj), values=[])
        for db_field in db_fields:
            after = compared[db_field.name]
            new_key = after.pk if isinstance(after, models.Model) else after
            row.values.append(
                ValueChange(
                    before=display_value(modeladmin, db_field, getattr(obj, db_field.name)),
                    after=display_value(modeladmin, db_field, after),
                    changes=db_field.value_from_object(obj) != new_key,
                )
            )
        preview.rows.append(row)
    return preview
