"""The demo's product list fits a 1,400 px window beside the admin's navigation and
filter sidebars, in the light and the dark theme: no horizontal scroll, every column
(price, stock, status, the row menu, the AI column) on screen, SKUs on one line, and
the row menu reachable from the keyboard."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from demo.catalog.models import Product

from .conftest import login

PRODUCTS = "/admin/catalog/product/"
WIDTH = 1400


@pytest.fixture
def seeded(transactional_db):
    """A page of seeded products, with their real long names, suppliers and paths."""
    call_command("seed_catalog", products=60, seed=7, stdout=io.StringIO())
    # The longest names of the catalog on the first page.
    longest = sorted(Product.objects.all(), key=lambda p: -len(p.name))[:10]
    assert len(longest[0].name) >= 40
    Product.objects.filter(pk__in=[p.pk for p in longest]).update(status="active")


def layout(page):
    return page.evaluate(
        """() => {
            const table = document.querySelector('#result_list');
            const box = table.closest('.results') || table.parentElement;
            return {
                scrollWidth: document.documentElement.scrollWidth,
                innerWidth: window.innerWidth,
                tableRight: table.getBoundingClientRect().right,
                boxRight: box.getBoundingClientRect().right,
                tableWidth: table.scrollWidth,
                boxWidth: box.clientWidth,
                columns: Array.from(document.querySelectorAll('#result_list thead th'))
                    .map((th) => [
                        th.className,
                        Math.round(th.getBoundingClientRect().right),
                        Math.round(th.getBoundingClientRect().width),
                    ]),
                skuHeights: Array.from(
                    document.querySelectorAll('#result_list .field-sku a'))
                    .map((a) => a.getClientRects().length),
                nameWidth: document.querySelector('#result_list tbody .field-name')
                    .getBoundingClientRect().width,
            };
        }"""
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_product_list_fits_1400_px_with_both_sidebars(
    browser, live_server, superuser, seeded, scheme
):
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": WIDTH, "height": 900},
        color_scheme=scheme,
    )
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        login(page, "root", "pw-root-123")
        page.goto(PRODUCTS)
        assert page.locator("#nav-sidebar").is_visible()
        assert page.locator("#changelist-filter").is_visible()
        assert page.locator("#result_list tbody tr").count() == 50

        found = layout(page)
        assert found["scrollWidth"] <= found["innerWidth"], found
        assert found["tableWidth"] <= found["boxWidth"], found
        assert found["tableRight"] <= found["boxRight"] + 1, found
        # Every column's right edge is on screen: price, stock, status, the row menu...
        for class_name, right, _width in found["columns"]:
            assert right <= WIDTH, (class_name, found)
        headers = " ".join(c for c, _r, _w in found["columns"])
        for column in ("price", "stock", "status", "row_actions"):
            assert f"column-{column}" in headers
        # SKUs on one line; names get room to be read.
        assert set(found["skuHeights"]) == {1}, found["skuHeights"]
        assert found["nameWidth"] >= 125, found

        # The row menu: reached with Tab, opened with Enter, its buttons focusable.
        toggle = page.locator("#result_list tbody tr").first.locator(".toolkit-row-actions-toggle")
        toggle.focus()
        page.keyboard.press("Enter")
        menu = page.locator("#result_list tbody tr").first.locator(".toolkit-row-actions-menu")
        assert menu.is_visible()
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.classList.contains('toolkit-row-action')")
        # The open menu does not widen the page either.
        assert layout(page)["scrollWidth"] <= WIDTH
        assert errors == []
    finally:
        context.close()
