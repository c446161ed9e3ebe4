"""A job's result file, written one part per chunk and joined when the job is done.

A handler with ``produces_file`` returns each chunk's piece of the file as
``ChunkResult.output``. The runner stores it as a part in the result file's storage,
named after the chunk's number (:func:`part_name`), inside the chunk's transaction: a
chunk that runs again after a crash replaces the part its first attempt left instead of
adding a second one. When the job is done the parts are joined, between the handler's
header and footer, into ``job.result_file``; once the job's end commits they are deleted.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction

if TYPE_CHECKING:
    from toolkit.jobs.handlers import JobHandler
    from toolkit.jobs.models import Job

logger = logging.getLogger("toolkit.jobs")

#: Result files are assembled in memory up to this size, then on disk.
SPOOL_SIZE = 8 * 1024 * 1024


def part_name(job: Job, index: int) -> str:
    """Storage name of the result-file part written by chunk number ``index``."""
    return f"toolkit_jobs/parts/{job.pk}/{index:08d}"


def write_part(job: Job, output: bytes | str) -> None:
    """Store ``output`` as the part of the chunk being committed (number ``job.chunks``)."""
    name = part_name(job, job.chunks)
    storage = job.result_file.storage
    if storage.exists(name):
        storage.delete(name)
    data = output.encode() if isinstance(output, str) else output
    saved = storage.save(name, ContentFile(data))
    if saved != name:  # pragma: no cover - a storage that renames on its own
        raise RuntimeError(f"The storage saved a result part as {saved!r}, not {name!r}.")


def read_parts(job: Job) -> Iterator[IO[bytes]]:
    """The job's parts in chunk order, each open while it is read (a chunk that had no
    output left no part)."""
    storage = job.result_file.storage
    for index in range(job.chunks):
        name = part_name(job, index)
        if storage.exists(name):
            with storage.open(name, "rb") as part:
                yield part


def assemble_result(job: Job, handler: JobHandler) -> None:
    """Join the parts into ``job.result_file`` (not saved: the runner saves the job)."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_SIZE) as out:
        _write(out, handler.get_result_header(job))
        for part in read_parts(job):
            while block := part.read(1024 * 1024):
                out.write(block)
        _write(out, handler.get_result_footer(job))
        out.seek(0)
        job.result_file.save(handler.get_result_filename(job), File(out), save=False)


def delete_parts_on_commit(job: Job) -> None:
    """Delete the job's parts once its end commits (a rollback keeps them for a re-run)."""
    if job.chunks:
        storage, names = job.result_file.storage, [part_name(job, i) for i in range(job.chunks)]
        transaction.on_commit(lambda: delete_quietly(storage, names))


def delete_quietly(storage: Storage, names: list[str]) -> None:
    for name in names:
        try:
            if storage.exists(name):
                storage.delete(name)
        except OSError:  # pragma: no cover - leftovers are harmless
            logger.warning("Could not delete the result part %s", name, exc_info=True)


def _write(out: Any, data: bytes | str) -> None:
    if data:
        out.write(data.encode() if isinstance(data, str) else data)
