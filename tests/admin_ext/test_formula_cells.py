"""No file the import/export writes holds a live formula: every formula sign, behind
every character a spreadsheet skips, in every format, headers and rejected rows too."""

from __future__ import annotations

import csv
import io
import json
import unicodedata

import pytest

from toolkit.admin_ext.importexport import HAS_OPENPYXL, neutralise
from toolkit.admin_ext.importexport.cells import FORMULA_SIGNS
from toolkit.admin_ext.importexport.formats import CSVFormat, CSVRows, JSONFormat, XLSXFormat
from toolkit.admin_ext.importexport.import_job import rejected_file
from toolkit.admin_ext.importexport.importer import RowResult

NEEDS_OPENPYXL = pytest.mark.skipif(not HAS_OPENPYXL, reason="XLSX needs the `xlsx` extra")

#: The signs a formula starts with, ASCII and the forms spreadsheets read as them.
SIGNS = ["=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20", "\ufe66", "\u2212"]
#: Characters a spreadsheet skips before the first significant one: every control
#: character (C0, DEL, C1), every Unicode space and line break, zero-width characters.
SKIPPED = sorted(
    {chr(c) for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)]}
    | {chr(c) for c in range(0x10000) if chr(c).isspace()}
    | {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"}
)
PAYLOAD = 'HYPERLINK("http://evil.example","x")'
#: One cell per (leading characters, sign): bare, behind one skipped character, and
#: behind runs of them.
HOSTILE = [
    *(sign + PAYLOAD for sign in SIGNS),
    *(lead + sign + PAYLOAD for lead in SKIPPED for sign in SIGNS),
    *(" \x01\t" + sign + PAYLOAD for sign in SIGNS),
    *("\x00\x0b\x01" + sign + PAYLOAD for sign in SIGNS),
    "\tcalc",
    "\rcalc",
]


def runs_as_formula(text):
    """Whether a spreadsheet would read ``text`` as a formula: its first character
    that is not skipped is a sign (a leading quote makes it text)."""
    for char in text:
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf"):
            continue
        return char in FORMULA_SIGNS
    return False


def test_the_cases_are_formulas_unless_neutralised():
    assert all(runs_as_formula(cell) for cell in HOSTILE if cell[0] not in "\t\r")
    assert not any(runs_as_formula(neutralise(cell)) for cell in HOSTILE)
    assert all(neutralise(cell).startswith("'") for cell in HOSTILE)


def test_plain_text_and_numbers_are_left_alone():
    for value in ["plain", "", " spaced", "\u00e9t\u00e9", "12-3", "a=b", "'quoted", -5, 1.5]:
        assert neutralise(value) == value


def csv_cells(text):
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def test_csv_stores_every_cell_and_header_neutralised():
    text = "".join(CSVFormat(HOSTILE).write_stream([HOSTILE], batch_size=10))
    cells = csv_cells(text)
    assert len(cells) == 2 * len(HOSTILE)
    assert all(cell.startswith("'") for cell in cells)


def test_csv_of_a_negative_number_stays_a_number():
    assert CSVRows().render([[-5, "-5"]]) == "-5,'-5\r\n"


def test_json_stores_every_value_and_key_neutralised():
    writer = JSONFormat(["=key", "ok"])
    rows = json.loads("".join(writer.write_stream([[cell, -3] for cell in HOSTILE], batch_size=7)))
    assert len(rows) == len(HOSTILE)
    for row, cell in zip(rows, HOSTILE, strict=True):
        assert row == {"'=key": "'" + cell, "ok": -3}


@NEEDS_OPENPYXL
def test_xlsx_stores_every_cell_neutralised_after_stripping_what_xml_cannot_hold():
    from openpyxl import load_workbook

    out = io.BytesIO()
    XLSXFormat(HOSTILE).write_file([HOSTILE, [-5, 2.5, None]], out)
    workbook = load_workbook(io.BytesIO(out.getvalue()))
    cells = [cell for row in workbook.active.iter_rows() for cell in row]
    text = [cell for cell in cells if isinstance(cell.value, str)]
    assert len(text) == 2 * len(HOSTILE)
    assert all(cell.data_type != "f" for cell in cells)  # no formula was stored
    assert all(cell.value.startswith("'") for cell in text)
    # "\x01=HYPERLINK(...)": XLSX drops the \x01 and keeps the quote in front of "=".
    assert "'=" + PAYLOAD in [cell.value for cell in text]
    assert [c.value for c in workbook.active[3][:3]] == [-5, 2.5, None]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_rejected_rows_files_neutralise_uploaded_headers_values_and_errors(fmt):
    headers = ['=HYPERLINK("x")', "\x01+name"]
    rejected = [
        RowResult(
            number=2,
            values={headers[0]: cell, headers[1]: "-1+1"},
            errors={"__all__": ["@error " + cell]},
        )
        for cell in HOSTILE
    ]
    body = rejected_file(headers, rejected, fmt)
    if fmt == "csv":
        cells = csv_cells(body)
    else:
        rows = json.loads(body)
        cells = [text for row in rows for pair in row.items() for text in pair]
    written = [cell for cell in cells if cell != "error"]  # the column the file adds
    assert len(written) == 3 * len(HOSTILE) + 2 * (len(HOSTILE) if fmt == "json" else 1)
    assert all(cell.startswith("'") for cell in written)
