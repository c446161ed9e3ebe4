"""A job's page follows the job by itself, in a real browser, under the demo's strict CSP
(the ``page`` fixture fails the test on any CSP violation or JavaScript error)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from demo.catalog.models import Product
from tests.jobs import handlers  # noqa: F401  (registers the test handlers)
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
