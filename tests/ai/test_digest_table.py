"""The selection digest from numbers: a table the database computes, a few of the model's
sentences over it (repeats and a cut-off end dropped, unverified ones marked) and the
records it covered, listed on its page."""

from __future__ import annotations

import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db.models import Avg, Max, Min

from demo.catalog.models import Product
from tests.ai.test_admin import ai_staff, client_for, llm, post_action  # noqa: F401
from tests.ai.test_runner import FakeLLM, source
from toolkit.ai.actions import SummarizeSelectionAction
from toolkit.ai.models import Insight
from toolkit.ai.runner import run_digest

pytestmark = pytest.mark.django_db


def digest(items, answer, **options):
    fake = FakeLLM(lambda body, ids: answer)
    return run_digest(SummarizeSelectionAction, source(), items, client=fake.client(), **options)


def test_the_table_is_computed_by_the_database(catalog):
    items = Product.objects.filter(pk__in=Product.objects.order_by("pk").values("pk")[:6])
    insight = digest(items, {"summary": "Six products.", "highlights": []})
    table = insight.data["table"]
    expected = items.aggregate(low=Min("price"), high=Max("price"), avg=Avg("price"))
    assert table["count"] == 6
    assert table["numbers"]["price"]["min"] == str(expected["low"].normalize())
    assert table["numbers"]["price"]["max"] == str(expected["high"].normalize())
    assert sum(row["records"] for row in table["top"]["category"]) <= 6
    assert set(insight.data["covered"]["ids"]) == {
        str(pk) for pk in items.values_list("pk", flat=True)
    }


def test_the_table_counts_flags_and_lists_the_most_severe_records(catalog):
    a, b, c = Product.objects.order_by("pk")[:3]
    content_type = ContentType.objects.get_for_model(Product)
    for product, flags in (
        (
            a,
            [
                {
                    "field": "stock",
                    "severity": "critical",
                    "kind": "negative_stock",
                    "source": "rule",
                }
            ],
        ),
        (b, [{"field": "name", "severity": "warning", "kind": "model", "source": "model"}]),
    ):
        insight = Insight(content_type=content_type, object_id=str(product.pk), kind="anomalies")
        insight.set_flags(flags)
        insight.save()
    table = digest(
        Product.objects.filter(pk__in=[a.pk, b.pk, c.pk]), {"summary": "Three.", "highlights": []}
    ).data["table"]
    assert table["flags"] == {"rule": {"negative_stock": 1}, "model": {"model": 1}}
    assert [row["id"] for row in table["most_severe"]] == [str(a.pk)]  # suggestions weigh none
    assert table["most_severe"][0]["label"] == str(a)


def test_the_model_sees_the_table(catalog):
    fake = FakeLLM(lambda body, ids: {"summary": "Fine.", "highlights": []})
    run_digest(SummarizeSelectionAction, source(), Product.objects.all()[:3], client=fake.client())
    prompt = fake.bodies[0]["messages"][-1]["content"]
    facts = prompt.split("<facts>")[1].split("</facts>")[0]
    assert json.loads(facts)["count"] == 3


def test_repeated_sentences_are_dropped_and_nothing_is_cut_mid_sentence(catalog):
    repeated = "A 1-person tent with two bedrooms."
    answer = {
        "summary": f"{repeated} {repeated} A 1-person tent with two bedrooms! {repeated} It is a",
        "highlights": [repeated, "Check the stock."],
    }
    insight = digest(Product.objects.all()[:3], answer)
    assert insight.text == f"{repeated}\n- Check the stock."
    dropped = [d["reason"] for d in insight.data["grounding"]["dropped"]]
    assert "cut off mid-sentence" in dropped and dropped.count(f"repeats “{repeated}”") == 4


def test_invented_numbers_are_marked_and_at_most_a_few_sentences_kept(catalog):
    items = Product.objects.all()[:3]
    answer = {
        "summary": "There are 3 products. They hold 123456 items. One. Two. Three.",
        "highlights": [],
    }
    insight = digest(items, answer)
    sentences = insight.data["grounding"]["sentences"]
    assert [(s["text"], s["verified"]) for s in sentences] == [
        ("There are 3 products.", True),
        ("They hold 123456 items.", False),
        ("One.", True),
    ]
    assert insight.grounded == "partly"


def test_the_digest_page_shows_the_table_and_links_the_records_covered(
    catalog,
    llm,  # noqa: F811
    ai_staff,  # noqa: F811
):
    llm.answer = {"summary": "Mostly tools. They hold 987654 items.", "highlights": []}
    products = list(Product.objects.order_by("pk")[:3])
    client = client_for(ai_staff)
    response = post_action(client, "ai_summarize_selection", products)
    page = client.get(response["Location"]).content.decode()
    assert "In numbers" in page and "Average" in page
    for product in products:
        assert f'href="/admin/catalog/product/{product.pk}/change/"' in page
    assert "toolkit-ai-unverified" in page and "987654 is in no value sent" in page
