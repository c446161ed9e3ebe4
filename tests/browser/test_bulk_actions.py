"""A select-across mass update of a few thousand products, in a real browser, under the
demo's strict CSP (the ``page`` fixture fails the test on any violation or JS error).

The job is queued on Django's dummy tasks backend, which keeps it without running it;
the test then runs it chunk by chunk with the job runner, as a worker would, and
watches the progress page (already open) follow it to 100 %. The immediate backend
would have finished the job before the page opened, showing no progress at all.
The same flow with a real ``db_worker`` process is test_bulk_live_worker.py (PostgreSQL).
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


def test_row_and_change_form_actions_run_from_their_buttons(page, superuser, transactional_db):
    """A row's "Duplicate" button submits to the row action (the changelist form's CSRF
    token goes with it) and comes back to the same filtered list; the change form offers
    the same actions, natively on Django 6.1 and as object-tools buttons on 5.2."""
    from django.contrib.admin.models import LogEntry

    from toolkit.admin_ext.actions.offered import ActionLocation

    call_command("seed_catalog", products=30, seed=5, stdout=io.StringIO())
    obj = Product.objects.filter(status="active", is_active=True).order_by("pk").first()
    login(page, "root", "pw-root-123")
    page.goto("/admin/catalog/product/?status__exact=active")

    def row_of(sku):
        link = page.get_by_role("link", name=sku, exact=True)
        return page.locator("#result_list tbody tr").filter(has=link)

    # A row with several actions keeps them in one "⋯" menu (the list fits at 1,400 px).
    row_of(obj.sku).locator(".toolkit-row-actions-toggle").click()
    row_of(obj.sku).get_by_role("button", name="Duplicate").click()
    page.wait_for_url(re.compile(r".*/admin/catalog/product/\?status__exact=active$"))
    expect(page.locator(".messagelist")).to_contain_text("1 product duplicated.")
    assert Product.objects.filter(sku=f"{obj.sku}-copy").exists()

    row_of(obj.sku).locator(".toolkit-row-actions-toggle").click()
    row_of(obj.sku).get_by_role("button", name="Clear “is active”").click()
    expect(page.locator(".messagelist")).to_contain_text("1 product updated.")
    obj.refresh_from_db()
    assert obj.is_active is False

    page.goto(f"/admin/catalog/product/{obj.pk}/change/")
    if ActionLocation is not None:
        page.select_option("select[name=CHANGE_FORM-action]", "toggle_is_active_on")
        page.locator("button[name=index]").first.click()
    else:
        page.locator(".object-tools").get_by_role("button", name="Set “is active”").click()
    expect(page.locator(".messagelist")).to_contain_text("1 product updated.")
    assert page.url.endswith(f"/admin/catalog/product/{obj.pk}/change/")
    obj.refresh_from_db()
    assert obj.is_active is True
    assert LogEntry.objects.filter(object_id=str(obj.pk)).count() == 2
