"""A job's page follows the job by itself, in a real browser, under the demo's strict CSP
(the ``page`` fixture fails the test on any CSP violation or JavaScript error)."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from demo.catalog.admin import ProductAdmin
from demo.catalog.models import Product
from tests.jobs import handlers  # noqa: F401  (registers the test handlers)
from toolkit.compat import TASKS_MODULE
from toolkit.jobs.models import Job, JobStatus
from toolkit.jobs.runner import JobRunner, Outcome
from toolkit.jobs.tasks import start_job


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def panel_field(page, name):
    return page.locator(f'#toolkit-job-progress [data-job-field="{name}"]')


def test_progress_number_changes_without_reloading_the_page(admin_page, superuser):
    page = admin_page
    job = Job.objects.create(
        kind="tests.bump_stock",
        description="Reprice the catalog",
        started_by=superuser,
        status=JobStatus.RUNNING,
        total=200,
        done=20,
    )
    page.goto(job.get_absolute_url())
    expect(panel_field(page, "done")).to_have_text("20")
    expect(panel_field(page, "percent")).to_have_text("10")
    page.evaluate("window.toolkitTestMarker = 'the same page'")

    Job.objects.filter(pk=job.pk).update(done=120, failed=10)

    expect(panel_field(page, "done")).to_have_text("120")
    expect(panel_field(page, "processed")).to_have_text("130")
    expect(panel_field(page, "percent")).to_have_text("65")
    assert page.locator("[data-job-progress]").evaluate("bar => bar.value") == 130
    assert page.evaluate("window.toolkitTestMarker") == "the same page"

    # Once finished, the page reloads once to show what the server renders for the result.
    Job.objects.filter(pk=job.pk).update(
        done=200, status=JobStatus.DONE, message="200 products repriced."
    )
    expect(page.locator(".toolkit-job-message")).to_have_text("200 products repriced.")
    expect(page.locator("#toolkit-job-progress")).to_have_attribute("data-job-active", "false")
    assert page.evaluate("window.toolkitTestMarker") is None


def test_page_follows_a_real_run_chunk_by_chunk_to_the_end(admin_page, superuser, catalog):
    page = admin_page
    job = start_job("tests.bump_stock", user=superuser, model=Product, target={})
    page.goto(job.get_absolute_url())
    expect(panel_field(page, "status_display")).to_have_text("Queued")

    runner = JobRunner(job.pk)
    assert runner.claim()
    runner.count_total()
    expect(panel_field(page, "status_display")).to_have_text("Running")
    expect(panel_field(page, "total")).to_have_text("60")
    for done in ("25", "50", "60"):
        assert runner.run_chunk() is Outcome.CONTINUE
        expect(panel_field(page, "done")).to_have_text(done)

    assert runner.run_chunk() is Outcome.DONE
    expect(page.locator(".toolkit-job-message")).to_have_text("60 products processed.")
    expect(panel_field(page, "status_display")).to_have_text("Done")


def test_cancel_button_asks_a_running_job_to_stop(admin_page, superuser):
    page = admin_page
    job = Job.objects.create(
        kind="tests.bump_stock", started_by=superuser, status=JobStatus.RUNNING, lease="x"
    )
    page.goto(job.get_absolute_url())
    stopping = page.locator('[data-job-show-if="cancel_requested"]')
    expect(stopping).to_be_hidden()

    page.get_by_role("button", name="Cancel job").click()

    expect(page.locator(".messagelist")).to_contain_text("Cancelling")
    expect(stopping).to_be_visible()
    job.refresh_from_db()
    assert job.cancel_requested


def test_the_bar_of_a_job_that_has_not_started_looks_empty(admin_page, superuser):
    """Chromium draws a bar with a light accent colour on a dark track, so a job at 0 %
    looked like a full bar; the bar is drawn by hand: a light track, filled as it goes."""
    from .conftest import png_luminance

    page = admin_page
    job = Job.objects.create(
        kind="tests.bump_stock", started_by=superuser, status=JobStatus.RUNNING, total=200
    )
    page.goto(job.get_absolute_url())
    bar = page.locator("[data-job-progress]")
    expect(panel_field(page, "done")).to_have_text("0")

    empty = png_luminance(bar.screenshot())
    bar.evaluate("bar => { bar.value = bar.max / 2; }")
    half = png_luminance(bar.screenshot())
    bar.evaluate("bar => { bar.value = bar.max; }")
    full = png_luminance(bar.screenshot())

    assert empty > 0.85  # the page's light background, not a dark track
    assert empty > half > full
    assert abs(half - (empty + full) / 2) < 0.1  # filled in proportion


def test_a_small_mass_update_in_the_demo_previews_its_rows_then_its_job_reads_in_words(
    admin_page, superuser, settings, monkeypatch
):
    """The new user's walk: filter the demo's products, preview a mass update (labelled
    boxes, plain selects, rows before → after), apply it as a job, and read the job's
    page: its title in words, one status everywhere, and the way back to the list."""
    page = admin_page
    settings.TASKS = {"default": {"BACKEND": f"{TASKS_MODULE}.backends.dummy.DummyBackend"}}
    monkeypatch.setattr(ProductAdmin, "bulk_background_threshold", 5, raising=False)
    call_command("seed_catalog", products=30, seed=5, stdout=io.StringIO())
    active = Product.objects.filter(is_active=True)
    Product.objects.filter(pk__in=list(active.values_list("pk", flat=True)[:2])).update(
        is_active=False
    )
    count = active.count()
    assert 5 < count < 30

    page.goto("/admin/catalog/product/?is_active__exact=1")
    page.locator("#action-toggle").check()
    page.select_option("select[name=action]", "mass_update")
    page.locator("button[name=index]").click()

    change = page.get_by_label("Change Is active", exact=True)
    new_value = page.get_by_label("New value of Is active", exact=True)
    expect(new_value).to_be_checked()  # unbound: the field's default
    expect(page.get_by_role("combobox", name="New value of Category")).to_be_visible()
    expect(page.locator(".related-widget-wrapper-link")).to_have_count(0)
    new_value.uncheck()
    expect(change).to_be_checked()  # editing a value ticks its field
    page.get_by_role("button", name="Preview").click()

    preview = page.locator("[data-toolkit-preview]")
    expect(preview).to_contain_text(f"{count} of {count} rows will change.")
    sample = page.locator("[data-toolkit-preview-rows] tbody tr")
    expect(sample).to_have_count(min(count, 20))
    first = sample.first.locator("td")
    expect(first.locator('img[alt="True"]')).to_have_count(1)
    expect(first.locator('img[alt="False"]')).to_have_count(1)
    page.get_by_role("button", name="Apply").click()

    page.wait_for_url(re.compile(r".*/toolkit_jobs/job/\d+/change/$"))
    job = Job.objects.get()
    title = f"Mass update of {count} products: Is active = no"
    assert job.description == title
    expect(page.locator("#content")).to_contain_text(title)
    statuses = page.locator('[data-job-field="status_display"]')
    expect(statuses).to_have_count(3)  # the progress box, the Status field, Your recent jobs
    expect(statuses).to_have_text(["Queued"] * 3)
    expect(page.locator("#toolkit-recent-jobs")).to_contain_text(title)

    runner = JobRunner(job.pk)
    assert runner.claim()
    runner.count_total()
    expect(statuses).to_have_text(["Running"] * 3)  # followed without a reload
    while runner.run_chunk() is Outcome.CONTINUE:
        pass
    expect(page.locator(".toolkit-job-message")).to_contain_text(f"{count} products updated")
    expect(statuses).to_have_text(["Done"] * 3)
    assert not Product.objects.filter(is_active=True).exists()

    page.get_by_role("link", name="Back to the products list").click()
    page.wait_for_url(re.compile(r".*/admin/catalog/product/\?is_active__exact=1$"))
