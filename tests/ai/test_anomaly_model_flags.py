"""The model's anomaly flags are checked once, by the action that makes them.

``FlagAnomaliesAction.handle_answer`` keeps a model flag only when it names a field sent
and quotes its value; the others are kept aside in ``data["discarded_flags"]`` with the
reason. The prompt asks for the quote, and answers cached under the earlier prompt are
sent again.
"""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType

from demo.catalog.models import Product
from tests.ai.test_runner import FakeLLM, anomaly_source, products
from toolkit.ai.actions import FlagAnomaliesAction
from toolkit.ai.models import Insight
from toolkit.ai.runner import run_action
from toolkit.ai.sources import RecordPayload

pytestmark = pytest.mark.django_db


def flags_answer(product):
    return {
        "summary": "Check it.",
        "flags": [
            {"field": "name", "severity": "warning", "reason": f"Name “{product.name}” is odd."},
            {"field": "stock", "severity": "critical", "reason": "Looks wrong."},
            {"field": "colour", "severity": "info", "reason": "Colour “red” clashes."},
        ],
    }


def test_flags_that_quote_the_record_join_the_facts_and_the_others_are_kept_aside(catalog):
    product = products(1)[0]
    insight = Insight(content_type=ContentType.objects.get_for_model(Product))
    payload = RecordPayload(str(product.pk), {"name": product.name, "stock": product.stock})

    FlagAnomaliesAction().handle_answer(insight, flags_answer(product), payload)

    (kept,) = insight.model_flags
    assert kept["field"] == "name" and kept["severity"] == "warning"
    reasons = {f["field"]: f["discarded"] for f in insight.data["discarded_flags"]}
    assert reasons == {
        "stock": "does not cite the value of stock",
        "colour": "names “colour”, which is not a field of the record sent",
    }
    # A discarded flag keeps what the model said, for the provenance.
    assert insight.data["discarded_flags"][0]["reason"] == "Looks wrong."


def test_a_run_checks_the_flags_once(catalog):
    product = products(1)[0]
    llm = FakeLLM(lambda body, ids: flags_answer(product))

    run_action(FlagAnomaliesAction, anomaly_source(), [product], client=llm.client())

    insight = Insight.objects.get(kind="anomalies")
    assert [f["field"] for f in insight.model_flags] == ["name"]
    assert [f["field"] for f in insight.data["discarded_flags"]] == ["stock", "colour"]


def test_without_the_records_payload_no_model_flag_is_kept(catalog):
    insight = Insight()
    FlagAnomaliesAction().handle_answer(insight, flags_answer(products(1)[0]))
    assert insight.model_flags == []
    assert len(insight.data["discarded_flags"]) == 3


def test_the_prompt_asks_to_quote_the_flagged_value(catalog):
    llm = FakeLLM(lambda body, ids: {"summary": "Fine.", "flags": []})
    run_action(FlagAnomaliesAction, anomaly_source(), products(1), client=llm.client())
    prompt = llm.bodies[0]["messages"][-1]["content"]
    assert "quote the flagged field's value exactly as the record gives it" in prompt


def test_answers_cached_under_the_earlier_prompt_are_sent_again(catalog):
    class EarlierPrompt(FlagAnomaliesAction):
        prompt_version = "1"

    llm = FakeLLM(lambda body, ids: {"summary": "Fine.", "flags": []})
    items = products(2)
    run_action(EarlierPrompt(), anomaly_source(), items, client=llm.client())

    report = run_action(FlagAnomaliesAction, anomaly_source(), items, client=llm.client())

    assert (report.sent, report.cached) == (2, 0)
