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


def test_filter_sections_fold_by_keyboard_and_stay_folded_after_a_reload(
    page, superuser, transactional_db
):
    from io import StringIO

    from django.core.management import call_command

    call_command("seed_catalog", products=30, seed=7, stdout=StringIO())
    login(page, "root", "pw-root-123")
    page.goto(PRODUCTS)
    category = filter_block(page, "category")
    # The demo's tree filter: paths, a department first, then its subcategories.
    options = category.locator("li a").all_inner_texts()
    assert options[0] == "All"
    department = options[1].strip("☐☑ ")
    assert options[2].strip("☐☑ ").startswith(f"{department} > ")

    # A section's title folds it with the keyboard.
    category.locator("summary").focus()
    page.keyboard.press("Enter")
    assert category.get_attribute("open") is None
    page.reload()
    assert filter_block(page, "category").get_attribute("open") is None
    assert filter_block(page, "price").get_attribute("open") == ""

    # One button folds every section (Django's own "is active" too), then unfolds them.
    fold = page.locator("#changelist-filter [data-toolkit-filters-fold]")
    assert fold.inner_text() == "Fold all"
    fold.click()
    sections = page.locator("#changelist-filter details[data-filter-title]")
    assert all(s.get_attribute("open") is None for s in sections.all())
    assert fold.inner_text() == "Unfold all"
    page.reload()
    assert all(s.get_attribute("open") is None for s in sections.all())
    page.locator("#changelist-filter [data-toolkit-filters-fold]").click()
    assert all(s.get_attribute("open") == "" for s in sections.all())


def test_a_department_lists_the_products_of_its_subcategories(page, superuser, transactional_db):
    from io import StringIO

    from django.core.management import call_command

    from demo.catalog.models import Category, Product

    call_command("seed_catalog", products=30, seed=7, stdout=StringIO())
    department = Category.objects.filter(parent=None, children__products__isnull=False).first()
    expected = Product.objects.filter(category__parent=department).count()
    login(page, "root", "pw-root-123")
    page.goto(PRODUCTS)
    filter_block(page, "category").get_by_role("link", name=department.name, exact=True).click()
    page.wait_for_url(re.compile(rf"category__id__in_tree={department.pk}"))
    assert page.locator("#result_list tbody tr").count() == expected > 0
