"""ReadOnlyTabularInline and PaginatedTabularInline on the product change page."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.admin import AdminSite
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from demo.catalog.models import Category, Product, Review, StockMovement, Supplier
from tests.admin_ext import site_views
from tests.admin_ext.site_views import MovementInline, ReviewInline

pytestmark = pytest.mark.urls("tests.admin_ext.site_views")


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def change_url(product):
    return reverse("views_admin:catalog_product_change", args=[product.pk])


@pytest.fixture
def make_product(db):
    category = Category.objects.create(name="Cables", slug="cables")
    supplier = Supplier.objects.create(name="Acme", country="DE")

    def make(sku, movements=0, reviews=0):
        product = Product.objects.create(
            sku=sku,
            name=f"Product {sku}",
            category=category,
            supplier=supplier,
            price=Decimal("10.00"),
            cost=Decimal("5.00"),
            stock=movements,
        )
        start = timezone.now() - timedelta(days=365)
        StockMovement.objects.bulk_create(
            StockMovement(
                product=product,
                quantity=i + 1,
                reason=StockMovement.Reason.PURCHASE,
                timestamp=start + timedelta(minutes=i),
            )
            for i in range(movements)
        )
        Review.objects.bulk_create(
            Review(
                product=product,
                rating=4,
                title=f"Review {i}",
                text="Fine.",
                author="Ann",
                created=start + timedelta(minutes=i),
            )
            for i in range(reviews)
        )
        return product

    return make


def inline_formset(response, prefix):
    for inline_admin_formset in response.context["inline_admin_formsets"]:
        if inline_admin_formset.formset.prefix == prefix:
            return inline_admin_formset
    raise AssertionError(f"no inline {prefix!r} on the page")


def post_data(response, **changes):
    """The change form as the browser would submit it, with ``changes`` applied."""
    form = response.context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {k: v for k, v in data.items() if v is not None}
    for inline_admin_formset in response.context["inline_admin_formsets"]:
        formset = inline_admin_formset.formset
        for key, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{key}"] = value
        for subform in formset.forms:
            for name in subform.fields:
                value = subform[name].value()
                if value is not None and value is not False:
                    data[subform.add_prefix(name)] = value
    data.update(changes)
    return data


# --- ReadOnlyTabularInline -------------------------------------------------------------


def test_read_only_inline_grants_no_add_change_or_delete_even_to_a_superuser(rf, superuser):
    request = rf.get("/")
    request.user = superuser
    inline = MovementInline(Product, site_views.site)
    assert inline.has_add_permission(request, None) is False
    assert inline.has_change_permission(request, None) is False
    assert inline.has_delete_permission(request, None) is False
    assert inline.has_view_permission(request, None) is True


def test_read_only_inline_renders_values_as_text_without_inputs(client, superuser, make_product):
    product = make_product("P-1", movements=3)
    client.force_login(superuser)

    response = client.get(change_url(product))

    assert response.status_code == 200
    movements = inline_formset(response, "movements")
    assert movements.has_change_permission is False
    html = response.content.decode()
    assert 'name="movements-0-quantity"' not in html
    assert 'name="movements-0-DELETE"' not in html
    assert 'id="movements-empty"' not in html  # no "add another" template row
    assert "<p>3</p>" in html  # the newest movement's quantity, as text


def test_read_only_rows_carry_the_keys_a_post_of_the_parent_sends_back(
    client, superuser, make_product
):
    product = make_product("P-1", movements=8)
    newest = StockMovement.objects.order_by("-timestamp", "-id").values_list("pk", flat=True)
    client.force_login(superuser)

    html = client.get(change_url(product)).content.decode()

    group = html.split('id="movements-group"')[1].split('id="reviews-group"')[0]
    ids = re.findall(r'<input type="hidden" name="movements-(\d+)-id" value="(\d+)"', group)
    assert [(int(i), int(pk)) for i, pk in ids] == list(enumerate(newest[:5]))
    assert group.count(f'name="movements-0-product" value="{product.pk}"') == 1


def test_view_only_staff_get_an_editable_inline_as_a_read_only_table(client, viewer, make_product):
    product = make_product("P-1", reviews=5)
    client.force_login(viewer)

    response = client.get(change_url(product))

    html = response.content.decode()
    assert 'name="reviews-0-title"' not in html
    assert '<td class="field-title"><p>Review 4</p></td>' in html
    assert len(inline_formset(response, "reviews").formset.readonly_rows) == 3


def test_a_superuser_edits_the_same_inline_with_djangos_widgets(client, superuser, make_product):
    product = make_product("P-1", reviews=5)
    client.force_login(superuser)

    html = client.get(change_url(product)).content.decode()

    assert 'name="reviews-0-title" value="Review 4"' in html


def test_read_only_rows_link_to_each_row_when_asked(client, viewer, make_product, monkeypatch):
    product = make_product("P-1", movements=2)
    monkeypatch.setattr(MovementInline, "show_change_link", True)
    newest = StockMovement.objects.order_by("-timestamp", "-id").first()
    client.force_login(viewer)

    html = client.get(change_url(product)).content.decode()

    url = reverse("views_admin:catalog_stockmovement_change", args=[newest.pk])
    assert f'<a href="{url}" class="inlineviewlink">View</a>' in html


def test_view_only_staff_see_the_history_rows(client, viewer, make_product):
    product = make_product("P-1", movements=3)
    client.force_login(viewer)

    response = client.get(change_url(product))

    assert response.status_code == 200
    assert len(inline_formset(response, "movements").formset.forms) == 3


def test_non_staff_are_sent_to_the_login_page(client, customer, make_product):
    product = make_product("P-1", movements=3)
    client.force_login(customer)

    response = client.get(change_url(product))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("views_admin:login"))


def test_saving_the_parent_ignores_tampered_history_rows(client, superuser, make_product):
    product = make_product("P-1", movements=8)
    before = list(StockMovement.objects.order_by("pk").values_list("pk", "quantity", "reason"))
    client.force_login(superuser)
    page = client.get(change_url(product))
    newest = inline_formset(page, "movements").formset.forms[0].instance

    data = post_data(
        page,
        name="Renamed",
        **{
            "movements-0-quantity": "999",
            "movements-0-DELETE": "on",
            # A row the page never offered: a "new" movement.
            "movements-TOTAL_FORMS": "6",
            "movements-5-quantity": "5",
            "movements-5-reason": "sale",
            "movements-5-timestamp": "2025-01-01 10:00:00",
        },
    )
    response = client.post(change_url(product), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    product.refresh_from_db()
    assert product.name == "Renamed"
    assert newest.pk == StockMovement.objects.order_by("-timestamp").first().pk
    assert (
        list(StockMovement.objects.order_by("pk").values_list("pk", "quantity", "reason")) == before
    )


def test_a_read_only_inline_on_its_own_shows_every_row_as_text(client, superuser, make_product):
    product = make_product("P-1")
    make_product("P-2")
    client.force_login(superuser)
    url = reverse("views_admin:catalog_category_change", args=[product.category_id])

    page = client.get(url)

    html = page.content.decode()
    assert len(inline_formset(page, "products").formset.forms) == 2
    assert 'name="products-0-sku"' not in html
    assert "<p>P-1</p>" in html and "<p>P-2</p>" in html
    response = client.post(url, post_data(page, name="Leads", **{"products-0-sku": "HACKED"}))
    assert response.status_code == 302
    assert sorted(Product.objects.values_list("sku", flat=True)) == ["P-1", "P-2"]


# --- PaginatedTabularInline ------------------------------------------------------------


def test_only_the_newest_rows_are_shown(client, superuser, make_product):
    product = make_product("P-1", movements=40)
    client.force_login(superuser)

    response = client.get(change_url(product))

    formset = inline_formset(response, "movements").formset
    shown = [form.instance.quantity for form in formset.forms]
    assert shown == [40, 39, 38, 37, 36]  # per_page = 5, newest first
    assert formset.management_form.initial["INITIAL_FORMS"] == 5


def test_page_says_how_many_and_links_to_the_filtered_changelist(client, superuser, make_product):
    product = make_product("P-1", movements=12)
    make_product("P-2", movements=4)
    client.force_login(superuser)

    response = client.get(change_url(product))

    html = response.content.decode()
    url = reverse("views_admin:catalog_stockmovement_changelist")
    link = f"{url}?product__id__exact={product.pk}"
    assert "Showing 5 of 12." in html
    assert f'<a href="{link}">View all 12 stock movements</a>' in html
    changelist = client.get(link)
    assert changelist.status_code == 200
    assert changelist.context["cl"].result_count == 12


def test_a_relation_above_the_count_limit_says_more_than(client, superuser, make_product):
    product = make_product("P-1", movements=60)  # count_limit = 50
    client.force_login(superuser)

    response = client.get(change_url(product))

    html = response.content.decode()
    assert "Showing 5 of more than 50." in html
    assert ">View all stock movements</a>" in html


def test_count_limit_none_counts_exactly(client, superuser, make_product):
    product = make_product("P-1", reviews=70)  # ReviewInline: count_limit = None
    client.force_login(superuser)

    response = client.get(change_url(product))

    page = inline_formset(response, "reviews").formset.page
    assert (page.shown, page.total) == (3, 70)
    assert "View all 70 reviews" in response.content.decode()


def test_a_relation_that_fits_on_the_page_shows_no_footer(client, superuser, make_product):
    product = make_product("P-1", movements=2)
    client.force_login(superuser)

    response = client.get(change_url(product))

    assert inline_formset(response, "movements").formset.page.is_partial is False
    assert "toolkit-inline-more" not in response.content.decode().split('id="reviews-group"')[0]


def test_no_link_for_people_who_may_not_view_the_related_changelist(
    client, viewer, make_product, monkeypatch
):
    product = make_product("P-1", movements=12)
    monkeypatch.setattr(
        site_views.StockMovementAdmin, "has_view_permission", lambda self, request, obj=None: False
    )
    client.force_login(viewer)

    response = client.get(change_url(product))

    html = response.content.decode()
    assert "Showing 5 of 12." in html
    assert "View all" not in html.split('id="reviews-group"')[0]


def test_view_only_staff_get_the_link_too(client, viewer, make_product):
    product = make_product("P-1", movements=12)
    client.force_login(viewer)

    response = client.get(change_url(product))

    assert "View all 12 stock movements" in response.content.decode()


def test_no_link_when_the_related_model_has_no_admin_on_the_site(rf, superuser, make_product):
    product = make_product("P-1", movements=12)
    request = rf.get("/")
    request.user = superuser
    bare_site = AdminSite(name="bare")

    assert MovementInline(Product, bare_site).get_changelist_url(request, product) is None


def test_the_add_page_renders_the_paginated_inlines_empty(client, superuser, make_product):
    make_product("P-1", movements=12)
    client.force_login(superuser)

    response = client.get(reverse("views_admin:catalog_product_add"))

    assert response.status_code == 200
    assert inline_formset(response, "movements").formset.page.shown == 0


def test_the_shown_rows_of_an_editable_paginated_inline_can_be_edited(
    client, superuser, make_product
):
    product = make_product("P-1", reviews=10)
    client.force_login(superuser)
    page = client.get(change_url(product))
    newest = inline_formset(page, "reviews").formset.forms[0].instance

    response = client.post(change_url(product), post_data(page, **{"reviews-0-title": "Edited"}))

    assert response.status_code == 302
    newest.refresh_from_db()
    assert newest.title == "Edited"
    assert Review.objects.filter(title="Edited").count() == 1
    assert Review.objects.count() == 10


def test_record_text_in_inline_rows_is_escaped(client, viewer, make_product):
    product = make_product("P-1", reviews=1)
    Review.objects.update(title="<script>alert(1)</script>")
    client.force_login(viewer)

    response = client.get(change_url(product))

    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def movement_queries(queries):
    return [q["sql"] for q in queries if "catalog_stockmovement" in q["sql"]]


def test_a_parent_with_many_rows_costs_the_same_queries_as_one_with_few(
    client, superuser, make_product
):
    few = make_product("P-1", movements=6)
    many = make_product("P-2", movements=600)
    client.force_login(superuser)
    client.get(change_url(few))  # warm caches (content types, sessions)

    with CaptureQueriesContext(connection) as small:
        client.get(change_url(few))
    with CaptureQueriesContext(connection) as large:
        client.get(change_url(many))

    assert len(large.captured_queries) == len(small.captured_queries)
    # The rows and the count both stop early: every query on the relation is LIMITed.
    sql = movement_queries(large.captured_queries)
    assert len(sql) == 2
    assert all("LIMIT" in statement.upper() for statement in sql)


def test_saving_a_parent_with_many_rows_reads_only_the_shown_rows(client, superuser, make_product):
    product = make_product("P-1", movements=600)
    client.force_login(superuser)
    page = client.get(change_url(product))

    with CaptureQueriesContext(connection) as ctx:
        response = client.post(change_url(product), post_data(page, name="Renamed"))

    assert response.status_code == 302
    sql = movement_queries(ctx.captured_queries)
    assert sql
    assert all("LIMIT" in statement.upper() for statement in sql)


def test_checks_reject_a_per_page_that_is_not_a_positive_integer():
    class Broken(MovementInline):
        per_page = 0
        count_limit = "many"

    errors = Broken(Product, site_views.site).check()

    assert [e.id for e in errors] == ["toolkit.E032", "toolkit.E032"]
    assert all(e.hint for e in errors)


def test_checks_accept_the_declared_inlines():
    for inline in (MovementInline, ReviewInline):
        assert inline(Product, site_views.site).check() == []
