"""A select-across mass update of a few thousand products, in a real browser, under the
demo's strict CSP (the ``page`` fixture fails the test on any violation or JS error).

The job is queued on Django's dummy tasks backend, which keeps it without running it;
the test then runs it chunk by chunk with the job runner, as a worker would, and
watches the progress page (already open) follow it to 100 %. The immediate backend
would have finished the job before the page opened, showing no progress at all.
"""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from demo.catalog.models import Product
from toolkit.compat import TASKS_MODULE
from toolkit.jobs.models import Job, JobStatus
from toolkit.jobs.runner import JobRunner, Outcome

from .conftest import login

pytestmark = pytest.mark.urls("tests.admin_ext.site_actions")


@pytest.fixture(autouse=True)
def queued_not_run(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": f"{TASKS_MODULE}.backends.dummy.DummyBackend"}}
    settings.TOOLKIT_CHUNK_SIZE = 200
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def products(transactional_db):
    call_command("seed_catalog", products=2000, seed=5, stdout=io.StringIO())
    return Product.objects.all()


def panel_field(page, name):
    return page.locator(f'#toolkit-job-progress [data-job-field="{name}"]')


def test_select_across_mass_update_follows_its_job_to_100_percent(page, superuser, products):
    login(page, "root", "pw-root-123")
    active = products.filter(status="active")
    expected = active.count()
    assert expected > 500

    page.goto("/admin/catalog/product/?status__exact=active")
    page.locator("#action-toggle").check()
    page.locator(".actions .question a").click()  # "Select all N products"
    page.select_option("select[name=action]", "mass_update")
    page.locator("button[name=index]").click()  # "Run" on Django 6.1, "Go" before

    # The intermediate page: editing a value ticks its field (static JS, no inline code).
    expect(page.get_by_text("Every row that matches")).to_be_visible()
    page.fill("#id_mu-stock", "4242")
    page.locator("#id_mu-stock").dispatch_event("change")
    expect(page.locator("#toolkit-mu-tick-stock")).to_be_checked()
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("[data-toolkit-preview]")).to_contain_text(
        f"of {expected} rows will change"
    )
    page.get_by_role("button", name="Apply").click()

    page.wait_for_url(re.compile(r".*/toolkit_jobs/job/\d+/change/$"))
    job = Job.objects.get()
    expect(panel_field(page, "status_display")).to_have_text("Queued")

    runner = JobRunner(job.pk)
    assert runner.claim()
    runner.count_total()
    expect(panel_field(page, "total")).to_have_text(str(expected))
    seen = []
    while (outcome := runner.run_chunk()) is Outcome.CONTINUE:
        job.refresh_from_db()
        expect(panel_field(page, "done")).to_have_text(str(job.done))
        seen.append(job.percent)
    assert outcome is Outcome.DONE
    assert len(seen) >= 3 and seen == sorted(seen)  # the page saw it grow
    expect(panel_field(page, "status_display")).to_have_text("Done")
    expect(page.locator(".toolkit-job-message")).to_contain_text(f"{expected} products updated")
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.percent == 100
    assert set(active.values_list("stock", flat=True)) == {4242}
    assert not products.exclude(status="active").filter(stock=4242).exists()
