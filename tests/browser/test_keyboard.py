"""The product list by keyboard alone: select two rows, run a mass update, preview it,
confirm it and read its job, with Tab, Shift+Tab, Space, Enter, arrow keys and typing
(``page.keyboard``), the focus visible at every stop. The test looks at the page only to
know where the focus is, as a person looks at the screen; it never clicks or fills.
"""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from demo.catalog.admin import ProductAdmin
from demo.catalog.models import Product
from toolkit.compat import TASKS_MODULE
from toolkit.jobs.models import Job
from toolkit.jobs.runner import JobRunner, Outcome

#: The toolkit's own markup: the same on every database and every Django, so on the
#: SQLite leg of the primary Django only (CI time).
pytestmark = [pytest.mark.sqlite_leg, pytest.mark.primary_leg]

#: Key presses allowed to reach one control: the admin's header, sidebar and filters
#: come before the list.
MAX_PRESSES = 400


@pytest.fixture
def products(settings, monkeypatch):
    settings.TASKS = {"default": {"BACKEND": f"{TASKS_MODULE}.backends.dummy.DummyBackend"}}
    # Even two rows run as a job, so the walk ends on the job's page.
    monkeypatch.setattr(ProductAdmin, "bulk_background_threshold", 1, raising=False)
    call_command("seed_catalog", products=30, seed=5, stdout=io.StringIO())


def focused(page, selector: str) -> bool:
    return page.evaluate(
        "(selector) => !!document.activeElement && document.activeElement.matches(selector)",
        selector,
    )


def focus_ring(page) -> str:
    """How the focused element shows its focus: its outline or box shadow ("" if none)."""
    return page.evaluate(
        """() => {
            const style = getComputedStyle(document.activeElement);
            if (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) {
                return `outline ${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}`;
            }
            return style.boxShadow !== "none" ? `box-shadow ${style.boxShadow}` : "";
        }"""
    )


def tab_to(page, selector: str, *, backwards: bool = False) -> None:
    """Press Tab (Shift+Tab) until the focus is on an element matching ``selector``, and
    check that the focus shows there."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(MAX_PRESSES):
        page.keyboard.press(key)
        if focused(page, selector):
            tag = page.evaluate("() => document.activeElement.outerHTML.slice(0, 120)")
            assert focus_ring(page), f"the focus does not show on {tag}"
            return
    raise AssertionError(f"{MAX_PRESSES} presses of {key} never reached {selector}")


def test_select_two_rows_run_a_mass_update_confirm_it_and_read_its_job(page, superuser, products):
    page.goto("/admin/login/")
    tab_to(page, "#id_username")
    page.keyboard.type("root")
    tab_to(page, "#id_password")
    page.keyboard.type("pw-root-123")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/admin/$"))
    page.goto("/admin/catalog/product/")

    # Two rows, ticked with Space.
    for _ in range(2):
        tab_to(page, "#result_list input.action-select:not(:checked)")
        page.keyboard.press("Space")
    ticked = page.locator("#result_list input.action-select:checked")
    expect(ticked).to_have_count(2)
    chosen = sorted(int(pk) for pk in ticked.evaluate_all("boxes => boxes.map(b => b.value)"))

    # Back up to the action menu, pick "mass update" with the arrow keys, run it.
    tab_to(page, "select[name=action]", backwards=True)
    for _ in range(20):
        if page.locator("select[name=action]").input_value() == "mass_update":
            break
        page.keyboard.press("ArrowDown")
    expect(page.locator("select[name=action]")).to_have_value("mass_update")
    tab_to(page, ".actions button[name=index]")
    page.keyboard.press("Enter")
    expect(page.locator(".toolkit-bulk-scope")).to_contain_text("2 selected rows.")

    # A new stock for both; leaving the box ticks its field.
    tab_to(page, "#id_mu-stock")
    page.keyboard.type("7777")
    page.keyboard.press("Tab")
    expect(page.locator("#toolkit-mu-tick-stock")).to_be_checked()
    tab_to(page, "input[name=_preview]")
    page.keyboard.press("Enter")
    expect(page.locator("[data-toolkit-preview]")).to_contain_text("2 of 2 rows will change.")

    # Confirm: the update runs as a job, whose page the browser lands on.
    tab_to(page, "input[name=_apply]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/admin/toolkit_jobs/job/\d+/change/$"))
    status = page.locator('#toolkit-job-progress [data-job-field="status_display"]')
    expect(status).to_have_text("Queued")

    job = Job.objects.get()
    runner = JobRunner(job.pk)
    assert runner.claim()
    runner.count_total()
    while runner.run_chunk() is Outcome.CONTINUE:
        pass
    expect(status).to_have_text("Done")
    expect(page.locator(".toolkit-job-message")).to_contain_text("2 products updated")
    assert sorted(Product.objects.filter(stock=7777).values_list("pk", flat=True)) == chosen

    # And back to the list, by keyboard too.
    tab_to(page, ".toolkit-job-origin a")
    expect(page.locator(".toolkit-job-origin a")).to_have_text("Back to the products list")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/admin/catalog/product/(\?.*)?$"))
