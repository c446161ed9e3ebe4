"""Walking a queryset in primary-key order, one page of keys per query (a keyset).

Each page starts after the last key of the one before (``pk > last``), so every page
costs one indexed query however deep into a million rows it is, and memory holds one
page at a time. A queryset joined over a to-many relation repeats primary keys; each
key is yielded once. The job runner's chunks, the AI runs' batches and the
``ai_summarize`` command all walk their records this way.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from django.db.models import QuerySet

__all__ = ["batched", "next_pks", "pk_pages", "walk_pks"]

T = TypeVar("T")


def next_pks(queryset: QuerySet[Any], after: Any, size: int) -> list[Any]:
    """Up to ``size`` primary keys of ``queryset`` after ``after`` (``None``: from the
    first), in primary-key order, each once; one query."""
    page = queryset if after is None else queryset.filter(pk__gt=after)
    return list(dict.fromkeys(page.order_by("pk").values_list("pk", flat=True)[:size]))


def pk_pages(queryset: QuerySet[Any], size: int, *, after: Any = None) -> Iterator[list[Any]]:
    """The primary keys of ``queryset`` in pages of up to ``size``, one query per page.

    The pages are read lazily: rows added behind the cursor meanwhile are not seen,
    rows added ahead of it are.
    """
    queryset = queryset.order_by()
    while pks := next_pks(queryset, after, size):
        yield pks
        after = pks[-1]


def walk_pks(queryset: QuerySet[Any], page_size: int) -> Iterator[Any]:
    """Every primary key of ``queryset`` in order, read ``page_size`` per query."""
    for page in pk_pages(queryset, page_size):
        yield from page


def batched(items: Iterable[T], size: int, *, first: int | None = None) -> Iterator[list[T]]:
    """``items`` in lists of ``size``. With ``first``, the first lists are smaller
    (``first``, then four times that, ... up to ``size``), so work on the first items
    can begin before a whole batch is read."""
    batch: list[T] = []
    limit = min(first or size, size)
    for item in items:
        batch.append(item)
        if len(batch) >= limit:
            yield batch
            batch = []
            limit = min(limit * 4, size)
    if batch:
        yield batch
