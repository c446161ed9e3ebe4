"""The stored upload between preview and confirmation, the background import, and
the rejected-rows file (the rows that cannot be imported, with an ``error`` column)."""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied

from toolkit.jobs import ChunkResult, JobHandler, register

from .formats import CSVRows, json_object
from .importer import BulkImporter, RowResult
from .logs import log_import
from .uploads import open_rows

if TYPE_CHECKING:
    from toolkit.jobs.models import Job

__all__ = [
    "ImportJobHandler",
    "delete_upload",
    "read_batches",
    "read_csv_batch",
    "rejected_file",
    "upload_storage",
]

logger = logging.getLogger("toolkit.admin_ext.importexport")


def upload_storage() -> Any:
    """Where uploads wait between preview and confirmation: the jobs' result storage,
    which has no public URL."""
    from toolkit.jobs.models import result_storage

    return result_storage()


def read_batches(
    name: str,
    fmt: str,
    delimiter: str,
    start: int,
    size: int | None,
    headers: list[str] | None = None,
) -> list[tuple[int, dict[str, Any]]]:
    """Rows ``start`` to ``start + size`` of a stored upload, numbered as a person counts
    them in a spreadsheet (the header is row 1)."""
    from itertools import islice

    with upload_storage().open(name, "rb") as stored:
        rows = open_rows(stored, fmt, delimiter, headers)
        try:
            selected = islice(rows, start, None if size is None else start + size)
            return [
                (start + index + 2, values)
                for index, values in enumerate(selected)
                if any(str(v).strip() for v in values.values() if v is not None)
            ]
        finally:
            rows.close()  # before the file closes: the reader lets go of it


class _Lines:
    """The lines of a binary file as text, counting the bytes handed out, so that the
    byte offset after each CSV record (which may span lines) is known."""

    def __init__(self, file: Any) -> None:
        self.file = file
        self.offset = file.tell()

    def __iter__(self) -> Iterator[str]:
        # readline(), not iteration: Django's File.__iter__ starts over from byte 0.
        for line in iter(self.file.readline, b""):
            self.offset += len(line)
            yield line.decode("utf-8-sig" if self.offset == len(line) else "utf-8")


def read_csv_batch(
    name: str, delimiter: str, headers: list[str], row: int, offset: int, size: int
) -> tuple[list[tuple[int, dict[str, Any]]], int]:
    """``size`` records of a stored CSV upload from byte ``offset`` (0: the start, its
    header skipped), numbered from ``row``; and the offset after them. A background
    import keeps the offset as its cursor, so each chunk seeks instead of reading the
    file again from the top."""
    with upload_storage().open(name, "rb") as stored:
        stored.seek(offset)
        lines = _Lines(stored)
        reader = csv.reader(lines, delimiter=delimiter)
        if offset == 0:
            next(reader, None)
        rows: list[tuple[int, dict[str, Any]]] = []
        for number, record in enumerate(reader, start=row):
            if any(cell.strip() for cell in record):
                rows.append((number, dict(zip(headers, record, strict=False))))
            if len(rows) >= size:
                break
        return rows, lines.offset


@register
class ImportJobHandler(JobHandler):
    """Imports an uploaded file in batches; each chunk is one batch, written whole or
    not at all, and its rejected rows (with an ``error`` column) become the job's file."""

    name = "admin_ext.import"
    verbose_name = "Import"
    produces_file = True
    chunk_size = 1000

    def importer(self, job: Job) -> BulkImporter:
        from toolkit.admin_ext.selection import Selection

        selection = Selection(site=job.params["site"], model=job.params["model"])
        model_admin = selection.get_modeladmin()
        request = selection.build_request(model_admin, job.started_by)
        if not model_admin.has_add_permission(request) or not model_admin.has_change_permission(
            request
        ):
            raise PermissionDenied("You may no longer import these records.")
        get_resource = getattr(model_admin, "get_import_resource", None)
        if get_resource is None:
            raise PermissionDenied("This admin no longer imports records.")
        return BulkImporter(get_resource(request))

    def get_total(self, job: Job) -> int | None:
        total: int = job.params["rows"]
        return total

    def get_chunk(self, job: Job, size: int) -> Any:
        from toolkit.jobs import Chunk

        params = job.params
        if params["format"] == "csv":
            # The cursor is where the next record starts: {"row": number, "offset": bytes}.
            cursor = job.cursor or {"row": 2, "offset": 0}
            rows, offset = read_csv_batch(
                params["file"],
                params["delimiter"],
                params["headers"],
                cursor["row"],
                cursor["offset"],
                size,
            )
            if not rows:
                return None
            return Chunk(
                objects=rows, cursor={"row": rows[-1][0] + 1, "offset": offset}, size=len(rows)
            )
        start = job.cursor or 0
        if start >= params["rows"]:
            return None
        rows = read_batches(
            params["file"], params["format"], params["delimiter"], start, size, params["headers"]
        )
        if not rows:
            return None
        return Chunk(objects=rows, cursor=start + size, size=len(rows))

    def process_chunk(self, job: Job, objects: Any) -> ChunkResult:
        importer = self.importer(job)
        results = importer.validate(objects)
        created, updated = importer.write(results)
        rejected = [r for r in results if not r.is_valid]
        output = rejected_output(
            job.params["headers"], rejected, job.params["format"], job.chunks == 0
        )
        return ChunkResult(done=created + updated, failed=len(rejected), output=output)

    def get_result_header(self, job: Job) -> bytes | str:
        if job.params["format"] == "json":
            return "["
        return CSVRows().render([[*job.params["headers"], "error"]])

    def get_result_footer(self, job: Job) -> bytes | str:
        return "\n]\n" if job.params["format"] == "json" else ""

    def get_result_filename(self, job: Job) -> str:
        ext = "json" if job.params["format"] == "json" else "csv"
        return f"rejected-rows-{job.pk}.{ext}"

    def on_finish(self, job: Job) -> None:
        log_import(job.started_by, job.target_model, job.done, job.failed, job=job)
        name = job.params["file"]
        transaction_on_commit(lambda: delete_upload(name))

    def get_result_message(self, job: Job) -> str:
        message = f"{job.done} rows imported."
        if job.failed:
            message += (
                f" {job.failed} rows were rejected: download them, fix them and import them again."
            )
        return message


def transaction_on_commit(func: Any) -> None:
    from django.db import transaction

    transaction.on_commit(func)


def delete_upload(name: str) -> None:
    storage = upload_storage()
    try:
        if storage.exists(name):
            storage.delete(name)
    except OSError:  # pragma: no cover - a leftover upload is harmless
        logger.warning("Could not delete the upload %s", name, exc_info=True)


def rejected_rows(headers: Sequence[str], rejected: Iterable[RowResult]) -> Iterator[list[Any]]:
    """Rejected rows as they were uploaded, plus an ``error`` column. The writers
    neutralise them (and the header row): a person opens this file in a spreadsheet."""
    for result in rejected:
        yield [result.values.get(h, "") for h in headers] + [result.error_text]


def rejected_output(
    headers: Sequence[str], rejected: Sequence[RowResult], fmt: str, first: bool
) -> str:
    rows = list(rejected_rows(headers, rejected))
    if fmt == "json":
        columns = [*headers, "error"]
        return "".join(
            ("\n" if first and i == 0 else ",\n") + json_object(columns, row)
            for i, row in enumerate(rows)
        )
    return CSVRows().render(rows)


def rejected_file(headers: Sequence[str], rejected: Sequence[RowResult], fmt: str) -> str:
    if fmt == "json":
        return "[" + rejected_output(headers, rejected, "json", True) + "\n]\n"
    return CSVRows().render([[*headers, "error"]]) + rejected_output(headers, rejected, "csv", True)
