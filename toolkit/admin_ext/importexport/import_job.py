"""Running a confirmed import: the stored upload read a batch at a time, its rows
written here (:func:`import_batches`) or by a background job (:class:`ImportJobHandler`),
and the rejected-rows file (the rows that cannot be imported, with an ``error`` column,
in the upload's format: JSON for JSON, CSV otherwise)."""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.utils.translation import gettext, gettext_lazy, ngettext

from toolkit.jobs import ChunkResult, JobHandler, register

from .formats import CSVFormat, Format, JSONFormat
from .import_columns import ListColumns
from .importer import BulkImporter, RowResult
from .logs import log_import
from .uploads import open_rows

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from toolkit.jobs.models import Job

__all__ = [
    "ImportJobHandler",
    "ImportOutcome",
    "delete_upload",
    "import_batches",
    "read_batches",
    "read_csv_batch",
    "rejected_file",
    "rejected_format",
    "start_import",
    "store_rejected",
    "upload_batches",
    "upload_storage",
]

#: What a background import keeps of the upload's session record.
JOB_PARAMS = ("file", "format", "delimiter", "headers", "rows")

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


def upload_batches(upload: dict[str, Any], size: int) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    """Every row of a stored upload (its session record), ``size`` rows at a time."""
    for start in range(0, upload["rows"], size):
        yield read_batches(
            upload["file"], upload["format"], upload["delimiter"], start, size, upload["headers"]
        )


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
    verbose_name = gettext_lazy("Import")
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
        return BulkImporter(get_resource(request), list_columns(model_admin, request))

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
        # Unchanged rows are done too: they were read, checked and need no write.
        unchanged = sum(1 for r in results if r.is_valid and r.action == "unchanged")
        # "first": no rejected row was written before these (JSON separates them).
        output = self.rejected_writer(job).write_part(
            rejected_rows(job.params["headers"], rejected), first=not job.failed
        )
        return ChunkResult(done=created + updated + unchanged, failed=len(rejected), output=output)

    def rejected_writer(self, job: Job) -> Format:
        """The writer of the job's file of rejected rows."""
        return rejected_format(job.params["format"])([*job.params["headers"], "error"])

    def get_result_header(self, job: Job) -> bytes | str:
        return self.rejected_writer(job).start()

    def get_result_footer(self, job: Job) -> bytes | str:
        return self.rejected_writer(job).finish()

    def get_result_filename(self, job: Job) -> str:
        return f"rejected-rows-{job.pk}.{rejected_format(job.params['format']).extension}"

    def on_finish(self, job: Job) -> None:
        log_import(job.started_by, job.target_model, job.done, job.failed, job=job)
        name = job.params["file"]
        transaction_on_commit(lambda: delete_upload(name))

    def get_result_message(self, job: Job) -> str:
        message = ngettext(
            "%(count)d row imported or found unchanged.",
            "%(count)d rows imported or found unchanged.",
            job.done,
        ) % {"count": job.done}
        if job.failed:
            message += " " + ngettext(
                "%(count)d row was rejected: download it, fix it and import it again.",
                "%(count)d rows were rejected: download them, fix them and import them again.",
                job.failed,
            ) % {"count": job.failed}
        return message


def list_columns(model_admin: Any, request: Any) -> ListColumns | None:
    """The changelist's columns of ``model_admin`` (what its exports are headed by),
    or ``None`` for an admin without a changelist of its own."""
    if not hasattr(model_admin, "get_list_display"):
        return None
    return ListColumns.for_admin(model_admin, request)


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


def rejected_format(upload_format: str) -> type[Format]:
    """The format rejected rows are given back in: the upload's, CSV for a workbook
    (a person fixes them in a spreadsheet and uploads the file again)."""
    return JSONFormat if upload_format == "json" else CSVFormat


def rejected_file(headers: Sequence[str], rejected: Sequence[RowResult], fmt: str) -> str:
    """The whole rejected-rows file of an upload in format ``fmt``."""
    writer = rejected_format(fmt)([*headers, "error"])
    return "".join(
        part.decode() if isinstance(part, bytes) else part
        for part in writer.write_stream(rejected_rows(headers, rejected))
    )


def store_rejected(token: Any, upload: dict[str, Any], rejected: Sequence[RowResult]) -> str:
    """Keep the rejected rows of upload ``token`` as a file to download; its name."""
    from django.core.files.base import ContentFile

    extension = rejected_format(upload["format"]).extension
    body = rejected_file(upload["headers"], rejected, upload["format"])
    name: str = upload_storage().save(
        f"toolkit_imports/{token}-rejected.{extension}", ContentFile(body.encode())
    )
    return name


@dataclass
class ImportOutcome:
    """What importing an upload did: rows created and updated, and those rejected."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RowResult] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated

    def message(self) -> str:
        """The sentence the person reads after the import."""
        text = ngettext(
            "Imported %(count)d row (%(new)d new, %(updated)d updated).",
            "Imported %(count)d rows (%(new)d new, %(updated)d updated).",
            self.imported,
        ) % {"count": self.imported, "new": self.created, "updated": self.updated}
        if self.unchanged:
            text += " " + ngettext(
                "%(count)d row was unchanged.", "%(count)d rows were unchanged.", self.unchanged
            ) % {"count": self.unchanged}
        if self.rejected:
            text += " " + ngettext(
                "Rejected %(count)d row: ", "Rejected %(count)d rows: ", len(self.rejected)
            ) % {"count": len(self.rejected)}
            text += ", ".join(str(r.number) for r in self.rejected[:20])
            text += "…" if len(self.rejected) > 20 else "."
        return text


def import_batches(importer: BulkImporter, batches: Iterable[list[RowResult]]) -> ImportOutcome:
    """Write validated batches, each whole or not at all: a batch the database refuses
    is rejected whole, each of its rows saying why."""
    outcome = ImportOutcome()
    for batch in batches:
        try:
            created, updated = importer.write(batch)
        except DatabaseError as exc:
            for result in batch:
                result.errors.setdefault("__all__", []).append(
                    gettext("Its batch was not imported: the database refused it (%(error)s).")
                    % {"error": exc}
                )
            outcome.rejected.extend(batch)
            continue
        outcome.created += created
        outcome.updated += updated
        outcome.unchanged += sum(1 for r in batch if r.is_valid and r.action == "unchanged")
        outcome.rejected.extend(r for r in batch if not r.is_valid)
    return outcome


def start_import(
    user: AbstractBaseUser | AnonymousUser, model_admin: Any, upload: dict[str, Any]
) -> Job:
    """Start the background import of a confirmed upload (its session record)."""
    from toolkit.jobs.tasks import start_job

    return start_job(
        ImportJobHandler,
        user=user,
        model=model_admin.model,
        params={
            **{key: upload[key] for key in JOB_PARAMS},
            "site": model_admin.admin_site.name,
            "model": model_admin.model._meta.label_lower,
        },
        description=gettext("Import of %(file)s") % {"file": upload["filename"]},
    )
