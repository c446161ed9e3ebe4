"""The records a batch run covers, from the command line's ``--filter``, ``--ids`` and
``--limit``: each value checked, each mistake a sentence, nothing sent before."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldError, ValidationError
from django.core.management.base import CommandError
from django.db import DatabaseError, models

__all__ = ["filter_value", "first_records", "selected_records"]


def selected_records(
    model: type[models.Model], filters: list[str], ids: list[str]
) -> models.QuerySet[Any]:
    """The records to run on: ``--filter`` lookups and ``--ids``, checked one by one."""
    queryset = model._default_manager.all()
    for raw in filters:
        lookup, sep, value = raw.partition("=")
        lookup = lookup.strip()
        if not sep or not lookup:
            raise CommandError(
                f"--filter {raw!r} is not FIELD=VALUE (e.g. --filter status=active)."
            )
        try:
            queryset = queryset.filter(**{lookup: filter_value(lookup, value)})
        except FieldError as exc:
            raise CommandError(f"--filter {raw!r}: {exc}") from None
        except ValidationError as exc:
            raise CommandError(f"--filter {raw!r}: {' '.join(exc.messages)}") from None
        except (ValueError, TypeError) as exc:
            raise CommandError(f"--filter {raw!r}: {exc}") from None
    if filters:
        # A lookup across a to-many relation (tags__name=...) joins and repeats rows;
        # as a subquery each record counts, and is sent, once.
        queryset = model._default_manager.filter(pk__in=queryset.values("pk"))
    if ids:
        queryset = queryset.filter(pk__in=_existing_pks(model, ids))
    return queryset


def _existing_pks(model: type[models.Model], ids: list[str]) -> list[Any]:
    """The primary keys ``--ids`` names (spaces or commas between them), each of which
    must exist."""
    pk_field = model._meta.pk
    assert pk_field is not None
    pks = []
    for raw in (part for value in ids for part in value.split(",")):
        if not raw.strip():
            continue
        try:
            pks.append(pk_field.to_python(raw.strip()))
        except ValidationError as exc:
            raise CommandError(f"--ids {raw!r}: {' '.join(exc.messages)}") from None
    found = set(model._default_manager.filter(pk__in=pks).values_list("pk", flat=True))
    missing = [str(pk) for pk in dict.fromkeys(pks) if pk not in found]
    if missing:
        raise CommandError(
            f"No {model._meta.verbose_name} with id {', '.join(missing[:10])}"
            + (f" (and {len(missing) - 10} more)" if len(missing) > 10 else "")
            + "; nothing was sent."
        )
    return pks


def first_records(
    queryset: models.QuerySet[Any], limit: int | None
) -> tuple[models.QuerySet[Any], int]:
    """``queryset`` cut to its first ``limit`` records in primary-key order, and how
    many records it holds. The cut is a primary-key bound (one query), not a slice,
    so the queryset can still be walked in batches."""
    try:
        if limit is None:
            return queryset, queryset.count()
        # Counting at most `limit` rows: a million-row table is not counted whole.
        total = queryset.order_by()[:limit].count()
    except DatabaseError as exc:
        raise CommandError(f"The filters cannot be applied: {exc}".strip()) from exc
    if total < limit:
        return queryset, total
    last = queryset.order_by("pk").values_list("pk", flat=True)[limit - 1]
    return queryset.filter(pk__lte=last), limit


def filter_value(lookup: str, value: str) -> Any:
    """A ``--filter`` value as the lookup wants it: a list for ``__in``, a bool for
    ``__isnull``, the text for anything else (the field converts and checks it)."""
    last = lookup.rsplit("__", 1)[-1]
    if last == "in":
        return [part.strip() for part in value.split(",") if part.strip()]
    if last == "isnull":
        lowered = value.strip().lower()
        if lowered in ("1", "true", "yes"):
            return True
        if lowered in ("0", "false", "no"):
            return False
        raise ValueError(f"__isnull takes true or false, not {value!r}.")
    return value
