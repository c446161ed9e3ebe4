"""Peer statistics: robust z-scores per peer group, on the scale the group calls for, with
the evidence on each flag."""

from __future__ import annotations

import dataclasses
import math
import random
import statistics
from decimal import Decimal

import pytest

from demo.catalog.models import Category, Product, Review, StockMovement, Supplier
from tests.conftest import ON_POSTGRES
from toolkit.ai.statistics import LINEAR, LOG, GroupStats, PeerStatistics, describe, robust_z
from toolkit.exceptions import ToolkitConfigurationError

pytestmark = pytest.mark.django_db


def test_robust_z_is_0_6745_times_the_distance_over_the_mad():
    stats = describe([10, 11, 12, 13, 14, 100], scale=LINEAR)
    assert stats.median == 12.5 and stats.scale == LINEAR
    # |x - 12.5| = 2.5 1.5 .5 .5 1.5 87.5 -> MAD = 1.5
    assert robust_z(100, stats) == pytest.approx(0.6745 * 87.5 / 1.5)


def test_equal_peers_fall_back_to_the_mean_absolute_deviation():
    stats = describe([5, 5, 5, 5, 5, 50], scale=LINEAR)
    assert robust_z(50, stats) == pytest.approx((50 - 5) / (1.2533 * 45 / 6))
    assert robust_z(5, describe([5, 5, 5, 5])) is None


def test_positive_numbers_are_scored_on_a_log_scale_so_below_weighs_as_much_as_above():
    prices = [12, 15, 19, 24, 28, 33, 40, 48, 60, 75]
    stats = describe(prices)
    assert stats.scale == LOG and stats.median == 30.5
    assert stats.center == pytest.approx(statistics.median(math.log(p) for p in prices))
    above, below = robust_z(30.5 * 50, stats), robust_z(30.5 / 50, stats)
    assert above > 3.5 and below < -3.5
    assert above == pytest.approx(-below, rel=0.25)
    # On the plain scale a price 1/50th of the median is a few units below it: unseen.
    assert abs(robust_z(30.5 / 50, describe(prices, scale=LINEAR))) < 3.5


def test_a_few_zeros_keep_the_log_scale_and_get_no_score():
    weights = [0.2, 0.25, 0.3, 0.3, 0.35, 0.4, 0.4, 0.45, 0.5, 0.0]
    stats = describe(weights)
    assert stats.scale == LOG and stats.count == 10
    assert robust_z(0, stats) is None and robust_z(0.004, stats) < -3.5
    # Many zeros (a stock level): the plain scale.
    assert describe([0, 0, 0, 5, 10, 12, 15, 20, 30, 40]).scale == LINEAR


def test_each_side_of_a_skewed_group_has_its_own_spread():
    """Weights spread evenly between 20 g and 1.5 kg: on a log scale the light ones are a
    long tail, which one MAD for both sides would call a row of outliers."""
    rng = random.Random(3)
    weights = [round(rng.uniform(0.02, 1.5), 3) for _ in range(200)]
    stats = describe(weights)
    assert stats.lower > stats.spread and stats.upper == stats.spread
    one_spread = dataclasses.replace(stats, lower=None, upper=None)
    flagged = sum(abs(robust_z(weight, stats)) >= 3.5 for weight in weights)
    assert flagged < sum(abs(robust_z(weight, one_spread)) >= 3.5 for weight in weights) / 2
    # A weight off by a unit (g for kg) still stands out, on either side.
    assert robust_z(0.75 * 1000, stats) > 7 and robust_z(0.75 / 1000, stats) < -7


def test_a_scale_can_be_chosen_per_field_and_must_be_known():
    assert PeerStatistics(Product, "category", ["stock"], scales={"stock": LINEAR})
    with pytest.raises(ToolkitConfigurationError, match="scale must be one of"):
        PeerStatistics(Product, "category", ["price"], scales={"price": "logarithmic"})


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
    assert (flag["kind"], flag["direction"], flag["scale"]) == ("price_outlier", "below", LOG)
    assert (flag["value"], flag["median"], flag["peers"]) == (1, 104.5, 10)
    assert flag["ratio"] == pytest.approx(1 / 104.5, rel=1e-3)
    assert flag["score"] < -3.5 and "below the median 104.5" in flag["reason"]
    assert "104x lower; log scale" in flag["reason"]
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


# -- in the database (PostgreSQL) and in Python: the same numbers ----------------------


@pytest.fixture
def peer_groups(catalog):
    """Categories of every shape, filled with random numbers (seeded): spread peers, ties
    (MAD = 0: the mean absolute deviation stands in), all-equal peers, too few peers, a
    category with no products; stock movements and reviews (0 to 3 per product: a
    product without any gives NULL) of those products."""
    rng = random.Random(20250101)
    supplier = Supplier.objects.order_by("pk").first()
    parent = Category.objects.create(name="Peers parent", slug="peers-parent")
    shapes = {
        "spread": lambda: Decimal(rng.randint(1000, 20000)) / 100,
        "spread-2": lambda: Decimal(rng.choice([5, 10, 10, 20, 400])),
        "ties": lambda: Decimal("9.99") if rng.random() < 0.7 else Decimal(rng.randint(1, 99)),
        "equal": lambda: Decimal("42.00"),
        "few": lambda: Decimal(rng.randint(1, 10)),
    }
    sizes = {"spread": 41, "spread-2": 30, "ties": 25, "equal": 12, "few": 3}
    products = []
    for name, price in shapes.items():
        category = Category.objects.create(
            name=f"Peers {name}", slug=f"peers-{name}", parent=parent if "spread" in name else None
        )
        for index in range(sizes[name]):
            equal = name == "equal"
            products.append(
                Product(
                    sku=f"PEER-{name}-{index}",
                    name=f"{name} {index}",
                    category=category,
                    supplier=supplier,
                    price=price(),
                    cost=Decimal("1.00"),
                    stock=7 if equal else rng.randint(0, 3) * 10,
                    weight=Decimal("0.250") if equal else Decimal(rng.randint(1, 5000)) / 1000,
                )
            )
    products = Product.objects.bulk_create(products)
    Category.objects.create(name="Peers empty", slug="peers-empty")
    StockMovement.objects.bulk_create(
        StockMovement(product=product, quantity=rng.randint(-5, 5), reason="sale")
        for product in products
        for _ in range(rng.randint(0, 2))
    )
    Review.objects.bulk_create(
        Review(product=product, rating=rng.randint(1, 5), text="ok", author="a")
        for product in products
        for _ in range(rng.randint(0, 3))
    )
    categories = Category.objects.filter(slug__startswith="peers-")
    return {category.name.removeprefix("Peers "): category for category in categories}


def assert_same_stats(in_database, in_python):
    assert in_database.keys() == in_python.keys()
    for group, fields in in_python.items():
        assert in_database[group].keys() == fields.keys()
        for name, expected in fields.items():
            got = in_database[group][name]
            if expected is None:
                assert got is None, (group, name)
                continue
            assert got is not None, (group, name)
            assert (got.count, got.scale) == (expected.count, expected.scale), (group, name)
            assert got.median == pytest.approx(expected.median, rel=1e-12), (group, name)
            for number in ("center", "spread", "lower", "upper"):
                assert getattr(got, number) == pytest.approx(
                    getattr(expected, number), rel=1e-9, abs=1e-12
                ), (group, name, number)


@pytest.mark.postgres
@pytest.mark.parametrize(
    "model, group, fields",
    [
        (Product, "category", ["price", "stock", "weight"]),
        # A dotted group and a Decimal across a relation.
        (StockMovement, "product.category", ["quantity", "product.price"]),
        # NULLs: a product without reviews joins to none.
        (Product, "category", ["reviews.rating"]),
        # A group across a nullable relation (top-level categories have no parent).
        (Product, "category.parent", ["price", "weight"]),
    ],
)
def test_the_database_computes_the_same_stats_as_python(peer_groups, model, group, fields):
    stats = PeerStatistics(model, group, fields)
    groups = {category.pk for category in peer_groups.values()}
    if group == "category.parent":  # our parent and the seeded ones
        groups = set(Category.objects.exclude(parent=None).values_list("parent", flat=True))
        assert peer_groups["parent"].pk in groups
    in_database = stats.describe_in_database(groups)
    in_python = stats.describe_in_python(groups)
    assert_same_stats(in_database, in_python)
    described = [s for fields in in_python.values() for s in fields.values()]
    assert any(s is not None and s.spread > 0 for s in described)


@pytest.mark.postgres
def test_the_database_scales_a_group_with_a_zero_as_python_does(peer_groups):
    spread = peer_groups["spread"]
    Product.objects.filter(pk=Product.objects.filter(category=spread).first().pk).update(weight=0)
    stats = PeerStatistics(Product, "category", ["weight", "stock"])
    in_database = stats.describe_in_database({spread.pk})
    assert_same_stats(in_database, stats.describe_in_python({spread.pk}))
    assert in_database[spread.pk]["weight"].scale == LOG
    assert in_database[spread.pk]["stock"].scale == LINEAR


@pytest.mark.postgres
def test_the_database_covers_ties_equal_peers_and_small_groups(peer_groups):
    stats = PeerStatistics(Product, "category", ["price", "stock"], scales={"price": LINEAR})
    in_database = stats.describe_in_database({c.pk for c in peer_groups.values()})
    ties = in_database[peer_groups["ties"].pk]["price"]
    prices = Product.objects.filter(category=peer_groups["ties"]).values_list("price", flat=True)
    deviations = [abs(float(price) - 9.99) for price in prices]
    # More than half are 9.99: the MAD is 0 and the mean absolute deviation stands in.
    assert statistics.median(deviations) == 0
    assert ties.median == 9.99
    assert ties.spread == pytest.approx(1.2533 * sum(deviations) / len(deviations))
    equal = in_database[peer_groups["equal"].pk]
    assert equal["price"] == GroupStats(
        median=42.0, spread=0.0, count=12, scale=LINEAR, center=42.0, lower=0.0, upper=0.0
    )
    assert robust_z(42, equal["price"]) is None
    assert in_database[peer_groups["few"].pk] == {"price": None, "stock": None}
    assert in_database[peer_groups["empty"].pk] == {"price": None, "stock": None}


@pytest.mark.postgres
def test_null_values_are_not_peers(peer_groups):
    stats = PeerStatistics(Product, "category", ["reviews.rating"])
    spread = peer_groups["spread"]
    assert Product.objects.filter(category=spread, reviews=None).exists()
    in_database = stats.describe_in_database({spread.pk})
    ratings = Review.objects.filter(product__category=spread).count()
    assert in_database[spread.pk]["reviews.rating"].count == ratings


def test_one_query_per_load_however_many_groups(peer_groups, django_assert_num_queries):
    """Computed by the database on PostgreSQL, in Python elsewhere: one query either way."""
    every = {category.pk for category in peer_groups.values()}
    every |= set(Product.objects.values_list("category", flat=True))
    for groups in ({peer_groups["spread"].pk}, every):
        stats = PeerStatistics(Product, "category", ["price", "stock", "supplier.id"])
        with django_assert_num_queries(1) as queries:
            stats.load(groups)
        assert set(stats._cache) == groups
        assert ("percentile_cont" in queries.captured_queries[0]["sql"]) is ON_POSTGRES


def test_flags_are_the_same_whichever_path_described_the_peers(peer_groups):
    spread = peer_groups["spread"]
    outlier = Product.objects.filter(category=spread).order_by("pk").first()
    Product.objects.filter(pk=outlier.pk).update(price=Decimal("99999.00"))
    pks = list(Product.objects.filter(category=spread).values_list("pk", flat=True))
    flags = PeerStatistics(Product, "category", ["price"]).findings(pks)  # as load() chose
    assert list(flags) == [str(outlier.pk)]
    assert flags[str(outlier.pk)][0]["severity"] == "critical"
    in_python = PeerStatistics(Product, "category", ["price"])
    in_python._cache.update(in_python.describe_in_python({spread.pk}))
    assert in_python.findings(pks) == flags
