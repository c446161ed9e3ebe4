"""How much of an uploaded file an import reads before it refuses it.

A file is checked against these limits before it is stored, with the cheap checks first
(size, then an XLSX workbook's zip directory, then nesting and rows while reading), so
that a hostile file costs a request a fraction of a second and no memory to speak of.
``ImportMixin`` builds them per request from its ``import_max_*`` attributes and
``get_import_max_*()`` hooks.
"""

from __future__ import annotations

from dataclasses import dataclass

from toolkit.exceptions import ImportFileError

__all__ = ["ImportFileError", "ImportLimits"]


@dataclass(frozen=True)
class ImportLimits:
    """The limits one upload is read under; the defaults are ``ImportMixin``'s."""

    #: Largest upload, in bytes.
    max_upload_size: int = 50 * 1024 * 1024
    #: Most data rows (the header row not counted).
    max_rows: int = 1_000_000
    #: Most columns.
    max_columns: int = 500
    #: Most characters in one cell (Excel's own limit).
    max_cell_length: int = 32_767
    #: Most bytes an XLSX workbook's parts may decompress to, all together.
    max_decompressed_size: int = 200 * 1024 * 1024
    #: Most times a part of a workbook may be smaller compressed than not: real
    #: workbooks compress 5 to 30 times, zip bombs thousands of times.
    max_compression_ratio: int = 100
    #: Deepest nesting of a JSON file (a list of objects is 2).
    max_json_depth: int = 20
