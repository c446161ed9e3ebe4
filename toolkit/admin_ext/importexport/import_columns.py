"""Which column of an uploaded file sets which field: the resource's column names, and
the headers an export of the changelist writes.

An export is headed by the changelist's labels ("SKU", "Is active", "Weight (kg)"), an
import resource by field names ("sku", "is_active"). :class:`ImportColumns` reads both,
case-insensitively, so that a file exported from the list imports back as it is. A
column that sets nothing is ignored with a note, never an error: a computed
``list_display`` column ("column Badge is not imported: it is computed"), a field the
resource does not import, a column nobody knows.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _
from import_export.fields import Field

from .limits import ImportFileError

__all__ = ["HeaderMatch", "ImportColumns", "ListColumns", "normalise_header"]


def normalise_header(header: Any) -> str:
    """A header as it is compared: case, underscores and runs of spaces do not count
    ("Is active", "is_active", "IS  ACTIVE" are one header)."""
    return " ".join(str(header).replace("_", " ").split()).casefold()


@dataclass(frozen=True)
class ListColumns:
    """The columns an export of the changelist writes: the label of each
    ``list_display`` entry that names a model field, by field name, and the labels of
    the computed ones (callables, properties, methods of the admin)."""

    labels: dict[str, str] = field(default_factory=dict)
    computed: tuple[str, ...] = ()

    @classmethod
    def for_admin(cls, model_admin: Any, request: Any) -> ListColumns:
        from .columns import ListDisplayField, ListDisplayResource

        resource = ListDisplayResource.for_changelist(model_admin, request)
        labels: dict[str, str] = {}
        computed: list[str] = []
        for export_field in resource.fields.values():
            assert isinstance(export_field, ListDisplayField)
            label = str(export_field.column_name)
            if export_field.column is not None:
                labels[str(export_field.list_display_name)] = label
            else:
                computed.append(label)
        return cls(labels, tuple(computed))


@dataclass
class HeaderMatch:
    """The columns of one file: the import field each header sets, and the headers
    that set nothing, each with the reason (shown on the preview)."""

    fields: dict[str, Field]
    ignored: list[tuple[str, str]]

    def header_of(self, column_name: str) -> str:
        """The file's header for the field whose column name is ``column_name``."""
        for header, import_field in self.fields.items():
            if import_field.column_name == column_name:
                return header
        return column_name

    def notes(self) -> list[str]:
        """One sentence per ignored column."""
        return [
            _("Column “%(column)s” is not imported: %(reason)s.") % {"column": h, "reason": r}
            for h, r in self.ignored
        ]


class ImportColumns:
    """Matches a file's headers to the import fields of a resource."""

    def __init__(
        self, model: Any, fields: Sequence[Field], list_columns: ListColumns | None = None
    ) -> None:
        self.model = model
        self.fields = list(fields)
        self.list_columns = list_columns or ListColumns()
        self.cache: dict[tuple[str, ...], HeaderMatch] = {}
        # Tiers, most exact first: the resource's column name as written; the column
        # name or attribute compared loosely; the field's verbose name and its label
        # in the changelist.
        self.tiers: list[dict[str, list[Field]]] = [{}, {}, {}]
        for import_field in self.fields:
            self.tiers[0].setdefault(str(import_field.column_name), []).append(import_field)
            for name in {import_field.column_name, import_field.attribute} - {None}:
                self.tiers[1].setdefault(normalise_header(name), []).append(import_field)
            for alias in self.aliases(import_field):
                self.tiers[2].setdefault(normalise_header(alias), []).append(import_field)

    def aliases(self, import_field: Field) -> list[str]:
        """What else than its column name heads ``import_field`` in a file: the model
        field's verbose name and the changelist's label of that field."""
        attribute = import_field.attribute
        if not isinstance(attribute, str):
            return []
        found = []
        with contextlib.suppress(FieldDoesNotExist):
            found.append(str(self.model._meta.get_field(attribute).verbose_name))
        if attribute in self.list_columns.labels:
            found.append(self.list_columns.labels[attribute])
        return found

    def field_for(self, header: str) -> Field | None:
        keys = (str(header), normalise_header(header), normalise_header(header))
        for tier, key in zip(self.tiers, keys, strict=True):
            candidates = list(dict.fromkeys(tier.get(key, [])))
            if len(candidates) == 1:
                return candidates[0]
        return None

    def match(self, headers: Iterable[Any]) -> HeaderMatch:
        """Which field each of ``headers`` sets; raises :class:`ImportFileError` when two
        headers set the same field."""
        key = tuple(str(h) for h in headers)
        if key in self.cache:
            return self.cache[key]
        fields: dict[str, Field] = {}
        ignored: list[tuple[str, str]] = []
        by_field: dict[int, str] = {}
        for header in key:
            import_field = self.field_for(header)
            if import_field is None:
                if header.strip():
                    ignored.append((header, self.ignored_reason(header)))
                continue
            if id(import_field) in by_field:
                raise ImportFileError(
                    _("The columns “%(first)s” and “%(second)s” both set %(field)s: keep one.")
                    % {
                        "first": by_field[id(import_field)],
                        "second": header,
                        "field": import_field.column_name,
                    }
                )
            by_field[id(import_field)] = header
            fields[header] = import_field
        match = HeaderMatch(fields, ignored)
        self.cache[key] = match
        return match

    def ignored_reason(self, header: str) -> str:
        wanted = normalise_header(header)
        if any(normalise_header(label) == wanted for label in self.list_columns.computed):
            return _("it is computed")
        names = {
            normalise_header(name)
            for model_field in self.model._meta.get_fields()
            for name in (model_field.name, getattr(model_field, "verbose_name", model_field.name))
        }
        names |= {normalise_header(label) for label in self.list_columns.labels.values()}
        if wanted in names:
            return _("this import does not set it")
        return _("no field has this name")
