"""A person logs in, finds a product and opens it, in a real browser."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from demo.catalog.models import Product

from .conftest import login


def test_log_in_search_and_open_a_product(page, superuser, catalog):
    product = Product.objects.order_by("pk").first()

    login(page, "root", "pw-root-123")
    page.click("text=Products")
    page.wait_for_url(re.compile(r".*/admin/catalog/product/$"))
    assert page.locator("#result_list tbody tr").count() > 0

    page.fill("#searchbar", product.sku)
    page.press("#searchbar", "Enter")
    page.wait_for_url(re.compile(r".*\?q="))
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1

    rows.first.locator("th a").click()
    page.wait_for_url(re.compile(rf".*/admin/catalog/product/{product.pk}/change/(\?.*)?$"))
    assert page.input_value("#id_sku") == product.sku
    assert page.input_value("#id_name") == product.name


def test_wrong_password_shows_the_admin_error(page, superuser):
    page.goto("/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "not-the-password")
    page.click("input[type=submit]")
    # The POST answers with the same URL, so there is no navigation to wait
    # for: expect() waits for the answer's page, is_visible() would not.
    expect(page.locator(".errornote")).to_contain_text("correct username and password")
