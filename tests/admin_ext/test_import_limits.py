"""An upload is read within limits: a hostile file (zip bomb, sheet without bounds,
JSON nested a hundred thousand deep, too many rows, columns or characters) is refused
with a sentence, quickly and without growing the process."""

from __future__ import annotations

import email.message
import io
import json
import re
import time
import tracemalloc
import zipfile

import pytest
from django.core.cache import cache
from django.utils.http import content_disposition_header

from demo.catalog.models import Product
from tests.admin_ext.site_importexport import ProductAdmin
from tests.admin_ext.test_import import (  # noqa: F401 (refs: a fixture, used by pytestmark)
    HEADERS,
    IMMEDIATE,
    csv_bytes,
    refs,
    row,
    stored_uploads,
    upload,
)
from toolkit.admin_ext.importexport import HAS_OPENPYXL, ImportFileError, ImportLimits
from toolkit.admin_ext.importexport.uploads import check_json_depth, inspect_upload

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.urls("tests.admin_ext.site_importexport"),
    pytest.mark.usefixtures("refs"),
]
NEEDS_OPENPYXL = pytest.mark.skipif(not HAS_OPENPYXL, reason="XLSX needs the `xlsx` extra")
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


@pytest.fixture(autouse=True)
def immediate_tasks(settings, tmp_path):
    settings.TASKS = IMMEDIATE
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()


def error_of(response):
    found = re.findall(r'<p class="errornote" role="alert">(.*?)</p>', response.content.decode())
    return found[0] if found else ""


def workbook(sheet_xml=None, shared_strings=None, extra_parts=0):
    """An XLSX file: openpyxl's own parts, with the first sheet's XML (and a shared
    strings table, and empty parts) replaced as a hostile file would."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(HEADERS)
    book.active.append([row("X-1")[h] for h in HEADERS])
    out = io.BytesIO()
    book.save(out)
    parts = {}
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    if sheet_xml is not None:
        parts["xl/worksheets/sheet1.xml"] = sheet_xml.encode()
    if shared_strings is not None:
        parts["xl/sharedStrings.xml"] = shared_strings.encode()
        types = (
            parts["[Content_Types].xml"]
            .decode()
            .replace(
                "</Types>",
                '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
            )
        )
        parts["[Content_Types].xml"] = types.encode()
        rels = (
            parts["xl/_rels/workbook.xml.rels"]
            .decode()
            .replace(
                "</Relationships>",
                '<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/'
                '2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
            )
        )
        parts["xl/_rels/workbook.xml.rels"] = rels.encode()
    for index in range(extra_parts):
        parts[f"customXml/item{index}.xml"] = b""
    result = io.BytesIO()
    with zipfile.ZipFile(result, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return result.getvalue()


def sheet(rows):
    """A sheet without a <dimension>: openpyxl cannot know its size in advance."""
    header = "".join(
        f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{h}</t></is></c>'
        for i, h in enumerate(HEADERS)
    )
    return (
        f'<worksheet xmlns="{SHEET_NS}"><sheetData><row r="1">{header}</row>{rows}'
        "</sheetData></worksheet>"
    )


def timed_upload(client, data, name, memory=False):
    """The response to uploading ``data``, the CPU seconds the request took, and (with
    ``memory``) the most memory it held, measured in a second upload: tracing slows
    Python down."""
    started = time.process_time()
    response = upload(client, data, name)
    seconds = time.process_time() - started
    if not memory:
        return response, seconds, None
    tracemalloc.start()
    try:
        upload(client, data, name)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return response, seconds, peak


# -- XLSX -----------------------------------------------------------------------------


@NEEDS_OPENPYXL
def test_a_shared_strings_bomb_is_refused_before_openpyxl_opens_it(client, superuser, monkeypatch):
    strings = "".join(f"<si><t>{'A' * 100_000}</t></si>" for _ in range(500))  # 50 MB
    data = workbook(shared_strings=f'<sst xmlns="{SHEET_NS}">{strings}</sst>')
    assert len(data) < 1_000_000

    def never(*args, **kwargs):
        raise AssertionError("openpyxl opened the bomb")

    monkeypatch.setattr("openpyxl.load_workbook", never)
    client.force_login(superuser)
    response, seconds, peak = timed_upload(client, data, "products.xlsx", memory=True)
    assert response.status_code == 400
    assert "looks like a zip bomb" in error_of(response)
    assert seconds < 1 and peak < 20_000_000
    assert stored_uploads() == []


@NEEDS_OPENPYXL
def test_a_sheet_of_identical_rows_far_to_the_right_is_refused_at_once(client, superuser):
    rows = '<row><c r="XFD1" t="inlineStr"><is><t>x</t></is></c></row>' * 200_000
    data = workbook(sheet(rows))
    client.force_login(superuser)
    response, seconds, _peak = timed_upload(client, data, "products.xlsx")
    assert response.status_code == 400
    assert "looks like a zip bomb" in error_of(response)
    assert seconds < 1


@NEEDS_OPENPYXL
def test_cells_far_to_the_right_cost_only_their_data(client, superuser, monkeypatch):
    """Every row reaches column XFD and the sheet has no <dimension>: openpyxl would
    pad each row to 16,384 cells (a 76 KB file held a request for 9 to 19 s). Rows
    are read as wide as the header row, never wider."""
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    widths = []
    get_row = ReadOnlyWorksheet._get_row

    def measured(self, *args, **kwargs):
        cells = get_row(self, *args, **kwargs)
        widths.append(len(cells))
        return cells

    monkeypatch.setattr(ReadOnlyWorksheet, "_get_row", measured)
    rows = "".join(
        f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>W-{i}</t></is></c>'
        f'<c r="XFD{i}" t="inlineStr"><is><t>x</t></is></c></row>'
        for i in range(2, 5_002)
    )
    data = workbook(sheet(rows))
    client.force_login(superuser)
    response, seconds, _peak = timed_upload(client, data, "products.xlsx")
    assert response.status_code == 302
    assert client.session["toolkit_imports"].popitem()[1]["rows"] == 5_000
    # The header row is read up to one past the column limit (to say "too many
    # columns"); every other row as wide as the header.
    wider = [width for width in widths if width > len(HEADERS)]
    assert len(wider) == 1 and max(wider) <= ImportLimits().max_columns + 1
    assert seconds < 1


@NEEDS_OPENPYXL
def test_a_gap_to_excels_last_row_is_read_in_a_moment(client, superuser):
    cells = "".join(
        f'<c r="{chr(65 + i)}1048576" t="inlineStr"><is><t>{row("LAST")[h]}</t></is></c>'
        for i, h in enumerate(HEADERS)
    )
    data = workbook(sheet(f'<row r="1048576">{cells}</row>'))
    client.force_login(superuser)
    response, seconds, _peak = timed_upload(client, data, "products.xlsx")
    assert response.status_code == 302
    assert seconds < 1


@NEEDS_OPENPYXL
def test_a_workbook_of_too_many_parts_is_refused(client, superuser):
    client.force_login(superuser)
    data = workbook(extra_parts=10_000)
    response = upload(client, data, "products.xlsx")
    assert response.status_code == 400
    assert "The workbook holds more than 10,000 parts" in error_of(response)
    # The same directory announcing 9 parts: Python's zipfile would read them all.
    end = data.rfind(b"PK\x05\x06")
    lying = data[: end + 8] + (9).to_bytes(2, "little") * 2 + data[end + 12 :]
    response = upload(client, lying, "products.xlsx")
    assert response.status_code == 400
    assert "The workbook holds more than 10,000 parts" in error_of(response)


@NEEDS_OPENPYXL
def test_a_workbook_unpacking_to_more_than_the_limit_is_refused(client, superuser, monkeypatch):
    monkeypatch.setattr(ProductAdmin, "import_max_decompressed_size", 10_000)
    client.force_login(superuser)
    response = upload(client, workbook(), "products.xlsx")
    assert response.status_code == 400
    assert "at most 10,000 can be imported at once" in error_of(response)


@NEEDS_OPENPYXL
@pytest.mark.parametrize(
    "attr, value, message",
    [
        ("import_max_rows", 2, "more than 2 rows"),
        ("import_max_columns", 5, "more than 5 columns"),
        ("import_max_cell_length", 5, "characters; at most 5 can be imported"),
    ],
)
def test_xlsx_rows_columns_and_cells_are_counted(
    client, superuser, monkeypatch, attr, value, message
):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(HEADERS)
    for sku in ("A-1", "A-2", "A-3"):
        book.active.append([row(sku)[h] for h in HEADERS])
    data = io.BytesIO()
    book.save(data)
    monkeypatch.setattr(ProductAdmin, attr, value)
    client.force_login(superuser)
    response = upload(client, data.getvalue(), "products.xlsx")
    assert response.status_code == 400
    assert message in error_of(response)
    assert not Product.objects.exists()


# -- CSV and JSON ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "attr, value, message",
    [
        ("import_max_rows", 2, "more than 2 rows"),
        ("import_max_columns", 5, "has 9 columns; at most 5"),
        ("import_max_cell_length", 5, "characters; at most 5 can be imported"),
    ],
)
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_csv_and_json_rows_columns_and_cells_are_counted(
    client, superuser, monkeypatch, fmt, attr, value, message
):
    rows = [row("A-1"), row("A-2"), row("A-3")]
    data = csv_bytes(rows) if fmt == "csv" else json.dumps(rows).encode()
    monkeypatch.setattr(ProductAdmin, attr, value)
    client.force_login(superuser)
    response = upload(client, data, f"products.{fmt}")
    assert response.status_code == 400
    assert message in error_of(response)


@pytest.mark.parametrize(
    "text, message",
    [
        ("[" * 100_000 + "]" * 100_000, "nested more than 20 levels deep"),
        ('[{"sku": ' * 50_000 + "1" + "}]" * 50_000, "nested more than 20 levels deep"),
        ("[" * 100_000, "its brackets do not match"),
    ],
)
def test_deeply_nested_json_is_a_sentence_not_a_500(client, superuser, text, message):
    client.force_login(superuser)
    started = time.process_time()
    response = upload(client, text.encode(), "products.json")
    assert response.status_code == 400
    assert message in error_of(response)
    assert time.process_time() - started < 1


def test_json_depth_counts_brackets_in_strings_as_text():
    check_json_depth(json.dumps([{"name": "[[[[[[[[[[[[[[[[[[[[[[[[[[[{{{{{{{{"}]), 2)
    check_json_depth("[]", 1)
    with pytest.raises(ImportFileError):
        check_json_depth('[{"a": [1]}]', 2)


def test_the_limits_have_hooks_per_request(rf, superuser):
    from django.contrib import admin

    class Generous(ProductAdmin):
        def get_import_max_rows(self, request):
            return 5 if request.user.is_superuser else 1

    request = rf.get("/")
    request.user = superuser
    limits = Generous(Product, admin.AdminSite()).get_import_limits(request)
    assert limits == ImportLimits(max_rows=5)
    with pytest.raises(ImportFileError, match="more than 1 rows"):
        inspect_upload(csv_bytes([row("A"), row("B")]), "p.csv", limits=ImportLimits(max_rows=1))


# -- downloads ------------------------------------------------------------------------


def test_the_rejected_rows_download_keeps_a_quoted_non_ascii_upload_name(client, superuser):
    client.force_login(superuser)
    name = 'prix "été"; x=1.csv'
    response = upload(client, csv_bytes([row("BAD", price="abc")]), name)
    download = client.get(response["Location"] + "rejected/")
    header = download["Content-Disposition"]
    assert header == content_disposition_header(True, 'prix "été"; x=1-rejected.csv')
    parsed = email.message.Message()
    parsed["Content-Disposition"] = header
    assert parsed.get_filename() == 'prix "été"; x=1-rejected.csv'


def test_a_file_that_cannot_be_imported_is_a_toolkit_error():
    from toolkit.exceptions import ToolkitError

    with pytest.raises(ToolkitError, match="is empty"):
        inspect_upload(b"  \n", "products.csv")
    assert issubclass(ImportFileError, ValueError)  # as it always was
