"""Drop-in: what stock Django's search box accepts keeps its stock meaning.

A project swaps ``admin.ModelAdmin`` for the toolkit's and its people must find the
same rows with the same words. These tests compare ``SearchMixin`` with stock
``ModelAdmin.get_search_results`` on the same data, and pin the cases the toolkit's own
syntax must leave alone (quotes, colons, negative numbers, the help text).
"""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from demo.catalog.models import Category, Product, Review, StockMovement, Supplier, Tag
from tests.admin_ext.site_search import PLAIN
from toolkit.admin_ext.search import SearchMixin
from toolkit.admin_ext.search.fields import stock_value

pytestmark = pytest.mark.urls("tests.admin_ext.site_search")

VOCABULARY = ["red", "blue", "usb", "cable", "Daniel", "danielle", "O'Hara", "re:", "3", "5"]

SEARCH_FIELD_SETS = [
    # A reverse foreign key, as admin_changelist's ParentAdminTwoSearchFields.
    ["name", "reviews__text", "reviews__author"],
    # Two to-many relations at once, with Django's prefixes.
    ["^name", "=tags__name", "reviews__text"],
    # A to-one relation before nothing, a number compared exactly, a relation of a
    # relation.
    ["supplier__name", "reviews__rating__exact", "tags__products__sku"],
]


def stock_admin(search_fields):
    return type("StockProductAdmin", (admin.ModelAdmin,), {"search_fields": search_fields})(
        Product, admin.site
    )


def toolkit_admin(search_fields):
    return type(
        "ToolkitProductAdmin", (SearchMixin, admin.ModelAdmin), {"search_fields": search_fields}
    )(Product, admin.site)


def found(model_admin, q):
    """The primary keys the admin's search finds, in a list (duplicates kept)."""
    request = RequestFactory().get("/", {"q": q})
    queryset, _ = model_admin.get_search_results(request, Product.objects.all(), q)
    return list(queryset.values_list("pk", flat=True))


def words(rng, count):
    return " ".join(rng.choice(VOCABULARY) for _ in range(count))


@pytest.fixture
def random_catalog(db):
    """Products whose names, reviews and tags reuse a few words, so that searches for
    several words hit them on the same related row, on different rows, or not at all."""
    rng = random.Random(12)
    category = Category.objects.create(name="All", slug="all")
    suppliers = [Supplier.objects.create(name=words(rng, 2) + f" {i}") for i in range(3)]
    tags = [Tag.objects.create(name=name) for name in [*VOCABULARY, "red usb", "blue cable"]]
    for i in range(14):
        product = Product.objects.create(
            sku=f"S-{i:02}",
            name=words(rng, rng.randint(1, 3)),
            category=category,
            supplier=rng.choice(suppliers),
            price=Decimal("1.00"),
            cost=Decimal("1.00"),
        )
        product.tags.set(rng.sample(tags, rng.randint(0, 3)))
        for _ in range(rng.randint(0, 3)):
            Review.objects.create(
                product=product,
                rating=rng.choice([3, 5]),
                text=words(rng, rng.randint(1, 3)),
                author=rng.choice(VOCABULARY),
            )


def random_search(rng):
    """One to four pieces: words, parts of words, and phrases in either quote."""
    pieces = []
    for _ in range(rng.randint(1, 4)):
        kind = rng.random()
        if kind < 0.15:
            pieces.append(f'"{words(rng, 2)}"')
        elif kind < 0.25:
            pieces.append(f"'{words(rng, 2)}'".replace("O'Hara", "Hara"))
        elif kind < 0.4:
            word = rng.choice(VOCABULARY)
            pieces.append(word[: max(1, len(word) - 2)])
        else:
            pieces.append(rng.choice(VOCABULARY))
    return " ".join(pieces)


@pytest.mark.parametrize("search_fields", SEARCH_FIELD_SETS, ids=lambda fields: fields[0])
@pytest.mark.parametrize("seed", range(4))
def test_random_searches_over_to_many_relations_find_exactly_the_rows_stock_django_finds(
    random_catalog, search_fields, seed
):
    rng = random.Random(seed)
    stock, toolkit = stock_admin(search_fields), toolkit_admin(search_fields)
    matched_something = 0
    for _ in range(40):
        q = random_search(rng)
        ours = found(toolkit, q)
        assert len(ours) == len(set(ours)), f"duplicate rows for {q!r}"
        assert set(ours) == set(found(stock, q)), f"different rows for {q!r}"
        matched_something += bool(ours)
    # The generator must exercise the matching, not only agree on empty results.
    assert matched_something >= 5


@pytest.fixture
def family(db):
    """admin_changelist's test: one parent (product) with two children (reviews)."""
    category = Category.objects.create(name="All", slug="all")
    supplier = Supplier.objects.create(name="Mary")
    product = Product.objects.create(
        sku="P-1",
        name="Mary",
        category=category,
        supplier=supplier,
        price=Decimal("1.00"),
        cost=Decimal("1.00"),
    )
    Review.objects.create(product=product, rating=3, text="Danielle", author="x")
    Review.objects.create(product=product, rating=5, text="Daniel", author="y")
    return product


def test_several_words_over_a_to_many_relation_must_match_the_same_related_row(family):
    model_admin = toolkit_admin(["reviews__text", "reviews__rating__exact"])
    assert found(model_admin, "danielle 5") == []  # two different reviews
    assert found(model_admin, "danielle 3") == [family.pk]
    assert found(model_admin, "daniel 5") == [family.pk]


def test_words_of_the_row_itself_combine_with_any_one_related_row(family):
    model_admin = toolkit_admin(["name", "reviews__text"])
    assert found(model_admin, "mary danielle") == [family.pk]
    assert found(model_admin, "mary nobody") == []


def test_a_word_repeated_many_times_is_one_condition_and_one_join(family):
    model_admin = toolkit_admin(["reviews__text"])
    request = RequestFactory().get("/")
    queryset, _ = model_admin.get_search_results(request, Product.objects.all(), "daniel " * 80)
    with CaptureQueriesContext(connection) as queries:
        assert queryset.count() == 1
    assert queries.captured_queries[0]["sql"].count("JOIN") == 1
    assert "DISTINCT" not in queries.captured_queries[0]["sql"]


def test_single_quoted_phrase_is_one_phrase(root_client, family):
    Product.objects.filter(pk=family.pk).update(name="John O'Hara Doe")
    for q in ["'John O\\'Hara'", "'Hara Doe' John", '"O\'Hara Doe"']:
        assert listed(root_client, q) == ["P-1"], q
    assert listed(root_client, "'Doe John'") == []


@pytest.mark.parametrize(
    "word",
    ["Re:", "ISBN:978-3-16-148410-0", "10:30", "00:1a:2b:3c:4d:5e", "fe80::1ff:fe23:4567:890a"],
)
def test_words_with_colons_are_searched_with_no_warning(root_client, family, word):
    Product.objects.filter(pk=family.pk).update(name=f"Item {word} x")
    assert listed(root_client, word) == ["P-1"]
    assert listed(root_client, f"{word} item") == ["P-1"]


def test_words_with_colons_are_words_on_a_list_with_qualifiers_too(root_client, family):
    Product.objects.filter(pk=family.pk).update(name="Re: ISBN:978 at 10:30")
    for word in ["Re:", "ISBN:978", "10:30", "re:"]:
        assert listed(root_client, word, url="/admin/catalog/product/") == ["P-1"], word


def test_a_negative_number_is_searched_as_a_number_not_excluded(db):
    product = Product.objects.create(
        sku="N-1",
        name="n",
        category=Category.objects.create(name="All", slug="all"),
        supplier=Supplier.objects.create(name="s"),
        price=Decimal("1"),
        cost=Decimal("1"),
    )
    out = StockMovement.objects.create(product=product, quantity=-5, reason="sale")
    StockMovement.objects.create(product=product, quantity=5, reason="purchase")
    model_admin = type(
        "MovementAdmin", (SearchMixin, admin.ModelAdmin), {"search_fields": ["quantity__exact"]}
    )(StockMovement, admin.site)
    request = RequestFactory().get("/")
    queryset, _ = model_admin.get_search_results(request, StockMovement.objects.all(), "-5")
    assert list(queryset) == [out]


# --- "None", booleans and choices on __exact, as Django 6.1 converts them -------------


@pytest.mark.parametrize(
    ("word", "expected"),
    [("None", None), ("none", None), ("TRUE", True), ("1", True), ("false", False), ("0", False)],
)
def test_a_nullable_boolean_takes_none_and_strict_booleans(word, expected):
    assert stock_value(models.BooleanField(null=True), word) is expected


@pytest.mark.parametrize("word", ["None", "yes", "maybe", ""])
def test_a_boolean_refuses_none_and_loose_words(word):
    with pytest.raises(ValidationError):
        stock_value(models.BooleanField(), word)


@pytest.mark.parametrize("word", ["None", "none", "True", "FALSE", "1", "0", "yes", "x"])
def test_boolean_conversion_is_django_61s(word):
    formfields = pytest.importorskip("django.contrib.admin.formfields")
    for field, stock in [
        (models.BooleanField(null=True), formfields.StrictNullBooleanField()),
        (models.BooleanField(), formfields.StrictBooleanField()),
    ]:
        try:
            expected = ("value", stock.to_python(word))
        except Exception as exc:
            expected = ("error", type(exc).__name__)
        try:
            ours = ("value", stock_value(field, word))
        except Exception as exc:
            ours = ("error", type(exc).__name__)
        assert ours == expected


def test_choices_on_exact_are_checked_by_the_form_field():
    field = models.IntegerField(choices=[(1, "One"), (2, "Two")])
    assert stock_value(field, "2") == 2
    with pytest.raises(ValidationError):
        stock_value(field, "3")


# --- Help text ------------------------------------------------------------------------


def test_a_list_without_qualifiers_has_no_help_text_as_in_django(root_client, family):
    response = root_client.get(PLAIN)
    assert response.context["cl"].search_help_text is None
    assert "searchbar_helptext" not in response.content.decode()


def test_an_explicit_help_text_wins_over_the_generated_one():
    class WithBoth(SearchMixin, admin.ModelAdmin):
        search_fields = ["name"]
        search_qualifiers = {"sku": "sku__iexact"}
        search_help_text = "Type a name."

    class QualifiersOnly(WithBoth):
        search_help_text = None

    request = RequestFactory().get("/")
    assert WithBoth(Product, admin.site).get_search_help_text(request) == "Type a name."
    generated = QualifiersOnly(Product, admin.site).get_search_help_text(request)
    assert generated.startswith("Search by name. Qualifiers: sku:…")


# --- Helpers -------------------------------------------------------------------------


@pytest.fixture
def root_client(client, superuser):
    client.force_login(superuser)
    return client


def listed(client, q, url=PLAIN):
    """The SKUs a search lists; it must raise no warning."""
    response = client.get(url, {"q": q})
    assert response.status_code == 200
    warnings = [m.message for m in response.context["messages"] if m.level == messages.WARNING]
    assert warnings == []
    return sorted(obj.sku for obj in response.context["cl"].result_list)
