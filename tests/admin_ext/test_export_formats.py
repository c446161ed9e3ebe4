"""Export formats are classes: a project adds one in a few lines, and it is offered,
neutralised, streamed and run as a job like the built-in CSV, XLSX and JSON."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from demo.catalog.models import Category, Product, Supplier
from tests.admin_ext.site_importexport import ProductAdmin
from toolkit.admin_ext.importexport import ExportMixin, Format, JSONFormat, WholeFileFormat
from toolkit.compat import TASKS_MODULE
from toolkit.jobs.models import Job, JobStatus

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.admin_ext.site_importexport")]

CHANGELIST = "importexport_admin:catalog_product_changelist"
IMMEDIATE = {"default": {"BACKEND": f"{TASKS_MODULE}.backends.immediate.ImmediateBackend"}}


# -- two formats a project could write: each well under 30 lines ------------------------


class TSVFormat(Format):
    """Tab-separated values; a tab inside a cell becomes a space."""

    name, label, extension = "tsv", "TSV", "tsv"
    content_type = "text/tab-separated-values; charset=utf-8"

    def start(self):
        return self.write_rows([self.header], first=True)

    def write_rows(self, rows, *, first):
        return "".join("\t".join(c.replace("\t", " ") for c in row) + "\n" for row in rows)


class NDJSONFormat(JSONFormat):
    """One JSON object per line (its cells are JSON's: numbers stay numbers)."""

    name, label, extension = "ndjson", "NDJSON", "ndjson"
    content_type = "application/x-ndjson"

    def start(self):
        return ""

    def write_rows(self, rows, *, first):
        pairs = (zip(self.header, row, strict=True) for row in rows)
        return "".join("{" + ", ".join(f"{k}: {v}" for k, v in p) + "}\n" for p in pairs)

    def finish(self):
        return ""


# -- fixtures and helpers -----------------------------------------------------------------


@pytest.fixture(autouse=True)
def project_formats(settings, tmp_path, monkeypatch):
    """The test site's product admin offers the project's formats next to CSV."""
    settings.TASKS = IMMEDIATE
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr(ProductAdmin, "export_formats", ("csv", TSVFormat, NDJSONFormat))


@pytest.fixture
def hostile(db):
    category = Category.objects.create(name="=HYPERLINK(evil)", slug="evil")
    supplier = Supplier.objects.create(name="@SUM(1)", country="FR")
    return [
        Product.objects.create(
            sku=f"H-{i}",
            name=text,
            category=category,
            supplier=supplier,
            price=Decimal("-5.50"),
            cost=1,
            stock=-3,
        )
        for i, text in enumerate(["=1+2", "\t=cmd", "-2+3"])
    ]


def export(client, fmt, pks=(), across=False):
    data = {"action": f"export_as_{fmt}", "_selected_action": [str(pk) for pk in pks], "index": 0}
    if across:
        data["select_across"] = "1"
        data["_selected_action"] = [str(Product.objects.first().pk)]
    return client.post(reverse(CHANGELIST), data)


def body(response):
    return b"".join(response.streaming_content).decode()


def job_file():
    job = Job.objects.get()
    assert job.status == JobStatus.DONE, job.error
    with job.result_file.open("rb") as f:
        return job, f.read().decode()


def tsv_rows(text):
    return [line.split("\t") for line in text.splitlines()]


# -- offered like the built-in formats ----------------------------------------------------


def test_a_project_format_is_offered_as_an_action(client, superuser, catalog):
    client.force_login(superuser)
    page = client.get(reverse(CHANGELIST))
    choices = dict(page.context["action_form"].fields["action"].choices)
    assert choices["export_as_tsv"] == "Export selected products as TSV"
    assert choices["export_as_ndjson"] == "Export selected products as NDJSON"
    assert "export_as_json" not in choices


def test_a_project_format_exports_in_the_request(client, superuser, catalog, monkeypatch):
    monkeypatch.setattr(ProductAdmin, "export_background_threshold", 10_000)
    client.force_login(superuser)
    product = Product.objects.order_by("pk").first()
    response = export(client, "tsv", [product.pk])
    assert response.status_code == 200
    assert response["Content-Type"] == TSVFormat.content_type
    assert response["Content-Disposition"].endswith('.tsv"')
    header, row = tsv_rows(body(response))
    assert header[:3] == ["SKU", "Name", "Category"]
    assert row[0] == product.sku and row[4] == str(product.price)
    assert LogEntry.objects.get().change_message == "Exported 1 products as TSV."


def test_a_project_format_runs_as_a_job(
    client, superuser, catalog, monkeypatch, django_capture_on_commit_callbacks
):
    from toolkit.admin_ext.importexport import ExportJobHandler

    monkeypatch.setattr(ExportJobHandler, "chunk_size", 25)  # parts of 25, 25 and 10 rows
    client.force_login(superuser)
    with django_capture_on_commit_callbacks(execute=True):
        response = export(client, "ndjson", across=True)
    job, text = job_file()
    assert response["Location"] == job.get_absolute_url()
    assert job.chunks == 3
    lines = [json.loads(line) for line in text.splitlines()]
    assert sorted(line["SKU"] for line in lines) == sorted(
        Product.objects.values_list("sku", flat=True)
    )
    assert isinstance(lines[0]["Stock"], int)
    assert job.result_file.name.endswith(".ndjson")
    assert job.message == f"{job.done} rows exported as NDJSON."


def test_job_parts_are_written_by_the_same_format(
    client, superuser, catalog, monkeypatch, django_capture_on_commit_callbacks
):
    """Several chunks, put together, give the file the request gives."""
    from toolkit.admin_ext.importexport import ExportJobHandler

    monkeypatch.setattr(ExportJobHandler, "chunk_size", 7)
    client.force_login(superuser)
    with django_capture_on_commit_callbacks(execute=True):
        export(client, "tsv", across=True)
    job, text = job_file()
    assert job.chunks >= 9
    monkeypatch.setattr(ProductAdmin, "export_background_threshold", 10_000)
    direct = body(export(client, "tsv", across=True))
    assert sorted(text.splitlines()) == sorted(direct.splitlines())


@pytest.mark.parametrize("fmt", ["tsv", "ndjson"])
def test_a_project_format_is_neutralised(client, superuser, hostile, fmt):
    client.force_login(superuser)
    text = body(export(client, fmt, [p.pk for p in hostile]))
    if fmt == "tsv":
        names = [row[1] for row in tsv_rows(text)[1:]]
        assert sorted(names) == ["' =cmd", "'-2+3", "'=1+2"]  # the tab became a space
    else:
        rows = [json.loads(line) for line in text.splitlines()]
        assert sorted(r["Name"] for r in rows) == ["'\t=cmd", "'-2+3", "'=1+2"]
        assert {r["Category"] for r in rows} == {"'=HYPERLINK(evil)"}
        assert {r["Price"] for r in rows} == {-5.5}  # numbers stay numbers


def test_json_like_formats_follow_export_neutralise_json(client, superuser, hostile, monkeypatch):
    monkeypatch.setattr(ProductAdmin, "export_neutralise_json", False)
    client.force_login(superuser)
    ndjson = body(export(client, "ndjson", [p.pk for p in hostile]))
    assert sorted(json.loads(line)["Name"] for line in ndjson.splitlines()) == [
        "\t=cmd",
        "-2+3",
        "=1+2",
    ]
    tsv = body(export(client, "tsv", [p.pk for p in hostile]))
    assert all(row[1].startswith("'") for row in tsv_rows(tsv)[1:])


def test_a_format_only_get_export_formats_returns_is_offered_in_request_and_job(
    client, superuser, catalog, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(ProductAdmin, "export_formats", ("csv",))
    monkeypatch.setattr(
        ProductAdmin,
        "get_export_formats",
        lambda self, request: ["csv", TSVFormat] if request.user.is_superuser else ["csv"],
        raising=False,
    )
    client.force_login(superuser)
    with django_capture_on_commit_callbacks(execute=True):
        export(client, "tsv", across=True)
    _job, text = job_file()
    assert text.startswith("SKU\tName\t")


def test_a_format_no_longer_offered_fails_its_job_with_a_sentence(
    client, superuser, catalog, monkeypatch, django_capture_on_commit_callbacks
):
    client.force_login(superuser)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        export(client, "tsv", across=True)
    monkeypatch.setattr(ProductAdmin, "export_formats", ("csv",))
    for callback in callbacks:
        callback()
    job = Job.objects.get()
    assert job.status == JobStatus.FAILED
    assert job.error == "The export format “tsv” is no longer offered by this admin."


def test_an_unoffered_format_is_refused_with_a_message(client, superuser, catalog):
    client.force_login(superuser)
    response = export(client, "json", [Product.objects.first().pk])
    assert response.status_code == 302  # Django: "No action selected." (not offered)
    assert not LogEntry.objects.exists()


def test_a_project_format_listed_in_actions_by_name_is_offered(rf, superuser, catalog):
    class Listed(ExportMixin, admin.ModelAdmin):
        list_display = ["sku"]
        export_formats = ()
        actions = ["export_as_tsv"]

    class Known(Listed):
        export_formats = (TSVFormat,)
        actions = ["export_as_tsv"]

    request = rf.get("/")
    request.user = superuser
    assert "export_as_tsv" not in Listed(Product, admin.AdminSite()).get_actions(request)
    model_admin = Known(Product, admin.AdminSite())
    assert "export_as_tsv" in model_admin.get_actions(request)
    response = model_admin.export_selected(request, Product.objects.order_by("pk")[:2], "tsv")
    assert len(body(response).splitlines()) == 3


def test_a_whole_file_format_is_written_once_from_the_job_parts(
    client, superuser, catalog, monkeypatch, django_capture_on_commit_callbacks
):
    """A format that cannot be streamed writes its file from every row at the end."""
    from toolkit.admin_ext.importexport import ExportJobHandler

    class CountFormat(WholeFileFormat):
        name, label, extension, content_type = "count", "Count", "txt", "text/plain"

        def write_file(self, rows, out):
            out.write(f"{len(list(rows))} rows of {len(self.header)} columns\n".encode())

    monkeypatch.setattr(ProductAdmin, "export_formats", (CountFormat,))
    monkeypatch.setattr(ExportJobHandler, "chunk_size", 10)
    client.force_login(superuser)
    with django_capture_on_commit_callbacks(execute=True):
        export(client, "count", across=True)
    _job, text = job_file()
    assert text == f"{Product.objects.count()} rows of 9 columns\n"
    monkeypatch.setattr(ProductAdmin, "export_background_threshold", 10_000)
    response = export(client, "count", across=True)
    assert b"".join(response.streaming_content).decode() == text


def test_an_admins_own_export_as_method_is_the_action_of_that_name(rf, superuser, catalog):
    class Own(ExportMixin, admin.ModelAdmin):
        list_display = ["sku"]
        export_formats = ("csv",)

        @admin.action(description="My CSV", permissions=["export"])
        def export_as_csv(self, request, queryset):
            return "mine"

    request = rf.get("/")
    request.user = superuser
    model_admin = Own(Product, admin.AdminSite())
    action = model_admin.get_actions(request)["export_as_csv"]
    func = action.func if hasattr(action, "func") else action[0]  # Django 6.1: an Action
    assert func(model_admin, request, Product.objects.none()) == "mine"
