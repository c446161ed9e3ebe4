"""The primary-key walker that jobs, AI runs and ai_summarize share: every row once, in
key order, one query per page however deep the page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from demo.catalog.models import Product
from toolkit.pk_batches import batched, next_pks, pk_pages, walk_pks

pytestmark = pytest.mark.django_db


def test_pages_hold_every_key_once_in_order_one_query_each(catalog):
    every = list(Product.objects.order_by("pk").values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as queries:
        pages = list(pk_pages(Product.objects.order_by("-name"), 25))
    assert [len(page) for page in pages] == [25, 25, len(every) - 50]
    assert [pk for page in pages for pk in page] == every
    # One query per page, and one more that finds nothing left.
    assert len(queries) == len(pages) + 1


def test_a_join_over_a_to_many_relation_yields_each_record_once(catalog):
    tagged = Product.objects.filter(tags__isnull=False)
    assert tagged.count() > tagged.distinct().count()  # the join repeats products
    walked = list(walk_pks(tagged, 7))
    assert walked == sorted(set(walked))
    assert len(walked) == tagged.distinct().count()


def test_next_pks_starts_after_the_cursor(catalog):
    first, second, third = next_pks(Product.objects.all(), None, 3)
    assert next_pks(Product.objects.all(), first, 2) == [second, third]
    assert next_pks(Product.objects.filter(pk__lte=third), third, 5) == []


def test_batched_starts_small_then_grows_to_the_size():
    sizes = [len(batch) for batch in batched(range(1000), 200, first=12)]
    assert sizes == [12, 48, 192, 200, 200, 200, 148]
    assert [len(batch) for batch in batched(range(5), 2)] == [2, 2, 1]
    assert list(batched([], 3)) == []
