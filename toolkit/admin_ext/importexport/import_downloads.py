"""The files around an import: the template to fill in, and the rows that cannot be
imported, each a download of the import pages; and the importer both are read with."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from .formats import CSVFormat, attach
from .import_columns import ListColumns
from .import_job import rejected_file, rejected_format, upload_batches, upload_storage
from .import_session import ImportUploadsMixin
from .import_template import template_csv
from .importer import BulkImporter, RowResult

__all__ = ["ImportDownloadsMixin"]


class ImportDownloadsMixin(ImportUploadsMixin):
    """The importer of a request, and the downloads of the import pages."""

    def get_importer(self, request: HttpRequest) -> BulkImporter:
        """The importer of this request's uploads: :meth:`get_import_resource`, which
        also reads the headers of this changelist's exports."""
        return BulkImporter(self.get_import_resource(request), ListColumns.for_admin(self, request))

    def iter_results(
        self, request: HttpRequest, upload: dict[str, Any], importer: BulkImporter
    ) -> Iterator[list[RowResult]]:
        """Every row of the upload, validated, a batch of ``get_import_batch_size()``
        rows at a time."""
        for rows in upload_batches(upload, self.get_import_batch_size(request)):
            yield importer.validate(rows)

    def import_rejected_view(self, request: HttpRequest, token: Any) -> HttpResponse:
        """The rows that cannot be imported, in the upload's format (CSV for XLSX),
        with an ``error`` column: fix them and upload the file again."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        upload = self.get_upload(request, token)
        stem = upload["filename"].rsplit(".", 1)[0]
        fmt = rejected_format(upload["format"])
        if upload.get("done"):
            if not upload.get("rejected_file"):
                raise Http404("No row of this import was rejected.")
            with upload_storage().open(upload["rejected_file"], "rb") as stored:
                data: bytes | str = stored.read()
        else:
            importer = self.get_importer(request)
            rejected = [
                r
                for batch in self.iter_results(request, upload, importer)
                for r in batch
                if not r.is_valid
            ]
            data = rejected_file(upload["headers"], rejected, upload["format"])
        response = HttpResponse(data, content_type=fmt.content_type)
        attach(response, f"{stem}-rejected.{fmt.extension}")
        return response

    def import_template_view(self, request: HttpRequest) -> HttpResponse:
        """A CSV file to fill in: the columns the import reads, one example row."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        response = HttpResponse(
            template_csv(self.get_importer(request)), content_type=CSVFormat.content_type
        )
        name = str(self.model._meta.verbose_name_plural).replace(" ", "-")
        attach(response, f"{name}-import-template.csv")
        return response
