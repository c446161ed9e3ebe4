"""The file formats exports and rejected-rows files are written in: a family of
:class:`Format` classes, CSV, JSON and XLSX built in.

One object writes one file, and both paths use it: a request streams the whole file
(:meth:`Format.write_stream`), a background job writes one part per chunk
(:meth:`Format.write_part`) that the job layer puts between :meth:`Format.start` and
:meth:`Format.finish`. A format whose file is not its parts one after another (a
workbook is a zip) is a :class:`WholeFileFormat`: its job parts hold plain values and
:meth:`WholeFileFormat.assemble` writes the file once at the end.

Every cell goes through the format's :meth:`Format.cell` before the format sees it, and
the built-in cells are those of :mod:`.cells`: a format written in a project is
neutralised as the built-in ones are. A new format is a subclass naming itself and
writing rows of cells::

    class TSVFormat(Format):
        name, label, extension = "tsv", "TSV", "tsv"
        content_type = "text/tab-separated-values; charset=utf-8"

        def start(self):
            return self.write_rows([self.header], first=True)

        def write_rows(self, rows, *, first):
            return "".join("\\t".join(row) + "\\n" for row in rows)

and ``export_formats = ["csv", TSVFormat]`` offers it.
"""

from __future__ import annotations

import csv
import importlib
import importlib.util
import io
import json
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import IO, Any, ClassVar

from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

from .cells import csv_cell, csv_row, json_cell, text_cell, xlsx_cell
from .columns import batched

__all__ = [
    "FORMATS",
    "HAS_OPENPYXL",
    "CSVFormat",
    "CSVRows",
    "Format",
    "JSONFormat",
    "WholeFileFormat",
    "XLSXFormat",
    "attach",
    "format_problem",
    "json_line",
    "resolve_format",
]

#: Whether openpyxl, needed for XLSX, is installed (``pip install django-toolkit[xlsx]``).
HAS_OPENPYXL = importlib.util.find_spec("openpyxl") is not None

#: What a format's name may be: it becomes the action ``export_as_<name>``.
_NAME = re.compile(r"[a-z0-9_]+")

#: Rows per part when a whole file is written at once.
DEFAULT_BATCH_SIZE = 2000


def attach(response: HttpResponseBase, filename: str) -> HttpResponseBase:
    """Make ``response`` a download named ``filename``. Django's RFC 6266 header:
    names with quotes, non-ASCII or control characters are encoded, never break it."""
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


class Format:
    """One export file format: its name, and how rows of cells become its text.

    Subclass it, set the four class attributes, and define :meth:`write_rows` (and
    :meth:`start` / :meth:`finish` when the file has a beginning or an end). An instance
    writes one file of ``headers`` columns; ``safe`` says whether formula-like text is
    neutralised (see :attr:`neutralise_always`).
    """

    #: Its name in ``export_formats``, in the action ``export_as_<name>`` and in job
    #: parameters: lower-case letters, digits and underscores.
    name: ClassVar[str] = ""
    #: What the action and the messages call it: "Export selected products as <label>".
    label: ClassVar[str] = ""
    #: The file name's extension, without the dot.
    extension: ClassVar[str] = ""
    #: The download's ``Content-Type``.
    content_type: ClassVar[str] = ""
    #: ``False`` for formats read by programs more than by spreadsheets (JSON): the
    #: admin's ``export_neutralise_json = False`` then leaves their text untouched.
    neutralise_always: ClassVar[bool] = True
    #: Why :meth:`is_available` says no, and how to fix it (system check toolkit.W070).
    unavailable_reason: ClassVar[str] = "it cannot be written on this site"
    unavailable_hint: ClassVar[str] = ""

    def __init__(self, headers: Sequence[Any], *, safe: bool = True) -> None:
        self.safe = safe
        #: The header row, as cells: a header is neutralised like any other cell.
        self.header = self.cells(headers)

    @classmethod
    def is_available(cls) -> bool:
        """Whether this site can write the format (override when it needs a library)."""
        return True

    # -- cells ----------------------------------------------------------------------

    def cell(self, value: Any) -> Any:
        """``value`` as the file stores it, neutralised when :attr:`safe`: text, as CSV
        stores it. Override with another function of :mod:`.cells` for other kinds of
        cells (JSON values, workbook cells)."""
        return csv_cell(value, self.safe)

    def cells(self, row: Iterable[Any]) -> list[Any]:
        """One row's cells (:meth:`cell` of each value)."""
        cell = self.cell
        return [cell(value) for value in row]

    # -- what a subclass writes -------------------------------------------------------

    def start(self) -> str | bytes:
        """What the file holds before its first row: a header row, an opening bracket."""
        return ""

    def write_rows(self, rows: Sequence[list[Any]], *, first: bool) -> str | bytes:
        """``rows`` of cells (already through :meth:`cell`) as the file's text; ``first``
        says whether any row was written before them (a separator goes between rows)."""
        raise NotImplementedError(f"{type(self).__name__} must define write_rows().")

    def finish(self) -> str | bytes:
        """What the file holds after its last row: a closing bracket."""
        return ""

    # -- writing a file ---------------------------------------------------------------

    def write_part(self, rows: Iterable[Sequence[Any]], *, first: bool = True) -> str | bytes:
        """A part of the file: ``rows`` of values, each cell made safe, then written.
        A background job writes one per chunk."""
        return self.write_rows([self.cells(row) for row in rows], first=first)

    def write_stream(
        self, rows: Iterable[Sequence[Any]], *, batch_size: int = DEFAULT_BATCH_SIZE
    ) -> Iterator[str | bytes]:
        """The whole file, a batch of rows at a time, in constant memory."""
        if start := self.start():
            yield start
        first = True
        for batch in batched(rows, batch_size):
            yield self.write_part(batch, first=first)
            first = False
        if end := self.finish():
            yield end


class CSVFormat(Format):
    """Comma-separated values, the header row first."""

    name = "csv"
    label = "CSV"
    extension = "csv"
    content_type = "text/csv; charset=utf-8"

    def __init__(self, headers: Sequence[Any], *, safe: bool = True) -> None:
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer)
        super().__init__(headers, safe=safe)

    def cells(self, row: Iterable[Any]) -> list[Any]:
        return csv_row(row, self.safe)

    def start(self) -> str:
        return self.write_rows([self.header], first=True)

    def write_rows(self, rows: Sequence[list[Any]], *, first: bool) -> str:
        self.writer.writerows(rows)
        text = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return text


class JSONFormat(Format):
    """A list of objects keyed by the headers: numbers stay numbers, decimals exact."""

    name = "json"
    label = "JSON"
    extension = "json"
    content_type = "application/json; charset=utf-8"
    neutralise_always = False

    def cell(self, value: Any) -> str:
        return json_cell(value, self.safe)

    def start(self) -> str:
        return "["

    def write_rows(self, rows: Sequence[list[Any]], *, first: bool) -> str:
        header = self.header
        return "".join(
            ("\n" if first and index == 0 else ",\n")
            + "{"
            + ", ".join(f"{key}: {value}" for key, value in zip(header, row, strict=True))
            + "}"
            for index, row in enumerate(rows)
        )

    def finish(self) -> str:
        return "\n]\n"


def json_line(row: Sequence[Any]) -> str:
    """A row as one line of plain JSON values, as the job parts of a
    :class:`WholeFileFormat` keep them until the file is written (decimals as floats:
    Excel's numbers; dates as text)."""
    values = [
        float(v)
        if isinstance(v, Decimal)
        else v
        if isinstance(v, (bool, int, float, str)) or v is None
        else text_cell(v)
        for v in row
    ]
    return json.dumps(values) + "\n"


class WholeFileFormat(Format):
    """A format written in one go, not part after part (a workbook is a zip).

    Define :meth:`write_file`. A background job keeps its rows as JSON lines of plain
    values (:func:`json_line`) and :meth:`assemble` writes the file from them at the
    end; cells are made safe there, as they are stored.
    """

    def write_file(self, rows: Iterable[Sequence[Any]], out: IO[bytes]) -> None:
        """Write the whole file of ``rows`` (values) to the binary file ``out``."""
        raise NotImplementedError(f"{type(self).__name__} must define write_file().")

    def write_part(self, rows: Iterable[Sequence[Any]], *, first: bool = True) -> str:
        return "".join(json_line(row) for row in rows)

    def assemble(self, parts: Iterable[IO[bytes]], out: IO[bytes]) -> None:
        """Write the file to ``out`` from a job's parts (files of :meth:`write_part`)."""
        self.write_file((json.loads(line) for part in parts for line in part), out)

    def write_stream(
        self, rows: Iterable[Sequence[Any]], *, batch_size: int = DEFAULT_BATCH_SIZE
    ) -> Iterator[bytes]:
        with tempfile.TemporaryFile() as out:
            self.write_file(rows, out)
            out.seek(0)
            while block := out.read(1024 * 1024):
                yield block


class XLSXFormat(WholeFileFormat):
    """An Excel workbook of one sheet, written with openpyxl's write-only mode, which
    keeps one row in memory, not the sheet."""

    name = "xlsx"
    label = "XLSX"
    extension = "xlsx"
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    unavailable_reason = "openpyxl is not installed"
    unavailable_hint = "pip install 'django-toolkit[xlsx]' (or openpyxl)."

    @classmethod
    def is_available(cls) -> bool:
        return HAS_OPENPYXL

    def cell(self, value: Any) -> Any:
        return xlsx_cell(value, self.safe)

    def write_file(self, rows: Iterable[Sequence[Any]], out: IO[bytes]) -> None:
        workbook = importlib.import_module("openpyxl").Workbook(write_only=True)
        sheet = workbook.create_sheet("Export")
        sheet.append(self.header)
        for row in rows:
            sheet.append(self.cells(row))
        workbook.save(out)


#: The built-in formats by name: what a name in ``export_formats`` may say.
FORMATS: dict[str, type[Format]] = {f.name: f for f in (CSVFormat, XLSXFormat, JSONFormat)}


def resolve_format(
    entry: str | type[Format], known: Iterable[type[Format]] = ()
) -> type[Format] | None:
    """The Format class ``entry`` stands for: a Format class itself, or a name among
    ``known`` classes and then the built-in ones; ``None`` when nothing matches."""
    if isinstance(entry, type):
        return entry if issubclass(entry, Format) else None
    if not isinstance(entry, str):
        return None
    for format_class in known:
        if format_class.name == entry:
            return format_class
    return FORMATS.get(entry)


def format_problem(entry: Any) -> str:
    """Why ``entry`` cannot be listed in ``export_formats`` (an unknown name, a class
    that is not a complete :class:`Format`); ``""`` when it can."""
    format_class = resolve_format(entry)
    if format_class is None:
        if isinstance(entry, str):
            return f"{entry!r} is not a format name (built in: {', '.join(map(repr, FORMATS))})"
        return f"{entry!r} is neither a format name nor a Format subclass"
    missing = [
        attr
        for attr in ("name", "label", "extension", "content_type")
        if not getattr(format_class, attr, "")
    ]
    if missing:
        return f"{format_class.__name__} does not set {', '.join(missing)}"
    if not _NAME.fullmatch(format_class.name):
        return (
            f"{format_class.__name__}.name {format_class.name!r} must be lower-case "
            "letters, digits and underscores"
        )
    whole = issubclass(format_class, WholeFileFormat)
    method = "write_file" if whole else "write_rows"
    base = WholeFileFormat if whole else Format
    if getattr(format_class, method) is getattr(base, method):
        return f"{format_class.__name__} does not define {method}()"
    return ""


class CSVRows:
    """Rows as CSV text, a batch at a time, each cell neutralised when ``safe``: for
    files that are not exports (the AI digest's CSV)."""

    def __init__(self, safe: bool = True) -> None:
        self.format = CSVFormat((), safe=safe)

    def render(self, rows: Iterable[Sequence[Any]]) -> str:
        return str(self.format.write_part(rows))
