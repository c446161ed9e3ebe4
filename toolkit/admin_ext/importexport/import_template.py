"""The import page's help: a template file to fill in, and what its key columns mean.

The template is a CSV file headed by the columns the import reads, with one example
row: an existing record as the resource writes it (its related objects by the key the
resource looks them up by), or, on an empty table, a value of each field's type.
:func:`key_notes` says which column identifies existing rows and how related and
choice columns may be written.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from import_export.fields import Field
from import_export.widgets import ForeignKeyWidget, ManyToManyWidget

from .formats import CSVFormat
from .importer import BulkImporter

__all__ = ["example_row", "key_notes", "template_csv"]


def template_csv(importer: BulkImporter) -> str:
    """The template file: the import's columns and one example row, every cell
    neutralised as exports are."""
    writer = CSVFormat([f.column_name for f in importer.fields])
    return str(writer.start()) + str(writer.write_part([example_row(importer)]))


def example_row(importer: BulkImporter) -> list[Any]:
    """One row of the template: the first record as the resource exports it, else a
    value of each field's type."""
    instance = importer.model._default_manager.order_by("pk").first()
    if instance is not None:
        return [importer.resource.export_field(f, instance) for f in importer.fields]
    return [typed_example(importer, f) for f in importer.fields]


def typed_example(importer: BulkImporter, field: Field) -> Any:
    """A value of ``field``'s type, for a template of an empty table."""
    model_field = importer.model_fields.get(field.column_name)
    if isinstance(field.widget, (ForeignKeyWidget, ManyToManyWidget)):
        related = field.widget.model._default_manager.order_by("pk").first()
        return "" if related is None else getattr(related, field.widget.field)
    if model_field is None:
        return ""
    if getattr(model_field, "flatchoices", None):
        return model_field.flatchoices[0][0]
    if model_field.has_default() and not callable(model_field.default):
        return model_field.default
    examples: list[tuple[type[models.Field[Any, Any]], Any]] = [
        (models.BooleanField, True),
        (models.DecimalField, Decimal("0.00")),
        (models.IntegerField, 0),
        (models.FloatField, 0.0),
        (models.DateTimeField, datetime.datetime(2025, 1, 31, 9, 0)),
        (models.DateField, datetime.date(2025, 1, 31)),
    ]
    for kind, value in examples:
        if isinstance(model_field, kind):
            return value
    return str(model_field.verbose_name)


def key_notes(importer: BulkImporter) -> list[str]:
    """Sentences for the import page: the column that identifies existing rows, and
    how each related and choice column is written."""
    opts = importer.model._meta
    notes = []
    if importer.id_columns:
        notes.append(
            _(
                "Rows are matched to existing %(models)s by %(columns)s: a row whose "
                "%(columns)s exists updates that %(model)s, a row that changes nothing is "
                "skipped, any other row is added."
            )
            % {
                "models": opts.verbose_name_plural,
                "model": opts.verbose_name,
                "columns": ", ".join(f"“{c}”" for c in importer.id_columns),
            }
        )
    for field in importer.fk_fields:
        notes.append(
            _(
                "“%(column)s”: a %(model)s's %(key)s, or the %(model)s as the list shows it "
                "(an export of the list imports back as it is)."
            )
            % {
                "column": field.column_name,
                "model": field.widget.model._meta.verbose_name,
                "key": field.widget.field,
            }
        )
    for field in importer.m2m_fields:
        notes.append(
            _("“%(column)s”: %(models)s by %(key)s, separated by “%(separator)s”.")
            % {
                "column": field.column_name,
                "models": field.widget.model._meta.verbose_name_plural,
                "key": field.widget.field,
                "separator": field.widget.separator,
            }
        )
    for column, model_field in importer.model_fields.items():
        if model_field is not None and getattr(model_field, "flatchoices", None):
            notes.append(
                _("“%(column)s”: one of %(choices)s (the value or its label).")
                % {
                    "column": column,
                    "choices": ", ".join(f"“{v}”" for v, _label in model_field.flatchoices),
                }
            )
    notes.append(
        _(
            "Columns are named by field (as in the template) or by the list's column "
            "headers, in any case; other columns are ignored."
        )
    )
    return notes
