"""Export a filtered selection of a few thousand products as a background job, in a real
browser: the job page follows it to 100 % and its download link serves the file.

Here the test runs the job chunk by chunk; test_bulk_live_worker.py runs the same export
with a real ``db_worker`` process (PostgreSQL)."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from demo.catalog.models import Product
from toolkit.admin_ext.importexport import ExportJobHandler
from toolkit.compat import TASKS_MODULE
from toolkit.jobs.models import Job
from toolkit.jobs.runner import JobRunner, Outcome

pytestmark = pytest.mark.urls("tests.admin_ext.site_importexport")


@pytest.fixture
def big_catalog(db):
    call_command("seed_catalog", products=2000, seed=3, stdout=io.StringIO())


@pytest.fixture(autouse=True)
def queued_tasks(settings, tmp_path, monkeypatch):
    """Jobs stay queued (the dummy backend runs nothing); the test runs them chunk by
    chunk, as a worker would, while the browser watches."""
    settings.TASKS = {"default": {"BACKEND": f"{TASKS_MODULE}.backends.dummy.DummyBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.setattr(ExportJobHandler, "chunk_size", 200)


def panel_field(page, name):
    return page.locator(f'#toolkit-job-progress [data-job-field="{name}"]')


def test_filtered_select_all_export_runs_as_a_job_to_a_download(admin_page, big_catalog):
    page = admin_page
    active = Product.objects.filter(status="active")
    expected = active.count()
    assert expected > 400
    page.goto("/admin/catalog/product/?status__exact=active")
    page.locator("#action-toggle").check()
    page.locator(".actions .question a").first.click()  # "Select all 1,782 products"
    expect(page.locator(".actions .clear").first).to_be_visible()
    page.locator("select[name=action]").select_option("export_as_csv")
    page.locator(".actions button[name=index]").first.click()  # "Go" (5.2) or "Run" (6.1)

    page.wait_for_url("**/toolkit_jobs/job/**")
    job = Job.objects.get()
    expect(page.locator(".messagelist")).to_contain_text(
        f"The export of {expected} rows runs in the background"
    )

    runner = JobRunner(job.pk)
    assert runner.claim()
    runner.count_total()
    expect(panel_field(page, "total")).to_have_text(str(expected))
    while (outcome := runner.run_chunk()) is Outcome.CONTINUE:
        pass
    assert outcome is Outcome.DONE
    expect(panel_field(page, "status_display")).to_have_text("Done")
    expect(page.locator(".toolkit-job-message")).to_have_text(f"{expected} rows exported as CSV.")
    expect(panel_field(page, "percent")).to_have_text("100")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download").click()
    with open(download_info.value.path(), encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0][:2] == ["SKU", "Name"]
    assert sorted(r[0] for r in rows[1:]) == sorted(active.values_list("sku", flat=True))
