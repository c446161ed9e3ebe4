"""The demo's product list, as staff use it: qualified search, a range, a multi-select and
an autocomplete filter together, with the totals row following along (real Chromium,
strict CSP)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from demo.catalog.models import Category, Product, Supplier, Tag

from .conftest import login

PRODUCTS = "/admin/catalog/product/"


@pytest.fixture
def shop(transactional_db):
    cables = Category.objects.create(name="Cables", slug="cables")
    lamps = Category.objects.create(name="Lamps", slug="lamps")
    acme = Supplier.objects.create(name="Acme Industrial", country="DE")
    globex = Supplier.objects.create(name="Globex", country="US")
    Supplier.objects.bulk_create(
        [Supplier(name=f"Other supplier {i:03d}", country="NL") for i in range(150)]
    )
    sale = Tag.objects.create(name="sale")
    rows = [
        ("CBL-1", "USB-C cable 1 m", cables, acme, "4.00", 10, "active"),
        ("CBL-2", "USB-C cable 2 m", cables, globex, "9.00", 20, "active"),
        ("CBL-3", "Braided USB-C cable", cables, globex, "19.00", 30, "draft"),
        ("LMP-1", "Desk lamp <b>bold</b>", lamps, globex, "35.00", 5, "active"),
        ("LMP-2", "Floor lamp", lamps, acme, "120.00", 2, "discontinued"),
    ]
    for sku, name, category, supplier, price, stock, status in rows:
        product = Product.objects.create(
            sku=sku,
            name=name,
            description=f"{name}, a fine product.",
            category=category,
            supplier=supplier,
            price=Decimal(price),
            cost=Decimal("1.00"),
            stock=stock,
            weight=Decimal("0.250"),
            status=status,
        )
        if sku in {"CBL-2", "CBL-3", "LMP-1"}:
            product.tags.add(sale)
    return {"globex": globex}


def skus(page):
    return sorted(page.locator("#result_list tbody tr .field-sku").all_inner_texts())


def block(page, title):
    return page.locator(f'#changelist-filter details[data-filter-title="{title}"]')


def stock_total(page):
    return page.locator("#result_list tfoot .field-stock .toolkit-total-value").inner_text().strip()


def test_search_and_three_filters_together_on_the_demo_product_list(page, superuser, shop):
    login(page, "root", "pw-root-123")
    page.goto(PRODUCTS)
    assert skus(page) == ["CBL-1", "CBL-2", "CBL-3", "LMP-1", "LMP-2"]
    assert stock_total(page) == "67"
    # Record text is escaped, never markup.
    assert page.locator("#result_list b").count() == 0
    assert "Desk lamp <b>bold</b>" in page.locator("#result_list").inner_text()

    # A qualified search: tagged "sale", cheaper than 100.
    page.fill("#searchbar", "tag:sale price<100")
    page.press("#searchbar", "Enter")
    page.wait_for_url(re.compile(r"\?q=tag"))
    assert skus(page) == ["CBL-2", "CBL-3", "LMP-1"]
    assert stock_total(page) == "55"

    # A price range on top of it.
    price = block(page, "price")
    price.get_by_label("Minimum").fill("5")
    price.get_by_label("Maximum").fill("30")
    price.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"price__gte=5"))
    assert "q=tag" in page.url
    assert skus(page) == ["CBL-2", "CBL-3"]

    # Two statuses, OR'ed.
    block(page, "status").get_by_role("link", name="Draft").click()
    page.wait_for_url(re.compile(r"status__in=draft"))
    assert skus(page) == ["CBL-3"]
    block(page, "status").get_by_role("link", name="Active").click()
    page.wait_for_url(re.compile(r"status__in="))
    assert skus(page) == ["CBL-2", "CBL-3"]

    # The supplier, through the admin's autocomplete endpoint.
    supplier = block(page, "supplier")
    supplier.locator(".select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill("glob")
    page.locator(".select2-results__option", has_text="Globex").click()
    page.wait_for_url(re.compile(rf"supplier__id__exact={shop['globex'].pk}"))
    for kept in ("q=tag", "price__gte=5", "status__in="):
        assert kept in page.url
    assert skus(page) == ["CBL-2", "CBL-3"]
    assert stock_total(page) == "50"


def test_a_malformed_search_term_is_a_message_and_the_rest_still_applies(page, superuser, shop):
    login(page, "root", "pw-root-123")
    page.goto(PRODUCTS + "?q=price%3Eabc+cable&status__in=active")
    assert "price>abc" in page.locator(".messagelist .warning").inner_text()
    assert skus(page) == ["CBL-1", "CBL-2"]
