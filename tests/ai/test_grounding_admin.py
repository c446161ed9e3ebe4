"""Facts apart from guesses in the admin: the rules' and statistics' flags and the model's
suggestions carry different badges and words, filter apart, and unverified sentences
are marked, in the changelist column, the change form's panel and the insights admin."""

from __future__ import annotations

import pytest

from demo.catalog.models import Product
from tests.ai.test_admin import CHANGELIST, ai_staff, client_for, llm, product_insight  # noqa: F401
from toolkit.ai.grounding import SentValues, ground_text

pytestmark = pytest.mark.django_db

RULE = {"field": "stock", "severity": "critical", "reason": "Stock is negative.", "source": "rule"}
MODEL = {"field": "name", "severity": "warning", "reason": "Odd “name”.", "source": "model"}


@pytest.fixture
def flagged(catalog):
    a, b, c = Product.objects.order_by("pk")[:3]
    product_insight(a, kind="anomalies", action="flag_anomalies", flags=[RULE])
    product_insight(b, kind="anomalies", action="flag_anomalies", flags=[MODEL])
    product_insight(c, kind="anomalies", action="flag_anomalies", flags=[RULE, MODEL])
    return a, b, c


def test_rule_and_model_flags_carry_different_badges(flagged, llm, ai_staff):  # noqa: F811
    c = flagged[2]
    html = client_for(ai_staff).get(f"{CHANGELIST}{c.pk}/change/").content.decode()
    panel = html.split('id="toolkit-ai-panel"')[1]
    assert 'toolkit-ai-badge toolkit-ai-critical">critical<' in panel
    assert 'toolkit-ai-badge toolkit-ai-suggestion"' in panel
    assert "Model suggests: Odd “name”." in panel
    assert "Model suggests: Stock is negative." not in panel


def test_a_model_suggestion_alone_makes_no_warning_in_the_column(flagged, llm, ai_staff):  # noqa: F811
    html = client_for(ai_staff).get(f"{CHANGELIST}?ai_flag_source=model").content.decode()
    assert html.count("toolkit-ai-badge toolkit-ai-suggestion") == 2  # b and c
    assert 'class="toolkit-ai-badge toolkit-ai-warning"' not in html
    assert "model suggests: name: Odd “name”." in html


def test_the_flag_source_filter_shows_facts_or_suggestions(flagged, llm, ai_staff):  # noqa: F811
    a, b, c = flagged
    client = client_for(ai_staff)

    def listed(value):
        response = client.get(f"{CHANGELIST}?ai_flag_source={value}")
        return {row.pk for row in response.context["cl"].result_list}

    assert listed("facts") == {a.pk, c.pk}
    assert listed("model") == {b.pk, c.pk}
    assert "AI flags from" in client.get(CHANGELIST).content.decode()


def test_the_insights_admin_filters_by_grounding_and_flag_origin(flagged, llm, superuser):  # noqa: F811
    a, b, _ = flagged
    grounding = ground_text("It sells 42 units. It is fine.", SentValues.from_data({"x": 1}))
    product_insight(
        a, text=grounding.text, data={"grounding": grounding.as_data()}, grounded="partly"
    )
    client = client_for(superuser)
    page = client.get("/admin/toolkit_ai/insight/?grounded__exact=partly")
    assert [i.grounded for i in page.context["cl"].result_list] == ["partly"]
    page = client.get("/admin/toolkit_ai/insight/?flag_origin__exact=model")
    assert {i.object_id for i in page.context["cl"].result_list} == {str(b.pk)}
    summary = page = client.get(f"{CHANGELIST}{a.pk}/change/").content.decode()
    assert "toolkit-ai-unverified" in summary and "42 is in no value sent" in summary
