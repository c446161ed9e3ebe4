"""Peer statistics: robust z-scores per peer group, with the evidence on each flag."""

from __future__ import annotations

import pytest

from demo.catalog.models import Category, Product
from toolkit.ai.statistics import PeerStatistics, describe, robust_z

pytestmark = pytest.mark.django_db


def test_robust_z_is_0_6745_times_the_distance_over_the_mad():
    stats = describe([10, 11, 12, 13, 14, 100])
    assert stats.median == 12.5
    # |x - 12.5| = 2.5 1.5 .5 .5 1.5 87.5 -> MAD = 1.5
    assert robust_z(100, stats) == pytest.approx(0.6745 * 87.5 / 1.5)


def test_equal_peers_fall_back_to_the_mean_absolute_deviation():
    stats = describe([5, 5, 5, 5, 5, 50])
    assert robust_z(50, stats) == pytest.approx((50 - 5) / (1.2533 * 45 / 6))
    assert robust_z(5, describe([5, 5, 5, 5])) is None


@pytest.fixture
def peers(catalog):
    category = Category.objects.create(name="Peers", slug="peers")
    products = list(Product.objects.order_by("pk")[:10])
    for offset, product in enumerate(products):
        product.category = category
        product.price = 100 + offset
        product.stock = 10
        product.save()
    return products


def test_an_outlier_is_flagged_with_value_median_and_score(peers, django_assert_num_queries):
    Product.objects.filter(pk=peers[0].pk).update(price=1)
    stats = PeerStatistics(Product, "category", ["price", "stock"])
    with django_assert_num_queries(2):
        flags = stats.findings([p.pk for p in peers])
    assert list(flags) == [str(peers[0].pk)]
    (flag,) = flags[str(peers[0].pk)]
    assert flag["source"] == "statistics" and flag["field"] == "price"
    assert (flag["value"], flag["median"]) == (1, 104.5)
    assert flag["score"] < -3.5 and "below the median 104.5" in flag["reason"]
    # The group's numbers are read once per run.
    with django_assert_num_queries(1):
        stats.findings([peers[1].pk])


def test_small_groups_say_nothing(catalog):
    category = Category.objects.create(name="Tiny", slug="tiny")
    products = list(Product.objects.order_by("pk")[:3])
    for product in products:
        product.category = category
        product.save()
    Product.objects.filter(pk=products[0].pk).update(price=100000)
    assert PeerStatistics(Product, "category", ["price"]).findings([products[0].pk]) == {}
