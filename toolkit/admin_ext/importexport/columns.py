"""The columns of an export: a django-import-export ``Resource`` built from the
changelist's ``list_display``, and its cells read in constant memory.

The export holds exactly what the person sees: the ``list_display`` columns, headed by
the changelist's labels, with callables, ``__str__`` of related objects and choice
labels as displayed. :class:`ListDisplayResource` serves the stock
``Resource.export()`` too; :func:`iter_queryset_rows` reads the same cells a chunk at a
time, with ``values_list()`` when every column is a plain field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from operator import attrgetter
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import label_for_field, lookup_field
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.http import HttpRequest
from django.utils.html import strip_tags
from django.utils.safestring import SafeData
from django.utils.text import capfirst
from import_export.fields import Field
from import_export.resources import Resource

__all__ = [
    "Column",
    "ListDisplayField",
    "ListDisplayResource",
    "batched",
    "display_value",
    "iter_queryset_rows",
    "iter_rows",
]


def batched(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """``rows`` in lists of ``size`` (the last one shorter)."""
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def display_value(name: str | Any, obj: models.Model, model_admin: admin.ModelAdmin[Any]) -> Any:
    """The value of one ``list_display`` entry for ``obj``, as the changelist shows it,
    but typed: numbers stay numbers, booleans booleans, related objects their ``str``,
    choices their label, HTML from ``format_html`` callables plain text."""
    field, _attr, value = lookup_field(name, obj, model_admin)
    if field is None:
        if isinstance(value, SafeData):
            return strip_tags(str(value))
        if isinstance(value, models.Model):
            return str(value)
        return value
    if value is None:
        return None
    if getattr(field, "flatchoices", None):
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, models.Model):
        return str(value)
    return value


@dataclass(frozen=True)
class Column:
    """How one ``list_display`` entry that is a concrete model field reads from a
    ``values_list()`` row: ``kind`` is "plain", "choice" or "related"."""

    kind: str
    attname: str
    choices: dict[Any, Any] | None = None
    related_model: type[models.Model] | None = None


def field_column(name: str | Any, model_admin: admin.ModelAdmin[Any]) -> Column | None:
    """The :class:`Column` of a ``list_display`` entry that is a concrete field, else
    ``None`` (a callable, a property: those need the model instance)."""
    if not isinstance(name, str):
        return None
    try:
        field = model_admin.model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if field.auto_created or not field.concrete or field.many_to_many:
        return None
    if field.is_relation:
        return Column("related", field.attname, related_model=field.related_model)
    if getattr(field, "flatchoices", None):
        return Column("choice", field.attname, choices=dict(field.flatchoices))
    return Column("plain", field.attname)


def display_getter(
    name: str | Any, model_admin: admin.ModelAdmin[Any], column: Column | None
) -> Callable[[models.Model], Any]:
    """A function giving :func:`display_value` of ``name`` for an object, worked out
    once per column: a plain field is then one attribute read per cell."""
    if column is None:
        return lambda obj: display_value(name, obj, model_admin)
    if column.kind == "related":
        field_name = name

        def related(obj: models.Model) -> Any:
            value = getattr(obj, field_name)
            return None if value is None else str(value)

        return related
    if column.kind == "choice":
        choices = column.choices or {}

        def choice(obj: models.Model) -> Any:
            value = getattr(obj, column.attname)
            return None if value is None else str(choices.get(value, value))

        return choice
    return attrgetter(column.attname)


class ListDisplayField(Field):
    """An import-export ``Field`` whose value is a ``list_display`` entry."""

    def __init__(self, name: str | Any, label: str, model_admin: admin.ModelAdmin[Any]) -> None:
        super().__init__(attribute=None, column_name=label, readonly=True)
        self.list_display_name = name
        self.model_admin = model_admin
        self.column = field_column(name, model_admin)
        self.getter = display_getter(name, model_admin, self.column)

    def export(self, instance: Any, **kwargs: Any) -> Any:
        return self.getter(instance)


class ListDisplayResource(Resource):
    """A django-import-export ``Resource`` whose columns are a changelist's columns.

    Build it with :meth:`for_changelist`; ``resource.export(queryset)`` then gives the
    stock tablib export of those columns (fine for a few rows), and
    :func:`iter_rows` the same cells in constant memory.
    """

    @classmethod
    def for_changelist(
        cls, model_admin: admin.ModelAdmin[Any], request: HttpRequest
    ) -> ListDisplayResource:
        resource = cls()
        fields: dict[str, Field] = {}
        for index, name in enumerate(model_admin.get_list_display(request)):
            if name == "action_checkbox" or getattr(name, "toolkit_row_actions", False):
                continue  # the selection box and the row action buttons are not data
            label = label_for_field(name, model_admin.model, model_admin)
            key = name if isinstance(name, str) else f"column_{index}"
            # The changelist's template capitalises its headers (``capfirst``); so do we.
            fields[key] = ListDisplayField(name, capfirst(str(label)), model_admin)
        resource.fields = fields
        resource._meta.export_order = tuple(fields)
        return resource

    def get_export_order(self) -> tuple[str, ...]:
        return tuple(self.fields)

    def get_user_visible_fields(self) -> list[Field]:
        return list(self.fields.values())


def iter_rows(resource: Resource, objects: Iterable[Any]) -> Iterator[list[Any]]:
    """The resource's cells for each object, as values (the writers neutralise them)."""
    fields = resource.get_export_fields()
    getters = [
        field.getter
        if isinstance(field, ListDisplayField)
        else partial(resource.export_field, field)
        for field in fields
    ]
    for obj in objects:
        yield [getter(obj) for getter in getters]


class RelatedNames:
    """``str()`` of related objects by primary key, fetched a batch of missing keys at a
    time and kept for the whole export (categories and suppliers repeat)."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.names: dict[Any, str] = {}

    def fill(self, keys: Iterable[Any]) -> None:
        missing = {k for k in keys if k is not None and k not in self.names}
        if missing:
            # __str__ often names a parent (Category: "Parent > Child"): fetch those too.
            parents = [f.name for f in self.model._meta.concrete_fields if f.many_to_one]
            queryset = self.model._default_manager.filter(pk__in=missing)
            if parents:
                queryset = queryset.select_related(*parents)
            for obj in queryset:
                self.names[obj.pk] = str(obj)


def iter_queryset_rows(
    resource: Resource, queryset: models.QuerySet[Any], *, chunk_size: int
) -> Iterator[list[Any]]:
    """The cells of every row of ``queryset``, in its order, in constant memory.

    When every column is a concrete field (no callable), rows are read with
    ``values_list()`` (no model instances: ten times cheaper per row) and related
    objects' ``str()`` come from one query per batch of new keys; otherwise model
    instances are iterated with ``.iterator(chunk_size=...)``.
    """
    fields = resource.get_export_fields()
    columns = [f.column if isinstance(f, ListDisplayField) else None for f in fields]
    if not fields or any(c is None for c in columns):
        yield from iter_rows(resource, queryset.iterator(chunk_size=chunk_size))
        return
    related = {
        i: RelatedNames(c.related_model)  # type: ignore[arg-type, union-attr]
        for i, c in enumerate(columns)
        if c.kind == "related"  # type: ignore[union-attr]
    }
    choices = {i: c.choices or {} for i, c in enumerate(columns) if c.kind == "choice"}  # type: ignore[union-attr]
    values = queryset.values_list(*(c.attname for c in columns)).iterator(chunk_size=chunk_size)  # type: ignore[union-attr]
    for batch in batched(values, chunk_size):
        for i, names in related.items():
            names.fill(row[i] for row in batch)
        for raw in batch:
            row = list(raw)
            for i, names in related.items():
                key = row[i]
                row[i] = None if key is None else names.names.get(key)
            for i, mapping in choices.items():
                if row[i] is not None:
                    row[i] = str(mapping.get(row[i], row[i]))
            yield row
