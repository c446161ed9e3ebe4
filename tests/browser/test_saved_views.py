"""A person filters the product list, saves the view, clears it and brings it back.

The menu's content is fetched only when it is opened; without JavaScript its link leads
to a page of the same content.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from demo.catalog.models import Category, Product, Supplier
from toolkit.admin_ext.models import SavedView

from .conftest import login

pytestmark = pytest.mark.urls("tests.admin_ext.site_views")

PANEL_URL = re.compile(r".*/saved-views/menu/.*")


@pytest.fixture
def products(db):
    category = Category.objects.create(name="Cables", slug="cables")
    supplier = Supplier.objects.create(name="Acme", country="DE")
    for sku, status in [("C-1", "active"), ("C-2", "draft"), ("C-3", "active"), ("C-4", "draft")]:
        Product.objects.create(
            sku=sku,
            name=f"Cable {sku}",
            category=category,
            supplier=supplier,
            price=Decimal("10.00"),
            cost=Decimal("5.00"),
            status=status,
        )


def test_filter_save_clear_and_pick_the_saved_view(page, superuser, products):
    rows = page.locator("#result_list tbody tr")
    menu = page.locator("details.toolkit-saved-views-menu")
    panel_requests = []

    def on_request(request):
        if PANEL_URL.match(request.url):
            panel_requests.append(request.url)

    page.on("request", on_request)
    login(page, "root", "pw-root-123")
    page.goto("/admin/catalog/product/")
    assert rows.count() == 4

    page.locator("#changelist-filter").get_by_role("link", name="Active", exact=True).click()
    page.wait_for_url(re.compile(r".*\?status__exact=active$"))
    assert rows.count() == 2
    assert panel_requests == []  # nothing asked for a menu nobody opened

    # By keyboard: the summary takes the focus and opens the menu.
    page.locator(".toolkit-saved-views-menu summary").focus()
    with page.expect_response(PANEL_URL):
        page.keyboard.press("Enter")
    name = menu.locator("#id_saved_view-name")
    name.fill("Active cables")
    name.press("Enter")
    page.wait_for_url(re.compile(r".*\?status__exact=active$"))
    assert (
        page.locator(".messagelist .success").inner_text() == "The view “Active cables” was saved."
    )
    assert SavedView.objects.get().query_string == "status__exact=active"

    page.get_by_role("link", name=re.compile("Clear all filters")).click()
    page.wait_for_url(re.compile(r".*/admin/catalog/product/\?$|.*/admin/catalog/product/$"))
    assert rows.count() == 4

    menu.locator("summary").click()
    menu.get_by_role("link", name="Active cables").click()
    page.wait_for_url(re.compile(r".*\?status__exact=active$"))
    assert rows.count() == 2
    assert sorted(rows.locator("th a").all_inner_texts()) == ["C-1", "C-3"]
    assert page.locator(".messagelist .info").inner_text() == (
        "Showing the saved view “Active cables”."
    )
    menu.locator("summary").click()
    current = menu.locator("a[aria-current=true]")
    assert current.inner_text() == "Active cables"
    assert len(panel_requests) == 3  # once per page the menu was opened on


def test_without_javascript_the_menu_leads_to_a_page_of_saved_views(
    browser, live_server, superuser, products
):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        login(page, "root", "pw-root-123")
        page.goto("/admin/catalog/product/?status__exact=draft")

        page.locator(".toolkit-saved-views-menu summary").click()
        page.get_by_role("link", name="Show saved views").click()
        page.wait_for_url(re.compile(r".*/saved-views/\?status__exact=draft$"))
        assert page.locator("h1").inner_text() == "Saved views of products"
        page.fill("#id_saved_view-name", "Drafts")
        page.locator(".toolkit-saved-view-form input[type=submit]").click()

        page.wait_for_url(re.compile(r".*/admin/catalog/product/\?status__exact=draft$"))
        assert page.locator(".messagelist .success").inner_text() == "The view “Drafts” was saved."
        assert page.locator("#result_list tbody tr").count() == 2
    finally:
        context.close()
