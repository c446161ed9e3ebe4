"""Validating imported rows a batch at a time: :class:`BulkImporter`.

A file's columns are matched to the resource's fields by :mod:`.import_columns` (field
names, or the labels an export of the changelist writes), its cells read back from
what an export writes (:mod:`.display_values`, and :func:`~.cells.unneutralise` for
formula-neutralised text), and an existing row the file would not change is
"unchanged": it is not written, as django-import-export's ``skip_unchanged`` does.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from import_export.fields import Field

from .cells import unneutralise
from .display_values import RelatedValues, choice_value, iso_datetime
from .import_columns import HeaderMatch, ImportColumns, ListColumns
from .import_results import RowResult
from .import_writes import ImportWritesMixin
from .limits import ImportFileError
from .uploads import CSV_DELIMITERS, ParsedFile

__all__ = ["BulkImporter", "RowResult"]

#: A number as a program writes it ("-12", "3.50"): read without the locale's
#: separators where the locale's decimal separator is a point (see BulkImporter.clean).
PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")

Rows = Sequence[tuple[int, dict[str, Any]]]


class BulkImporter(ImportWritesMixin):
    """Validates and writes rows of a django-import-export ``ModelResource`` a batch at a
    time, with one query per batch for each related model (``ForeignKeyWidget`` and
    ``ManyToManyWidget`` fields, looked up by their ``field`` or as an export shows
    them) and one for the existing rows (by ``import_id_fields``), then
    ``bulk_create`` / ``bulk_update`` in one transaction per batch: a batch is written
    whole or not at all.

    Row-by-row ``Resource.import_data`` costs several queries per row; this path stays
    within a few times raw ``bulk_create``. Per-row hooks of the resource
    (``before_save_instance``...) are not called; override :meth:`prepare_instance`.
    ``list_columns`` (the changelist's columns, :class:`~.import_columns.ListColumns`)
    lets the preview say which columns of an export are computed.
    """

    def __init__(self, resource: Any, list_columns: ListColumns | None = None) -> None:
        from import_export.widgets import ForeignKeyWidget, ManyToManyWidget

        self.resource = resource
        self.model = resource._meta.model
        self.fields = [f for f in resource.get_import_fields() if not f.readonly]
        self.fk_fields = [f for f in self.fields if isinstance(f.widget, ForeignKeyWidget)]
        self.m2m_fields = [f for f in self.fields if isinstance(f.widget, ManyToManyWidget)]
        id_names = list(resource.get_import_id_fields())
        self.id_fields: list[Field] = [
            f for f in self.fields if f.attribute in id_names or f.column_name in id_names
        ]
        self.id_columns = [f.column_name for f in self.id_fields]
        self.relation_names = [f.name for f in self.model._meta.concrete_fields if f.is_relation]
        self.model_field_names = {f.name for f in self.model._meta.concrete_fields}
        self.columns = ImportColumns(self.model, self.fields, list_columns)
        self.related = {
            f.column_name: RelatedValues(f.widget.model, f.widget.field) for f in self.fk_fields
        }
        self.model_fields = {f.column_name: self.model_field(f) for f in self.fields}
        self.plain_numbers = False

    def model_field(self, field: Field) -> Any:
        try:
            return self.model._meta.get_field(field.attribute)
        except Exception:
            return None

    # -- what a file must hold ----------------------------------------------------

    def required_columns(self) -> list[str]:
        """Columns without which no new row can be imported: the id fields and every
        model field that has no default and may not be blank."""
        required = [f.column_name for f in self.id_fields]
        for f in self.fields:
            model_field = self.model_fields[f.column_name]
            if model_field is None:
                continue
            if getattr(model_field, "many_to_many", False) or model_field.auto_created:
                continue
            if not (model_field.blank or model_field.null or model_field.has_default()):
                required.append(f.column_name)
        return list(dict.fromkeys(required))

    def check_headers(self, parsed: ParsedFile) -> HeaderMatch:
        """The file's columns matched to fields; :class:`ImportFileError` when it lacks
        an id column (no row could be told new from existing) or sets a field twice.
        Other missing columns only stop the new rows that need them."""
        match = self.columns.match(parsed.headers)
        present = {f.column_name for f in match.fields.values()}
        missing = [c for c in self.id_columns if c not in present]
        if not missing:
            return match
        message = _("The file lacks the column(s) %(columns)s.") % {
            "columns": ", ".join(f"“{c}”" for c in missing)
        }
        if parsed.format == "csv" and len(parsed.headers) == 1:
            others = [d for d in CSV_DELIMITERS if d in parsed.headers[0]]
            if others:
                message += " " + _(
                    "Its header reads as one column: are its columns separated by “%(d)s”?"
                ) % {"d": others[0]}
        raise ImportFileError(message + " " + _("The first row must name the columns."))

    def cells(self, values: dict[str, Any]) -> dict[str, Any]:
        """A row's cells keyed by the fields' column names, as the export had them
        before it neutralised formulas."""
        match = self.columns.match(values)
        return {f.column_name: unneutralise(values[h]) for h, f in match.fields.items()}

    # -- validating ---------------------------------------------------------------

    def validate(self, rows: Rows) -> list[RowResult]:
        """Check one batch of ``(row number, cells)`` without writing anything."""
        prepared = [(number, values, self.cells(values)) for number, values in rows]
        related = {f.column_name: self.lookup(f, prepared) for f in self.fk_fields}
        many = {f.column_name: self.lookup_many(f, prepared) for f in self.m2m_fields}
        existing = self.existing(prepared)
        links = self.current_links(existing.values()) if self.m2m_fields else {}
        self.plain_numbers = self.reads_plain_numbers()
        new_row_columns = [c for c in self.required_columns() if c not in self.id_columns]
        results = []
        seen: dict[Any, int] = {}
        for number, values, cells in prepared:
            result = RowResult(number=number, values=values, errors={}, m2m={})
            errors: dict[str, list[str]] = {}
            key = self.row_key(cells)
            instance = existing.get(key)
            result.action = "update" if instance is not None else "new"
            if instance is None:
                instance = self.model()
                lacking = [c for c in new_row_columns if c not in cells]
                for column in lacking:
                    errors.setdefault(column, []).append(
                        _("The file has no “%(column)s” column, which a new %(model)s needs.")
                        % {"column": column, "model": self.model._meta.verbose_name}
                    )
            if key in seen:
                errors.setdefault("__all__", []).append(
                    _("Row %(row)s has the same %(columns)s.")
                    % {"row": seen[key], "columns": ", ".join(self.id_columns)}
                )
            else:
                seen[key] = number
            assigned: set[str] = set()
            changed = False
            for field in self.fields:
                column = field.column_name
                if column not in cells:
                    continue
                raw = cells[column]
                try:
                    if field in self.fk_fields:
                        value = self.resolve(field, raw, related[column])
                    elif field in self.m2m_fields:
                        assert result.m2m is not None
                        result.m2m[field.attribute] = self.resolve_many(field, raw, many[column])
                        old = links[field.attribute].get(instance.pk) if links else None
                        new = {obj.pk for obj in result.m2m[field.attribute]}
                        changed = changed or old != new
                        continue
                    else:
                        value = self.clean(field, raw, cells)
                except ImportFileError as exc:
                    errors.setdefault(column, []).append(str(exc))
                    continue
                changed = changed or self.differs(instance, field, value)
                setattr(instance, field.attribute, value)
                assigned.add(field.attribute)
            if result.action == "update" and not changed:
                result.action = "unchanged"
            elif not errors:
                self.full_clean(instance, errors, assigned)
            match = self.columns.match(values)
            result.errors = {
                c if c == "__all__" else match.header_of(c): e for c, e in errors.items()
            }
            result.instance = instance
            results.append(result)
        return results

    def differs(self, instance: Any, field: Field, value: Any) -> bool:
        """Whether setting ``value`` changes a stored row (always, for a new one)."""
        if instance.pk is None:
            return True
        model_field = self.model_fields[field.column_name]
        if model_field is not None and model_field.is_relation:
            current = getattr(instance, model_field.attname)
            return bool(current != (None if value is None else value.pk))
        missing = object()
        return bool(getattr(instance, field.attribute, missing) != value)

    def row_key(self, cells: dict[str, Any]) -> tuple[str, ...]:
        return tuple(str(cells.get(f.column_name, "")).strip() for f in self.id_fields)

    def existing(
        self, rows: Sequence[tuple[int, dict[str, Any], dict[str, Any]]]
    ) -> dict[Any, Any]:
        if len(self.id_fields) != 1:
            return {}
        field = self.id_fields[0]
        keys = {str(c.get(field.column_name, "")).strip() for _n, _v, c in rows} - {""}
        found = self.model._default_manager.filter(**{f"{field.attribute}__in": keys})
        return {(str(getattr(obj, field.attribute)),): obj for obj in found}

    def names(self, field: Field, rows: Sequence[tuple[int, Any, dict[str, Any]]]) -> set[str]:
        return {
            str(c[field.column_name]).strip()
            for _n, _v, c in rows
            if c.get(field.column_name) not in (None, "")
        }

    def lookup(
        self, field: Field, rows: Sequence[tuple[int, Any, dict[str, Any]]]
    ) -> dict[str, list[Any]]:
        """The objects each related value of the batch may mean: by the widget's
        ``field``, or as the export shows them (:class:`~.display_values.RelatedValues`)."""
        names = self.names(field, rows)
        return self.related[field.column_name].find(names) if names else {}

    def lookup_many(
        self, field: Field, rows: Sequence[tuple[int, Any, dict[str, Any]]]
    ) -> dict[str, Any]:
        widget = field.widget
        names: set[str] = set()
        for cell in self.names(field, rows):
            names.update(n.strip() for n in cell.split(widget.separator) if n.strip())
        if not names:
            return {}
        related = widget.model._default_manager.filter(**{f"{widget.field}__in": names})
        return {str(getattr(obj, widget.field)): obj for obj in related}

    def resolve(self, field: Field, raw: Any, known: dict[str, list[Any]]) -> Any:
        name = "" if raw is None else str(raw).strip()
        if not name:
            return None
        return self.related[field.column_name].resolve(
            name, known.get(name, []), str(field.column_name)
        )

    def resolve_many(self, field: Field, raw: Any, known: dict[str, Any]) -> list[Any]:
        names = [n.strip() for n in str(raw or "").split(field.widget.separator) if n.strip()]
        unknown = [n for n in names if n not in known]
        if unknown:
            model = field.widget.model._meta
            raise ImportFileError(
                _("No %(model)s named %(names)s.")
                % {"model": model.verbose_name, "names": ", ".join(f"“{n}”" for n in unknown)}
            )
        return [known[n] for n in names]

    def clean(self, field: Field, raw: Any, values: dict[str, Any]) -> Any:
        from decimal import InvalidOperation

        from django.core.exceptions import ValidationError
        from import_export.widgets import IntegerWidget, NumberWidget

        model_field = self.model_fields.get(field.column_name)
        if isinstance(raw, str):
            raw = raw.strip()
            fast = self.clean_plain_number(field, raw)
            if fast is not None:
                return fast
            if model_field is not None:
                raw = self.read_display(model_field, raw)
        try:
            value = field.widget.clean(raw, row=values)
        except (ValueError, TypeError, InvalidOperation, ArithmeticError):
            if isinstance(field.widget, IntegerWidget):
                raise ImportFileError(
                    _("“%(value)s” is not a whole number.") % {"value": raw}
                ) from None
            if isinstance(field.widget, NumberWidget):
                raise ImportFileError(_("“%(value)s” is not a number.") % {"value": raw}) from None
            raise ImportFileError(_("“%(value)s” is not a valid value.") % {"value": raw}) from None
        except ValidationError as exc:
            raise ImportFileError(" ".join(exc.messages)) from None
        whole = isinstance(field.widget, IntegerWidget) and raw not in (None, "")
        if whole and Decimal(str(raw).replace(",", "")) != value:
            raise ImportFileError(_("“%(value)s” is not a whole number.") % {"value": raw})
        if value is None:
            if model_field is None:
                return value
            if not model_field.null:
                return model_field.get_default() if model_field.has_default() else ""
        return value

    def read_display(self, model_field: Any, raw: str) -> Any:
        """A text cell as an export of the changelist wrote it, read back: a choice's
        label as its value, an ISO date or datetime (with its offset) as a value."""
        from django.db import models

        if getattr(model_field, "flatchoices", None):
            return choice_value(model_field, raw)
        if isinstance(model_field, models.DateTimeField):
            return iso_datetime(raw, datetime.datetime) or raw
        if isinstance(model_field, models.DateField):
            return iso_datetime(raw, datetime.date) or raw
        return raw

    def reads_plain_numbers(self) -> bool:
        """Whether "12.50" means twelve and a half to the widgets in the active locale
        (its decimal separator is a point), so :meth:`clean_plain_number` may read such
        numbers directly."""
        from django.utils.formats import get_format

        return get_format("DECIMAL_SEPARATOR") == "."

    def clean_plain_number(self, field: Field, raw: str) -> Any:
        """The value of a plain number ("-12", "3.50") for a stock Decimal or Integer
        widget, read without the widget's per-cell locale lookups (the costliest part
        of a 100,000-row import's validation); ``None``: let the widget read it."""
        from import_export.widgets import DecimalWidget, IntegerWidget

        if not self.plain_numbers or not PLAIN_NUMBER.fullmatch(raw):
            return None
        kind = type(field.widget)
        if kind is DecimalWidget:
            return Decimal(raw)
        if kind is IntegerWidget and "." not in raw and len(raw) < 20:
            return int(raw)
        return None

    def full_clean(
        self, instance: Any, errors: dict[str, list[str]], assigned: set[str] | None = None
    ) -> None:
        from django.core.exceptions import ValidationError

        # Related objects were found above; uniqueness is the id lookup's business:
        # both would cost a query per row here. Fields the row did not set keep the
        # values they had (a default, or the stored row's), which need no check.
        exclude = list(self.relation_names)
        if assigned is not None:
            exclude += [name for name in self.model_field_names if name not in assigned]
        try:
            instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            columns = {f.attribute: f.column_name for f in self.fields}
            for name, messages_ in exc.message_dict.items():
                errors.setdefault(columns.get(name, name), []).extend(messages_)
