"""The product list's plain search finds a SKU typed in any case, or its start, as stock
Django's ``^sku`` does, through an index on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from demo.catalog.admin import ProductAdmin
from demo.catalog.models import Product

URL = reverse("admin:catalog_product_changelist")


@pytest.fixture
def staff(client, superuser):
    client.force_login(superuser)
    return client


def found(staff, q):
    response = staff.get(URL, {"q": q})
    assert response.status_code == 200
    return sorted(p.sku for p in response.context["cl"].result_list)


def test_the_sku_search_is_a_case_insensitive_prefix_as_stock_caret_means():
    assert ProductAdmin.search_fields[0] == "^sku"


def test_a_sku_in_lower_case_finds_the_product(staff, catalog):
    product = Product.objects.order_by("pk").first()

    assert found(staff, product.sku.lower()) == [product.sku]


def test_a_sku_prefix_finds_every_product_it_starts(staff, catalog):
    product = Product.objects.order_by("pk").first()
    prefix = product.sku.rsplit("-", 1)[0].lower() + "-"  # "bty-shv-"
    expected = sorted(Product.objects.filter(sku__istartswith=prefix).values_list("sku", flat=True))

    assert len(expected) >= 1
    assert found(staff, prefix) == expected


def test_the_middle_of_a_sku_is_not_a_prefix(staff, catalog):
    product = Product.objects.order_by("pk").first()
    middle = product.sku.split("-", 1)[1]  # "SHV-000001": no SKU starts so
    assert not Product.objects.filter(name__icontains=middle).exists()

    assert found(staff, middle) == []


@pytest.mark.postgres
def test_on_postgresql_the_sku_prefix_is_served_by_an_index(catalog):
    queryset = Product.objects.filter(sku__istartswith="bty-shv-0000").only("pk")
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # A catalog of 60 rows is read faster by a scan: ask whether an index *can* be
        # used, as it is on a large table.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "product_sku_upper_prefix_idx" in plan, plan
    assert "Index Cond" in plan, plan
