"""Issue 17's newcomer walk, in a real browser over the demo's seeded product list.

Log in, search, filter, save a view and bring it back, mass update with a preview,
export and import the same file again; then, against the real local model, run an AI
action, watch its job and read the result on the product's page. Each stage is named
with ``steps(...)``: a failure leaves a screenshot and the page's HTML named after the
test and the stage (``conftest.steps``). Under the demo's strict CSP the ``page``
fixture fails the walk on any violation or JavaScript error.
"""

from __future__ import annotations

import re

import pytest
from django.db.models import Q
from playwright.sync_api import expect

from demo.catalog.models import Category, Product
from toolkit.admin_ext.models import SavedView
from toolkit.ai.models import Insight
from toolkit.jobs.models import Job
from toolkit.jobs.runner import run_job

from .conftest import login

PRODUCTS = "/admin/catalog/product/"
#: The model takes 5-60 s per answer on a loaded machine; the page then polls.
AI_TIMEOUT = 120_000


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def rows(page):
    return page.locator("#result_list tbody tr")


def visible_skus(page):
    return sorted(rows(page).locator("th.field-sku").all_inner_texts())


def row_of(page, sku):
    return rows(page).filter(has=page.get_by_role("link", name=sku, exact=True))


def filter_block(page, title):
    return page.locator(f'#changelist-filter details[data-filter-title="{title}"]')


def run_action(page, name):
    page.select_option("select[name=action]", name)
    page.locator(".actions button[name=index]").first.click()  # "Run" on 6.1, "Go" on 5.2


def test_newcomer_searches_filters_saves_a_view_mass_updates_and_round_trips_a_csv(
    page, steps, superuser, catalog, media, tmp_path
):
    steps("log-in")
    login(page, "root", "pw-root-123")
    expect(page.locator("#content h1")).to_have_text("Site administration")
    page.get_by_role("link", name="Products", exact=True).first.click()
    page.wait_for_url(f"**{PRODUCTS}")

    steps("search-sku-prefix")
    product = Product.objects.order_by("sku").first()
    prefix = product.sku.rsplit("-", 1)[0].lower()  # "bty-frg": case-insensitive prefix
    expected = sorted(Product.objects.filter(sku__istartswith=prefix).values_list("sku", flat=True))
    page.fill("#searchbar", prefix)
    page.press("#searchbar", "Enter")
    page.wait_for_url(re.compile(rf"\?q={prefix}$"))
    expect(row_of(page, product.sku)).to_have_count(1)
    assert visible_skus(page) == expected
    page.fill("#searchbar", "")
    page.press("#searchbar", "Enter")
    page.wait_for_url(re.compile(r"\?q=$"))

    steps("filter-category-tree-and-status")
    department = (
        Category.objects.filter(parent=None, children__products__status="active")
        .distinct()
        .order_by("name")
        .first()
    )
    # The department's tree: itself and its subcategories.
    in_department = Product.objects.filter(
        Q(category=department) | Q(category__parent=department), status="active"
    )
    filter_block(page, "category").get_by_role("link", name=department.name, exact=True).click()
    page.wait_for_url(re.compile(rf"category__id__in_tree={department.pk}"))
    filter_block(page, "status").get_by_role("link", name="Active", exact=True).click()
    page.wait_for_url(re.compile(r"status__in=active"))
    assert f"category__id__in_tree={department.pk}" in page.url
    expected = sorted(in_department.values_list("sku", flat=True))
    assert len(expected) >= 3
    expect(rows(page)).to_have_count(len(expected))
    assert visible_skus(page) == expected
    filtered_url = page.url

    steps("save-the-view")
    menu = page.locator("details.toolkit-saved-views-menu")
    menu.locator("summary").click()
    name = menu.get_by_label("Save the current view as")
    name.fill("Active in my department")
    name.press("Enter")
    expect(page.locator(".messagelist .success")).to_have_text(
        "The view “Active in my department” was saved."
    )
    assert page.url == filtered_url
    assert SavedView.objects.get().name == "Active in my department"

    steps("reopen-the-saved-view")
    page.get_by_role("link", name=re.compile("Clear all filters")).click()
    page.wait_for_url(re.compile(r".*/admin/catalog/product/(\?(q=)?)?$"))
    expect(rows(page)).to_have_count(min(Product.objects.count(), 50))
    menu.locator("summary").click()
    menu.get_by_role("link", name="Active in my department").click()
    expect(page.locator(".messagelist .info")).to_have_text(
        "Showing the saved view “Active in my department”."
    )
    assert f"category__id__in_tree={department.pk}" in page.url
    assert "status__in=active" in page.url
    assert visible_skus(page) == expected

    steps("mass-update-preview")
    chosen = rows(page).locator("th.field-sku").all_inner_texts()[:3]
    stocks = {p.sku: p.stock for p in Product.objects.filter(sku__in=chosen)}
    # The highest of the three: a row that already holds it does not change. Not 0, the
    # field's initial value, which typing again would not count as a change.
    new_stock = max(stocks.values()) or 5
    changing = [sku for sku in chosen if stocks[sku] != new_stock]
    if not changing:
        new_stock += 1
        changing = chosen
    for sku in chosen:
        row_of(page, sku).locator("input.action-select").check()
    run_action(page, "mass_update")
    expect(page.locator(".toolkit-bulk-scope")).to_contain_text("3 selected rows.")
    page.wait_for_load_state()  # the script that ticks an edited field's box has run
    page.get_by_label("New value of Stock", exact=True).fill(str(new_stock))
    page.get_by_label("New value of Stock", exact=True).press("Tab")  # "change" ticks it
    expect(page.get_by_label("Change Stock", exact=True)).to_be_checked()
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("[data-toolkit-preview]")).to_contain_text(
        f"{len(changing)} of 3 rows will change."
    )
    sample = page.locator("[data-toolkit-preview-rows] tbody tr")
    expect(sample).to_have_count(len(changing))
    for sku in changing:
        row = sample.filter(has=page.locator("th", has_text=sku))
        expect(row.locator("td[data-toolkit-changes]")).to_have_text(f"{stocks[sku]} → {new_stock}")

    steps("mass-update-apply")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".messagelist .success")).to_have_text(
        f"{len(changing)} product{'s' if len(changing) != 1 else ''} updated."
    )
    assert set(Product.objects.filter(sku__in=chosen).values_list("stock", flat=True)) == {
        new_stock
    }

    steps("export-csv")
    page.goto(filtered_url)
    page.locator("#action-toggle").check()  # the whole filtered list: it fits on one page
    with page.expect_download() as download_info:
        run_action(page, "export_as_csv")
    exported = tmp_path / "products.csv"
    download_info.value.save_as(exported)
    assert exported.read_text(encoding="utf-8").count("\n") >= len(expected) + 1

    steps("re-import-preview")
    before = sorted(Product.objects.values_list("sku", "name", "price", "stock", "status"))
    page.get_by_role("link", name="Import").first.click()
    page.set_input_files("#id_import_file", str(exported))
    page.get_by_role("button", name="Preview").click()
    summary = page.locator(".toolkit-import-summary")
    expect(summary).to_contain_text("0 changes")
    expect(summary).to_contain_text(f"{len(expected)} rows are unchanged")
    expect(page.get_by_text(f"products.csv: {len(expected)} rows.")).to_be_visible()

    steps("re-import-cancel")
    page.get_by_role("button", name="Cancel").click()
    page.wait_for_url(f"**{PRODUCTS}")
    expect(page.locator(".messagelist")).to_contain_text(
        "The import of products.csv was cancelled; nothing was imported."
    )
    assert sorted(Product.objects.values_list("sku", "name", "price", "stock", "status")) == before


def test_newcomer_flags_an_anomaly_watches_the_job_and_reads_the_ai_panel(
    page, steps, superuser, catalog, local_model
):
    product = Product.objects.filter(stock__gte=0).order_by("sku").first()
    Product.objects.filter(pk=product.pk).update(stock=-7)

    steps("log-in")
    login(page, "root", "pw-root-123")
    page.goto(PRODUCTS)

    steps("run-flag-anomalies")
    page.fill("#searchbar", product.sku.lower())
    page.press("#searchbar", "Enter")
    expect(row_of(page, product.sku)).to_have_count(1)
    row_of(page, product.sku).locator("input.action-select").check()
    page.select_option("select[name=action]", label="Flag anomalies")
    page.locator(".actions button[name=index]").first.click()
    page.wait_for_url(re.compile(r".*/admin/toolkit_jobs/job/\d+/change/$"))
    expect(page.locator(".messagelist")).to_contain_text("runs in the background")
    status = page.locator('#toolkit-job-progress [data-job-field="status_display"]')
    expect(status).to_have_text("Queued")

    steps("follow-the-job")
    job = Job.objects.get()
    run_job(job.pk)  # as the demo's db_worker would; the real model answers here
    expect(status).to_have_text("Done", timeout=AI_TIMEOUT)
    # Once finished, the page reloads once to show what the server renders for the result.
    progress = page.locator("#toolkit-job-progress")
    expect(progress).to_have_attribute("data-job-active", "false", timeout=AI_TIMEOUT)
    page.get_by_role("link", name="See the results").click()
    expect(rows(page)).to_have_count(1)  # the job's insights: one per product
    expect(rows(page).locator(".field-severity_badge")).to_have_text("Critical")

    steps("read-the-ai-panel")
    rows(page).locator(".field-record").get_by_role("link", name=f"({product.sku})").click()
    page.wait_for_url(f"**{PRODUCTS}{product.pk}/change/")
    insight = page.locator('#toolkit-ai-panel .toolkit-ai-insight[data-ai-kind="anomalies"]')
    expect(insight).to_have_count(1)
    fact = insight.locator("tr.toolkit-ai-flag-fact", has_text="Stock is negative")
    expect(fact).to_have_count(1)
    expect(fact.locator(".toolkit-ai-badge")).to_have_text(re.compile("critical", re.I))
    # Whatever the model wrote is shown sentence by sentence, each verified against the
    # values sent or marked "unverified"; its own flags read "Model suggests: ...".
    stored = Insight.objects.get(kind="anomalies")
    sentences = stored.grounding.get("sentences") or []
    verified = sum(bool(s.get("verified")) for s in sentences)
    text = insight.locator(".toolkit-ai-text")
    expect(text.locator(".toolkit-ai-verified")).to_have_count(verified)
    unverified = text.locator(".toolkit-ai-unverified-text")
    expect(unverified).to_have_count(len(sentences) - verified)
    expect(unverified.locator(".toolkit-ai-badge")).to_have_text(
        ["unverified"] * (len(sentences) - verified)
    )
    for suggestion in insight.locator("tr.toolkit-ai-flag-suggestion").all():
        expect(suggestion).to_contain_text("Model suggests:")
