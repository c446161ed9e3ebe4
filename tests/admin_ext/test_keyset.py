"""Keyset pagination: a cursor instead of OFFSET, for every ordering the admin offers.

Walking the pages by their links must list exactly the rows, in exactly the order, that
Django's own pagination lists; hostile cursors must give the first page and a message.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext

from demo.catalog.models import Category, Product, Supplier
from tests.admin_ext.site_performance import keyset_site
from toolkit.admin_ext.changelist import (
    CURSOR_VAR,
    InvalidCursor,
    Keyset,
    UnsupportedOrdering,
    forget_estimates,
)
from toolkit.exceptions import ToolkitError

pytestmark = pytest.mark.urls("tests.admin_ext.site_performance")

PRODUCTS = "/keyset/catalog/product/"
CATEGORIES = "/keyset/catalog/category/"
PER_PAGE = 7  # ProductKeysetAdmin.list_per_page


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_table_sizes():
    """Table sizes and plans are cached per process for seconds; each test sees its own rows."""
    forget_estimates()
    yield
    forget_estimates()


@pytest.fixture
def products(db):
    """45 products; three share each timestamp and prices repeat, so ties are the rule."""
    aisle = Category.objects.create(name="Aisle", slug="aisle")
    supplier = Supplier.objects.create(name="Supplier", country="FR")
    base = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
    Product.objects.bulk_create(
        Product(
            sku=f"SKU-{i:03d}",
            name=f"Product <{i:03d}>",
            category=aisle,
            supplier=supplier,
            price=Decimal(i % 5) + Decimal("0.99"),
            cost=Decimal(1),
            stock=i % 4,
            status=Product.Status.ACTIVE if i % 3 else Product.Status.DRAFT,
            created=base + timedelta(microseconds=i // 3),
        )
        for i in range(45)
    )


@pytest.fixture
def categories(db):
    """4 departments (no parent: NULL when sorted by parent) and 8 aisles under them."""
    departments = [
        Category.objects.create(name=f"Dept {name}", slug=f"dept-{name}") for name in "DBCA"
    ]
    for i in range(8):
        Category.objects.create(name=f"Aisle {i}", slug=f"aisle-{i}", parent=departments[i % 3])


@pytest.fixture
def root_client(client, superuser):
    client.force_login(superuser)
    return client


def pks(response):
    return [row.pk for row in response.context["cl"].result_list]


def warnings_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def all_in_djangos_order(client, url, params):
    """Every row, in the order Django's "Show all" (no keyset) lists them."""
    response = client.get(url, {**params, "all": ""})
    assert len(pks(response)) == response.context["cl"].result_count
    return pks(response)


def walk(client, url, params, link="keyset_next_url", start=None):
    """Follow ``link`` from ``start`` (or the first page) to the end; the pages seen."""
    response = client.get(url, params) if start is None else client.get(url + start)
    pages = [pks(response)]
    while (next_url := getattr(response.context["cl"], link)) is not None:
        response = client.get(url + next_url)
        assert response.status_code == 200
        pages.append(pks(response))
        assert len(pages) < 100
    return pages


ORDERINGS = [
    pytest.param({}, id="default newest first"),
    pytest.param({"o": "5"}, id="price ascending, ties"),
    pytest.param({"o": "-5.-6"}, id="price and stock descending"),
    pytest.param({"o": "-2"}, id="name descending"),
    pytest.param({"o": "6.-1", "status__exact": "active"}, id="filtered"),
    pytest.param({"q": "Product <01"}, id="searched"),
]


@pytest.mark.parametrize("params", ORDERINGS)
def test_next_links_list_every_row_once_in_djangos_order(root_client, products, params):
    expected = all_in_djangos_order(root_client, PRODUCTS, params)
    pages = walk(root_client, PRODUCTS, params)
    assert [pk for page in pages for pk in page] == expected
    assert all(len(page) == PER_PAGE for page in pages[:-1])


@pytest.mark.parametrize("params", ORDERINGS)
def test_previous_links_from_the_last_page_walk_back(root_client, products, params):
    expected = all_in_djangos_order(root_client, PRODUCTS, params)
    first = root_client.get(PRODUCTS, params)
    assert first.context["cl"].multi_page, "the fixture must span several pages"
    last_url = first.context["cl"].keyset_last_url
    pages = walk(root_client, PRODUCTS, params, "keyset_previous_url", start=last_url)
    # Pages line up with the end of the list; the walk ends on a full first page.
    for index, page in enumerate(pages[:-1]):
        end = len(expected) - index * PER_PAGE
        assert page == expected[max(end - PER_PAGE, 0) : end]
    assert pages[-1] == expected[:PER_PAGE]
    assert root_client.get(PRODUCTS + last_url).context["cl"].keyset_next_url is None


@pytest.mark.parametrize("ordering", ["2", "-2"], ids=["parent ascending", "parent descending"])
def test_nullable_ordering_pages_through_the_nulls(root_client, categories, ordering):
    # Column 2 is "parent": Django sorts by the parent's name, NULL for departments.
    params = {"o": ordering}
    expected = all_in_djangos_order(root_client, CATEGORIES, params)
    assert len(expected) == 12
    pages = walk(root_client, CATEGORIES, params)
    assert [pk for page in pages for pk in page] == expected


def test_pages_run_no_offset_and_the_same_queries_at_any_size(root_client, products):
    admin = keyset_site._registry[Product]
    counts = []
    for size in (5, 20):
        admin.list_per_page = size
        try:
            second = root_client.get(PRODUCTS).context["cl"].keyset_next_url
            with CaptureQueriesContext(connection) as queries:
                response = root_client.get(PRODUCTS + second)
        finally:
            admin.list_per_page = PER_PAGE
        assert len(pks(response)) == size
        sql = [q["sql"].upper() for q in queries.captured_queries]
        assert not any("OFFSET" in s for s in sql)
        counts.append(len(sql))
    assert counts[0] == counts[1]


def test_one_page_list_is_not_counted(root_client, products, django_assert_num_queries):
    # session, user, the page (keys and rows in one query): fetching it counted it.
    with django_assert_num_queries(3):
        response = root_client.get(PRODUCTS, {"q": "Product <04"})
    cl = response.context["cl"]
    assert (cl.result_count, cl.multi_page, cl.result_count_is_estimated) == (5, False, False)


@pytest.mark.parametrize("link", ["first", "next", "last", "prev"])
def test_each_page_is_fetched_whole_by_one_query(root_client, products, link):
    """The keyset query reads the rows themselves, not keys for a second query; the
    result list is already evaluated when the template iterates it."""
    first = root_client.get(PRODUCTS).context["cl"]
    last = root_client.get(PRODUCTS + first.keyset_last_url).context["cl"]
    url = {
        "first": "",
        "next": first.keyset_next_url,
        "last": first.keyset_last_url,
        "prev": last.keyset_previous_url,
    }[link]
    with CaptureQueriesContext(connection) as queries:
        response = root_client.get(PRODUCTS + url)
    page_queries = [
        q["sql"] for q in queries.captured_queries if '"catalog_product"."sku"' in q["sql"]
    ]
    assert len(page_queries) == 1
    cl = response.context["cl"]
    assert cl.result_list._result_cache is not None
    with CaptureQueriesContext(connection) as later:
        rows = list(cl.result_list)
    assert later.captured_queries == []
    assert len(rows) == PER_PAGE
    assert [row.pk for row in rows] == list(
        cl.queryset.filter(pk__in=[row.pk for row in rows])
        .order_by(*Keyset(cl.queryset).order_by())
        .values_list("pk", flat=True)
    )


def test_first_page_has_no_backward_links_and_last_no_forward_links(root_client, products):
    first = root_client.get(PRODUCTS)
    content = first.content.decode()
    assert 'rel="next"' in content and 'rel="last"' in content
    assert 'rel="prev"' not in content and 'rel="first"' not in content
    last = root_client.get(PRODUCTS + first.context["cl"].keyset_last_url)
    content = last.content.decode()
    assert 'rel="prev"' in content and 'rel="first"' in content
    assert 'rel="next"' not in content and 'rel="last"' not in content
    assert "45 products" in content


def test_filter_sort_and_search_links_start_again_at_the_first_page(root_client, products):
    first = root_client.get(PRODUCTS, {"status__exact": "active"})
    second = root_client.get(PRODUCTS + first.context["cl"].keyset_next_url)
    cl = second.context["cl"]
    content = second.content.decode()
    hrefs = {html.unescape(href.split('"', 1)[0]) for href in content.split('href="')[1:]}
    # Sort headers, filters, "clear all filters": none of them keeps the cursor; only
    # the pagination links carry one.
    assert {href for href in hrefs if f"{CURSOR_VAR}=" in href} == {
        cl.keyset_previous_url,
        cl.keyset_next_url,
        cl.keyset_last_url,
    }
    assert any("o=" in href for href in hrefs) and any("status__exact=" in href for href in hrefs)
    assert f'name="{CURSOR_VAR}"' not in content  # the search form starts again
    # Editing a row and coming back returns to this page.
    assert CURSOR_VAR in cl.preserved_filters


def test_rows_added_before_the_cursor_do_not_shift_the_next_page(root_client, products):
    first = root_client.get(PRODUCTS)
    next_url = first.context["cl"].keyset_next_url
    expected = pks(root_client.get(PRODUCTS + next_url))
    Product.objects.create(
        sku="NEW",
        name="Newest",
        category=Category.objects.get(),
        supplier=Supplier.objects.get(),
        price=1,
        cost=1,
    )
    assert pks(root_client.get(PRODUCTS + next_url)) == expected


# --- hostile cursors --------------------------------------------------------------------


def forged(**payload):
    return signing.Signer(salt="toolkit.admin_ext.keyset:catalog.Product").sign_object(payload)


HOSTILE = [
    "garbage",
    "<script>alert(1)</script>",
    "a" * 5000,
    "eyJkIjoibiJ9:AAAA",
    forged(d="n", k="other-ordering", v=[]),
    signing.Signer(salt="other").sign_object({"d": "n"}),
]


@pytest.mark.parametrize("cursor", HOSTILE)
def test_hostile_cursor_gives_the_first_page_and_a_message(root_client, products, cursor):
    response = root_client.get(PRODUCTS, {CURSOR_VAR: cursor, "status__exact": "active"})
    assert response.status_code == 200
    assert warnings_of(response) == [
        "That page link is not valid (the list was sorted differently, or the link was "
        "changed); showing the first page."
    ]
    cl = response.context["cl"]
    assert pks(response) == pks(root_client.get(PRODUCTS, {"status__exact": "active"}))
    assert CURSOR_VAR not in cl.preserved_filters
    assert "alert(1)" not in response.content.decode()


def cursor_of(url):
    return parse_qs(urlsplit(url).query)[CURSOR_VAR][0]


def test_tampered_cursor_is_refused(root_client, products):
    token = cursor_of(root_client.get(PRODUCTS).context["cl"].keyset_next_url)
    payload, signature = token.rsplit(":", 1)
    tampered = payload[:-1] + ("A" if payload[-1] != "A" else "B") + ":" + signature
    response = root_client.get(PRODUCTS, {CURSOR_VAR: tampered})
    assert response.status_code == 200
    assert len(warnings_of(response)) == 1
    assert pks(response) == pks(root_client.get(PRODUCTS))


def test_cursor_of_another_ordering_is_refused(root_client, products):
    token = cursor_of(root_client.get(PRODUCTS, {"o": "5"}).context["cl"].keyset_next_url)
    response = root_client.get(PRODUCTS, {"o": "-2", CURSOR_VAR: token})
    assert len(warnings_of(response)) == 1
    assert pks(response) == pks(root_client.get(PRODUCTS, {"o": "-2"}))


@pytest.mark.parametrize(
    "values", [["2025-03-01T12:00:00+00:00"], ["not a date", 3], [None, "x"]], ids=str
)
def test_signed_cursor_with_wrong_values_is_refused(root_client, products, values):
    keyset = Keyset(Product.objects.order_by("-created", "-id"))
    token = forged(d="n", k=keyset.fingerprint, v=values)
    response = root_client.get(PRODUCTS, {CURSOR_VAR: token})
    assert response.status_code == 200
    assert len(warnings_of(response)) == 1


def test_a_refused_cursor_is_a_toolkit_error():
    keyset = Keyset(Product.objects.order_by("-created", "-id"))
    with pytest.raises(InvalidCursor) as refused:
        keyset.decode(forged(d="n", k="another ordering", v=[]))
    assert isinstance(refused.value, ToolkitError)


def test_an_ordering_keyset_cannot_page_is_a_toolkit_error():
    with pytest.raises(UnsupportedOrdering) as unsupported:
        Keyset(Product.objects.order_by("?"))
    assert isinstance(unsupported.value, ToolkitError)


# --- selection and actions --------------------------------------------------------------


def test_action_on_selected_rows_of_a_later_page(root_client, products):
    first = root_client.get(PRODUCTS, {"status__exact": "active"})
    url = PRODUCTS + first.context["cl"].keyset_next_url
    selected = pks(root_client.get(url))[:2]
    response = root_client.post(
        url, {"action": "discontinue", "_selected_action": selected, "index": 0}
    )
    assert response.status_code == 302
    assert set(Product.objects.filter(status="discontinued").values_list("pk", flat=True)) == set(
        selected
    )


def test_select_across_acts_on_the_whole_filtered_list(root_client, products):
    first = root_client.get(PRODUCTS, {"status__exact": "active"})
    url = PRODUCTS + first.context["cl"].keyset_next_url
    on_page = pks(root_client.get(url))
    response = root_client.post(
        url,
        {"action": "discontinue", "_selected_action": on_page, "select_across": "1", "index": 0},
    )
    assert response.status_code == 302
    assert Product.objects.filter(status="discontinued").count() == 30
    assert Product.objects.filter(status="draft").count() == 15


def test_select_all_link_offers_the_whole_list(root_client, products):
    content = root_client.get(PRODUCTS).content.decode()
    assert "Select all 45 products" in content


def test_view_only_staff_pages_through(client, viewer, products):
    client.force_login(viewer)
    pages = walk(client, PRODUCTS, {})
    assert sum(len(page) for page in pages) == 45
    assert "_selected_action" not in client.get(PRODUCTS).content.decode()


def test_record_text_is_escaped(root_client, products):
    content = root_client.get(PRODUCTS).content.decode()
    assert "Product &lt;044&gt;" in content and "Product <044>" not in content


@pytest.mark.parametrize("page", ["-1", "abc", "99999999"])
def test_page_numbers_mean_nothing_with_keyset_pagination(root_client, products, page):
    response = root_client.get(PRODUCTS, {"p": page})
    assert response.status_code == 200
    assert pks(response) == pks(root_client.get(PRODUCTS))
    assert f"p={page}" not in response.context["cl"].keyset_next_url


def test_list_editable_saves_the_rows_of_a_keyset_page(root_client, products, monkeypatch):
    """The page's QuerySet is fetched by the keyset query; list_editable's formset is
    built on it and saves through it."""
    admin = keyset_site._registry[Product]
    monkeypatch.setattr(admin, "list_editable", ["stock"])
    response = root_client.get(PRODUCTS)
    cl = response.context["cl"]
    rows = list(cl.result_list)
    formset = response.context["cl"].formset
    assert [form.instance.pk for form in formset.forms] == [row.pk for row in rows]
    data = {
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": str(len(rows)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for index, row in enumerate(rows):
        data[f"form-{index}-id"] = str(row.pk)
        data[f"form-{index}-stock"] = str(100 + index)
    saved = root_client.post(PRODUCTS, data)
    assert saved.status_code == 302
    assert [Product.objects.get(pk=row.pk).stock for row in rows] == [
        100 + index for index in range(len(rows))
    ]
