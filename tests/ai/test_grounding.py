"""The grounding check: what a model says is verified against the values it was sent.

Plain values in, verdicts out (no database), then through a run with a scripted
endpoint: the stored insight keeps each sentence verified or not, and a model's flag
that does not point at the record is set aside with the reason.
"""

from __future__ import annotations

import pytest

from demo.catalog.models import Product
from tests.ai.test_runner import FakeLLM, anomaly_source, products, source
from toolkit.ai.actions import FlagAnomaliesAction, SummarizeAction
from toolkit.ai.grounding import SentValues, ground_flags, ground_sentence, ground_text
from toolkit.ai.models import Insight
from toolkit.ai.runner import run_action

TENT = {
    "sku": "TNT-0042",
    "name": "Trail Tent 2P",
    "description": "A 2-person tent for 3 seasons.",
    "category": "Tents",
    "price": "349.00",
    "cost": "190.00",
    "stock": 1200,
    "weight": "2.400",
    "reviews": [{"rating": 5, "text": "Dry after 3 nights of rain."}],
}
LABELS = {"weight": "weight (kg)", "sku": "SKU"}


@pytest.fixture
def tent():
    return SentValues.from_data(TENT, labels=LABELS)


def verified(sentence, sent):
    return ground_sentence(sentence, sent).verified


# -- numbers ---------------------------------------------------------------------------------


def test_a_number_present_in_the_record_passes(tent):
    assert verified("It costs $349 and 1,200 are in stock.", tent)
    assert verified("It weighs 2.4 kg.", tent)  # 2.400 sent, 2.4 said
    assert verified("Priced at about 349.", tent)


def test_numbers_in_the_records_own_text_pass(tent):
    assert verified("A 2-person tent for 3 seasons.", tent)
    assert verified("Trail Tent 2P has 1 review.", tent)  # the relation's row count


def test_an_invented_number_is_unverified_with_the_reason(tent):
    result = ground_sentence("It has 4 doors and a 45% margin.", tent)
    assert not result.verified
    assert result.reasons == ["4 is in no value sent", "45% is in no value sent"]


def test_a_sent_number_with_an_invented_unit_is_unverified(tent):
    # The tent: its cost and its price given as a capacity.
    result = ground_sentence("It has a capacity of 190 cubic meters (349 cu ft).", tent)
    assert not result.verified
    assert "190 cubic" in result.reasons[0] and "349 cu" in result.reasons[1]


def test_a_number_said_of_the_wrong_field_is_unverified(tent):
    result = ground_sentence("The price is 190.", tent)
    assert result.reasons == ["says price is 190; the price sent is 349.00"]
    assert verified("The cost is 190.", tent)


def test_a_name_no_value_holds_is_unverified(tent):
    assert verified("Trail Tent 2P is sold under Tents.", tent)
    result = ground_sentence("It is made by Coleman.", tent)
    assert result.reasons == ["names “Coleman”, which no value sent holds"]


# -- sentences -------------------------------------------------------------------------------


def test_repeated_sentences_are_dropped_and_an_unfinished_end_too(tent):
    text = (
        "A 2-person tent for 3 seasons. A 2-person tent for 3 seasons! "
        "A 2-person tent, for 3 seasons. It is a"
    )
    grounding = ground_text(text, tent)
    assert grounding.text == "A 2-person tent for 3 seasons."
    assert [d["reason"] for d in grounding.dropped] == [
        "cut off mid-sentence",
        "repeats “A 2-person tent for 3 seasons.”",
        "repeats “A 2-person tent for 3 seasons.”",
    ]
    assert grounding.status == "verified"


def test_a_text_cut_at_its_token_budget_loses_its_last_sentence(tent):
    grounding = ground_text("Trail Tent 2P is light. It is sold in Tents.", tent, cut_off=True)
    assert grounding.text == "Trail Tent 2P is light."


def test_grounding_is_stored_per_sentence(tent):
    data = ground_text("It costs 349. It holds 7 people.", tent).as_data()
    assert data["status"] == "partly" and (data["verified"], data["unverified"]) == (1, 1)
    assert [s["verified"] for s in data["sentences"]] == [True, False]


# -- model flags -----------------------------------------------------------------------------


def model_flag(field, reason, **extra):
    return {"field": field, "severity": "warning", "reason": reason, "source": "model", **extra}


def test_a_flag_on_a_field_that_was_not_sent_is_discarded_with_the_reason():
    kept, discarded = ground_flags([model_flag("colour", "Colour 'red' is odd.")], TENT)
    assert kept == []
    assert discarded[0]["discarded"] == "names “colour”, which is not a field of the record sent"


def test_a_flag_citing_a_wrong_value_is_discarded():
    flags = [
        model_flag("stock", "Stock of 15 is low."),
        model_flag("price", "Price is odd.", value="299.00"),
        model_flag("category", "Product is negative: more was sold than received."),
        model_flag("stock", "negative_stock"),
    ]
    kept, discarded = ground_flags(flags, TENT)
    assert kept == []
    assert [d["discarded"] for d in discarded] == [
        "its reason 15 is in no value sent",
        "does not cite the value of price",
        "does not cite the value of category",
        "gives no reason, only a label",
    ]


def test_a_flag_citing_its_fields_value_is_kept_and_rule_flags_pass_untouched():
    rule = {"field": "stock", "severity": "critical", "reason": "neg", "source": "rule"}
    flags = [
        rule,
        model_flag("price", "A price of 349 is high for Tents."),
        model_flag("description", "It says “for 3 seasons” yet reviews mention rain."),
        model_flag("price", "Odd.", value="349"),
    ]
    kept, discarded = ground_flags(flags, TENT)
    assert kept == flags and discarded == []


# -- through a run ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_run_marks_invented_numbers_unverified_and_keeps_the_rest(catalog):
    product = products(1)[0]
    answer = f"{product.name} sells for {product.price}. It has 99999 happy owners."
    llm = FakeLLM(lambda body, ids: {"summary": answer})
    (insight,) = run_action(SummarizeAction, source(), [product], client=llm.client()).insights
    insight.refresh_from_db()
    assert insight.grounded == "partly", insight.data["grounding"]
    sentences = insight.data["grounding"]["sentences"]
    assert [s["verified"] for s in sentences] == [True, False]
    assert sentences[1]["reasons"] == ["99999 is in no value sent"]
    assert Insight.objects.filter(grounded="partly").count() == 1


@pytest.mark.django_db
def test_a_run_sets_aside_model_flags_that_do_not_cite_the_record(catalog):
    product = products(1)[0]

    def answer(body, ids):
        return {
            "summary": "Check it.",
            "flags": [
                {"field": "category", "severity": "warning", "reason": "Sold more than held."},
                {"field": "stock", "severity": "info", "reason": f"Stock is {product.stock}."},
            ],
        }

    llm = FakeLLM(answer)
    run_action(FlagAnomaliesAction, anomaly_source(), [product], client=llm.client())
    insight = Insight.objects.get(kind="anomalies")
    assert [f["field"] for f in insight.model_flags] == ["stock"]
    (discarded,) = insight.data["discarded_flags"]
    assert discarded["field"] == "category"
    assert discarded["discarded"] == "does not cite the value of category"
    # A model's suggestion weighs nothing in the severity, which is the facts'.
    assert insight.flag_origin in {"model", "both"}
    assert insight.max_severity == ("" if insight.flag_origin == "model" else insight.max_severity)
    assert Product.objects.filter(pk=product.pk).exists()
