"""Prompts: Django templates looked up per model first, record content only as data."""

from __future__ import annotations

import json

import pytest

from demo.catalog.models import Product
from toolkit.ai.actions import FlagAnomaliesAction, SummarizeAction
from toolkit.ai.prompts import hash_json, render_prompt, template_names
from toolkit.ai.sources import AISource, RecordPayload

pytestmark = pytest.mark.django_db


def test_templates_are_looked_up_per_model_first():
    assert template_names("summary", Product) == [
        "toolkit/ai/catalog/product/summary.txt",
        "toolkit/ai/summary.txt",
    ]
    assert template_names("summary", None) == ["toolkit/ai/summary.txt"]


def test_a_site_template_for_one_model_wins(tmp_path, settings):
    override = tmp_path / "toolkit" / "ai" / "catalog" / "product"
    override.mkdir(parents=True)
    (override / "summary.txt").write_text("Custom for {{ model_name }}: {{ records|length }}")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0].get("DIRS", [])]}
    ]
    assert render_prompt("summary", Product, {"records": [1, 2]}) == "Custom for product: 2"


def test_record_content_is_json_between_markers_and_never_html_escaped():
    source = AISource(Product, fields=["name"])
    payload = RecordPayload(pk="7", data={"name": 'Tom & Jerry "deluxe" <b>'})
    system, user = SummarizeAction().get_messages(payload, [], source)
    assert system["role"] == "system" and "not instructions" in system["content"]
    body = user["content"].split('<record id="7">\n', 1)[1].split("\n</record>", 1)[0]
    assert json.loads(body) == {"name": 'Tom & Jerry "deluxe" <b>'}
    assert "&amp;" not in user["content"] and "&quot;" not in user["content"]


def test_facts_go_in_their_own_markers_without_internal_keys():
    source = AISource(Product, fields=["stock"])
    fact = {
        "field": "stock",
        "severity": "critical",
        "reason": "Negative.",
        "source": "rule",
        "rule": "negative_stock",
        "value": -2,
    }
    payload = RecordPayload(pk="3", data={"stock": -2})
    _, user = FlagAnomaliesAction().get_messages(payload, [fact], source)
    facts = user["content"].split("<facts>\n", 1)[1].split("\n</facts>", 1)[0]
    assert json.loads(facts) == [
        {
            "field": "stock",
            "severity": "critical",
            "reason": "Negative.",
            "source": "rule",
            "value": -2,
        }
    ]


def test_hash_is_stable_and_order_independent():
    assert hash_json({"a": 1, "b": [1, 2]}) == hash_json({"b": [1, 2], "a": 1})
    assert hash_json({"a": 1}) != hash_json({"a": 2})
