"""The file formats exports and rejected-rows files are written in: CSV, XLSX, JSON.

Writers take rows of values and write each cell through :mod:`.cells`, so that a cell
is neutralised as it will be stored. CSV and JSON are streamed a batch of rows at a
time; XLSX goes through openpyxl's write-only mode, which keeps one row in memory.
"""

from __future__ import annotations

import csv
import importlib
import importlib.util
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

from .cells import csv_cell, json_cell, text_cell, xlsx_cell
from .columns import batched

__all__ = [
    "FORMATS",
    "HAS_OPENPYXL",
    "CSVRows",
    "ExportFormat",
    "attach",
    "json_line",
    "json_object",
    "stream_csv",
    "stream_json",
    "write_xlsx",
]

#: Whether openpyxl, needed for XLSX, is installed (``pip install django-toolkit[xlsx]``).
HAS_OPENPYXL = importlib.util.find_spec("openpyxl") is not None


@dataclass(frozen=True)
class ExportFormat:
    """One export format: its name in actions and URLs, file extension, content type."""

    name: str
    extension: str
    content_type: str
    label: str


FORMATS: dict[str, ExportFormat] = {
    "csv": ExportFormat("csv", "csv", "text/csv; charset=utf-8", "CSV"),
    "xlsx": ExportFormat(
        "xlsx",
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "XLSX",
    ),
    "json": ExportFormat("json", "json", "application/json; charset=utf-8", "JSON"),
}


def attach(response: HttpResponseBase, filename: str) -> HttpResponseBase:
    """Make ``response`` a download named ``filename``. Django's RFC 6266 header:
    names with quotes, non-ASCII or control characters are encoded, never break it."""
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


class CSVRows:
    """Turns rows into CSV text, a batch at a time; cells neutralised when ``safe``."""

    def __init__(self, safe: bool = True) -> None:
        self.safe = safe
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer)

    def render(self, rows: Iterable[Sequence[Any]]) -> str:
        safe = self.safe
        self.writer.writerows([csv_cell(cell, safe) for cell in row] for row in rows)
        text = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return text


def json_object(headers: Sequence[str], row: Sequence[Any], safe: bool = True) -> str:
    """One row as a JSON object keyed by ``headers`` (keys are cells too)."""
    return (
        "{"
        + ", ".join(
            f"{json_cell(h, safe)}: {json_cell(c, safe)}" for h, c in zip(headers, row, strict=True)
        )
        + "}"
    )


def stream_csv(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], batch: int, safe: bool = True
) -> Iterator[str]:
    out = CSVRows(safe)
    yield out.render([headers])
    for group in batched(rows, batch):
        yield out.render(group)


def stream_json(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], batch: int, safe: bool = True
) -> Iterator[str]:
    yield "["
    first = True
    for group in batched(rows, batch):
        parts = []
        for row in group:
            parts.append(("\n" if first else ",\n") + json_object(headers, row, safe))
            first = False
        yield "".join(parts)
    yield "\n]\n"


def write_xlsx(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], target: Any, safe: bool = True
) -> None:
    """Write an XLSX workbook to ``target`` (a path or binary file) in write-only mode:
    openpyxl then keeps one row in memory, not the sheet."""
    workbook = importlib.import_module("openpyxl").Workbook(write_only=True)
    sheet = workbook.create_sheet("Export")
    sheet.append([xlsx_cell(h, safe) for h in headers])
    for row in rows:
        sheet.append([xlsx_cell(cell, safe) for cell in row])
    workbook.save(target)


def json_line(row: Sequence[Any]) -> str:
    """A row as one line of plain JSON values, as the XLSX parts of a background
    export keep them until the workbook is written (decimals as floats: Excel's
    numbers; dates as text)."""
    values = [
        float(v)
        if isinstance(v, Decimal)
        else v
        if isinstance(v, (bool, int, float, str)) or v is None
        else text_cell(v)
        for v in row
    ]
    return json.dumps(values) + "\n"
