"""Export selected: what the person sees, in CSV, XLSX and JSON, never a formula."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from demo.catalog.models import Category, Product, Supplier
from toolkit.admin_ext.importexport import FORMULA_PREFIXES, HAS_OPENPYXL, neutralise
from toolkit.compat import TASKS_MODULE
from toolkit.jobs.models import Job, JobStatus

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.admin_ext.site_importexport")]

IMMEDIATE = {"default": {"BACKEND": f"{TASKS_MODULE}.backends.immediate.ImmediateBackend"}}
NEEDS_OPENPYXL = pytest.mark.skipif(
    not HAS_OPENPYXL, reason="openpyxl is not installed: XLSX needs the `xlsx` extra"
)
CHANGELIST = "importexport_admin:catalog_product_changelist"
HOSTILE = [
    "=1+2",
    "+SUM(A1)",
    "-2+3",
    "@cmd",
    "\tcalc",
    "\rcalc",
    # Behind characters spreadsheets skip, and full-width: formulas all the same. XLSX
    # drops the control character, so the check must see the cell as stored.
    '\x01=HYPERLINK("http://evil.example")',
    " \u200b=1+2",
    "\uff1d1+2",
]


@pytest.fixture(autouse=True)
def immediate_tasks(settings, tmp_path):
    settings.TASKS = IMMEDIATE
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def direct(monkeypatch):
    """Answer every export of the test catalog directly, not as a job."""
    from tests.admin_ext.site_importexport import ProductAdmin

    monkeypatch.setattr(ProductAdmin, "export_background_threshold", 10_000)


@pytest.fixture
def hostile(db):
    """Products whose text, category and supplier names start like formulas."""
    category = Category.objects.create(name="=HYPERLINK(evil)", slug="evil")
    supplier = Supplier.objects.create(name="@SUM(1)", country="FR")
    products = []
    for i, text in enumerate(HOSTILE):
        products.append(
            Product.objects.create(
                sku=f"H-{i}",
                name=text,
                description=text,
                category=category,
                supplier=supplier,
                price=Decimal("-5.50"),
                cost=Decimal("1.00"),
                stock=-3,
                status="active",
            )
        )
    return products


def export(client, fmt, pks=(), query="", across=False):
    url = reverse(CHANGELIST) + (f"?{query}" if query else "")
    data = {"action": f"export_as_{fmt}", "_selected_action": [str(pk) for pk in pks], "index": 0}
    if across:
        # As the page does: its ticked boxes, plus "all N rows" (Django needs one box).
        data["select_across"] = "1"
        data["_selected_action"] = data["_selected_action"] or [str(Product.objects.first().pk)]
    return client.post(url, data)


def body(response):
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def csv_rows(response):
    return list(csv.reader(io.StringIO(body(response))))


def test_csv_has_the_changelist_columns_and_display_values(client, superuser, catalog):
    client.force_login(superuser)
    product = Product.objects.select_related("category", "supplier").first()
    response = export(client, "csv", [product.pk])
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header, row = csv_rows(response)
    assert header == [
        "SKU",
        "Name",
        "Category",
        "Supplier",
        "Price",
        "Stock",
        "Status",
        "Shelf label",
        "Badge",
    ]
    assert row[0] == product.sku
    assert row[2] == str(product.category)  # __str__ of the FK, as the changelist shows it
    assert row[3] == product.supplier.name
    assert row[4] == str(product.price)
    assert row[6] == product.get_status_display()
    assert row[8] == product.name[:10]  # the callable's HTML is plain text


def test_export_follows_search_filters_and_selection(client, superuser, catalog, direct):
    client.force_login(superuser)
    active = Product.objects.filter(status="active")
    some = list(active.values_list("pk", flat=True)[:3])
    other = Product.objects.exclude(status="active").first()
    # The ticked rows, among those the filter shows: a ticked row outside it is dropped.
    rows = csv_rows(export(client, "csv", [*some, other.pk], query="status__exact=active"))
    assert sorted(r[0] for r in rows[1:]) == sorted(
        active.filter(pk__in=some).values_list("sku", flat=True)
    )
    # Select all across the filtered, searched list.
    sku = active.first().sku
    rows = csv_rows(export(client, "csv", query=f"status__exact=active&q={sku}", across=True))
    assert [r[0] for r in rows[1:]] == [sku]
    rows = csv_rows(export(client, "csv", query="status__exact=active", across=True))
    assert len(rows) - 1 == active.count()


@pytest.mark.parametrize("fmt", ["csv", "json", pytest.param("xlsx", marks=NEEDS_OPENPYXL)])
def test_every_formula_prefix_is_neutralised(client, superuser, hostile, fmt):
    client.force_login(superuser)
    response = export(client, fmt, [p.pk for p in hostile])
    assert response.status_code == 200
    if fmt == "csv":
        values = csv_rows(response)
        rows = [dict(zip(values[0], r, strict=True)) for r in values[1:]]
    elif fmt == "json":
        rows = json.loads(body(response))
    else:
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        values = list(sheet.iter_rows(values_only=True))
        rows = [dict(zip(values[0], r, strict=True)) for r in values[1:]]
    names = sorted(r["Name"] for r in rows)
    expected = ["'" + text for text in HOSTILE]
    if fmt == "xlsx":  # XML holds no \x01 and reads a carriage return back as a line feed
        expected = [t.replace("\x01", "").replace("\r", "\n") for t in expected]
    assert names == sorted(expected)
    for row in rows:
        assert row["Shelf label"].startswith("'")  # a callable column
        assert row["Category"] == "'=HYPERLINK(evil)"  # a related object's __str__
        assert row["Supplier"] == "'@SUM(1)"
        # Negative numbers stay numbers.
        if fmt == "json":
            assert row["Price"] == -5.5 and row["Stock"] == -3
        elif fmt == "csv":
            assert row["Price"] == "-5.50" and row["Stock"] == "-3"
        else:
            assert row["Price"] == -5.5 and row["Stock"] == -3


def test_neutralise_leaves_numbers_and_plain_text_alone():
    assert neutralise(Decimal("-1")) == Decimal("-1")
    assert neutralise(-1) == -1
    assert neutralise("plain") == "plain"
    assert neutralise("") == ""
    assert [neutralise(p + "x") for p in FORMULA_PREFIXES] == [
        "'" + p + "x" for p in FORMULA_PREFIXES
    ]


def test_json_neutralisation_can_be_switched_off(client, superuser, hostile, monkeypatch):
    from tests.admin_ext.site_importexport import ProductAdmin

    monkeypatch.setattr(ProductAdmin, "export_neutralise_json", False)
    client.force_login(superuser)
    rows = json.loads(body(export(client, "json", [p.pk for p in hostile])))
    assert sorted(r["Name"] for r in rows) == sorted(HOSTILE)


def test_json_is_a_list_of_objects_with_numbers(client, superuser, catalog, direct):
    client.force_login(superuser)
    response = export(client, "json", query="", across=True)
    rows = json.loads(body(response))
    assert len(rows) == Product.objects.count()
    assert isinstance(rows[0]["Price"], float | int)
    assert set(rows[0]) == {
        "SKU",
        "Name",
        "Category",
        "Supplier",
        "Price",
        "Stock",
        "Status",
        "Shelf label",
        "Badge",
    }


def test_every_export_leaves_a_log_entry(client, superuser, catalog):
    client.force_login(superuser)
    pks = list(Product.objects.values_list("pk", flat=True)[:4])
    export(client, "csv", pks)
    entry = LogEntry.objects.get()
    assert entry.user == superuser
    assert entry.content_type.model == "product"
    assert entry.change_message == "Exported 4 products as CSV."


def test_large_export_runs_as_a_job_with_a_download(
    client, superuser, catalog, django_capture_on_commit_callbacks
):
    client.force_login(superuser)
    with django_capture_on_commit_callbacks(execute=True):
        response = export(client, "csv", query="o=1", across=True)
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert job.done == job.total == Product.objects.count()
    with job.result_file.open("rb") as f:
        rows = list(csv.reader(io.StringIO(f.read().decode())))
    assert rows[0][0] == "SKU"
    assert sorted(r[0] for r in rows[1:]) == sorted(Product.objects.values_list("sku", flat=True))
    assert LogEntry.objects.filter(
        change_message__startswith=f"Exported {job.done} products as CSV (job"
    ).exists()
    # The download is the owner's only.
    page = client.get(job.get_absolute_url())
    assert page.status_code == 200


@pytest.mark.parametrize("fmt", ["json", pytest.param("xlsx", marks=NEEDS_OPENPYXL)])
def test_large_json_and_xlsx_exports_are_whole_files(
    client, superuser, catalog, hostile, django_capture_on_commit_callbacks, fmt
):
    client.force_login(superuser)
    with django_capture_on_commit_callbacks(execute=True):
        export(client, fmt, across=True)
    job = Job.objects.get()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    with job.result_file.open("rb") as f:
        data = f.read()
    if fmt == "json":
        rows = json.loads(data)
    else:
        from openpyxl import load_workbook

        values = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
        rows = [dict(zip(values[0], r, strict=True)) for r in values[1:]]
    assert len(rows) == Product.objects.count()
    names = {r["Name"].replace("\n", "\r") for r in rows if r["SKU"].startswith("H-")}
    stored = [t.replace("\x01", "") for t in HOSTILE] if fmt == "xlsx" else HOSTILE
    assert names == {"'" + t for t in stored}


def test_a_viewer_may_export_but_not_a_non_staff_person(client, viewer, customer, catalog):
    pk = Product.objects.first().pk
    client.force_login(viewer)
    assert export(client, "csv", [pk]).status_code == 200
    client.force_login(customer)
    response = export(client, "csv", [pk])
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert LogEntry.objects.count() == 1


def test_staff_without_view_permission_cannot_export(client, django_user_model, catalog):
    user = django_user_model.objects.create_user("nobody", password="pw", is_staff=True)
    client.force_login(user)
    response = export(client, "csv", [Product.objects.first().pk])
    assert response.status_code == 403
    assert not LogEntry.objects.exists()


def test_export_permission_attribute_is_required_when_set(client, viewer, catalog):
    url = reverse("strict_importexport_admin:catalog_product_changelist")
    data = {"action": "export_as_csv", "_selected_action": [Product.objects.first().pk], "index": 0}
    client.force_login(viewer)
    page = client.get(url)
    assert "export_as_csv" not in page.content.decode()
    response = client.post(url, data)
    assert not response.get("Content-Disposition")  # Django: "No action selected."
    from django.contrib.contenttypes.models import ContentType

    permission = Permission.objects.create(
        codename="export_product",
        name="Can export products",
        content_type=ContentType.objects.get_for_model(Product),
    )
    viewer.user_permissions.add(permission)
    client.force_login(viewer)
    response = client.post(url, data)
    assert "attachment" in response["Content-Disposition"]


def test_export_without_csrf_token_is_refused(superuser, catalog):
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)
    response = export(client, "csv", [Product.objects.first().pk])
    assert response.status_code == 403
    assert not LogEntry.objects.exists()


def test_a_job_of_someone_who_lost_the_permission_fails(
    client, viewer, catalog, django_capture_on_commit_callbacks
):
    client.force_login(viewer)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        export(client, "csv", across=True)
    viewer.user_permissions.clear()
    for callback in callbacks:
        callback()
    job = Job.objects.get()
    assert job.status == JobStatus.FAILED
    assert not job.result_file


def test_columns_of_plain_fields_read_values_not_instances(
    catalog, hostile, django_assert_max_num_queries
):
    """Without callables the export reads values_list() rows: same cells, constant queries."""
    from django.contrib import admin
    from django.test import RequestFactory

    from toolkit.admin_ext.importexport import ListDisplayResource, iter_queryset_rows, iter_rows

    class Plain(admin.ModelAdmin):
        list_display = [
            "sku",
            "name",
            "category",
            "supplier",
            "price",
            "stock",
            "status",
            "is_active",
        ]

    model_admin = Plain(Product, admin.AdminSite(name="plain_export"))
    resource = ListDisplayResource.for_changelist(model_admin, RequestFactory().get("/"))
    queryset = Product.objects.order_by("pk")
    slow = list(iter_rows(resource, queryset.select_related("category__parent", "supplier")))
    with django_assert_max_num_queries(6):
        fast = list(iter_queryset_rows(resource, queryset, chunk_size=1000))
    assert fast == slow
    # Values as the database holds them: the writers neutralise them as they store them.
    assert [
        "H-0",
        "=1+2",
        "=HYPERLINK(evil)",
        "@SUM(1)",
        Decimal("-5.50"),
        -3,
        "Active",
        True,
    ] in fast


# -- every option has its get_*(request) hook ----------------------------------------------


def test_the_rows_per_round_trip_come_from_get_export_chunk_size(
    client, superuser, catalog, direct, monkeypatch
):
    from tests.admin_ext.site_importexport import ProductAdmin

    monkeypatch.setattr(ProductAdmin, "get_export_chunk_size", lambda self, r: 5, raising=False)
    client.force_login(superuser)
    pks = list(Product.objects.values_list("pk", flat=True)[:12])
    response = export(client, "csv", pks)
    parts = [part.decode().count("\r\n") for part in response.streaming_content]
    assert parts == [1, 5, 5, 2]  # the header row, then parts of 5 rows


def test_the_extra_permission_comes_from_get_export_permission(
    client, viewer, catalog, monkeypatch
):
    from tests.admin_ext.site_importexport import ProductAdmin

    monkeypatch.setattr(
        ProductAdmin, "get_export_permission", lambda self, r: "export_product", raising=False
    )
    client.force_login(viewer)
    page = client.get(reverse(CHANGELIST))
    assert "export_as_csv" not in page.content.decode()
    response = export(client, "csv", [Product.objects.first().pk])
    assert not response.get("Content-Disposition")  # Django: "No action selected."


def test_json_neutralisation_comes_from_get_export_neutralise_json(
    client, superuser, hostile, monkeypatch
):
    from tests.admin_ext.site_importexport import ProductAdmin

    monkeypatch.setattr(
        ProductAdmin, "get_export_neutralise_json", lambda self, r: False, raising=False
    )
    client.force_login(superuser)
    rows = json.loads(body(export(client, "json", [p.pk for p in hostile])))
    assert sorted(r["Name"] for r in rows) == sorted(HOSTILE)
    csv_names = [r[1] for r in csv_rows(export(client, "csv", [p.pk for p in hostile]))[1:]]
    assert all(name.startswith("'") for name in csv_names)  # CSV always is
