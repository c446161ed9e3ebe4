"""Every toolkit page and state, checked by axe-core in a real browser, light and dark.

axe-core comes from the npm registry at the version locked in tests/browser/package-lock.json
(``scripts/install-axe``, which ``make chromium`` runs). It is evaluated in the page
(``page.evaluate``), not added as a ``<script>`` tag: the demo's strict
Content-Security-Policy blocks inline scripts, and the ``page`` fixture fails a test on
any violation. Each state is scanned with the WCAG 2 A and AA rules (2.0, 2.1, 2.2) under
``prefers-color-scheme: light`` and then ``dark`` (the admin's theme is "auto" until a
person picks one), and fails on any violation of impact serious or critical.

Violations that stock Django admin markup has on a stock page as well are not ours to
fix: they are listed in ``STOCK`` with the stock page that shows them, exactly by rule
and element, and ``test_stock_pages_show_every_excluded_violation`` checks that those
pages still do, so the list cannot outlive its reason.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.test import Client
from django.urls import path
from playwright.sync_api import expect

from demo.catalog.admin import ProductAdmin
from demo.catalog.models import Category, Product, Supplier, Tag
from toolkit.admin_ext.models import SavedView
from toolkit.ai.models import Insight, ReviewStatus
from toolkit.compat import TASKS_MODULE
from toolkit.jobs.models import Job, JobStatus

#: The toolkit's own markup: the same on every database and every Django, so on the
#: SQLite leg of the primary Django only (CI time; Django 5.2's own breadcrumbs would
#: also fail link-in-text-block there, white links on a light blue bar).
pytestmark = [pytest.mark.sqlite_leg, pytest.mark.primary_leg]

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
#: WCAG 2.0, 2.1 and 2.2, levels A and AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
SEVERE = {"serious", "critical"}
THEMES = ("light", "dark")
PRODUCTS = "/admin/catalog/product/"

#: Violations of stock Django admin markup, as (rule, element), each with the stock page
#: (in ``STOCK_PAGES``) that shows it too.
STOCK: dict[tuple[str, str], str] = {
    # select2's search box of a many-to-many autocomplete (the tags) has no label.
    ("label", ".select2-search__field"): "the stock product change form",
}


def is_stock(violation: dict, stock=STOCK) -> bool:
    """Whether stock Django's own markup makes ``violation``: its rule, on an element
    whose selector starts as one listed in ``stock``."""
    return any(
        violation["rule"] == rule and violation["target"].startswith(target)
        for rule, target in stock
    )


@pytest.fixture(autouse=True)
def axe_installed():
    if not AXE.exists():
        message = f"axe-core not found at {AXE}: run scripts/install-axe (`make chromium`)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; CI requires it")
        pytest.skip(message)


def axe_violations(page) -> list[dict]:
    """axe's violations of the WCAG A/AA rules on the page as it is now, one entry per
    (rule, element)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    return page.evaluate(
        """async (tags) => {
            // The admin's links fade to a new theme's colours (a CSS transition).
            await Promise.all(document.getAnimations().map((a) => a.finished));
            const result = await axe.run(document, {
                runOnly: {type: "tag", values: tags}, resultTypes: ["violations"],
            });
            return result.violations.flatMap((rule) => rule.nodes.map((node) => ({
                rule: rule.id,
                impact: node.impact || rule.impact,
                target: node.target.map(String).join(" "),
                html: node.html.slice(0, 160),
                summary: (node.failureSummary || "").replace(/\\s+/g, " ").slice(0, 240),
            })));
        }""",
        WCAG_TAGS,
    )


def severe_violations(page, stock=STOCK) -> dict[str, list[dict]]:
    """Serious and critical violations per theme, stock Django's own left out."""
    found = {}
    for theme in THEMES:
        page.emulate_media(color_scheme=theme)
        found[theme] = [
            v for v in axe_violations(page) if v["impact"] in SEVERE and not is_stock(v, stock)
        ]
    page.emulate_media(color_scheme="light")
    return found


def describe(found: dict[str, list[dict]]) -> str:
    lines = []
    for theme, violations in found.items():
        for v in violations:
            lines.append(
                f"[{theme}] {v['impact']} {v['rule']} at {v['target']}: {v['summary']}\n"
                f"    {v['html']}"
            )
    return "\n".join(lines)


def assert_accessible(page):
    found = severe_violations(page)
    assert not any(found.values()), f"axe found on {page.url}:\n" + describe(found)


# -- the data every page shows ----------------------------------------------------------


@pytest.fixture
def shop(settings, tmp_path, superuser, monkeypatch):
    """The demo's catalog with a saved view, a running job, AI insights of every kind
    (made by the toolkit's runner against a fake endpoint) and a digest."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": f"{TASKS_MODULE}.backends.dummy.DummyBackend"}}
    call_command("seed_catalog", products=40, seed=7, stdout=io.StringIO())
    product = Product.objects.order_by("sku").first()
    SavedView.objects.create(
        owner=superuser,
        name="Active products",
        content_type=ContentType.objects.get_for_model(Product),
        query_string="status__in=active",
    )
    job = Job.objects.create(
        kind="admin_ext.mass_update",
        description="Mass update of 40 products: Stock = 5",
        started_by=superuser,
        status=JobStatus.RUNNING,
        total=40,
        done=12,
        failed=1,
    )
    insights = ai_insights(product, superuser)
    return {"product": product, "job": job, **insights}


def ai_insights(product, user) -> dict:
    from tests.ai.test_runner import RULES, FakeLLM, source
    from toolkit.ai.actions import FlagAnomaliesAction, SummarizeAction, SummarizeSelectionAction
    from toolkit.ai.runner import run_action, run_digest

    Product.objects.filter(pk=product.pk).update(stock=-3)
    product.refresh_from_db()
    summary = FakeLLM(
        lambda body, ids: {"summary": f"{product.name} costs {product.price}. It sells well."}
    )
    run_action(SummarizeAction, source(), [product], client=summary.client(), user=user)
    anomalies = FakeLLM(
        lambda body, ids: {
            "summary": "Stock is negative.",
            "flags": [{"field": "name", "severity": "critical", "reason": f"“{product.name}”"}],
        }
    )
    run_action(
        FlagAnomaliesAction,
        source(rules=RULES, peer_group="category", peer_fields=["price"]),
        [product],
        client=anomalies.client(),
        user=user,
    )
    content_type = ContentType.objects.get_for_model(Product)
    common = {"content_type": content_type, "object_id": str(product.pk), "model": "mock-model"}
    Insight.objects.create(
        **common,
        kind="proposal",
        action="not_registered",
        endpoint="default",
        data={"field": "description", "value": "A clearer text.", "reason": "Clearer."},
        review_status=ReviewStatus.PROPOSED,
    )
    Insight.objects.create(
        **common,
        kind="proposal",
        action="not_registered",
        endpoint="default",
        data={"field": "description", "value": "Worse.", "rejected": "Too short."},
        review_status=ReviewStatus.REJECTED,
    )
    items = Product.objects.order_by("pk")[:8]
    digest = FakeLLM(
        lambda body, ids: {"summary": "Eight products.", "highlights": ["Prices vary."]}
    )
    insight = run_digest(
        SummarizeSelectionAction, source(), items, client=digest.client(), user=user
    )
    return {"digest": insight}


# -- the pages and states ---------------------------------------------------------------


def open_changelist(page, shop):
    """Our filters applied (multi-select, range), the totals row, the AI links."""
    page.goto(PRODUCTS + "?status__in=active&price__gte=1")
    expect(page.locator("#result_list tfoot.toolkit-totals")).to_be_visible()


def open_saved_views_menu(page, shop):
    page.goto(PRODUCTS + "?status__in=active")
    page.locator(".toolkit-saved-views-menu summary").click()
    expect(page.get_by_role("link", name="Active products")).to_be_visible()


def open_saved_views_page(page, shop):
    page.goto(PRODUCTS + "saved-views/?status__in=active")
    expect(page.get_by_role("link", name="Active products")).to_be_visible()


def open_row_actions(page, shop):
    page.goto(PRODUCTS)
    page.locator("#result_list .toolkit-row-actions-toggle").first.click()
    expect(page.get_by_role("button", name="Duplicate").first).to_be_visible()


def select_and_run(page, action, rows=3):
    page.goto(PRODUCTS)
    boxes = page.locator("#result_list input.action-select")
    for i in range(rows):
        boxes.nth(i).check()
    page.select_option("select[name=action]", action)
    page.locator(".actions button[name=index]").first.click()


def open_mass_update(page, shop):
    select_and_run(page, "mass_update")
    expect(page.locator(".toolkit-bulk-scope")).to_contain_text("3 selected rows.")


def open_mass_update_preview(page, shop):
    open_mass_update(page, shop)
    page.get_by_label("New value of Stock", exact=True).fill("9")
    page.get_by_label("New value of Stock", exact=True).press("Tab")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("[data-toolkit-preview]")).to_contain_text("rows will change")


def open_delete_summary(page, shop, monkeypatch):
    monkeypatch.setattr(ProductAdmin, "delete_list_max_objects", 0)
    select_and_run(page, "delete_selected")
    expect(page.locator("#toolkit-delete-summary")).to_be_visible()


def open_import(page, shop):
    page.goto(PRODUCTS + "import/")
    expect(page.locator("#id_import_file")).to_be_visible()


def open_import_preview(page, shop, superuser, tmp_path):
    client = Client()
    client.force_login(superuser)
    pks = [str(pk) for pk in Product.objects.order_by("pk").values_list("pk", flat=True)[:5]]
    exported = client.post(PRODUCTS, {"action": "export_as_csv", "_selected_action": pks})
    rows = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode("utf-8-sig"))))
    price = rows[0].index("Price")
    rows[1][price] = "12345.00"  # an update
    rows[2][price] = "not a price"  # a rejected row
    path = tmp_path / "products.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    open_import(page, shop)
    page.set_input_files("#id_import_file", str(path))
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".toolkit-import-summary")).to_be_visible()


def open_job(page, shop):
    page.goto(shop["job"].get_absolute_url())
    expect(page.locator('#toolkit-job-progress [data-job-field="done"]')).to_have_text("12")


def open_ai_panel(page, shop):
    page.goto(f"{PRODUCTS}{shop['product'].pk}/change/")
    expect(page.locator("#toolkit-ai-panel .toolkit-ai-flags")).to_be_visible()


def open_review(page, shop):
    page.goto(PRODUCTS + "ai/proposals/?rejected=1")
    expect(page.locator(".toolkit-ai-proposal")).to_have_count(1)
    expect(page.locator("#rejected")).to_be_visible()


def open_digest(page, shop):
    page.goto(f"/admin/toolkit_ai/insight/{shop['digest'].pk}/digest/")
    expect(page.locator("#toolkit-ai-digest")).to_be_visible()


STATES = {
    "changelist-filters-totals": open_changelist,
    "saved-views-menu": open_saved_views_menu,
    "saved-views-page": open_saved_views_page,
    "row-actions": open_row_actions,
    "mass-update": open_mass_update,
    "mass-update-preview": open_mass_update_preview,
    "delete-summary": open_delete_summary,
    "import": open_import,
    "import-preview": open_import_preview,
    "job": open_job,
    "ai-panel": open_ai_panel,
    "review": open_review,
    "digest": open_digest,
}


@pytest.mark.parametrize("state", STATES)
def test_no_serious_or_critical_violation(admin_page, shop, state, request):
    """The state as a person reaches it, then axe in both themes."""
    opener = STATES[state]
    # Openers ask for fixtures of their own after (page, shop).
    extra = {
        name: request.getfixturevalue(name)
        for name in opener.__code__.co_varnames[2 : opener.__code__.co_argcount]
    }
    opener(admin_page, shop, **extra)
    assert_accessible(admin_page)


# -- stock Django, for comparison -------------------------------------------------------

#: The same product admin without the toolkit: a plain ModelAdmin, its autocomplete
#: widgets fed by plain ModelAdmins (``/stock/``, beside the demo's ``/admin/``).
stock_site = admin.AdminSite(name="stock_admin")
stock_site.register(Product, autocomplete_fields=["category", "supplier", "tags"])
stock_site.register([Category, Supplier, Tag], search_fields=["name"])
urlpatterns = [path("admin/", admin.site.urls), path("stock/", stock_site.urls)]

STOCK_PAGES = {
    "the stock product change form": "/stock/catalog/product/{pk}/change/",
}


@pytest.mark.urls(__name__)
def test_stock_pages_show_every_excluded_violation(admin_page, shop):
    seen = {}
    for name, url in STOCK_PAGES.items():
        admin_page.goto(url.format(pk=shop["product"].pk))
        found = severe_violations(admin_page, stock={})
        seen[name] = [v for vs in found.values() for v in vs]
    for (rule, target), where in STOCK.items():
        assert any(is_stock(v, {(rule, target): where}) for v in seen[where]), (
            f"{where} no longer shows {rule} at {target}"
        )
