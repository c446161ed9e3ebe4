"""Ask reads plain questions by rules first: no model is asked for what rules can place.

The questions run through the demo's product changelist (``?ask=``), with a loopback
endpoint that counts what it receives: a question the rules read sends nothing.
"""

from __future__ import annotations

import datetime

import pytest
from django.db.models import Count
from django.utils import timezone

from demo.catalog.models import Category, Product, Supplier, Tag
from tests.ai.fault_server import FaultServer
from tests.ai.test_admin import CHANGELIST, client_for, staff
from tests.ai.test_ask import schema_for, search_of, texts
from toolkit.ai.ask.reader import read_question


@pytest.fixture
def asker(django_user_model):
    return staff(django_user_model, "asker", "catalog.view_product", "toolkit_ai.run_ai")


@pytest.fixture
def endpoint(settings):
    with FaultServer(retry_after="0") as server:
        server.answer = {"conditions": [], "not_understood": []}
        settings.TOOLKIT_AI = {
            "default": {"BASE_URL": server.url, "MODEL": "test-model", "MAX_RETRIES": 0}
        }
        yield server


def ask(user, question):
    return client_for(user).get(CHANGELIST, {"ask": question})


def busiest(model):
    return model.objects.annotate(n=Count("products")).order_by("-n", "pk").first()


@pytest.mark.parametrize(
    "question, search",
    [
        ("products priced over 500", "price>500"),
        ("products cheaper than 10", "price<10"),
        ("products with a price under 25", "price<25"),
        ("products with stock below 5", "stock<5"),
        ("products with more than 100 in stock", "stock>100"),
        ("products with a cost under 5", "cost<5"),
        ("products with price between 20 and 50", "price>=20 price<=50"),
        ("over 1,000 euros", "price>1000"),
        ("at least 3 in stock", "stock>=3"),
        ("10 or more in stock", "stock>=10"),
        ("draft products under 50", "price<50 status:draft"),
        ("discontinued products", "status:discontinued"),
        ("products with status active", "status:active"),
        ("inactive products", "active:false"),
        ("products not active", "active:false"),
        ("active products priced over 100", "price>100 active:true"),
        ("products with a 5 star review", "rating:5"),
        ("products rated 1", "rating:1"),
        ("products cheaper than 15 with more than 20 in stock", "price<15 stock>20"),
        ("products with a price over 50 and a cost under 20", "price>50 cost<20"),
        ("no more than 8 euros", "price<=8"),
        ("products over €100", "price>100"),
        ("a maximum price of 12", "price<=12"),
        ("items priced from 100 to 200", "price>=100 price<=200"),
        ("out of stock items", "stock<=0"),
        ("inactive products that still have stock", "active:false stock>0"),
        ("items with reviews of 4 stars or more", "rating>=4"),
        ("1-star reviewed products", "rating:1"),
        ("which products are still drafts?", "status:draft"),
        ("products with is active unchecked", "active:false"),
        ("items up to 20, with at least 100 in stock", "price<=20 stock>=100"),
        ("which items have fewer than 20 units left?", "stock<20"),
    ],
)
def test_plain_questions_become_their_search_without_the_model(
    catalog, endpoint, asker, question, search
):
    response = ask(asker, question)
    assert sorted(search_of(response).split()) == sorted(search.split())
    assert endpoint.requests == 0


def test_relative_dates_are_worked_out_by_the_toolkit(catalog, endpoint, asker):
    today = timezone.localdate()
    first = today.replace(day=1)
    last = (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    response = ask(asker, "draft products added this month")
    assert search_of(response).split() == [
        f"created>={first.isoformat()}",
        f"created<={last.isoformat()}",
        "status:draft",
    ]
    week = ask(asker, "products created in the last 7 days")
    assert search_of(week).split()[0] == f"created>={(today - datetime.timedelta(6)).isoformat()}"
    assert endpoint.requests == 0


@pytest.mark.parametrize(
    "question, search",
    [
        ("created since 1 September 2026", "created>=2026-09-01"),
        ("products created before March 2026", "created<2026-03-01"),
        ("added after 2026-06-30", "created>2026-06-30"),
        ("products added in June 2026", "created>=2026-06-01 created<=2026-06-30"),
        ("products created in 2025", "created>=2025-01-01 created<=2025-12-31"),
        ("products created before this year", f"created<{timezone.localdate().year}-01-01"),
        ("new items from June 2026", "created>=2026-06-01 created<=2026-06-30"),
    ],
)
def test_days_and_months_written_out_are_compared_as_the_words_before_say(
    catalog, endpoint, asker, question, search
):
    assert search_of(ask(asker, question)).split() == search.split()
    assert endpoint.requests == 0


def test_a_suppliers_leading_words_find_it_as_staff_would_type_it(catalog, endpoint, asker):
    def short_of(supplier):
        return " ".join(supplier.name.split()[:2]).rstrip(",.")

    supplier = next(
        s
        for s in Supplier.objects.order_by("pk")
        if len(s.name.split()) >= 3
        and Supplier.objects.filter(name__icontains=short_of(s)).count() == 1
    )
    short = short_of(supplier)
    terms = search_of(ask(asker, f"items from {short.lower()}"))
    # Grounded as a model's name is: the one supplier whose name holds those words.
    assert terms == f'supplier:"{supplier.name}"'
    assert endpoint.requests == 0


def test_names_the_database_holds_are_found_whole_and_spelled_as_stored(catalog, endpoint, asker):
    category, supplier, tag = busiest(Category), busiest(Supplier), busiest(Tag)
    question = f"{category.name.lower()} from {supplier.name.upper()} tagged {tag.name} under 20"
    terms = search_of(ask(asker, question))
    assert f'category:"{category.name}"' in terms or f"category:{category.name}" in terms
    assert supplier.name.split()[0] in terms and "price<20" in terms
    assert f"tag:{tag.name}" in terms or f'tag:"{tag.name}"' in terms
    assert endpoint.requests == 0


def test_a_cue_then_one_word_is_grounded_like_a_models_name(catalog, endpoint, asker):
    supplier = busiest(Supplier)
    word = supplier.name.split()[0].lower()
    terms = search_of(ask(asker, f"products from supplier {word} under 30"))
    expected = Product.objects.filter(supplier__name__icontains=word, price__lt=30)
    page = client_for(asker).get(CHANGELIST, {"q": terms})
    assert page.context["cl"].result_count == expected.count()


def test_words_the_rules_cannot_place_are_not_understood_and_nothing_is_guessed(
    catalog, endpoint, asker
):
    response = ask(asker, "cheap ones shipped quickly under 20")
    assert search_of(response) == "price<20"
    assert "Not understood: shipped quickly" in texts(response)
    assert endpoint.requests == 0


def test_a_question_the_rules_cannot_read_goes_to_the_model(catalog, endpoint, asker):
    endpoint.answer = {"conditions": [], "not_understood": ["the weather"]}
    response = ask(asker, "what is the weather like")
    assert response.status_code == 200
    assert endpoint.requests == 1


def test_hostile_text_around_a_number_stays_a_search_of_declared_fields(catalog, endpoint, asker):
    question = "<script>alert(1)</script> DROP TABLE catalog_product; stock under 3"
    response = ask(asker, question)
    assert search_of(response) == "stock<3"  # "alert(1)": a bare number is no condition
    assert Product.objects.exists()


def test_synonyms_of_the_admin_name_a_qualifier(asker, monkeypatch):
    schema, _request = schema_for(asker)
    assert read_question(schema, "shelf count below 4").conditions == [
        {"field": "price", "op": "<", "value": "4"}
    ]
    reading = read_question(schema, "shelf count below 4", {"stock": ["shelf count"]})
    assert reading.conditions == [{"field": "stock", "op": "<", "value": "4"}]
    assert reading.complete


def test_two_values_of_one_choice_are_not_understood_rather_than_searched_for_nothing(
    asker, monkeypatch
):
    schema, _request = schema_for(asker)
    reading = read_question(schema, "status draft or discontinued under 30")
    assert reading.conditions == [{"field": "price", "op": "<", "value": "30"}]
    assert "status draft or status discontinued" in reading.leftover
