"""Writing validated rows: new rows by ``bulk_create``, changed rows by ``bulk_update``,
their many-to-many links, one transaction per batch. Rows that change nothing are not
written at all. The write side of :class:`~.importer.BulkImporter`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.utils import timezone
from import_export.fields import Field

from .import_results import RowResult

__all__ = ["ImportWritesMixin"]


class ImportWritesMixin:
    """Writes the rows :meth:`~.importer.BulkImporter.validate` found valid."""

    model: Any
    fields: list[Field]
    id_fields: list[Field]
    m2m_fields: list[Field]

    def prepare_instance(self, instance: Any) -> None:
        """Called for each valid row before it is written: set derived fields here
        (``bulk_create`` calls no ``save()``)."""
        if hasattr(instance, "updated") and instance.pk is not None:
            instance.updated = timezone.now()

    def write(self, results: Sequence[RowResult]) -> tuple[int, int]:
        """Write the valid rows of one validated batch in one transaction; return
        (created, updated). Unchanged rows are left as they are."""
        from django.db import transaction

        valid = [r for r in results if r.is_valid and r.action in ("new", "update")]
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

    def current_links(self, instances: Iterable[Any]) -> dict[str, dict[Any, set[Any]]]:
        """The primary keys each of ``instances`` links to, by many-to-many field: one
        query per field, to tell an unchanged row from a changed one."""
        keys = [obj.pk for obj in instances]
        links: dict[str, dict[Any, set[Any]]] = {}
        for field in self.m2m_fields:
            by_row: dict[Any, set[Any]] = {key: set() for key in keys}
            if keys:
                descriptor = getattr(self.model, field.attribute)
                through = descriptor.through
                source = f"{descriptor.field.m2m_field_name()}_id"
                target = f"{descriptor.field.m2m_reverse_field_name()}_id"
                pairs = through._default_manager.filter(**{f"{source}__in": keys})
                for row, linked in pairs.values_list(source, target):
                    by_row[row].add(linked)
            links[field.attribute] = by_row
        return links

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
