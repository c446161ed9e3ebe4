"""The grounding check over the real local model's summaries (Gemma 3 270M).

Whatever the small model writes, every sentence the insight shows as verified holds
only numbers, quantities, names and fields that the values sent bear out.
"""

from __future__ import annotations

import pytest

from demo.catalog.models import Product
from tests.ai.test_runner_local_llm import gemma, source
from toolkit.ai.actions import SummarizeAction
from toolkit.ai.grounding import ground_sentence
from toolkit.ai.runner import run_action
from toolkit.ai.runs.grounding import field_labels, record_values

pytestmark = [pytest.mark.local_llm, pytest.mark.django_db]


def test_every_sentence_shown_as_verified_passes_the_grounding_check(catalog, local_llm_url):
    src = source()
    items = list(Product.objects.order_by("pk")[:3])
    report = run_action(SummarizeAction, src, items, endpoint=gemma(local_llm_url))
    payloads = {p.pk: p for p in src.payloads(items)}
    labels = field_labels(src)
    for insight in report.insights:
        if not insight.is_ok:
            continue
        grounding = insight.data["grounding"]
        assert insight.grounded == grounding["status"]
        sent = record_values(src, payloads[insight.object_id], labels)
        for sentence in grounding["sentences"]:
            assert sentence["text"] in insight.text
            if sentence["verified"]:
                assert ground_sentence(sentence["text"], sent).verified, sentence
            else:
                assert sentence["reasons"], sentence
    assert report.ok >= 1
