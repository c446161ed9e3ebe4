"""A person narrows the product list with a qualified search, in a real browser."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from demo.catalog.models import Category, Product, Supplier

from .conftest import login

pytestmark = pytest.mark.urls("tests.admin_ext.site_search")


@pytest.fixture
def products(db):
    cables = Category.objects.create(name="Cables", slug="cables")
    acme = Supplier.objects.create(name="Acme Corp", country="US")
    other = Supplier.objects.create(name="Acme Industries", country="DE")
    for sku, name, supplier, price in [
        ("USB-001", "USB C cable", acme, "9.99"),
        ("USB-002", "USB C cable, refurbished", acme, "8.00"),
        ("USB-003", "USB C cable", acme, "2.50"),
        ("HDMI-01", "HDMI cable", other, "19.99"),
    ]:
        Product.objects.create(
            sku=sku,
            name=name,
            category=cables,
            supplier=supplier,
            price=Decimal(price),
            cost=Decimal("1.00"),
        )


def test_qualified_search_and_a_malformed_term(page, superuser, products):
    login(page, "root", "pw-root-123")
    page.goto("/admin/catalog/product/")
    assert "Qualifiers:" in page.inner_text("#searchbar_helptext")

    page.fill("#searchbar", 'supplier:"acme corp" price>=5 -refurbished cable')
    page.press("#searchbar", "Enter")
    page.wait_for_url(re.compile(r".*\?q="))
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "USB-001" in rows.first.inner_text()
    assert page.input_value("#searchbar") == 'supplier:"acme corp" price>=5 -refurbished cable'

    page.fill("#searchbar", "cable price>abc")
    page.press("#searchbar", "Enter")
    page.wait_for_url(re.compile(r".*price%3Eabc"))
    warning = page.locator(".messagelist .warning")
    assert warning.count() == 1
    assert "“price>abc”" in warning.inner_text()
    # The bad term is left out; "cable" still filters.
    assert page.locator("#result_list tbody tr").count() == 4
