"""A person filters the product list, saves the view, clears it and brings it back."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from demo.catalog.models import Category, Product, Supplier
from toolkit.admin_ext.models import SavedView

from .conftest import login

pytestmark = pytest.mark.urls("tests.admin_ext.site_views")


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
    login(page, "root", "pw-root-123")
    page.goto("/admin/catalog/product/")
    assert rows.count() == 4

    page.locator("#changelist-filter").get_by_role("link", name="Active", exact=True).click()
    page.wait_for_url(re.compile(r".*\?status__exact=active$"))
    assert rows.count() == 2

    page.locator(".toolkit-saved-views-save summary").click()
    page.fill("#id_saved_view-name", "Active cables")
    page.locator(".toolkit-saved-view-form input[type=submit]").click()
    page.wait_for_url(re.compile(r".*\?status__exact=active$"))
    assert (
        page.locator(".messagelist .success").inner_text() == "The view “Active cables” was saved."
    )
    assert SavedView.objects.get().query_string == "status__exact=active"

    page.get_by_role("link", name=re.compile("Clear all filters")).click()
    page.wait_for_url(re.compile(r".*/admin/catalog/product/\?$|.*/admin/catalog/product/$"))
    assert rows.count() == 4

    page.locator(".toolkit-saved-views-menu summary").click()
    page.get_by_role("link", name="Active cables").click()
    page.wait_for_url(re.compile(r".*\?status__exact=active$"))
    assert rows.count() == 2
    assert sorted(rows.locator("th a").all_inner_texts()) == ["C-1", "C-3"]
    assert page.locator(".toolkit-saved-views-current").inner_text() == "Active cables"
