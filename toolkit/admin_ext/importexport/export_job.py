"""The background export: selections above ``export_background_threshold`` rows are
written by a job, a chunk at a time, and its page offers the file when it is done.

Each chunk's rows become one part of the file (:meth:`~.formats.Format.write_part`),
written by the same :class:`~.formats.Format` class as a direct download; the job
layer puts the parts between the format's start and finish, and a whole-file format
(XLSX) writes its file from them when the job finishes.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest
from django.utils.text import slugify
from django.utils.translation import gettext_lazy, ngettext

from toolkit.admin_ext.selection import ChangelistJobHandler
from toolkit.exceptions import ToolkitConfigurationError
from toolkit.jobs import ChunkResult, register

from .columns import ListDisplayResource, iter_queryset_rows
from .formats import Format, WholeFileFormat, resolve_format
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
    verbose_name = gettext_lazy("Export")
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
        return self.writer(job)[0]

    def writer(self, job: Job) -> tuple[ListDisplayResource, Format]:
        """The job's columns, and the :class:`~.formats.Format` that writes them
        (neutralised as decided when the job started)."""
        model_admin, request = self.changelist(job)
        get_resource = getattr(model_admin, "get_export_resource", None)
        if get_resource is not None:
            resource: ListDisplayResource = get_resource(request)
        else:
            resource = ListDisplayResource.for_changelist(model_admin, request)
        format_class = self.find_format(job, model_admin, request)
        return resource, format_class(resource.get_export_headers(), safe=self.is_safe(job))

    def format_class(self, job: Job) -> type[Format]:
        return self.find_format(job, *self.changelist(job))

    def find_format(self, job: Job, model_admin: Any, request: HttpRequest) -> type[Format]:
        """The admin's format named in the job (a built-in one, or one of its own)."""
        name = job.params["format"]
        find = getattr(model_admin, "export_format_class", None)
        format_class = find(name, request) if find is not None else resolve_format(name)
        if format_class is None:
            raise ToolkitConfigurationError(
                f"The export format “{name}” is no longer offered by this admin."
            )
        return format_class

    def is_safe(self, job: Job) -> bool:
        """Whether the file's text cells are neutralised (decided when it started)."""
        return bool(job.params.get("safe", True))

    def process_chunk(self, job: Job, objects: Any) -> ChunkResult:
        resource, writer = self.writer(job)
        rows = list(iter_queryset_rows(resource, objects, chunk_size=self.get_chunk_size(job)))
        # "first": no row was written before these (JSON puts a comma between rows).
        return ChunkResult(done=len(rows), output=writer.write_part(rows, first=not job.done))

    def get_result_header(self, job: Job) -> bytes | str:
        return self.writer(job)[1].start()

    def get_result_footer(self, job: Job) -> bytes | str:
        return self.writer(job)[1].finish()

    def get_result_filename(self, job: Job) -> str:
        model = job.target_model
        stem = slugify(str(model._meta.verbose_name_plural)) if model else "export"
        return f"{stem}-{job.pk}.{self.format_class(job).extension}"

    def on_finish(self, job: Job) -> None:
        writer = self.writer(job)[1]
        if isinstance(writer, WholeFileFormat):
            # A workbook is not its parts one after another: it is written here, from
            # them, instead of being put together by the job layer.
            self.write_whole_file(job, writer)
        log_export(job.started_by, job.target_model, job.done, type(writer).label, job=job)

    def write_whole_file(self, job: Job, writer: WholeFileFormat) -> None:
        from django.core.files import File

        with tempfile.TemporaryFile() as out:
            writer.assemble(self.parts(job), out)
            out.seek(0)
            job.result_file.save(self.get_result_filename(job), File(out), save=False)

    def parts(self, job: Job) -> Iterator[IO[bytes]]:
        """The job's parts, in order, each open while it is read."""
        from toolkit.jobs.results import part_name

        storage = job.result_file.storage
        for index in range(job.chunks):
            name = part_name(job, index)
            if storage.exists(name):
                with storage.open(name, "rb") as part:
                    yield part

    def get_result_message(self, job: Job) -> str:
        return ngettext(
            "%(count)s row exported as %(format)s.",
            "%(count)s rows exported as %(format)s.",
            job.done,
        ) % {"count": job.done, "format": self.format_class(job).label}
