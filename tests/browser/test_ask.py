"""A newcomer asks the product list a question, reads the search it became, edits it and
saves it as a view: the walk the issue names, in the demo's own ProductAdmin.

The question is one the rules read (no model is asked), so the walk needs no endpoint.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from demo.catalog.models import Category, Product, Supplier
from toolkit.admin_ext.models import SavedView

from .conftest import login


@pytest.fixture
def products(db):
    cables = Category.objects.create(name="Cables", slug="cables")
    lamps = Category.objects.create(name="Lamps", slug="lamps")
    acme = Supplier.objects.create(name="Acme", country="DE")
    rows = [
        ("C-1", cables, "9.50", "draft"),
        ("C-2", cables, "15.00", "draft"),
        ("C-3", cables, "12.00", "active"),
        ("C-4", cables, "45.00", "draft"),
        ("L-1", lamps, "8.00", "draft"),
    ]
    for sku, category, price, status in rows:
        Product.objects.create(
            sku=sku,
            name=f"Product {sku}",
            category=category,
            supplier=acme,
            price=Decimal(price),
            cost=Decimal("1.00"),
            status=status,
        )


def test_a_question_becomes_a_search_to_read_edit_and_save(page, superuser, products):
    rows = page.locator("#result_list tbody tr")
    search = page.locator("#searchbar")
    login(page, "root", "pw-root-123")
    page.goto("/admin/catalog/product/")

    search.fill("?draft cables under 20")
    search.press("Enter")
    page.wait_for_url(re.compile(r".*\?q=.*"))
    expect(page.locator(".messagelist")).to_contain_text("Showing:")
    terms = search.input_value().split()
    assert sorted(terms) == ["category:Cables", "price<20", "status:draft"]
    assert sorted(rows.locator("th a").all_inner_texts()) == ["C-1", "C-2"]

    # The search is ordinary text: staff edit it like any other.
    search.fill(search.input_value().replace("price<20", "price<12"))
    search.press("Enter")
    page.wait_for_url(re.compile(r".*price%3C12.*"))
    assert rows.locator("th a").all_inner_texts() == ["C-1"]

    menu = page.locator("details.toolkit-saved-views-menu")
    menu.locator("summary").click()
    name = menu.locator("#id_saved_view-name")
    name.fill("Cheap draft cables")
    name.press("Enter")
    expect(page.locator(".messagelist .success")).to_contain_text("Cheap draft cables")
    saved = SavedView.objects.get()
    assert "price%3C12" in saved.query_string and "status%3Adraft" in saved.query_string
