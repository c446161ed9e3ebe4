"""SearchMixin through the admin: qualifiers, phrases, negation, relations, bad input."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.contrib import admin, messages
from django.db import connection
from django.db.migrations.state import ProjectState
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext

from demo.catalog.models import Category, Product, Review, Supplier, Tag
from tests.admin_ext.site_search import (
    FULLTEXT_FIELDS,
    FulltextProductSearchAdmin,
    fulltext_site,
)
from tests.conftest import ON_POSTGRES
from toolkit.admin_ext.changelist import forget_estimates
from toolkit.admin_ext.fulltext import (
    AddSearchVectorIndex,
    search_vector,
    search_vector_index,
)
from toolkit.admin_ext.search import SearchMixin

pytestmark = pytest.mark.urls("tests.admin_ext.site_search")

PRODUCTS = "/admin/catalog/product/"
UTC = datetime.UTC


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The people fixtures hash a password per test; the default hasher is made slow
    on purpose, which is not what these tests are about."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_estimates():
    """The planner's estimates are cached per process for seconds (they decide how
    full-text matches are sorted); each test plans its own rows."""
    forget_estimates()
    yield
    forget_estimates()


def at(*args):
    return datetime.datetime(*args, tzinfo=UTC)


@pytest.fixture
def shop(db):
    """Four products with suppliers, tags and reviews chosen to tell the rules apart."""
    cables = Category.objects.create(name="Cables", slug="cables")
    acme = Supplier.objects.create(name="Acme Corp", country="US")
    acme_industries = Supplier.objects.create(name="Acme Industries", country="DE")
    globex = Supplier.objects.create(name="Globex", country="FR")
    blue, navy, light, sale = (
        Tag.objects.create(name=name) for name in ["blue", "navy blue", "light blue", "sale"]
    )

    def product(sku, name, supplier, price, created, **extra):
        return Product.objects.create(
            sku=sku,
            name=name,
            category=cables,
            supplier=supplier,
            price=Decimal(price),
            cost=Decimal("1.00"),
            created=created,
            **extra,
        )

    usb = product(
        "USB-001",
        "USB C cable",
        acme,
        "9.99",
        at(2025, 1, 1, 12),
        stock=10,
        status="active",
        description="A braided cable for chargers.",
    )
    usb.tags.set([blue, navy, light])
    for text in ["Sturdy plug", "Very sturdy", "sturdy and long"]:
        Review.objects.create(product=usb, rating=5, text=text, author="ann")
    adapter = product(
        "USB-002",
        "C USB adapter",
        globex,
        "25.00",
        at(2024, 12, 31, 23, 30),
        stock=0,
        status="active",
        description="Adapter.",
    )
    adapter.tags.set([sale])
    Review.objects.create(product=adapter, rating=2, text="Flimsy", author="bob")
    hdmi = product(
        "HDMI-01",
        "HDMI cable refurbished",
        acme_industries,
        "49.99",
        at(2025, 2, 10, 8),
        stock=3,
        status="draft",
        description="Cable cable cable, refurbished.",
    )
    brick = product(
        "PWR-9",
        "Power brick <b>",
        globex,
        "120.00",
        at(2025, 3, 1, 9),
        stock=7,
        status="discontinued",
        is_active=False,
    )
    return {"usb": usb, "adapter": adapter, "hdmi": hdmi, "brick": brick}


@pytest.fixture
def root_client(client, superuser):
    client.force_login(superuser)
    return client


def search(client, q, url=PRODUCTS, **params):
    """(skus listed, in order; warning messages; the response)."""
    response = client.get(url, {"q": q, **params})
    assert response.status_code == 200
    listed = [getattr(obj, "sku", None) or str(obj) for obj in response.context["cl"].result_list]
    warnings = [m.message for m in response.context["messages"] if m.level == messages.WARNING]
    return listed, warnings, response


def skus(client, q, **params):
    listed, warnings, _ = search(client, q, **params)
    assert warnings == []
    return sorted(listed)


# --- Words, phrases, negation --------------------------------------------------------


def test_word_matches_any_search_field(root_client, shop):
    assert skus(root_client, "hdmi") == ["HDMI-01"]
    assert skus(root_client, "usb-00") == ["USB-001", "USB-002"]


def test_terms_are_anded(root_client, shop):
    assert skus(root_client, "usb adapter") == ["USB-002"]
    assert skus(root_client, "usb hdmi") == []


def test_quoted_phrase_matches_words_in_that_order(root_client, shop):
    assert skus(root_client, '"usb c"') == ["USB-001"]
    assert skus(root_client, '"c usb"') == ["USB-002"]


def test_minus_excludes_a_word(root_client, shop):
    assert skus(root_client, "cable -refurbished") == ["USB-001"]


def test_minus_excludes_a_phrase(root_client, shop):
    assert skus(root_client, 'usb -"usb c"') == ["USB-002"]


def test_minus_excludes_a_qualifier(root_client, shop):
    assert skus(root_client, "-supplier:globex") == ["HDMI-01", "USB-001"]


def test_empty_search_lists_everything(root_client, shop):
    assert skus(root_client, "") == ["HDMI-01", "PWR-9", "USB-001", "USB-002"]
    assert skus(root_client, '   ""  ') == ["HDMI-01", "PWR-9", "USB-001", "USB-002"]


def test_search_field_prefixes_work_as_in_django(root_client, shop):
    suppliers = "/admin/catalog/supplier/"
    listed, warnings, _ = search(root_client, "acme", url=suppliers)
    assert sorted(listed) == ["Acme Corp", "Acme Industries"]
    assert search(root_client, "corp", url=suppliers)[0] == []  # ^name: starts with
    assert search(root_client, "us", url=suppliers)[0] == ["Acme Corp"]  # =country
    assert search(root_client, "u", url=suppliers)[0] == []  # =country: whole value
    globex = Supplier.objects.get(name="Globex")
    assert search(root_client, str(globex.pk), url=suppliers)[0] == ["Globex"]
    assert warnings == []


def test_free_words_without_search_fields_are_reported(shop):
    class QualifiersOnly(SearchMixin, admin.ModelAdmin):
        search_qualifiers = {"sku": "sku__iexact"}

    model_admin = QualifiersOnly(Product, admin.AdminSite())
    reported = []
    model_admin.message_user = lambda request, message, level, **kw: reported.append(message)
    request = RequestFactory().get("/")
    queryset, _ = model_admin.get_search_results(request, Product.objects.all(), "usb sku:usb-002")
    assert [p.sku for p in queryset] == ["USB-002"]
    assert len(reported) == 1
    assert "“usb”" in reported[0]


# --- Qualifiers ----------------------------------------------------------------------


def test_qualifier_with_lookup_uses_that_lookup(root_client, shop):
    assert skus(root_client, "sku:usb-001") == ["USB-001"]
    assert skus(root_client, "sku:usb") == []  # iexact, not contains


def test_quoted_qualifier_value(root_client, shop):
    assert skus(root_client, 'supplier:"acme corp"') == ["USB-001"]
    assert skus(root_client, "supplier:acme") == ["HDMI-01", "USB-001"]


def test_qualifier_combines_with_words_and_other_qualifiers(root_client, shop):
    assert skus(root_client, "supplier:acme price>=10 price<50 cable") == ["HDMI-01"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("price>=25", ["HDMI-01", "PWR-9", "USB-002"]),
        ("price>25", ["HDMI-01", "PWR-9"]),
        ("price<25", ["USB-001"]),
        ("price<=25", ["USB-001", "USB-002"]),
        ("price=9.99", ["USB-001"]),
        ("price:9.99", ["USB-001"]),
        ("price:>=49.99", ["HDMI-01", "PWR-9"]),
        ("stock>=3 stock<10", ["HDMI-01", "PWR-9"]),
        ("stock:0", ["USB-002"]),
    ],
)
def test_number_qualifiers_compare(root_client, shop, q, expected):
    assert skus(root_client, q) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        # A date alone on a datetime field means that whole day, in the current zone.
        ("created=2025-01-01", ["USB-001"]),
        ("created>=2025-01-01", ["HDMI-01", "PWR-9", "USB-001"]),
        ("created>2025-01-01", ["HDMI-01", "PWR-9"]),
        ("created<2025-01-01", ["USB-002"]),
        ("created<=2025-01-01", ["USB-001", "USB-002"]),
        ("created>=2025-02-10T08:00:00 created<2025-03-01", ["HDMI-01"]),
        ("day:2024-12-31", ["USB-002"]),
        ("day>=2025-02-01", ["HDMI-01", "PWR-9"]),
    ],
)
def test_date_qualifiers_compare(root_client, shop, q, expected):
    assert skus(root_client, q) == expected


@override_settings(TIME_ZONE="America/New_York")
def test_date_alone_starts_the_day_in_the_current_time_zone(root_client, shop):
    # USB-001 was created 2025-01-01 12:00 UTC (07:00 in New York); USB-002 on
    # 2024-12-31 23:30 UTC, which is still 18:30 on the 31st in New York.
    assert skus(root_client, "created=2025-01-01") == ["USB-001"]
    assert skus(root_client, "created<2025-01-01") == ["USB-002"]
    Product.objects.filter(sku="USB-002").update(created=at(2025, 1, 1, 4, 59))
    assert skus(root_client, "created<2025-01-01") == ["USB-002"]
    Product.objects.filter(sku="USB-002").update(created=at(2025, 1, 1, 5, 0))
    assert skus(root_client, "created<2025-01-01") == []


def test_choice_qualifier_accepts_the_value_or_its_label(root_client, shop):
    assert skus(root_client, "status:discontinued") == ["PWR-9"]
    assert skus(root_client, "status:Draft") == ["HDMI-01"]


def test_boolean_qualifier(root_client, shop):
    assert skus(root_client, "active:no") == ["PWR-9"]
    assert skus(root_client, "active:yes") == ["HDMI-01", "USB-001", "USB-002"]


def test_qualifier_names_are_case_insensitive(root_client, shop):
    assert skus(root_client, "SKU:USB-002") == ["USB-002"]


# --- Relations without duplicates ----------------------------------------------------


def test_many_matching_tags_list_the_product_once_without_distinct(root_client, shop):
    with CaptureQueriesContext(connection) as queries:
        listed, warnings, _ = search(root_client, "blue")
    assert listed == ["USB-001"]
    assert warnings == []
    product_queries = [q["sql"] for q in queries.captured_queries if "catalog_product" in q["sql"]]
    assert product_queries
    assert not any("DISTINCT" in sql.upper() for sql in product_queries)
    assert any("EXISTS" in sql.upper() for sql in product_queries)


def test_many_matching_reviews_list_the_product_once(root_client, shop):
    listed, _, response = search(root_client, "sturdy")
    assert listed == ["USB-001"]
    assert response.context["cl"].queryset.query.distinct is False


def test_tag_qualifier_on_a_many_to_many(root_client, shop):
    assert skus(root_client, "tag:sale") == ["USB-002"]
    assert skus(root_client, "tag:blue") == ["USB-001"]


def test_negated_tag_qualifier_keeps_products_without_tags(root_client, shop):
    assert skus(root_client, "-tag:sale") == ["HDMI-01", "PWR-9", "USB-001"]


def test_negated_word_over_a_relation_uses_not_exists(root_client, shop):
    assert skus(root_client, "-sturdy") == ["HDMI-01", "PWR-9", "USB-002"]


def test_reverse_foreign_key_qualifiers(root_client, shop):
    assert skus(root_client, "rating>=4") == ["USB-001"]
    assert skus(root_client, "rating<3") == ["USB-002"]
    assert skus(root_client, "review:flimsy") == ["USB-002"]
    assert skus(root_client, "unreviewed:yes") == ["HDMI-01", "PWR-9"]
    assert skus(root_client, "unreviewed:no") == ["USB-001", "USB-002"]
    assert skus(root_client, "-unreviewed:yes") == ["USB-001", "USB-002"]


def test_relation_after_a_foreign_key_from_the_review_list(root_client, shop):
    listed, warnings, _ = search(root_client, "tag:sale", url="/admin/catalog/review/")
    assert warnings == []
    assert listed == [str(shop["adapter"].reviews.get())]


def test_reverse_many_to_many_from_the_tag_list(root_client, shop):
    listed, warnings, _ = search(root_client, "product:usb", url="/admin/catalog/tag/")
    assert warnings == []
    assert sorted(listed) == ["blue", "light blue", "navy blue", "sale"]


# --- Bad input: a message per problem, the rest still applies ------------------------


@pytest.mark.parametrize(
    ("q", "named", "expected"),
    [
        ('cable "usb', '"usb', ["HDMI-01", "USB-001"]),
        ("cable price>abc", "price>abc", ["HDMI-01", "USB-001"]),
        ("cable created>=2025-13-45", "created>=2025-13-45", ["HDMI-01", "USB-001"]),
        ("cable sku>5", "sku>5", ["HDMI-01", "USB-001"]),
        ("cable supplier<=a", "supplier<=a", ["HDMI-01", "USB-001"]),
        ("cable sku:", "sku:", ["HDMI-01", "USB-001"]),
        ("cable status:bogus", "status:bogus", ["HDMI-01", "USB-001"]),
        ("cable active:maybe", "active:maybe", ["HDMI-01", "USB-001"]),
        ("cable price>=NaN", "price>=NaN", ["HDMI-01", "USB-001"]),
        ("cable price<Infinity", "price<Infinity", ["HDMI-01", "USB-001"]),
    ],
)
def test_malformed_term_gives_one_warning_and_the_other_terms_still_filter(
    root_client, shop, q, named, expected
):
    listed, warnings, _ = search(root_client, q)
    assert sorted(listed) == expected
    assert len(warnings) == 1
    assert f"“{named}”" in warnings[0]


def test_malformed_term_keeps_the_list_filters(root_client, shop):
    listed, warnings, response = search(root_client, "cable price>abc", status__exact="draft")
    assert listed == ["HDMI-01"]
    assert len(warnings) == 1
    # The search box and the filter links keep both.
    assert response.context["cl"].get_query_string() == "?q=cable+price%3Eabc&status__exact=draft"


def test_each_problem_gets_its_own_message(root_client, shop):
    listed, warnings, _ = search(root_client, 'sku: usb price>x created<2025-99-01 "open')
    assert sorted(listed) == ["USB-001", "USB-002"]
    assert len(warnings) == 4
    for named in ["sku:", "price>x", "created<2025-99-01", '"open']:
        assert sum(f"“{named}”" in w for w in warnings) == 1


def test_facets_do_not_repeat_the_messages(root_client, shop):
    listed, warnings, _ = search(
        root_client, "cable price>abc", url="/faceted-admin/catalog/product/"
    )
    assert sorted(listed) == ["HDMI-01", "USB-001"]
    assert len(warnings) == 1


@pytest.mark.parametrize(
    ("q", "name", "meant"),
    [("suplier:acme", "suplier", "supplier:acme"), ("prce>=500", "prce", "price>=500")],
)
def test_near_miss_of_a_qualifier_is_searched_as_text_and_suggests_the_qualifier(
    root_client, shop, q, name, meant
):
    listed, warnings, _ = search(root_client, q)
    assert listed == []  # no product holds the text
    assert warnings == [
        f"Searched for “{q}” as text: there is no {name}: qualifier. Did you mean “{meant}”?"
    ]
    Product.objects.filter(sku="PWR-9").update(name=f"Sticker {q}")
    assert search(root_client, q)[0] == ["PWR-9"]


def test_text_with_colons_that_is_not_a_qualifier_is_searched(root_client, shop):
    Product.objects.filter(sku="PWR-9").update(name="Timer 10:30 https://x.example/a")
    assert skus(root_client, "10:30") == ["PWR-9"]
    assert skus(root_client, "https://x.example/a") == ["PWR-9"]


def test_hostile_term_is_escaped_in_the_message(root_client, shop):
    q = "cable price>=<script>alert(1)</script>"
    listed, warnings, response = search(root_client, q)
    assert len(warnings) == 1
    assert "<script>alert(1)</script>" in warnings[0]
    body = response.content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert sorted(listed) == ["HDMI-01", "USB-001"]


def test_record_text_is_escaped_in_the_results(root_client, shop):
    _, _, response = search(root_client, "brick")
    body = response.content.decode()
    assert "Power brick &lt;b&gt;" in body
    assert "Power brick <b>" not in body


@pytest.mark.parametrize(
    "q",
    [
        "stock>99999999999999999999999",
        "stock<-99999999999999999999999",
        "price>=1e400",
        "price<99999999999999999999.99",
        "rating>=99999999999",
        "sku:" + "x" * 5000,
        "'; DROP TABLE catalog_product; --",
        "%_%",
        "\\",
        "price>=1 " * 5,
    ],
)
def test_hostile_values_never_fail(root_client, shop, q):
    response = root_client.get(PRODUCTS, {"q": q})
    assert response.status_code == 200
    assert Product.objects.count() == 4


def test_nul_character_is_reported_by_the_admin_not_a_500(root_client, shop):
    response = root_client.get(PRODUCTS, {"q": "usb\x00"})
    assert response.status_code == 200


def test_like_wildcards_are_literal(root_client, shop):
    assert skus(root_client, "%") == []
    assert skus(root_client, "_") == []


def test_too_many_terms_are_reported_and_the_first_ones_used(root_client, shop):
    q = "usb " + " ".join(f"-nothing{i}" for i in range(40))
    listed, warnings, _ = search(root_client, q)
    assert sorted(listed) == ["USB-001", "USB-002"]
    assert len(warnings) == 1
    assert "first 32 terms" in warnings[0]
    assert "-nothing39" in warnings[0]


def test_query_count_does_not_grow_with_the_number_of_terms(
    root_client, shop, django_assert_max_num_queries
):
    with CaptureQueriesContext(connection) as one_term:
        search(root_client, "usb")
    many = (
        'usb -hdmi "usb c" supplier:acme price>=1 price<100 tag:blue -tag:sale '
        "rating>=1 review:sturdy created>=2020-01-01 stock>=0 active:yes sturdy blue"
    )
    with django_assert_max_num_queries(len(one_term.captured_queries)):
        listed, warnings, _ = search(root_client, many)
    assert listed == ["USB-001"]
    assert warnings == []


# --- Who can search ------------------------------------------------------------------


def test_view_only_staff_can_search(client, viewer, shop):
    client.force_login(viewer)
    listed, warnings, _ = search(client, "tag:sale")
    assert listed == ["USB-002"]
    assert warnings == []


def test_view_only_staff_gets_the_same_warnings(client, viewer, shop):
    client.force_login(viewer)
    listed, warnings, _ = search(client, "usb price>abc")
    assert sorted(listed) == ["USB-001", "USB-002"]
    assert len(warnings) == 1


def test_non_staff_is_sent_to_the_login_page(client, customer, shop):
    client.force_login(customer)
    response = client.get(PRODUCTS, {"q": "tag:sale"})
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_anonymous_is_sent_to_the_login_page(client, shop):
    response = client.get(PRODUCTS, {"q": "foo:bar"})
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


# --- Autocomplete --------------------------------------------------------------------


def autocomplete(client, term):
    return client.get(
        "/admin/autocomplete/",
        {"term": term, "app_label": "catalog", "model_name": "review", "field_name": "product"},
    )


def test_autocomplete_understands_qualifiers(root_client, shop):
    response = autocomplete(root_client, "supplier:globex price>100")
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == [str(shop["brick"])]


def test_autocomplete_problems_do_not_surface_on_the_next_page(root_client, shop):
    assert autocomplete(root_client, "foo:bar").status_code == 200
    _, warnings, _ = search(root_client, "")
    assert warnings == []


# --- Help text -----------------------------------------------------------------------


def test_help_text_is_generated_from_fields_and_qualifiers(root_client, shop):
    _, _, response = search(root_client, "")
    help_text = response.context["cl"].search_help_text
    assert help_text.startswith("Search by SKU, name, review text or tag name.")
    assert "sku:…" in help_text
    assert "price>=…" in help_text
    assert "created>=2025-01-01" in help_text
    assert 'Use "quotes" for phrases and -word to exclude.' in help_text
    assert 'id="searchbar_helptext"' in response.content.decode()


def test_developer_help_text_wins_and_is_escaped(root_client, shop):
    response = root_client.get("/admin/catalog/category/")
    assert response.context["cl"].search_help_text == "Names & <slugs>"
    assert "Names &amp; &lt;slugs&gt;" in response.content.decode()


def test_no_help_text_without_search_fields_or_qualifiers():
    class Plain(SearchMixin, admin.ModelAdmin):
        pass

    request = RequestFactory().get("/")
    assert Plain(Product, admin.AdminSite()).get_search_help_text(request) is None


# --- Full-text search ----------------------------------------------------------------

FULLTEXT = "/fulltext-admin/catalog/product/"


@pytest.mark.skipif(ON_POSTGRES, reason="the fallback is for databases other than PostgreSQL")
def test_fulltext_falls_back_to_the_plain_search_elsewhere(root_client, shop):
    assert skus(root_client, "cable -refurbished", url=FULLTEXT) == ["USB-001"]
    assert skus(root_client, "cables", url=FULLTEXT) == []  # no stemming here


@pytest.mark.postgres
def test_fulltext_matches_word_forms(root_client, shop):
    assert skus(root_client, "cables", url=FULLTEXT) == ["HDMI-01", "USB-001"]
    assert skus(root_client, "chargers", url=FULLTEXT) == ["USB-001"]


@pytest.mark.postgres
def test_fulltext_phrase_negation_and_qualifiers(root_client, shop):
    assert skus(root_client, '"usb c"', url=FULLTEXT) == ["USB-001"]
    assert skus(root_client, "cable -refurbished", url=FULLTEXT) == ["USB-001"]
    assert skus(root_client, "cable supplier:industries", url=FULLTEXT) == ["HDMI-01"]


@pytest.mark.postgres
def test_fulltext_ranks_by_relevance_unless_an_order_is_chosen(root_client, shop):
    listed, _, _ = search(root_client, "cable", url=FULLTEXT)
    assert listed == ["HDMI-01", "USB-001"]  # "cable" four times beats twice
    by_sku, _, _ = search(root_client, "cable", url=FULLTEXT, o="-1")
    assert by_sku == ["USB-001", "HDMI-01"]


STORED_FULLTEXT = "/stored-fulltext-admin/catalog/product/"


@pytest.mark.postgres
@pytest.mark.parametrize(
    "q",
    ["cables", "chargers", '"usb c"', "cable -refurbished", "cable supplier:industries", "-cable"],
)
def test_the_stored_vector_column_finds_what_the_computed_vector_finds(root_client, shop, q):
    assert skus(root_client, q, url=STORED_FULLTEXT) == skus(root_client, q, url=FULLTEXT)


@pytest.mark.postgres
def test_the_stored_vector_column_is_read_not_computed(root_client, shop):
    with CaptureQueriesContext(connection) as queries:
        listed, _, _ = search(root_client, "cable", url=STORED_FULLTEXT)
    searched = [q["sql"] for q in queries.captured_queries if "@@" in q["sql"]]
    assert searched and listed == ["HDMI-01", "USB-001"]  # ranked, as with the vector
    assert all('"search_document"' in sql and "to_tsvector" not in sql for sql in searched)


@pytest.mark.postgres
def test_the_stored_vector_column_follows_every_write(root_client, shop):
    product = Product.objects.get(sku="USB-002")
    product.description = "A sturdy walnut stand"
    product.save()
    assert skus(root_client, "walnut", url=STORED_FULLTEXT) == ["USB-002"]
    Product.objects.filter(pk=product.pk).update(description="")
    assert skus(root_client, "walnut", url=STORED_FULLTEXT) == []


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("url", "sorted_after_matching"), [(FULLTEXT, True), (STORED_FULLTEXT, False)]
)
def test_a_stored_column_walks_the_ordering_for_more_matches_by_default(
    root_client, shop, monkeypatch, url, sorted_after_matching
):
    # 20,000 expected matches: sorted after matching when each row's vector costs a
    # computation (up to 50,000), walked with a stored column (up to 10,000).
    monkeypatch.setattr("toolkit.admin_ext.search.options.estimate_rows", lambda queryset: 20_000)
    with CaptureQueriesContext(connection) as queries:
        search(root_client, "cable", url=url, o="-1")
    (page,) = [
        q["sql"]
        for q in queries.captured_queries
        if "@@" in q["sql"] and q["sql"].startswith('SELECT "catalog_product"."id"')
    ]
    assert ("COALESCE(" in page.split("ORDER BY")[-1]) is sorted_after_matching


def ranked(client, q):
    """Whether the page's queries ordered the full-text matches by ``ts_rank``."""
    with CaptureQueriesContext(connection) as queries:
        listed, _, _ = search(client, q, url=FULLTEXT)
    return any("TS_RANK" in query["sql"].upper() for query in queries.captured_queries), listed


@pytest.mark.postgres
def test_fulltext_ranks_only_when_few_rows_match(root_client, shop, monkeypatch):
    """Ranking reads every match: a common word over a big table keeps the list's own
    ordering, decided by a count that stops after the limit + 1 rows."""
    model_admin = fulltext_site._registry[Product]
    # The count alone decides here: the planner's estimate (the shortcut for common words)
    # follows the table's statistics, which tests run before this one may have left large.
    monkeypatch.setattr("toolkit.admin_ext.search.options.estimate_rows", lambda queryset: None)
    monkeypatch.setattr(model_admin, "search_fulltext_rank_max_rows", 2)
    assert ranked(root_client, "cable") == (True, ["HDMI-01", "USB-001"])
    monkeypatch.setattr(model_admin, "search_fulltext_rank_max_rows", 1)
    is_ranked, listed = ranked(root_client, "cable")
    assert not is_ranked
    assert sorted(listed) == ["HDMI-01", "USB-001"]  # the same rows, in the list's order
    monkeypatch.setattr(model_admin, "search_fulltext_rank_max_rows", None)
    assert ranked(root_client, "cable")[0]
    monkeypatch.setattr(model_admin, "search_fulltext_rank", False)
    assert not ranked(root_client, "cable")[0]


def ordered_by(client, url, q, **params):
    with CaptureQueriesContext(connection) as queries:
        listed, _, _ = search(client, q, url=url, **params)
    page = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith('SELECT "catalog_product"."id", "catalog_product"."sku"')
    ]
    return listed, page[-1].split("ORDER BY", 1)[1]


@pytest.mark.postgres
def test_fulltext_skips_the_rank_count_when_the_planner_expects_many(
    root_client, shop, monkeypatch
):
    from toolkit.admin_ext.search import options as search_options

    monkeypatch.setattr(search_options, "estimate_rows", lambda queryset: 1_000_000)
    with CaptureQueriesContext(connection) as queries:
        listed, _, _ = search(root_client, "cable", url=FULLTEXT)
    sql = [q["sql"].upper() for q in queries.captured_queries]
    assert not any("TS_RANK" in q or "LIMIT 1001" in q for q in sql)
    assert sorted(listed) == ["HDMI-01", "USB-001"]


@pytest.mark.postgres
def test_fulltext_matches_are_read_through_the_index_then_sorted(root_client, shop, monkeypatch):
    """Few matches: the list's ordering is hidden from index matching (COALESCE), so
    PostgreSQL reads the matches by the full-text index instead of computing every
    row's vector while walking the ordering's index. The order itself is unchanged."""
    model_admin = fulltext_site._registry[Product]
    monkeypatch.setattr(model_admin, "search_fulltext_rank", False)
    listed, order = ordered_by(root_client, FULLTEXT, "cable")
    assert order.lstrip().startswith('COALESCE("catalog_product"."created"')
    assert listed == ["HDMI-01", "USB-001"]  # newest first, as the list always is
    monkeypatch.setattr(model_admin, "search_fulltext_sort_max_rows", 0)
    listed, order = ordered_by(root_client, FULLTEXT, "cable")
    assert order.lstrip().startswith('"catalog_product"."created" DESC')
    assert listed == ["HDMI-01", "USB-001"]


@pytest.mark.postgres
def test_fulltext_sorted_matches_page_with_a_keyset_cursor(root_client, shop, monkeypatch):
    from tests.admin_ext.site_search import KEYSET_FULLTEXT

    for number in range(5):
        Product.objects.create(
            sku=f"CBL-{number}",
            name=f"Cable {number}",
            category=shop["usb"].category,
            supplier=shop["usb"].supplier,
            price=Decimal("3.00"),
            cost=Decimal("1.00"),
            created=at(2025, 4, 1 + number),
        )
    expected = sorted(
        Product.objects.filter(name__icontains="cable"), key=lambda p: (p.created, p.pk)
    )[::-1]
    seen, url = [], ""
    for _page in range(10):
        response = root_client.get(KEYSET_FULLTEXT + (url or "?q=cable"))
        cl = response.context["cl"]
        assert cl.keyset_pagination
        seen += [p.sku for p in cl.result_list]
        url = cl.keyset_next_url
        if not url:
            break
    assert seen == [p.sku for p in expected]


@pytest.mark.postgres
@pytest.mark.parametrize("q", ["the", "!!", "a & b | c", "'", "\\", ":*", "<->", '"" -', "-the"])
def test_fulltext_hostile_terms_never_fail(root_client, shop, q):
    response = root_client.get(FULLTEXT, {"q": q})
    assert response.status_code == 200
    list(response.context["cl"].result_list)


@pytest.mark.postgres
def test_fulltext_still_finds_a_code_typed_in_the_box(root_client, shop):
    assert skus(root_client, "USB-002", url=FULLTEXT) == ["USB-002"]
    assert skus(root_client, "-USB-002 cable", url=FULLTEXT) == ["HDMI-01", "USB-001"]


class CoveredFulltextAdmin(FulltextProductSearchAdmin):
    search_fields = ["name", "description"]


@pytest.mark.postgres
@pytest.mark.parametrize(
    "admin_class",
    [
        pytest.param(CoveredFulltextAdmin, id="one tsquery"),
        pytest.param(FulltextProductSearchAdmin, id="tsquery or exact sku"),
    ],
)
def test_fulltext_uses_the_search_vector_index(shop, admin_class):
    index = search_vector_index(FULLTEXT_FIELDS, name="test_product_search_idx")
    with connection.cursor() as cursor:
        # The fixture's rows leave deferred foreign-key checks pending in this
        # transaction, and PostgreSQL refuses DDL on the table until they run.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with connection.schema_editor() as editor:
        editor.add_index(Product, index)
    model_admin = admin_class(Product, fulltext_site)
    request = RequestFactory().get(FULLTEXT, {"q": "cable -refurbished"})
    queryset, may_have_duplicates = model_admin.get_search_results(
        request, Product.objects.all(), "cable -refurbished"
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = queryset.explain()
    assert "Index Scan on test_product_search_idx" in plan
    assert may_have_duplicates is False
    assert [p.sku for p in queryset] == ["USB-001"]


@pytest.mark.django_db(transaction=True)
def test_index_operation_does_nothing_outside_postgresql():
    operation = AddSearchVectorIndex("product", FULLTEXT_FIELDS, name="op_product_search_idx")
    state = ProjectState.from_apps(django_apps)
    with connection.schema_editor() as editor:
        operation.database_forwards("catalog", editor, state, state)
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, "catalog_product")
    assert ("op_product_search_idx" in indexes) is ON_POSTGRES
    with connection.schema_editor() as editor:
        operation.database_backwards("catalog", editor, state, state)
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, "catalog_product")
    assert "op_product_search_idx" not in indexes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_index_operation_can_build_concurrently():
    operation = AddSearchVectorIndex(
        "product", FULLTEXT_FIELDS, name="op_concurrent_search_idx", concurrently=True
    )
    state = ProjectState.from_apps(django_apps)
    with (
        CaptureQueriesContext(connection) as queries,
        connection.schema_editor(atomic=False) as editor,
    ):
        operation.database_forwards("catalog", editor, state, state)
    assert any("CREATE INDEX CONCURRENTLY" in q["sql"] for q in queries.captured_queries)
    with connection.cursor() as cursor:
        assert "op_concurrent_search_idx" in connection.introspection.get_constraints(
            cursor, "catalog_product"
        )
    with connection.schema_editor(atomic=False) as editor:
        operation.database_backwards("catalog", editor, state, state)


def test_index_operation_changes_no_model_state_and_deconstructs():
    operation = AddSearchVectorIndex("product", ["name"], name="idx", config="simple")
    state = ProjectState()
    operation.state_forwards("catalog", state)
    assert state.models == {}
    assert operation.deconstruct() == (
        "AddSearchVectorIndex",
        [],
        {"model_name": "product", "fields": ["name"], "name": "idx", "config": "simple"},
    )


def test_index_and_queries_share_one_expression():
    pytest.importorskip("psycopg")
    index = search_vector_index(["name", "description"], name="idx")
    assert index.expressions == (search_vector(["name", "description"]),)


# --- System checks -------------------------------------------------------------------


def check(**attrs):
    model_admin = type("ProbeAdmin", (SearchMixin, admin.ModelAdmin), attrs)
    return [
        message
        for message in model_admin(Product, admin.AdminSite()).check()
        if message.id.startswith("toolkit.")
    ]


def test_valid_search_configuration_passes_the_checks():
    assert (
        check(
            search_fields=["name"],
            search_qualifiers={
                "sku": "sku__iexact",
                "price": "price",
                "tag": "tags__name__iexact",
                "day": "created__date",
                "rating": "reviews__rating__gte",
                "supplier": "supplier",
            },
            search_fulltext_fields=["name", "description"],
        )
        == []
    )


@pytest.mark.parametrize("qualifiers", [["sku"], {"sku": 1}, {1: "sku"}, "sku", {"sku": None}])
def test_e010_qualifiers_must_map_names_to_paths(qualifiers):
    messages_ = check(search_qualifiers=qualifiers)
    assert [m.id for m in messages_] == ["toolkit.E010"]
    assert messages_[0].hint


def test_e011_qualifier_name_must_be_typeable():
    messages_ = check(search_qualifiers={"unit price": "price"})
    assert [m.id for m in messages_] == ["toolkit.E011"]
    assert "'unit_price'" in messages_[0].hint


def test_w010_qualifier_to_a_missing_field_names_the_closest():
    messages_ = check(search_qualifiers={"supplier": "suplier__name__icontains"})
    assert [m.id for m in messages_] == ["toolkit.W010"]
    assert messages_[0].hint == "Did you mean 'supplier'?"


def test_w010_qualifier_to_a_missing_related_field_names_the_closest():
    messages_ = check(search_qualifiers={"supplier": "supplier__nam__icontains"})
    assert [m.id for m in messages_] == ["toolkit.W010"]
    assert messages_[0].hint == "Did you mean 'name'?"


def test_w010_qualifier_with_an_unknown_lookup():
    messages_ = check(search_qualifiers={"sku": "sku__icontain"})
    assert [m.id for m in messages_] == ["toolkit.W010"]
    assert messages_[0].hint == "Did you mean 'icontains'?"


def test_misconfigured_qualifier_is_a_message_at_search_time(shop):
    class Broken(SearchMixin, admin.ModelAdmin):
        search_fields = ["name"]
        search_qualifiers = {"sku": "skuu__iexact"}

    request = RequestFactory().get("/")
    reported = []
    model_admin = Broken(Product, admin.AdminSite())
    model_admin.message_user = lambda request, message, level, **kw: reported.append(message)
    queryset, _ = model_admin.get_search_results(request, Product.objects.all(), "usb sku:x")
    assert sorted(p.sku for p in queryset) == ["USB-001", "USB-002"]
    assert len(reported) == 1
    assert "manage.py check" in reported[0]


@pytest.mark.parametrize(
    "attrs",
    [
        {"search_fulltext_column": "search_document"},  # no fields: what does it hold?
        {"search_fulltext_fields": ["name"], "search_fulltext_column": "search-doc"},
        {"search_fulltext_fields": ["name"], "search_fulltext_column": "name"},
        {"search_fulltext_fields": ["name"], "search_fulltext_column": 3},
    ],
    ids=["without fields", "not an identifier", "a field's own column", "not text"],
)
def test_e014_a_stored_vector_column_needs_its_fields_and_a_name_of_its_own(attrs):
    messages_ = check(**attrs)
    assert [m.id for m in messages_] == ["toolkit.E014"]
    assert "AddSearchVectorColumn" in messages_[0].hint


def test_e014_accepts_a_stored_vector_column_with_its_fields():
    assert check(search_fulltext_fields=["name"], search_fulltext_column="search_document") == []


def test_e012_fulltext_fields_must_be_a_list_of_names():
    messages_ = check(search_fulltext_fields="name")
    assert [m.id for m in messages_] == ["toolkit.E012"]
    assert messages_[0].hint


@pytest.mark.parametrize("limit", [-1, "100", 1.5, True])
def test_e013_rank_limit_must_be_a_row_count_or_none(limit):
    messages_ = check(search_fulltext_rank_max_rows=limit)
    assert [m.id for m in messages_] == ["toolkit.E013"]
    assert "None" in messages_[0].hint


@pytest.mark.parametrize("limit", [0, 1000, None])
def test_e013_accepts_row_counts_and_none(limit):
    assert check(search_fulltext_rank_max_rows=limit) == []


@pytest.mark.parametrize(
    ("fields", "hint_part"),
    [
        (["nmae"], "Did you mean 'name'?"),
        (["price"], "its text fields are"),
        (["supplier__name"], "of the model itself"),
    ],
)
def test_w011_fulltext_field_missing_or_not_text(fields, hint_part):
    messages_ = check(search_fulltext_fields=fields)
    assert [m.id for m in messages_] == ["toolkit.W011"]
    assert hint_part in messages_[0].hint
