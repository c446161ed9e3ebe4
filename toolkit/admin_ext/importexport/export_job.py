"""The background export: selections above ``export_background_threshold`` rows are
written by a job, a chunk at a time, and its page offers the file when it is done."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest
from django.utils.text import slugify

from toolkit.admin_ext.selection import ChangelistJobHandler
from toolkit.jobs import ChunkResult, register

from .columns import ListDisplayResource, iter_queryset_rows
from .formats import FORMATS, CSVRows, json_line, json_object, write_xlsx
from .logs import log_export

if TYPE_CHECKING:
    from toolkit.jobs.models import Job

__all__ = ["ExportJobHandler"]


@register
class ExportJobHandler(ChangelistJobHandler):
    """Writes a large export in chunks; the job page offers the file when it is done.

    The target is the person's :class:`~toolkit.admin_ext.selection.Selection`,
    re-evaluated for every chunk with their rights: losing the view (or export)
    permission mid-job fails the job instead of exporting beyond them.
    """

    name = "admin_ext.export"
    verbose_name = "Export"
    produces_file = True
    chunk_size = 2000

    def changelist(self, job: Job) -> tuple[admin.ModelAdmin[Any], HttpRequest]:
        selection = self.get_selection(job)
        model_admin = selection.get_modeladmin()
        return model_admin, selection.build_request(model_admin, self.get_user(job))

    def get_queryset(self, job: Job) -> models.QuerySet[Any]:
        model_admin, request = self.changelist(job)
        allowed = getattr(model_admin, "has_export_permission", model_admin.has_view_permission)
        if not allowed(request):
            raise PermissionDenied("You may no longer export these records.")
        return super().get_queryset(job)

    def resource(self, job: Job) -> ListDisplayResource:
        model_admin, request = self.changelist(job)
        get_resource = getattr(model_admin, "get_export_resource", None)
        if get_resource is not None:
            resource: ListDisplayResource = get_resource(request)
            return resource
        return ListDisplayResource.for_changelist(model_admin, request)

    def is_safe(self, job: Job) -> bool:
        """Whether the file's text cells are neutralised (decided when it started)."""
        return bool(job.params.get("safe", True))

    def process_chunk(self, job: Job, objects: Any) -> ChunkResult:
        fmt = job.params["format"]
        resource = self.resource(job)
        rows = list(iter_queryset_rows(resource, objects, chunk_size=self.get_chunk_size(job)))
        safe = self.is_safe(job)
        if fmt == "csv":
            output = CSVRows(safe).render(rows)
        elif fmt == "json":
            headers = resource.get_export_headers()
            output = "".join(
                ("\n" if job.chunks == 0 and i == 0 else ",\n") + json_object(headers, row, safe)
                for i, row in enumerate(rows)
            )
        else:
            # XLSX: plain values as JSON lines, written into a workbook in on_finish
            # (and neutralised there, as they are stored).
            output = "".join(json_line(row) for row in rows)
        return ChunkResult(done=len(rows), output=output)

    def get_result_header(self, job: Job) -> bytes | str:
        headers = self.resource(job).get_export_headers()
        if job.params["format"] == "csv":
            return CSVRows(self.is_safe(job)).render([headers])
        return "["

    def get_result_footer(self, job: Job) -> bytes | str:
        return "\n]\n" if job.params["format"] == "json" else ""

    def get_result_filename(self, job: Job) -> str:
        model = job.target_model
        stem = slugify(str(model._meta.verbose_name_plural)) if model else "export"
        return f"{stem}-{job.pk}.{FORMATS[job.params['format']].extension}"

    def on_finish(self, job: Job) -> None:
        if job.params["format"] == "xlsx":
            self.write_xlsx_result(job)
        log_export(job.started_by, job.target_model, job.done, job.params["format"], job=job)

    def write_xlsx_result(self, job: Job) -> None:
        from django.core.files import File

        from toolkit.jobs.runner import part_name

        storage = job.result_file.storage
        headers = self.resource(job).get_export_headers()

        def rows() -> Iterator[list[Any]]:
            for index in range(job.chunks):
                name = part_name(job, index)
                if storage.exists(name):
                    with storage.open(name, "rb") as part:
                        for line in part:
                            yield json.loads(line)

        with tempfile.TemporaryFile() as out:
            write_xlsx(headers, rows(), out, self.is_safe(job))
            out.seek(0)
            job.result_file.save(self.get_result_filename(job), File(out), save=False)

    def get_result_message(self, job: Job) -> str:
        label = FORMATS[job.params["format"]].label
        return f"{job.done} rows exported as {label}."
