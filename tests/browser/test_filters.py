"""A person narrows the product list with a range, a multi-select and an autocomplete
filter in a real browser (strict CSP: the harness fails on any violation or JS error)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from demo.catalog.models import Category, Product, Supplier

from .conftest import login

PRODUCTS = "/admin/catalog/product/"


@pytest.fixture
def shop(transactional_db):
    cables = Category.objects.create(name="Cables", slug="cables")
    acme = Supplier.objects.create(name="Acme", country="DE")
    globex = Supplier.objects.create(name="Globex", country="US")
    # A related table too big to render: the filter must search it, not list it.
    Supplier.objects.bulk_create(
        [Supplier(name=f"Far supplier {i:03d}", country="NL") for i in range(300)]
    )
    for sku, price, status, supplier in [
        ("A1", "5.00", "active", acme),
        ("A2", "10.00", "draft", globex),
        ("B1", "25.50", "active", acme),
        ("C1", "49.99", "discontinued", globex),
    ]:
        Product.objects.create(
            sku=sku,
            name=f"Product {sku}",
            category=cables,
            supplier=supplier,
            price=Decimal(price),
            cost=Decimal("1.00"),
            status=status,
        )
    return {"acme": acme, "globex": globex}


def visible_skus(page):
    return sorted(page.locator("#result_list tbody tr .field-sku").all_inner_texts())


def filter_block(page, title):
    return page.locator(f'#changelist-filter details[data-filter-title="{title}"]')


@pytest.mark.urls("tests.admin_ext.site_filters")
def test_range_multi_select_and_autocomplete_filters_together(page, superuser, shop):
    login(page, "root", "pw-root-123")
    page.goto(PRODUCTS)
    assert visible_skus(page) == ["A1", "A2", "B1", "C1"]

    # A price range: the form keeps only the bounds that were filled in.
    price = filter_block(page, "price")
    price.get_by_label("Minimum").fill("6")
    price.get_by_label("Maximum").fill("30")
    price.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"\?price__gte=6&price__lte=30$"))
    assert visible_skus(page) == ["A2", "B1"]

    # Two statuses, OR'ed, each a link that adds itself to the selection.
    status = filter_block(page, "status")
    status.get_by_role("link", name="Active").click()
    page.wait_for_url(re.compile(r"status__in=active"))
    assert visible_skus(page) == ["B1"]
    filter_block(page, "status").get_by_role("link", name="Draft").click()
    page.wait_for_url(re.compile(r"status__in=draft%2Cactive"))
    assert visible_skus(page) == ["A2", "B1"]
    assert filter_block(page, "status").locator("li.selected").count() == 2

    # The supplier: typed into select2, found by the admin's autocomplete view.
    supplier = filter_block(page, "supplier")
    assert supplier.locator("select option").count() == 1  # only the empty choice
    supplier.locator(".select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill("glo")
    page.locator(".select2-results__option", has_text="Globex").click()
    page.wait_for_url(re.compile(rf"supplier__id__exact={shop['globex'].pk}"))
    assert "price__gte=6" in page.url
    assert "status__in=draft%2Cactive" in page.url
    assert visible_skus(page) == ["A2"]
    supplier = filter_block(page, "supplier")
    assert supplier.locator("li.selected").inner_text() == "Globex"
    assert supplier.locator(".select2-selection__rendered").inner_text().endswith("Globex")

    # Clearing the box removes that filter and keeps the others.
    supplier.locator(".select2-selection__clear").click()
    page.wait_for_url(re.compile(r"^(?!.*supplier__id__exact).*status__in=draft%2Cactive"))
    assert visible_skus(page) == ["A2", "B1"]


@pytest.mark.urls("tests.admin_ext.site_filters")
def test_a_bad_filter_value_is_a_warning_on_the_page(page, superuser, shop):
    login(page, "root", "pw-root-123")
    page.goto(PRODUCTS + "?price__gte=abc&status__in=active")
    warning = page.locator(".messagelist .warning")
    assert "price__gte=abc" in warning.inner_text()
    assert visible_skus(page) == ["A1", "B1"]
