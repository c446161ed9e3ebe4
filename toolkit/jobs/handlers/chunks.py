"""What a handler and the runner hand each other for one chunk of a job's work.

:meth:`~toolkit.jobs.handlers.JobHandler.get_chunk` answers a :class:`Chunk` (the items
and where the next chunk starts), :meth:`~toolkit.jobs.handlers.JobHandler.process_chunk`
a :class:`ChunkResult` (what became of them). A cursor is stored on the job as JSON, so
:func:`json_value` turns a primary key into something JSON keeps as it is.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

#: What :meth:`JobHandler.process_chunk` receives: by default a queryset of the chunk's
#: rows in primary-key order; a custom :meth:`JobHandler.get_chunk` may hand over a list.
ChunkObjects = QuerySet[Any] | Sequence[Any]


@dataclass(frozen=True)
class Chunk:
    """The next slice of a job's work, as returned by :meth:`JobHandler.get_chunk`."""

    #: The items to process.
    objects: ChunkObjects
    #: JSON value stored as ``job.cursor`` once the chunk is committed: where the next
    #: chunk starts (by default the primary key of the chunk's last row).
    cursor: Any
    #: How many items the chunk holds (the ``done`` count when the handler returns None).
    size: int


@dataclass
class ChunkResult:
    """What :meth:`JobHandler.process_chunk` reports about one chunk."""

    #: Items handled successfully.
    done: int = 0
    #: Items that could not be handled (the job goes on; its ``failed`` count says so).
    failed: int = 0
    #: Items left alone because nothing needed doing (say, an AI result still valid).
    skipped: int = 0
    #: Numbers added to the job's ``stats`` (key by key), e.g. ``{"tokens_in": 420}``.
    stats: dict[str, int | float] = field(default_factory=dict)
    #: Bytes (or text, encoded as UTF-8) appended to the job's result file, for handlers
    #: with ``produces_file``: one CSV chunk, one batch of JSON lines.
    output: bytes | str = b""


def json_value(value: Any) -> Any:
    """A primary key as JSON: integers stay integers, anything else (UUID...) a string."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    return value if isinstance(value, str) else str(value)
