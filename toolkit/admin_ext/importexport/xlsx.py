"""Reading an uploaded XLSX workbook within bounds.

An XLSX file is a zip archive: 76 KB can hold a sheet of a hundred thousand rows each
reaching column XFD, or a shared-strings table of half a gigabyte. Before openpyxl
opens a workbook, :func:`check_workbook` reads the zip directory (the sizes its parts
decompress to) and refuses too many parts, too much data or a part compressed like a
bomb. Rows are then read with openpyxl's read-only mode, never wider than the header
row and never further than Excel's last row, so a sheet without a ``<dimension>`` or
with cells far to the right costs what its data costs.
"""

from __future__ import annotations

import importlib
import io
import struct
import zipfile
from collections.abc import Generator, Iterator
from typing import Any

from .limits import ImportFileError, ImportLimits

__all__ = ["check_workbook", "xlsx_headers", "xlsx_records", "zip_directory"]

#: The last row of an Excel sheet: rows past it are never read.
EXCEL_MAX_ROW = 1_048_576
#: Most parts (files) a workbook's zip may hold; a real one has a few dozen.
MAX_PARTS = 10_000
#: Bytes one part takes in the zip directory at least (its name comes on top).
MIN_PART_ENTRY = 46
#: Parts smaller than this are not held to the compression ratio (tiny XML parts
#: compress very well and cost nothing).
RATIO_FROM_SIZE = 1024 * 1024
#: The zip's "end of central directory" record, and how far from the end it may be.
_END_OF_DIRECTORY = b"PK\x05\x06"
_END_SEARCH = 22 + 65_535


def zip_directory(data: bytes) -> tuple[int, int] | None:
    """The number of parts and the size in bytes of the zip directory, read from its
    last record without parsing the directory; ``None`` when there is no such record."""
    position = data.rfind(_END_OF_DIRECTORY, max(0, len(data) - _END_SEARCH))
    if position < 0 or position + 22 > len(data):
        return None
    parts, size = struct.unpack_from("<HI", data, position + 10)
    return int(parts), int(size)


def check_workbook(data: bytes, limits: ImportLimits) -> None:
    """Refuse a workbook whose zip directory announces more than the limits allow,
    before anything is decompressed."""
    directory = zip_directory(data)
    if directory is None:
        raise ImportFileError("The file ends in .xlsx but is not an Excel workbook.")
    parts, size = directory
    # Python's zipfile reads every entry the directory holds, whatever its count says:
    # the directory's size bounds them too (an entry takes at least 46 bytes).
    if max(parts, size // MIN_PART_ENTRY) >= MAX_PARTS:
        raise ImportFileError(
            f"The workbook holds more than {MAX_PARTS:,} parts; an Excel workbook holds a "
            "few dozen. Save it again from your spreadsheet program."
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, struct.error) as exc:
        raise ImportFileError("The Excel workbook cannot be read; is it damaged?") from exc
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FROM_SIZE and ratio > limits.max_compression_ratio:
            raise ImportFileError(
                f"The workbook's part “{info.filename[:100]}” would grow {ratio:,.0f} times "
                f"when unpacked (at most {limits.max_compression_ratio} is accepted): it "
                "looks like a zip bomb, not a spreadsheet."
            )
    if total > limits.max_decompressed_size:
        raise ImportFileError(
            f"The workbook unpacks to {total:,} bytes; at most "
            f"{limits.max_decompressed_size:,} can be imported at once. "
            "Split it into smaller files."
        )


def _first_sheet(file: Any) -> tuple[Any, Any]:
    load_workbook = importlib.import_module("openpyxl").load_workbook
    workbook = load_workbook(file, read_only=True, data_only=True)
    return workbook, workbook.worksheets[0]


def _header_row(sheet: Any, max_columns: int) -> list[str]:
    """The first row's names, read no wider than ``max_columns`` + 1 cells, without
    the empty cells at its end."""
    row = next(sheet.iter_rows(max_row=1, max_col=max_columns + 1, values_only=True), ())
    headers = [str(h if h is not None else "").strip() for h in row]
    while headers and not headers[-1]:
        headers.pop()
    return headers


def _data_rows(sheet: Any, width: int) -> Iterator[tuple[Any, ...]]:
    """Rows 2 to Excel's last, each ``width`` cells wide (cells to the right of the
    header row are not read), empty rows left out."""
    rows = sheet.iter_rows(
        min_row=2, max_row=EXCEL_MAX_ROW, max_col=max(width, 1), values_only=True
    )
    blank: tuple[Any, ...] | None = None
    for row in rows:
        # openpyxl pads a gap of missing rows with one shared empty tuple: once seen,
        # it is skipped by identity, not cell by cell (a gap can be a million rows).
        if not row or row is blank:
            continue
        if row.count(None) == len(row):
            blank = row
            continue
        yield row


def xlsx_headers(data: bytes, limits: ImportLimits) -> tuple[list[str], int]:
    """The header row and the number of data rows of an uploaded workbook, checked
    against ``limits``; :class:`ImportFileError` says why it cannot be imported."""
    check_workbook(data, limits)
    try:
        workbook, sheet = _first_sheet(io.BytesIO(data))
    except ImportFileError:
        raise
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
        raise ImportFileError("The Excel workbook cannot be read; is it damaged?") from exc
    try:
        headers = _header_row(sheet, limits.max_columns)
        if len(headers) > limits.max_columns:
            raise ImportFileError(
                f"The workbook has more than {limits.max_columns:,} columns; "
                "at most that many can be imported."
            )
        count = 0
        for row in _data_rows(sheet, len(headers)):
            count += 1
            if count > limits.max_rows:
                raise ImportFileError(
                    f"The workbook has more than {limits.max_rows:,} rows; at most that "
                    "many can be imported at once. Split it into smaller files."
                )
            for index, cell in enumerate(row):
                if isinstance(cell, str) and len(cell) > limits.max_cell_length:
                    raise ImportFileError(
                        f"A cell of column “{headers[index][:100]}” holds {len(cell):,} "
                        f"characters; at most {limits.max_cell_length:,} can be imported."
                    )
        return headers, count
    except ImportFileError:
        raise
    except Exception as exc:
        raise ImportFileError("The Excel workbook cannot be read; is it damaged?") from exc
    finally:
        workbook.close()


def xlsx_records(file: Any, headers: list[str] | None = None) -> Generator[dict[str, Any]]:
    """The data rows of a stored workbook (already checked) as dicts keyed by header,
    read lazily and no wider than its header row."""
    workbook, sheet = _first_sheet(file)
    try:
        names = _header_row(sheet, len(headers) if headers else ImportLimits.max_columns)
        for row in _data_rows(sheet, len(names)):
            yield {h: ("" if c is None else c) for h, c in zip(names, row, strict=False)}
    finally:
        workbook.close()
