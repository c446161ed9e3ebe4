"""Proposals worth a person's review: those that are not are rejected as they are stored,
with the reason, and the change form's panel shows what was proposed and why it was
rejected (not the model's explanation as if it were the value)."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType

from demo.catalog.models import Product
from tests.ai.test_admin import CHANGELIST, ai_staff, client_for, llm  # noqa: F401
from toolkit.ai.actions import ProposeFieldAction
from toolkit.ai.models import Insight
from toolkit.ai.sources import RecordPayload

pytestmark = pytest.mark.django_db


class SuggestDescription(ProposeFieldAction):
    name = "test_suggest_description"
    kind = "description"
    proposal_field = "description"
    min_length = 20


def propose(product, value, action=None):
    insight = Insight(content_type=ContentType.objects.get_for_model(Product))
    payload = RecordPayload(str(product.pk), {"description": product.description})
    (action or SuggestDescription()).handle_answer(
        insight, {"value": value, "reason": "Clearer."}, payload
    )
    return insight


@pytest.fixture
def product(catalog):
    product = Product.objects.order_by("pk").first()
    product.description = "A sturdy two-person tent for three seasons."
    product.save()
    return product


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "The proposal is empty."),
        ("A sturdy two-person tent for three seasons.", "The proposal is the current value."),
        ("two-person tent", "The proposal is part of the current value: it adds nothing."),
        ("Good tent.", "The proposal is 10 characters long, shorter than the 20 asked for."),
        (
            "Light and dry in the rain. Light and dry in the rain.",
            "The proposal repeats itself (“Light and dry in the rain.”).",
        ),
        (
            "Light and dry, light and dry in any rain, and light and dry in any wind.",
            "The proposal repeats itself (“light and dry in”).",
        ),
    ],
)
def test_a_proposal_not_worth_reviewing_is_rejected_with_its_reason(product, value, reason):
    insight = propose(product, value)
    assert insight.review_status == "rejected"
    assert insight.data["rejected"] == reason
    assert insight.data["value"] == value  # what was proposed stays what it was


def test_the_records_name_or_a_unique_short_field_is_no_description(product):
    by_sku = propose(product, product.sku)
    assert by_sku.review_status == "rejected"
    assert by_sku.data["rejected"] == f"The proposal only repeats its name (“{product}”)."
    by_name = propose(product, product.name)
    assert by_name.data["rejected"].startswith("The proposal only repeats its name")


def test_a_unique_short_field_alone_is_rejected_even_when_str_differs(product):
    class Plain(SuggestDescription):
        def reference_values(self, insight, payload):
            return {"its SKU": product.sku}

    insight = propose(product, product.sku, Plain())
    assert insight.data["rejected"] == f"The proposal only repeats its SKU (“{product.sku}”)."


def test_a_proposal_worth_reviewing_waits_for_a_review(product):
    insight = propose(product, "A light tent that stays dry through three seasons of rain.")
    assert insight.review_status == "proposed" and "rejected" not in insight.data
    assert insight.text == insight.data["value"]


def test_min_length_is_an_option_of_the_action(product):
    assert propose(product, "Good tent.", SuggestDescription(min_length=5)).review_status == (
        "proposed"
    )


def test_the_panel_shows_a_rejected_proposals_value_and_reason(product, llm, ai_staff):  # noqa: F811
    insight = propose(product, product.sku)
    insight.object_id = str(product.pk)
    insight.kind, insight.action = "description", "suggest_description"
    insight.save()
    html = client_for(ai_staff).get(f"{CHANGELIST}{product.pk}/change/").content.decode()
    panel = html.split('id="toolkit-ai-panel"')[1]
    assert "Proposed description" in panel and product.sku in panel
    assert "The model's reason" in panel and "Clearer." in panel
    assert "Rejected because" in panel and "only repeats its name" in panel
