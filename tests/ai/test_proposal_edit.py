"""A person edits a proposal before applying it, and sees the rejected ones with why.

The review page shows each proposed value in a text box; Apply applies the text as it
is in the box, through the ModelAdmin's form (the model field's validation), records the
edit and who made it, and on a refusal shows the error on the page and writes nothing.
Through the demo's ProductAdmin and Django's test client.
"""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from demo.catalog.models import Product
from tests.ai.test_admin import (  # noqa: F401
    CHANGELIST,
    ai_staff,
    client_for,
    llm,
    product_insight,
    staff,
)
from toolkit.ai.actions import ProposeFieldAction
from toolkit.ai.models import Insight, ReviewStatus
from toolkit.ai.sources import RecordPayload

pytestmark = pytest.mark.django_db

PROPOSALS = f"{CHANGELIST}ai/proposals/"


@pytest.fixture
def product(catalog):
    return Product.objects.order_by("pk").first()


def proposal(product, field="description", value="A <light> tent.\nDry in any rain."):
    return product_insight(
        product,
        kind="proposal",
        action="not_registered",  # the field is the one its data names
        data={"field": field, "value": value, "reason": "Clearer."},
        review_status=ReviewStatus.PROPOSED,
    )


def test_the_proposed_value_waits_in_a_text_box_escaped(product, llm, ai_staff):  # noqa: F811
    insight = proposal(product)
    page = client_for(ai_staff).get(PROPOSALS).content.decode()
    box = page.split(f'<textarea name="value" id="proposal-value-{insight.pk}"')[1]
    assert "A &lt;light&gt; tent.\nDry in any rain." in box and "<light>" not in page


def test_apply_applies_the_edited_text_and_records_who_edited_it(product, llm, ai_staff):  # noqa: F811
    insight = proposal(product)
    response = client_for(ai_staff).post(
        f"{PROPOSALS}{insight.pk}/",
        {"decision": "apply", "value": "A light tent.\r\nDry in the rain, edited."},
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.description == "A light tent.\nDry in the rain, edited."
    insight.refresh_from_db()
    assert insight.review_status == ReviewStatus.APPLIED
    assert insight.data["edited_value"] == "A light tent.\nDry in the rain, edited."
    assert insight.data["edited_by"] == ai_staff.pk
    assert insight.data["edited_by_name"] == "ai-staff" and insight.data["edited_at"]
    assert insight.data["value"] == "A <light> tent.\nDry in any rain."  # what was proposed
    entry = LogEntry.objects.get(object_id=str(product.pk))
    assert entry.user == ai_staff and "Description" in entry.get_change_message()


def test_applying_the_text_unedited_records_no_edit(product, llm, ai_staff):  # noqa: F811
    insight = proposal(product)
    client_for(ai_staff).post(
        f"{PROPOSALS}{insight.pk}/",
        {"decision": "apply", "value": "A <light> tent.\r\nDry in any rain."},
    )
    insight.refresh_from_db()
    assert insight.review_status == ReviewStatus.APPLIED
    assert "edited_value" not in insight.data


def test_an_edit_the_form_refuses_is_shown_on_the_page_and_nothing_is_applied(
    product,
    llm,  # noqa: F811
    ai_staff,  # noqa: F811
):
    name = product.name
    insight = proposal(product, field="name", value="Trail Tent")
    too_long = "<b>x</b>" * 40
    response = client_for(ai_staff).post(
        f"{PROPOSALS}{insight.pk}/", {"decision": "apply", "value": too_long}
    )
    assert response.status_code == 200
    page = response.content.decode()
    section = page.split(f'id="proposal-{insight.pk}"')[1].split("</section>")[0]
    assert 'class="errorlist"' in section and "at most 200 characters" in section
    assert "&lt;b&gt;x&lt;/b&gt;" * 40 in section and "<b>x</b>" not in page  # kept, escaped
    messages = " ".join(str(m) for m in response.context["messages"])
    assert "left unchanged" in messages
    product.refresh_from_db()
    insight.refresh_from_db()
    assert product.name == name
    assert insight.review_status == ReviewStatus.PROPOSED and "edited_value" not in insight.data
    assert not LogEntry.objects.exists()


def test_editing_needs_the_change_permission_on_the_record(product, llm, django_user_model):  # noqa: F811
    insight = proposal(product)
    looker = staff(django_user_model, "looker", "catalog.view_product", "toolkit_ai.run_ai")
    client = client_for(looker)
    page = client.get(PROPOSALS).content.decode()
    assert "<textarea" not in page and 'value="apply"' not in page
    response = client.post(f"{PROPOSALS}{insight.pk}/", {"decision": "apply", "value": "Mine."})
    assert response.status_code == 403
    product.refresh_from_db()
    assert product.description != "Mine."


def test_an_edit_needs_the_csrf_token(product, llm, ai_staff):  # noqa: F811
    insight = proposal(product)
    client = Client(enforce_csrf_checks=True)
    client.force_login(ai_staff)
    response = client.post(f"{PROPOSALS}{insight.pk}/", {"decision": "apply", "value": "Mine."})
    assert response.status_code == 403
    product.refresh_from_db()
    assert product.description != "Mine."


class SuggestDescription(ProposeFieldAction):
    name = "test_suggest_description"
    kind = "description"
    proposal_field = "description"


def test_rejected_proposals_are_listed_with_the_value_and_why(product, llm, ai_staff):  # noqa: F811
    by_the_check = Insight(content_type=ContentType.objects.get_for_model(Product))
    SuggestDescription().handle_answer(
        by_the_check,
        {"value": product.sku, "reason": "Short."},
        RecordPayload(str(product.pk), {"description": product.description}),
    )
    by_the_check.object_id = str(product.pk)
    by_the_check.save()
    by_a_person = proposal(product, value="A <rejected> idea.")
    client = client_for(ai_staff)
    client.post(f"{PROPOSALS}{by_a_person.pk}/", {"decision": "reject"})

    page = client.get(PROPOSALS).content.decode()
    assert "Show the 2 rejected proposals" in page and 'id="rejected"' not in page

    page = client.get(f"{PROPOSALS}?rejected=1").content.decode()
    listed = page.split('id="rejected"')[1]
    auto = listed.split(f'id="rejected-{by_the_check.pk}"')[1].split("</tr>")[0]
    assert product.sku in auto and "The proposal only repeats its name" in auto
    manual = listed.split(f'id="rejected-{by_a_person.pk}"')[1].split("</tr>")[0]
    assert "A &lt;rejected&gt; idea." in manual and "Rejected by ai-staff." in manual


def test_an_unknown_rejected_parameter_shows_the_page_as_usual(product, llm, ai_staff):  # noqa: F811
    proposal(product)
    response = client_for(ai_staff).get(f"{PROPOSALS}?rejected=%27%3Cx")
    assert response.status_code == 200 and 'id="rejected"' not in response.content.decode()
