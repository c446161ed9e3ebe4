"""Export what the changelist shows, safely and at any size; import files with a preview.

:class:`ExportMixin` adds an "Export selected as ..." action to a ``ModelAdmin`` for
each format it lists in ``export_formats`` (none by default: an admin that works today
is unchanged): the built-in CSV, XLSX and JSON by name, or a project's own
:class:`Format` subclass (:mod:`.formats`). The export holds exactly what the person
sees: the changelist's search, filters and selection (or every filtered row with
"select all"), and its ``list_display`` columns (:mod:`.columns`).

Safe by default: every text cell whose first significant character would make a
spreadsheet run it as a formula gets a leading ``'``, in every format and in every file
the import/export writes (:mod:`.cells`). Numbers, negative ones too, stay numbers.
JSON is neutralised too unless ``export_neutralise_json = False``.

Flat memory: rows are read a chunk at a time and written as they come; selections
above ``export_background_threshold`` rows run as a background job (:mod:`.export_job`)
that writes the file with the same :class:`Format`. The options are checked by
:mod:`.checks`.

:class:`ImportMixin` imports a CSV, JSON or XLSX file through a django-import-export
``ModelResource`` (``import_resource_class``; none by default): upload, checked within
limits (:mod:`.uploads`, :mod:`.xlsx`) and kept for the person (:mod:`.import_session`),
a paginated preview of every row's errors, then a single-use confirmation
(:mod:`.confirmations`) or a Cancel; rows are written a batch at a time
(:mod:`.importer`), large files by a background job (:mod:`.import_job`).

A file exported from the changelist imports back as it is: its headers are the list's
labels (:mod:`.import_columns`), its related objects their ``str()`` and its choices
their labels (:mod:`.display_values`), its neutralised cells read back
(:func:`unneutralise`); rows it would not change are skipped, and computed columns are
ignored with a note. The import page offers a template to fill in
(:mod:`.import_template`).
"""

from __future__ import annotations

from .cells import FORMULA_PREFIXES, neutralise, unneutralise
from .checks import ExportChecks, ImportChecks
from .columns import ListDisplayResource, iter_queryset_rows, iter_rows
from .display_values import RelatedValues
from .export_admin import ExportMixin
from .export_job import ExportJobHandler
from .formats import (
    FORMATS,
    HAS_OPENPYXL,
    CSVFormat,
    Format,
    JSONFormat,
    WholeFileFormat,
    XLSXFormat,
)
from .import_admin import ImportExportMixin, ImportMixin
from .import_columns import ImportColumns, ListColumns
from .import_job import ImportJobHandler, read_batches, read_csv_batch, upload_storage
from .import_session import SESSION_KEY
from .importer import BulkImporter, RowResult
from .limits import ImportFileError, ImportLimits
from .uploads import IMPORT_FORMATS, ParsedFile, inspect_upload

__all__ = [
    "FORMATS",
    "FORMULA_PREFIXES",
    "HAS_OPENPYXL",
    "IMPORT_FORMATS",
    "SESSION_KEY",
    "BulkImporter",
    "CSVFormat",
    "ExportChecks",
    "ExportJobHandler",
    "ExportMixin",
    "Format",
    "ImportChecks",
    "ImportColumns",
    "ImportExportMixin",
    "ImportFileError",
    "ImportJobHandler",
    "ImportLimits",
    "ImportMixin",
    "JSONFormat",
    "ListColumns",
    "ListDisplayResource",
    "ParsedFile",
    "RelatedValues",
    "RowResult",
    "WholeFileFormat",
    "XLSXFormat",
    "inspect_upload",
    "iter_queryset_rows",
    "iter_rows",
    "neutralise",
    "read_batches",
    "read_csv_batch",
    "unneutralise",
    "upload_storage",
]
