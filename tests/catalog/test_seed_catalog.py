"""``manage.py seed_catalog``: a reproducible catalog whose anomalies are labelled exactly."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import statistics
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db.models import Count, F
from django.utils import timezone

from demo.catalog import seeding
from demo.catalog.models import Category, Product, Review, StockMovement, Supplier, Tag

pytestmark = pytest.mark.django_db

LABELLED = 2000


def seed(products, **options):
    out = io.StringIO()
    call_command("seed_catalog", products=products, stdout=out, **options)
    return out.getvalue()


def snapshot():
    """Every generated row, by natural keys as well as ids."""
    return {
        "products": list(
            Product.objects.order_by("id").values_list(
                "id", "sku", "name", "description", "category__slug", "supplier__name",
                "price", "cost", "stock", "weight", "status", "is_active", "created",
                "updated",
            )
        ),
        "movements": list(
            StockMovement.objects.order_by("id").values_list(
                "id", "product__sku", "quantity", "reason", "timestamp"
            )
        ),
        "reviews": list(
            Review.objects.order_by("id").values_list(
                "id", "product__sku", "rating", "title", "text", "author", "created"
            )
        ),
        "tags": list(
            Product.tags.through.objects.order_by("id").values_list(
                "product__sku", "tag__name"
            )
        ),
        "categories": list(Category.objects.order_by("id").values_list("slug", "parent__slug")),
        "suppliers": list(
            Supplier.objects.order_by("id").values_list("name", "country", "email", "phone")
        ),
    }  # fmt: skip


def read_labels(path):
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="class")
def labelled_catalog(django_db_setup, django_db_blocker, tmp_path_factory):
    """A committed catalog of 2000 products and its labels, as {sku: label row}.

    Seeded once for the tests of a class, which only read it, then flushed.
    """
    path = tmp_path_factory.mktemp("labels") / "labels.csv"
    with django_db_blocker.unblock():
        seed(LABELLED, seed=11, labels_out=path)
    try:
        yield {row["sku"]: row for row in read_labels(path)}
    finally:
        with django_db_blocker.unblock():
            seeding.flush_catalog()


# Determinism


def test_same_seed_gives_identical_rows_and_labels(tmp_path):
    # --flush restarts the id sequences too, which rolled-back tests leave advanced.
    seed(300, seed=5, labels_out=tmp_path / "first.csv", flush=True)
    first = snapshot()
    seed(300, seed=5, labels_out=tmp_path / "second.csv", flush=True)

    assert snapshot() == first
    assert (tmp_path / "second.csv").read_bytes() == (tmp_path / "first.csv").read_bytes()


#: The digest of ``snapshot()`` after ``seed_catalog --products 200 --seed 7
#: --today 2026-06-30`` (timestamps follow the seed's day). The bench
#: databases are seeded once and kept, and the demo's data is described by its seed: a
#: change to the data files or the generator that changes the catalog must be meant,
#: and then this digest changes with it.
CATALOG_200_SEED_7 = "8eef82f1caaee391f29229a3c0cf42161b345b453e6461364b680f4c7e08db1f"


def test_the_catalog_of_a_seed_stays_the_same_across_versions(tmp_path):
    seed(200, seed=7, today="2026-06-30", labels_out=tmp_path / "labels.csv", flush=True)
    # As text (str() of decimals and datetimes): the same on every database.
    digest = hashlib.sha256(json.dumps(snapshot(), default=str).encode())
    digest.update((tmp_path / "labels.csv").read_bytes())

    assert digest.hexdigest() == CATALOG_200_SEED_7


def test_different_seed_gives_different_rows(tmp_path):
    seed(300, seed=5)
    first = snapshot()
    seed(300, seed=6, flush=True)
    second = snapshot()

    assert second["products"] != first["products"]
    assert second["reviews"] != first["reviews"]


def test_batch_size_does_not_change_the_rows():
    seed(120, seed=3, batch_size=7, flush=True)
    small_batches = snapshot()
    seed(120, seed=3, batch_size=5000, flush=True)

    assert snapshot() == small_batches


def test_timestamps_span_the_eighteen_months_ending_on_the_seeds_day():
    seed(300, seed=2, today="2026-03-15")

    start = datetime(2024, 9, 12, tzinfo=UTC)  # 548 days before 2026-03-15 begins
    end = datetime(2026, 3, 15, tzinfo=UTC)
    created = list(Product.objects.values_list("created", flat=True))
    assert start <= min(created) < start + timedelta(days=120)
    assert end - timedelta(days=7) <= max(created) < end
    for model, field in [
        (Product, "updated"),
        (StockMovement, "timestamp"),
        (Review, "created"),
    ]:
        stamps = list(model.objects.values_list(field, flat=True))
        assert start <= min(stamps) and max(stamps) < end, (model, field)
    # Nothing happens to a product before it exists.
    assert not Product.objects.filter(updated__lt=F("created")).exists()
    assert not StockMovement.objects.filter(timestamp__lt=F("product__created")).exists()
    assert not Review.objects.filter(created__lt=F("product__created")).exists()


def test_the_same_seed_and_day_give_the_same_rows_and_another_day_shifts_them():
    seed(80, seed=3, today="2026-03-15", flush=True)  # flushed: ids restart from 1
    first = snapshot()
    seed(80, seed=3, today="2026-03-15", flush=True)
    assert snapshot() == first
    seed(80, seed=3, today="2026-03-25", flush=True)
    shifted = snapshot()
    assert shifted["products"] != first["products"]
    assert [p[:-2] for p in shifted["products"]] == [p[:-2] for p in first["products"]]


def test_by_default_the_history_ends_today_so_date_presets_find_products():
    seed(300, seed=1)

    today = timezone.localdate()
    last_week = Product.objects.filter(
        created__date__gte=today - timedelta(days=6), created__date__lte=today
    )
    assert last_week.exists()
    now = timezone.now()
    assert not Product.objects.filter(updated__gt=now).exists()
    assert not Review.objects.filter(created__gt=now).exists()
    assert not StockMovement.objects.filter(timestamp__gt=now).exists()


def test_a_bad_today_is_a_clear_error():
    with pytest.raises(CommandError, match="--today must be a date as YYYY-MM-DD, not '15/03'"):
        seed(10, today="15/03")


@pytest.mark.postgres
def test_copy_and_bulk_create_insert_identical_rows():
    seeding.flush_catalog()
    seeding.CatalogSeeder(200, seed=4, use_copy=True).run()
    copied = snapshot()
    seeding.flush_catalog()
    seeding.CatalogSeeder(200, seed=4, use_copy=False).run()

    assert snapshot() == copied


# What is created


def test_creates_exactly_n_products_with_their_related_rows():
    output = seed(500, seed=1)

    assert Product.objects.count() == 500
    assert StockMovement.objects.exists()
    assert Review.objects.exists()
    assert Product.tags.through.objects.exists()
    assert Supplier.objects.count() >= 100
    assert Tag.objects.count() >= 20
    assert "products/s" in output
    assert "Anomalies injected" in output


def test_categories_form_a_tree_and_products_sit_in_subcategories():
    seed(200, seed=1)

    top = Category.objects.filter(parent=None)
    assert 6 <= top.count() <= 10
    assert Category.objects.exclude(parent=None).count() >= 30
    assert not Product.objects.filter(category__parent=None).exists()
    assert not Category.objects.filter(parent__parent__isnull=False).exists()


def test_skus_are_unique_and_readable():
    seed(300, seed=1)

    skus = list(Product.objects.values_list("sku", flat=True))
    assert len(set(skus)) == 300
    assert all(len(sku.split("-")) == 3 and sku.split("-")[2].isdigit() for sku in skus)


def test_zero_products_creates_only_the_reference_data():
    seed(0)

    assert Product.objects.count() == 0
    assert Category.objects.exists()


# Labels


def test_labels_file_has_the_documented_header(tmp_path):
    path = tmp_path / "labels.csv"
    seed(50, labels_out=path)

    assert path.read_text().splitlines()[0] == "sku,anomaly,field,detail"


def test_without_labels_out_no_labels_are_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    seed(100)

    assert list(tmp_path.iterdir()) == []


class TestLabelledCatalog:
    """Read-only checks on one seeded catalog of 2000 products and its labels."""

    def test_some_products_have_hundreds_of_stock_movements(self, labelled_catalog):
        busiest = Product.objects.annotate(n=Count("movements")).order_by("-n").first()
        assert busiest.movements.count() >= 100

    def test_review_ratings_agree_with_their_titles_unless_labelled(self, labelled_catalog):
        for sku, rating, title in Review.objects.values_list("product__sku", "rating", "title"):
            if labelled_catalog.get(sku, {}).get("anomaly") == "rating_mismatch":
                continue
            if rating >= 4:
                assert title in seeding.POSITIVE_TITLES
            elif rating <= 2:
                assert title in seeding.NEGATIVE_TITLES

    def test_about_three_percent_of_products_are_labelled(self, labelled_catalog):
        assert 0.02 * LABELLED <= len(labelled_catalog) <= 0.04 * LABELLED
        kinds = {row["anomaly"] for row in labelled_catalog.values()}
        assert kinds == set(seeding.ANOMALY_KINDS)

    def test_every_label_holds_in_the_database(self, labelled_catalog):
        products = Product.objects.in_bulk(labelled_catalog, field_name="sku")
        medians = category_median_prices()
        contradicting = skus_with_contradicting_reviews()

        assert products.keys() == labelled_catalog.keys()
        for sku, label in labelled_catalog.items():
            product = products[sku]
            match label["anomaly"]:
                case "negative_stock":
                    assert product.stock < 0
                case "price_below_cost":
                    assert product.price < product.cost
                case "price_outlier":
                    ratio = product.price / medians[product.category_id]
                    assert ratio >= 10 or ratio <= 0.1, (sku, ratio)
                case "missing_description":
                    assert product.description == ""
                case "zero_weight":
                    assert product.weight == 0
                case "rating_mismatch":
                    assert sku in contradicting
                case other:
                    pytest.fail(f"unknown anomaly {other!r}")

    def test_no_unlabelled_product_meets_an_anomaly_condition(self, labelled_catalog):
        normal = Product.objects.exclude(sku__in=labelled_catalog)
        medians = category_median_prices()

        assert not normal.filter(stock__lt=0).exists()
        assert not normal.filter(description="").exists()
        assert not normal.filter(weight__lte=0).exists()
        assert all(price > cost for price, cost in normal.values_list("price", "cost"))
        for category_id, price in normal.values_list("category_id", "price"):
            assert 0.2 <= price / medians[category_id] <= 5
        assert skus_with_contradicting_reviews() <= labelled_catalog.keys()

    def test_no_anomaly_information_is_stored_in_the_database(self, labelled_catalog):
        field_names = {
            field.name.lower()
            for model in apps.get_app_config("catalog").get_models()
            for field in model._meta.get_fields()
        }
        assert not any("anomal" in name or "label" in name for name in field_names)
        assert not Product.objects.filter(description__icontains="anomal").exists()
        assert not Review.objects.filter(text__icontains="anomal").exists()


def category_median_prices():
    prices = defaultdict(list)
    for category_id, price in Product.objects.values_list("category_id", "price"):
        prices[category_id].append(price)
    return {category_id: statistics.median(values) for category_id, values in prices.items()}


def skus_with_contradicting_reviews():
    """Products with a review whose stars say the opposite of its title."""
    return {
        sku
        for sku, rating, title in Review.objects.values_list("product__sku", "rating", "title")
        if (rating >= 4 and title in seeding.NEGATIVE_TITLES)
        or (rating <= 2 and title in seeding.POSITIVE_TITLES)
    }


# Guards


def test_refuses_to_seed_a_non_empty_catalog_without_flush():
    seed(10)

    with pytest.raises(CommandError, match=r"10 products.*--flush"):
        seed(20)
    assert Product.objects.count() == 10


def test_reference_data_left_without_products_is_replaced():
    seed(0)
    output = seed(10)

    assert "left without products" in output
    assert Product.objects.count() == 10
    assert Category.objects.filter(parent=None).count() == len(seeding.TAXONOMY)


def test_flush_replaces_the_existing_catalog():
    seed(30, seed=1)
    seed(10, seed=2, flush=True)

    assert Product.objects.count() == 10
    assert Category.objects.filter(parent=None).count() == len(seeding.TAXONOMY)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"products": -1}, "--products must be 0 or more"),
        ({"products": 10, "batch_size": 0}, "--batch-size must be at least 1"),
    ],
)
def test_rejects_bad_arguments(options, message):
    with pytest.raises(CommandError, match=message):
        call_command("seed_catalog", stdout=io.StringIO(), **options)
    assert not Category.objects.exists()


def test_requires_the_number_of_products():
    with pytest.raises(CommandError, match="--products"):
        call_command("seed_catalog", stdout=io.StringIO())


def test_rejects_a_labels_file_in_a_missing_directory(tmp_path):
    with pytest.raises(CommandError, match="not a directory"):
        seed(10, labels_out=tmp_path / "missing" / "labels.csv")
    assert not Category.objects.exists()
