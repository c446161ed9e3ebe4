"""Peer statistics: robust z-scores per peer group, with the evidence on each flag."""

from __future__ import annotations

import random
import statistics
from decimal import Decimal

import pytest

from demo.catalog.models import Category, Product, Review, StockMovement, Supplier
from tests.conftest import ON_POSTGRES
from toolkit.ai.statistics import GroupStats, PeerStatistics, describe, robust_z

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
            assert got.count == expected.count, (group, name)
            assert got.median == pytest.approx(expected.median, rel=1e-12), (group, name)
            assert got.spread == pytest.approx(expected.spread, rel=1e-9, abs=1e-12), (group, name)


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
def test_the_database_covers_ties_equal_peers_and_small_groups(peer_groups):
    stats = PeerStatistics(Product, "category", ["price", "stock"])
    in_database = stats.describe_in_database({c.pk for c in peer_groups.values()})
    ties = in_database[peer_groups["ties"].pk]["price"]
    prices = Product.objects.filter(category=peer_groups["ties"]).values_list("price", flat=True)
    deviations = [abs(float(price) - 9.99) for price in prices]
    # More than half are 9.99: the MAD is 0 and the mean absolute deviation stands in.
    assert statistics.median(deviations) == 0
    assert ties.median == 9.99
    assert ties.spread == pytest.approx(1.2533 * sum(deviations) / len(deviations))
    equal = in_database[peer_groups["equal"].pk]
    assert equal["price"] == GroupStats(median=42.0, spread=0.0, count=12)
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
