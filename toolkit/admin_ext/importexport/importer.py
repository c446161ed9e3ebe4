"""Validating and writing imported rows a batch at a time: :class:`BulkImporter`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from import_export.fields import Field

from .limits import ImportFileError
from .uploads import CSV_DELIMITERS, ParsedFile

__all__ = ["BulkImporter", "RowResult"]

#: A number as a program writes it ("-12", "3.50"): read without the locale's
#: separators where the locale's decimal separator is a point (see BulkImporter.clean).
PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


@dataclass
class RowResult:
    """One data row of an import: its number in the file, its cells, what it would do."""

    number: int
    values: dict[str, Any]
    errors: dict[str, list[str]]
    action: str = ""  # "new" or "update"
    instance: Any = None
    m2m: dict[str, list[Any]] | None = None

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def error_text(self) -> str:
        return "; ".join(
            f"{column}: {' '.join(messages_)}" if column != "__all__" else " ".join(messages_)
            for column, messages_ in self.errors.items()
        )


class BulkImporter:
    """Validates and writes rows of a django-import-export ``ModelResource`` a batch at a
    time, with one query per batch for each related model (``ForeignKeyWidget`` and
    ``ManyToManyWidget`` fields, looked up by their ``field``) and one for the existing
    rows (by ``import_id_fields``), then ``bulk_create`` / ``bulk_update`` in one
    transaction per batch: a batch is written whole or not at all.

    Row-by-row ``Resource.import_data`` costs several queries per row; this path stays
    within a few times raw ``bulk_create``. Per-row hooks of the resource
    (``before_save_instance``...) are not called; override :meth:`prepare_instance`.
    """

    def __init__(self, resource: Any) -> None:
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
        self.plain_numbers = False

    # -- what a file must hold ----------------------------------------------------

    def required_columns(self) -> list[str]:
        """Columns without which no row can be imported: the id fields and every model
        field that has no default and may not be blank."""
        required = [f.column_name for f in self.id_fields]
        for f in self.fields:
            try:
                model_field = self.model._meta.get_field(f.attribute)
            except Exception:
                continue
            if getattr(model_field, "many_to_many", False) or model_field.auto_created:
                continue
            if not (model_field.blank or model_field.null or model_field.has_default()):
                required.append(f.column_name)
        return list(dict.fromkeys(required))

    def check_headers(self, parsed: ParsedFile) -> None:
        missing = [c for c in self.required_columns() if c not in parsed.headers]
        if not missing:
            return
        message = "The file lacks the column(s) " + ", ".join(f"“{c}”" for c in missing) + "."
        if parsed.format == "csv" and len(parsed.headers) == 1:
            others = [d for d in CSV_DELIMITERS if d in parsed.headers[0]]
            if others:
                message += (
                    f" Its header reads as one column: are its columns separated by “{others[0]}”?"
                )
        raise ImportFileError(message + " The first row must name the columns.")

    # -- validating ---------------------------------------------------------------

    def validate(self, rows: Sequence[tuple[int, dict[str, Any]]]) -> list[RowResult]:
        """Check one batch of ``(row number, cells)`` without writing anything."""
        related = {f.column_name: self.lookup(f, rows, many=False) for f in self.fk_fields}
        many = {f.column_name: self.lookup(f, rows, many=True) for f in self.m2m_fields}
        existing = self.existing(rows)
        self.plain_numbers = self.reads_plain_numbers()
        results = []
        seen: dict[Any, int] = {}
        for number, values in rows:
            result = RowResult(number=number, values=values, errors={}, m2m={})
            key = self.row_key(values)
            instance = existing.get(key)
            result.action = "update" if instance is not None else "new"
            if instance is None:
                instance = self.model()
            if key in seen:
                result.errors.setdefault("__all__", []).append(
                    f"Row {seen[key]} has the same {', '.join(self.id_columns)}."
                )
            else:
                seen[key] = number
            assigned: set[str] = set()
            for field in self.fields:
                if field.column_name not in values:
                    continue
                raw = values[field.column_name]
                try:
                    if field in self.fk_fields:
                        value = self.resolve(field, raw, related[field.column_name])
                    elif field in self.m2m_fields:
                        assert result.m2m is not None
                        result.m2m[field.attribute] = self.resolve_many(
                            field, raw, many[field.column_name]
                        )
                        continue
                    else:
                        value = self.clean(field, raw, values)
                except ImportFileError as exc:
                    result.errors.setdefault(field.column_name, []).append(str(exc))
                    continue
                setattr(instance, field.attribute, value)
                assigned.add(field.attribute)
            if not result.errors:
                self.full_clean(instance, result, assigned)
            result.instance = instance
            results.append(result)
        return results

    def row_key(self, values: dict[str, Any]) -> tuple[str, ...]:
        return tuple(str(values.get(f.column_name, "")).strip() for f in self.id_fields)

    def existing(self, rows: Sequence[tuple[int, dict[str, Any]]]) -> dict[tuple[str, ...], Any]:
        if len(self.id_fields) != 1:
            return {}
        field = self.id_fields[0]
        keys = {str(v.get(field.column_name, "")).strip() for _n, v in rows} - {""}
        found = self.model._default_manager.filter(**{f"{field.attribute}__in": keys})
        return {(str(getattr(obj, field.attribute)),): obj for obj in found}

    def lookup(
        self, field: Field, rows: Sequence[tuple[int, dict[str, Any]]], *, many: bool
    ) -> dict[str, Any]:
        widget = field.widget
        names: set[str] = set()
        for _number, values in rows:
            raw = values.get(field.column_name)
            if raw in (None, ""):
                continue
            if many:
                names.update(n.strip() for n in str(raw).split(widget.separator) if n.strip())
            else:
                names.add(str(raw).strip())
        if not names:
            return {}
        related = widget.model._default_manager.filter(**{f"{widget.field}__in": names})
        return {str(getattr(obj, widget.field)): obj for obj in related}

    def resolve(self, field: Field, raw: Any, known: dict[str, Any]) -> Any:
        name = "" if raw is None else str(raw).strip()
        if not name:
            return None
        try:
            return known[name]
        except KeyError:
            model = field.widget.model._meta
            raise ImportFileError(
                f"No {model.verbose_name} has the {field.widget.field} “{name}”."
            ) from None

    def resolve_many(self, field: Field, raw: Any, known: dict[str, Any]) -> list[Any]:
        names = [n.strip() for n in str(raw or "").split(field.widget.separator) if n.strip()]
        unknown = [n for n in names if n not in known]
        if unknown:
            model = field.widget.model._meta
            raise ImportFileError(
                f"No {model.verbose_name} named " + ", ".join(f"“{n}”" for n in unknown) + "."
            )
        return [known[n] for n in names]

    def clean(self, field: Field, raw: Any, values: dict[str, Any]) -> Any:
        from decimal import InvalidOperation

        from django.core.exceptions import ValidationError
        from import_export.widgets import IntegerWidget, NumberWidget

        if isinstance(raw, str):
            raw = raw.strip()
            fast = self.clean_plain_number(field, raw)
            if fast is not None:
                return fast
        try:
            value = field.widget.clean(raw, row=values)
        except (ValueError, TypeError, InvalidOperation, ArithmeticError):
            kind = "a whole number" if isinstance(field.widget, IntegerWidget) else "a number"
            if isinstance(field.widget, NumberWidget):
                raise ImportFileError(f"“{raw}” is not {kind}.") from None
            raise ImportFileError(f"“{raw}” is not a valid value.") from None
        except ValidationError as exc:
            raise ImportFileError(" ".join(exc.messages)) from None
        whole = isinstance(field.widget, IntegerWidget) and raw not in (None, "")
        if whole and Decimal(str(raw).replace(",", "")) != value:
            raise ImportFileError(f"“{raw}” is not a whole number.")
        if value is None:
            try:
                model_field = self.model._meta.get_field(field.attribute)
            except Exception:
                return value
            if not model_field.null:
                return model_field.get_default() if model_field.has_default() else ""
        return value

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
        self, instance: Any, result: RowResult, assigned: set[str] | None = None
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
            for name, errors in exc.message_dict.items():
                result.errors.setdefault(columns.get(name, name), []).extend(errors)

    # -- writing ------------------------------------------------------------------

    def prepare_instance(self, instance: Any) -> None:
        """Called for each valid row before it is written: set derived fields here
        (``bulk_create`` calls no ``save()``)."""
        if hasattr(instance, "updated") and instance.pk is not None:
            instance.updated = timezone.now()

    def write(self, results: Sequence[RowResult]) -> tuple[int, int]:
        """Write the valid rows of one validated batch in one transaction; return
        (created, updated)."""
        from django.db import transaction

        valid = [r for r in results if r.is_valid]
        new = [r.instance for r in valid if r.action == "new"]
        old = [r.instance for r in valid if r.action == "update"]
        for instance in new + old:
            self.prepare_instance(instance)
        columns = [
            self.model._meta.get_field(f.attribute).name
            for f in self.fields
            if f not in self.m2m_fields and f not in self.id_fields and self.is_model_field(f)
        ]
        if hasattr(self.model, "updated") and "updated" not in columns:
            columns.append("updated")
        with transaction.atomic():
            self.model._default_manager.bulk_create(new, batch_size=1000)
            if old and columns:
                self.model._default_manager.bulk_update(old, columns, batch_size=1000)
            for field in self.m2m_fields:
                self.write_many(field, [r for r in valid if r.m2m and field.attribute in r.m2m])
        return len(new), len(old)

    def is_model_field(self, field: Field) -> bool:
        try:
            self.model._meta.get_field(field.attribute)
        except Exception:
            return False
        return True

    def write_many(self, field: Field, results: Sequence[RowResult]) -> None:
        if not results:
            return
        descriptor = getattr(self.model, field.attribute)
        through = descriptor.through
        source = descriptor.field.m2m_field_name()
        target = descriptor.field.m2m_reverse_field_name()
        # New rows have no links yet: only updated rows lose their old ones.
        updated = [r.instance.pk for r in results if r.action == "update"]
        if updated:
            through._default_manager.filter(**{f"{source}__in": updated}).delete()
        links = [
            through(**{f"{source}_id": r.instance.pk, f"{target}_id": obj.pk})
            for r in results
            for obj in dict.fromkeys((r.m2m or {})[field.attribute])
        ]
        through._default_manager.bulk_create(links, batch_size=1000)
