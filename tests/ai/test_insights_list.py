"""The insights list names each record (its ``str()``), loaded in one query per kind of
record on a page, and gives the text a column wide enough to read."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from demo.catalog.models import Category, Product
from toolkit.ai.models import Insight

URL = "/admin/toolkit_ai/insight/"


def insight_about(obj, **fields):
    insight = Insight(
        content_type=ContentType.objects.get_for_model(type(obj)),
        object_id=str(obj.pk),
        kind="summary",
        action="summarize",
        text=fields.pop("text", "Summary."),
        model="test-model",
        endpoint="default",
        **fields,
    )
    insight.set_flags([])
    insight.save()
    return insight


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def test_the_record_column_shows_the_records_name_linked_to_it(admin_client, catalog):
    product = Product.objects.order_by("pk").first()
    insight_about(product)

    html = admin_client.get(URL).content.decode()

    assert f'<a href="/admin/catalog/product/{product.pk}/change/">{product}</a>' in html
    assert f"product #{product.pk}" not in html


def test_names_cost_one_query_per_kind_of_record_not_one_per_row(admin_client, catalog):
    for product in Product.objects.order_by("pk")[:5]:
        insight_about(product)
    for category in Category.objects.filter(parent__isnull=False)[:3]:
        insight_about(category)  # Category.__str__ reads its parent: joined, not fetched

    def queries_for_page():
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(URL).status_code == 200
        return len(queries)

    few = queries_for_page()
    for product in Product.objects.order_by("pk")[5:25]:
        insight_about(product)
    for category in Category.objects.filter(parent__isnull=False)[3:10]:
        insight_about(category)

    assert queries_for_page() == few
    html = admin_client.get(URL).content.decode()
    child = Category.objects.filter(parent__isnull=False).select_related("parent").first()
    assert escape(str(child)) in html


def test_a_deleted_record_is_named_by_model_and_key(admin_client, catalog):
    product = Product.objects.order_by("pk").first()
    insight = insight_about(product)
    product.reviews.all().delete()
    product.movements.all().delete()
    product.tags.clear()
    pk = product.pk
    product.delete()
    assert Insight.objects.filter(pk=insight.pk).exists()

    html = admin_client.get(URL).content.decode()

    assert f"product #{pk} (deleted)" in html


def test_a_hostile_record_name_is_escaped(admin_client, catalog):
    product = Product.objects.order_by("pk").first()
    Product.objects.filter(pk=product.pk).update(name="<script>alert(1)</script>")
    insight_about(product)

    html = admin_client.get(URL).content.decode()

    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_change_page_names_the_record_too(admin_client, catalog):
    product = Product.objects.order_by("pk").first()
    insight = insight_about(product)

    html = admin_client.get(f"{URL}{insight.pk}/change/").content.decode()

    assert str(product) in html


def test_the_text_column_is_given_room_by_the_stylesheet(admin_client, catalog):
    from django.contrib.staticfiles import finders

    insight_about(Product.objects.order_by("pk").first())
    html = admin_client.get(URL).content.decode()
    assert "toolkit/ai/ai.css" in html
    with open(finders.find("toolkit/ai/ai.css"), encoding="utf-8") as stylesheet:
        css = stylesheet.read()
    assert "td.field-short_text { min-width: 16rem;" in css
