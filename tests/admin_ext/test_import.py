"""Import products from a file: a preview of every row's errors, then all-or-nothing
batches; a file that cannot be imported changes nothing and says why."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.test import Client
from django.urls import reverse

from demo.catalog.models import Category, Product, Supplier, Tag
from toolkit.admin_ext.importexport import BulkImporter, upload_storage
from toolkit.compat import TASKS_MODULE
from toolkit.jobs.models import Job, JobStatus

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.admin_ext.site_importexport")]

IMMEDIATE = {"default": {"BACKEND": f"{TASKS_MODULE}.backends.immediate.ImmediateBackend"}}
IMPORT = "importexport_admin:catalog_product_import"
HEADERS = ["sku", "name", "category", "supplier", "price", "cost", "stock", "status", "tags"]


@pytest.fixture(autouse=True)
def immediate_tasks(settings, tmp_path):
    settings.TASKS = IMMEDIATE
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def refs(db):
    category = Category.objects.create(name="Kettles", slug="kettles")
    supplier = Supplier.objects.create(name="Acme Ltd", country="GB")
    Tag.objects.create(name="eco")
    Tag.objects.create(name="sale")
    return category, supplier


def row(sku, **overrides):
    values = {
        "sku": sku,
        "name": f"Kettle {sku}",
        "category": "kettles",
        "supplier": "Acme Ltd",
        "price": "19.90",
        "cost": "7.50",
        "stock": "4",
        "status": "active",
        "tags": "eco,sale",
    }
    values.update(overrides)
    return values


def csv_bytes(rows, headers=HEADERS, delimiter=",", encoding="utf-8"):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=headers, delimiter=delimiter, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def upload(client, data, name="products.csv"):
    return client.post(reverse(IMPORT), {"import_file": SimpleUploadedFile(name, data)})


def confirmation(client, preview_url):
    """The single-use confirmation the preview page's "Import" button posts."""
    page = client.get(preview_url).content.decode()
    return re.search(r'name="confirmation" value="([0-9a-f]+)"', page).group(1)


def confirm(client, response, follow=True):
    """Press "Import" on the preview, and (``follow``) land on the result page."""
    url = response["Location"]
    data = {"confirm": "1", "confirmation": confirmation(client, url)}
    return client.post(url, data, follow=follow)


def stored_uploads():
    storage = upload_storage()
    return storage.listdir("toolkit_imports")[1] if storage.exists("toolkit_imports") else []


def test_preview_changes_nothing_then_confirm_imports_by_natural_keys(client, superuser, refs):
    category, supplier = refs
    client.force_login(superuser)
    Product.objects.create(
        sku="K-2", name="Old", category=category, supplier=supplier, price=1, cost=1
    )
    response = upload(client, csv_bytes([row("K-1"), row("K-2", tags="")]))
    assert response.status_code == 302
    preview = client.get(response["Location"])
    text = preview.content.decode()
    assert "2 changes: 1 new, 1 to update. 0 rows rejected." in text
    assert Product.objects.count() == 1 and Product.objects.get(sku="K-2").name == "Old"
    result = confirm(client, response)
    assert result.status_code == 200
    new = Product.objects.get(sku="K-1")
    assert (new.category, new.supplier, new.price, new.stock) == (
        category,
        supplier,
        Decimal("19.90"),
        4,
    )
    assert sorted(new.tags.values_list("name", flat=True)) == ["eco", "sale"]
    assert Product.objects.get(sku="K-2").name == "Kettle K-2"
    assert LogEntry.objects.get().change_message == "Imported 2 products, rejected 0."
    assert stored_uploads() == []


def test_preview_shows_per_row_and_per_field_errors(client, superuser, refs):
    client.force_login(superuser)
    rows = [
        row("OK-1"),
        row("BAD-PRICE", price="12,3,4x"),
        row("BAD-STOCK", stock="1.5"),
        row("BAD-CAT", category="no-such-slug"),
        row("BAD-TAG", tags="eco,nope"),
        row("BAD-STATUS", status="sold"),
        row("NO-NAME", name=""),
        row("OK-1"),
    ]
    response = upload(client, csv_bytes(rows))
    text = client.get(response["Location"]).content.decode()
    assert "1 change: 1 new, 0 to update. 7 rows rejected." in text
    assert "is not a number" in text
    assert "“1.5” is not a whole number." in text
    assert "No category has the slug “no-such-slug” or is shown as “no-such-slug”." in text
    assert "No tag named “nope”." in text
    assert "Value &#x27;sold&#x27; is not a valid choice." in text
    assert "This field cannot be blank." in text
    assert "Row 2 has the same sku." in text
    assert not Product.objects.exists()


def test_rejected_rows_download_with_an_error_column_and_reimport(client, superuser, refs):
    client.force_login(superuser)
    response = upload(
        client, csv_bytes([row("OK-1"), row("BAD", price="abc"), row("=EVIL", category="x")])
    )
    preview_url = response["Location"]
    download = client.get(preview_url + "rejected/")
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    rejected = list(csv.DictReader(io.StringIO(download.content.decode())))
    assert [r["sku"] for r in rejected] == ["BAD", "'=EVIL"]
    assert rejected[0]["error"] == "price: “abc” is not a number."
    result = confirm(client, response)
    assert "Rejected 2 rows: 3, 4." in result.content.decode()
    assert list(Product.objects.values_list("sku", flat=True)) == ["OK-1"]
    # After the import the same link serves the rejected rows; fixed, they import.
    again = client.get(preview_url + "rejected/")
    fixed = again.content.decode().replace("abc", "3.00")
    fixed_rows = [r for r in csv.DictReader(io.StringIO(fixed)) if r["sku"] == "BAD"]
    response = upload(client, csv_bytes(fixed_rows, headers=[*HEADERS, "error"]))
    confirm(client, response)
    assert Product.objects.filter(sku="BAD", price=Decimal("3.00")).exists()


def test_large_preview_is_paginated(client, superuser, refs, monkeypatch):
    client.force_login(superuser)
    response = upload(client, csv_bytes([row(f"P-{i:03}") for i in range(45)]))
    page3 = client.get(response["Location"] + "?p=3").content.decode()
    assert "Page 3 of 3" in page3
    assert page3.count("<td>P-") == 5 and "P-044" in page3 and "P-039" not in page3


def test_record_text_is_escaped_in_the_preview(client, superuser, refs):
    client.force_login(superuser)
    response = upload(
        client, csv_bytes([row("X-1", name="<script>alert(1)</script>", price="<b>1</b>")])
    )
    text = client.get(response["Location"]).content.decode()
    assert "<script>alert(1)" not in text and "<b>1</b>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


BROKEN = {
    "not UTF-8": (
        "products.csv",
        lambda: csv_bytes([row("É-1", name="Crème brûlée")], encoding="latin-1"),
        "is not UTF-8 text",
    ),
    "empty": ("products.csv", lambda: b"", "The file is empty."),
    "header only": ("products.csv", lambda: csv_bytes([]), "has a header row but no rows"),
    "no key column": (
        "products.csv",
        lambda: csv_bytes([row("A")], headers=["name", "category", "supplier", "price"]),
        "lacks the column(s) “sku”",
    ),
    "a zip named .csv": ("products.csv", lambda: b"PK\x03\x04" + b"\x00" * 64, "is not text"),
    "a PDF named .csv": ("products.csv", lambda: b"%PDF-1.4\x00\x01binary", "is not text"),
    "text named .xlsx": ("products.xlsx", lambda: csv_bytes([row("A")]), "not an Excel workbook"),
    "unknown extension": ("products.exe", lambda: csv_bytes([row("A")]), "cannot be imported"),
    "broken JSON": ("products.json", lambda: b'[{"sku": ', "is not valid JSON"),
    "JSON not a list": ("products.json", lambda: b'{"sku": "A"}', "must hold a list of objects"),
    "unsniffable delimiter": (
        "products.csv",
        lambda: b"sku#name#category#supplier#price#cost\nA#B#C#D#1#2\n",
        "lacks the column(s)",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_file_is_refused_with_a_sentence_and_changes_nothing(client, superuser, refs, case):
    name, data, message = BROKEN[case]
    client.force_login(superuser)
    response = upload(client, data(), name)
    assert response.status_code == 400
    errors = re.findall(
        r'<p class="errornote" role="alert">(.*?)</p>', response.content.decode(), re.S
    )
    assert (errors and message.replace("“", "&ldquo;") in errors[0]) or message in errors[0]
    assert not Product.objects.exists()
    assert stored_uploads() == []


def test_huge_file_is_refused(client, superuser, refs, monkeypatch):
    from tests.admin_ext.site_importexport import ProductAdmin

    monkeypatch.setattr(ProductAdmin, "import_max_upload_size", 100)
    client.force_login(superuser)
    response = upload(client, csv_bytes([row(f"A-{i}") for i in range(5)]))
    assert response.status_code == 400
    assert "at most 100 can be imported at once" in response.content.decode()
    assert stored_uploads() == []


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_other_delimiters_are_sniffed(client, superuser, refs, delimiter):
    client.force_login(superuser)
    response = upload(client, csv_bytes([row("D-1", name="A; B, C")], delimiter=delimiter))
    confirm(client, response)
    assert Product.objects.get(sku="D-1").name == "A; B, C"


def test_a_byte_order_mark_and_json_are_read(client, superuser, refs):
    client.force_login(superuser)
    confirm(client, upload(client, csv_bytes([row("BOM-1")], encoding="utf-8-sig")))
    confirm(client, upload(client, json.dumps([row("J-1", stock=7, price=1.5)]).encode(), "p.json"))
    assert Product.objects.get(sku="J-1").stock == 7
    assert Product.objects.filter(sku="BOM-1").exists()


def test_a_batch_is_all_or_nothing(client, superuser, refs, monkeypatch):
    """import_batch_size is 10 here: the batch with BOOM is rolled back whole."""
    original = BulkImporter.write_many

    def write_many(self, field, results):
        original(self, field, results)
        if any(r.values["sku"] == "BOOM" for r in results):
            raise DatabaseError("deadlock detected")

    monkeypatch.setattr(BulkImporter, "write_many", write_many)
    client.force_login(superuser)
    rows = [row(f"R-{i:02}") for i in range(25)]
    rows[13] = row("BOOM")
    result = confirm(client, upload(client, csv_bytes(rows)))
    imported = set(Product.objects.values_list("sku", flat=True))
    assert imported == {f"R-{i:02}" for i in [*range(10), *range(20, 25)]}
    assert not Tag.objects.get(name="eco").products.filter(sku__in=["R-10", "R-11"]).exists()
    text = result.content.decode()
    assert "Rejected 10 rows: 12, 13, 14, 15, 16, 17, 18, 19, 20, 21." in text
    assert "the database refused it (deadlock detected)" in text


def test_large_import_runs_as_a_job(client, superuser, refs, django_capture_on_commit_callbacks):
    client.force_login(superuser)
    rows = [row(f"B-{i:03}") for i in range(60)] + [row("B-BAD", price="x")]
    response = upload(client, csv_bytes(rows))
    preview = client.get(response["Location"]).content.decode()
    assert "rows are checked a page at a time here" in preview
    with django_capture_on_commit_callbacks(execute=True):
        started = confirm(client, response, follow=False)
    job = Job.objects.get()
    assert started.status_code == 302 and started["Location"] == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert (job.total, job.done, job.failed) == (61, 60, 1)
    assert Product.objects.count() == 60
    assert Tag.objects.get(name="sale").products.count() == 60
    with job.result_file.open("rb") as f:
        rejected = list(csv.DictReader(io.StringIO(f.read().decode())))
    assert [r["sku"] for r in rejected] == ["B-BAD"] and "price" in rejected[0]["error"]
    assert "1 row was rejected" in job.message
    assert LogEntry.objects.filter(
        change_message__startswith="Imported 60 products, rejected 1 (job"
    ).exists()
    assert stored_uploads() == []


def test_a_json_job_gives_rejected_rows_as_json_whichever_batch_they_are_in(
    client, superuser, refs, monkeypatch, django_capture_on_commit_callbacks
):
    """The first batch rejects nothing, later ones do: the file is still one JSON list."""
    from toolkit.admin_ext.importexport import ImportJobHandler

    monkeypatch.setattr(ImportJobHandler, "chunk_size", 20)
    client.force_login(superuser)
    rows = [row(f"J-{i:03}") for i in range(55)]
    rows[30]["price"] = rows[52]["price"] = "x"
    response = upload(client, json.dumps(rows).encode(), "products.json")
    with django_capture_on_commit_callbacks(execute=True):
        confirm(client, response, follow=False)
    job = Job.objects.get()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert (job.done, job.failed) == (53, 2)
    assert job.result_file.name.endswith(".json")
    with job.result_file.open("rb") as f:
        rejected = json.loads(f.read())
    assert [r["sku"] for r in rejected] == ["J-030", "J-052"]
    assert all("price" in r["error"] for r in rejected)


def test_the_preview_page_size_is_a_hook(client, superuser, refs, monkeypatch):
    from tests.admin_ext.site_importexport import ProductAdmin

    monkeypatch.setattr(
        ProductAdmin, "get_import_preview_per_page", lambda self, request: 7, raising=False
    )
    client.force_login(superuser)
    response = upload(client, csv_bytes([row(f"P-{i:03}") for i in range(30)]))
    page = client.get(response["Location"] + "?p=2").content.decode()
    assert "Page 2 of 5" in page
    assert page.count("<td>P-") == 7 and "P-007" in page and "P-014" not in page


@pytest.fixture
def staff(django_user_model):
    def make(*codenames):
        user = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
        user.user_permissions.set(
            Permission.objects.filter(content_type__app_label="catalog", codename__in=codenames)
        )
        return user

    return make


@pytest.mark.parametrize(
    "codenames, allowed",
    [
        (["view_product"], False),
        (["view_product", "add_product"], False),
        (["view_product", "change_product"], False),
        (["add_product", "change_product"], True),
    ],
)
def test_import_needs_add_and_change_permissions(client, staff, refs, codenames, allowed):
    client.force_login(staff(*codenames))
    assert client.get(reverse(IMPORT)).status_code == (200 if allowed else 403)
    response = upload(client, csv_bytes([row("P-1")]))
    assert response.status_code == (302 if allowed else 403)
    changelist = client.get(reverse("importexport_admin:catalog_product_changelist"))
    if changelist.status_code == 200:
        assert (reverse(IMPORT) in changelist.content.decode()) is allowed
    assert not Product.objects.exists()


def test_non_staff_are_sent_to_the_login_page(client, customer, refs):
    client.force_login(customer)
    response = upload(client, csv_bytes([row("P-1")]))
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert stored_uploads() == []


def test_forged_posts_change_nothing(client, superuser, django_user_model, refs):
    client.force_login(superuser)
    response = upload(client, csv_bytes([row("P-1")]))
    # No CSRF token.
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(superuser)
    assert forged.post(response["Location"], {"confirm": "1"}).status_code == 403
    # Another person's upload.
    other = django_user_model.objects.create_superuser("other", "o@example.com", "pw")
    thief = Client()
    thief.force_login(other)
    assert thief.post(response["Location"], {"confirm": "1"}).status_code == 404
    assert thief.get(response["Location"] + "rejected/").status_code == 404
    # A made-up token.
    assert (
        client.post(
            reverse(IMPORT) + "00000000-0000-0000-0000-000000000000/", {"confirm": "1"}
        ).status_code
        == 404
    )
    assert not Product.objects.exists()


@pytest.mark.skipif(
    not __import__("toolkit.admin_ext.importexport", fromlist=["x"]).HAS_OPENPYXL,
    reason="openpyxl is not installed: XLSX needs the `xlsx` extra",
)
def test_xlsx_files_import(client, superuser, refs):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    sheet.append([row("X-1")[h] for h in HEADERS])
    sheet.append([*(row("X-2")[h] for h in HEADERS[:4]), "not a price", 1, 2, "active", ""])
    data = io.BytesIO()
    workbook.save(data)
    client.force_login(superuser)
    response = upload(client, data.getvalue(), "products.xlsx")
    preview = client.get(response["Location"]).content.decode()
    assert "1 change: 1 new, 0 to update. 1 row rejected." in preview
    confirm(client, response)
    assert list(Product.objects.values_list("sku", flat=True)) == ["X-1"]


def test_plain_numbers_read_as_the_widgets_read_them(refs):
    """The import reads "12.50" without the widgets' per-cell locale lookups; the values
    and the refusals are the widgets' own."""
    from demo.catalog.resources import ProductResource
    from toolkit.admin_ext.importexport import ImportFileError

    importer = BulkImporter(ProductResource())
    importer.plain_numbers = importer.reads_plain_numbers()
    assert importer.plain_numbers is True
    fields = {f.column_name: f for f in importer.fields}
    samples = {
        "price": ["12.50", "-3", "0007.1", "1,234.50", "1e3", "abc", "12.", ".5"],
        "stock": ["7", "-2", "007", "7.0", "7.5", "1,000", "x"],
    }
    for column, raws in samples.items():
        field = fields[column]
        for raw in raws:
            try:
                expected = field.widget.clean(raw)
            except Exception:
                expected = "refused"
            try:
                got = importer.clean(field, raw, {})
            except ImportFileError:
                got = "refused"
            if column == "stock" and expected not in ("refused", None) and raw == "7.5":
                expected = "refused"  # not a whole number: the importer says so
            assert (raw, got) == (raw, expected)


def test_plain_numbers_follow_a_locale_with_a_decimal_comma(refs, settings):
    from django.utils import translation

    from demo.catalog.resources import ProductResource

    importer = BulkImporter(ProductResource())
    with translation.override("de"):
        # In German "12,50" is twelve and a half and no number is read past the widget.
        results = importer.validate([(2, row("DE-1", price="12,50"))])
        assert importer.reads_plain_numbers() is False
    assert results[0].instance.price == Decimal("12.50")
