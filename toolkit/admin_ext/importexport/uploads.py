"""Reading an uploaded file far enough to know it can be imported, within limits.

:func:`inspect_upload` checks a file before anything is stored or written and raises
:class:`~.limits.ImportFileError` with a sentence for the person: not UTF-8, empty, not
what its extension says, too large, too many rows or columns, a cell too long, JSON
nested too deep, a workbook that unpacks to too much. :func:`open_rows` then reads a
stored upload's rows lazily.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext

from . import formats
from .limits import ImportFileError, ImportLimits
from .xlsx import xlsx_headers, xlsx_records

__all__ = [
    "CSV_DELIMITERS",
    "IMPORT_FORMATS",
    "ParsedFile",
    "check_json_depth",
    "decode",
    "inspect_upload",
    "open_rows",
    "sniff_delimiter",
]

#: Upload formats by file extension.
IMPORT_FORMATS = ("csv", "json", "xlsx")

#: Delimiters the CSV sniffer may pick.
CSV_DELIMITERS = ",;\t|"

#: A JSON string (escapes included): its brackets are text, not nesting.
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
#: An innermost JSON array or object: one that holds no bracket.
_JSON_LEAF = re.compile(r"\[[^\[\]{}]*\]|\{[^\[\]{}]*\}")
_JSON_BRACKETS = re.compile(r"[\[\]{}]")


@dataclass
class ParsedFile:
    """An uploaded file read far enough to know it can be imported."""

    format: str
    headers: list[str]
    rows: int
    delimiter: str = ","


def decode(data: bytes) -> str:
    """``data`` as text: UTF-8, with or without a byte-order mark; else a sentence."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            gettext(
                "The file is not UTF-8 text (byte 0x%(byte)s at position %(position)s "
                "cannot be read). Save it as “CSV UTF-8” and upload it again."
            )
            % {"byte": f"{data[exc.start]:02x}", "position": exc.start}
        ) from None


def sniff_delimiter(text: str) -> str:
    """The CSV delimiter of ``text``'s header line, or ``,`` when nothing else fits."""
    header = text.split("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(header, delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        return ","


def check_json_depth(text: str, max_depth: int) -> None:
    """Refuse JSON nested deeper than ``max_depth`` before it is parsed (the parser
    recurses once per level: ``[`` a hundred thousand times would exhaust the stack).

    Strings are blanked, then the innermost arrays and objects are removed, one level
    per pass: what is left after ``max_depth`` passes is nested too deep (or its
    brackets do not match). Each pass is one regular-expression scan of what is left.
    """
    remaining = _JSON_STRING.sub('""', text)
    for _level in range(max_depth):
        remaining, removed = _JSON_LEAF.subn("0", remaining)
        if not removed:
            break
    if _JSON_BRACKETS.search(remaining) is None:
        return
    if _JSON_LEAF.search(remaining) is None:
        raise ImportFileError(gettext("The file is not valid JSON: its brackets do not match."))
    raise ImportFileError(
        gettext(
            "The JSON file is nested more than %(depth)s levels deep; an import file is "
            "a list of objects, one per row."
        )
        % {"depth": max_depth}
    )


def _check_cells(cells: Any, headers: list[str], row: int, limits: ImportLimits) -> None:
    for index, cell in enumerate(cells):
        if isinstance(cell, str) and len(cell) > limits.max_cell_length:
            column = headers[index] if index < len(headers) else str(index + 1)
            raise ImportFileError(
                gettext(
                    "Row %(row)s, column “%(column)s” holds %(count)s characters; at most "
                    "%(limit)s can be imported."
                )
                % {
                    "row": row,
                    "column": column[:100],
                    "count": number_format(len(cell), force_grouping=True),
                    "limit": number_format(limits.max_cell_length, force_grouping=True),
                }
            )


def _too_many_rows(limits: ImportLimits) -> ImportFileError:
    return ImportFileError(
        gettext(
            "The file has more than %(limit)s rows; at most that many can be imported at "
            "once. Split it into smaller files."
        )
        % {"limit": number_format(limits.max_rows, force_grouping=True)}
    )


def _too_many_columns(count: int, limits: ImportLimits) -> ImportFileError:
    return ImportFileError(
        gettext("The file has %(count)s columns; at most %(limit)s can be imported.")
        % {
            "count": number_format(count, force_grouping=True),
            "limit": number_format(limits.max_columns, force_grouping=True),
        }
    )


def open_rows(
    path_or_file: Any, fmt: str, delimiter: str = ",", headers: list[str] | None = None
) -> Generator[dict[str, Any]]:
    """The data rows of a stored (already inspected) upload as dicts keyed by header,
    read lazily for CSV and XLSX."""
    if fmt == "csv":
        text = io.TextIOWrapper(path_or_file, encoding="utf-8-sig", newline="")
        try:
            yield from csv.DictReader(text, delimiter=delimiter)
        finally:
            text.detach()
    elif fmt == "json":
        data = json.loads(decode(path_or_file.read()))
        for item in data:
            yield {str(k): ("" if v is None else v) for k, v in item.items()}
    else:
        yield from xlsx_records(path_or_file, headers)


def inspect_upload(
    data: bytes, filename: str, max_size: int | None = None, limits: ImportLimits | None = None
) -> ParsedFile:
    """Check an upload before anything is stored or written; raise
    :class:`ImportFileError` with the reason it cannot be imported."""
    limits = limits or ImportLimits()
    if max_size is not None:
        limits = dataclasses.replace(limits, max_upload_size=max_size)
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in IMPORT_FORMATS:
        raise ImportFileError(
            f"Files ending in “.{extension[:20]}” cannot be imported; upload a "
            + ", ".join(f".{f}" for f in IMPORT_FORMATS)
            + " file."
        )
    if len(data) > limits.max_upload_size:
        raise ImportFileError(
            f"The file is {len(data):,} bytes; at most {limits.max_upload_size:,} can be "
            "imported at once. Split it into smaller files."
        )
    if not data.strip():
        raise ImportFileError("The file is empty.")
    is_zip = data.startswith(b"PK\x03\x04")
    if extension == "xlsx":
        if not is_zip:
            raise ImportFileError("The file ends in .xlsx but is not an Excel workbook.")
        if not formats.HAS_OPENPYXL:
            raise ImportFileError("XLSX files cannot be read on this site; upload a CSV file.")
        headers, count = xlsx_headers(data, limits)
        if not count:
            raise ImportFileError("The workbook has no rows to import.")
        return ParsedFile("xlsx", headers, count)
    if is_zip or b"\x00" in data[:8192]:
        raise ImportFileError(
            f"The file ends in .{extension} but is not text (it looks like a binary file, "
            "a spreadsheet or an archive). Export it as .csv and upload it again."
        )
    text = decode(data)
    if extension == "json":
        return _inspect_json(text, limits)
    return _inspect_csv(text, limits)


def _inspect_json(text: str, limits: ImportLimits) -> ParsedFile:
    check_json_depth(text, limits.max_json_depth)
    try:
        items = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ImportFileError(f"The file is not valid JSON: {exc}.") from None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ImportFileError("The JSON file must hold a list of objects, one per row.")
    if not items:
        raise ImportFileError("The file has no rows to import.")
    if len(items) > limits.max_rows:
        raise _too_many_rows(limits)
    headers = list(dict.fromkeys(str(k) for item in items for k in item))
    if len(headers) > limits.max_columns:
        raise _too_many_columns(len(headers), limits)
    for number, item in enumerate(items, start=2):  # as a spreadsheet counts them
        _check_cells(item.values(), [str(k) for k in item], number, limits)
    return ParsedFile("json", headers, len(items))


def _inspect_csv(text: str, limits: ImportLimits) -> ParsedFile:
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    count = 0
    try:
        headers = [h.strip() for h in next(reader, [])]
        if len(headers) > limits.max_columns:
            raise _too_many_columns(len(headers), limits)
        _check_cells(headers, headers, 1, limits)
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            count += 1
            if count > limits.max_rows:
                raise _too_many_rows(limits)
            if len(row) > limits.max_columns:
                raise _too_many_columns(len(row), limits)
            _check_cells(row, headers, reader.line_num, limits)
    except csv.Error as exc:
        raise ImportFileError(f"The CSV file cannot be read: {exc}.") from None
    if not any(headers):
        raise ImportFileError("The file has no header row.")
    if not count:
        raise ImportFileError("The file has a header row but no rows to import.")
    return ParsedFile("csv", headers, count, delimiter)
