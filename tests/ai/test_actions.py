"""AIAction: one extension point for summaries, flags, digests and proposals."""

from __future__ import annotations

import pytest

from toolkit.ai.actions import (
    AIAction,
    FlagAnomaliesAction,
    ProposeFieldAction,
    SummarizeAction,
    SummarizeSelectionAction,
    get_action,
    register,
    resolve_action,
    unregister,
)
from toolkit.ai.models import Insight
from toolkit.ai.schema import validate
from toolkit.ai.sources import RecordPayload, dumps_data
from toolkit.exceptions import ToolkitConfigurationError

# -- an action a project writes: well under 30 lines ----------------------------------


class TranslateAction(AIAction):
    """Each record's name in French, kept as an insight of its own kind."""

    name = "test_translate_name"
    description = "Translate names to French"
    kind = "translation"
    schema = {
        "type": "object",
        "properties": {"french": {"type": "string", "maxLength": 200}},
        "required": ["french"],
        "additionalProperties": False,
    }

    def get_batch_messages(self, payloads, source, batch=None):
        records = "".join(f"<record id={dumps_data(p.pk)}>{p.as_json()}</record>" for p in payloads)
        return [
            {"role": "system", "content": self.get_system_prompt(source)},
            {"role": "user", "content": f"Translate each name into French.\n{records}"},
        ]

    def handle_answer(self, insight, answer, payload=None):
        insight.data = answer
        insight.text = answer["french"]


def test_builtin_actions_are_registered_and_resolve_from_name_class_or_instance():
    assert isinstance(get_action("summarize"), SummarizeAction)
    assert isinstance(get_action("flag_anomalies"), FlagAnomaliesAction)
    assert isinstance(get_action("summarize_selection"), SummarizeSelectionAction)
    instance = SummarizeAction()
    assert resolve_action(instance) is instance
    assert isinstance(resolve_action(FlagAnomaliesAction), FlagAnomaliesAction)
    with pytest.raises(ToolkitConfigurationError, match="No AI action is named 'nope'"):
        get_action("nope")


def test_every_action_needs_run_ai_by_default():
    for action in (SummarizeAction, FlagAnomaliesAction, SummarizeSelectionAction):
        assert action.permission == "toolkit_ai.run_ai"


def test_a_custom_action_registers_once_by_name():
    @register
    class Translate(SummarizeAction):
        name = "test_translate"
        kind = "translation"

    try:
        assert isinstance(get_action("test_translate"), Translate)

        class Other(AIAction):
            name = "test_translate"

        with pytest.raises(ToolkitConfigurationError, match="Two AI actions"):
            register(Other)
    finally:
        unregister("test_translate")


def test_batch_schema_is_a_list_keyed_by_record_id():
    schema = SummarizeAction().get_batch_schema()
    good = {"records": [{"id": "1", "summary": "a"}, {"id": "2", "summary": "b"}]}
    assert validate(good, schema) == []
    assert validate({"records": [{"summary": "no id"}]}, schema)


def test_model_flags_are_capped_and_rule_facts_kept():
    fact = {"field": "stock", "severity": "critical", "reason": "neg", "source": "rule"}
    insight = Insight()
    reason = 'name is "Tent tent", which repeats a word' + "." * 900
    answer = {
        "summary": "s",
        "flags": [{"field": "name", "severity": "critical", "reason": reason}],
    }
    payload = RecordPayload("1", {"name": "Tent tent"}, [fact])
    FlagAnomaliesAction().handle_answer(insight, answer, payload)
    assert insight.flags[0] == fact
    model_flag = insight.flags[1]
    assert model_flag["source"] == "model" and model_flag["severity"] == "warning"
    assert len(model_flag["reason"]) == 160
    assert insight.max_severity == "critical"


def test_a_failed_anomaly_run_keeps_the_facts():
    insight = Insight()
    fact = {"field": "price", "severity": "warning", "reason": "r", "source": "statistics"}
    FlagAnomaliesAction().handle_failure(insight, RecordPayload("1", {}, [fact]))
    assert insight.flags == [fact] and insight.severity_rank == 2


def test_a_proposal_is_stored_for_review_with_the_current_value():
    class SuggestName(ProposeFieldAction):
        name = "test_suggest_name"
        proposal_field = "name"

    insight = Insight()
    payload = RecordPayload("1", {"name": "old"})
    SuggestName().handle_answer(insight, {"value": "new", "reason": "clearer"}, payload)
    assert insight.review_status == "proposed"
    assert insight.data == {"field": "name", "value": "new", "reason": "clearer", "current": "old"}
    assert SuggestName.result == "proposal"


def test_an_action_without_a_schema_says_so():
    class Empty(AIAction):
        name = "test_empty"

    with pytest.raises(ToolkitConfigurationError, match="schema"):
        Empty().get_schema()


def test_model_flags_on_fields_it_was_not_shown_are_set_aside_with_the_reason():
    insight = Insight()
    answer = {
        "summary": "s",
        "flags": [
            {"field": "severity", "severity": "info", "reason": "invented"},
            {"field": "reviews", "severity": "info", "reason": "A review says “broke on day one”."},
            {"field": "supplier.name", "severity": "info", "reason": "Odd supplier “ACME”."},
        ],
    }
    payload = RecordPayload(
        "1", {"reviews": [{"text": "Broke on day one."}], "supplier.name": "ACME"}
    )
    FlagAnomaliesAction().handle_answer(insight, answer, payload)
    assert [f["field"] for f in insight.flags] == ["reviews", "supplier.name"]
    (invented,) = insight.data["discarded_flags"]
    assert invented["field"] == "severity"
    assert invented["discarded"] == "names “severity”, which is not a field of the record sent"


def test_answer_sizes_are_bounded_within_what_llama_cpp_grammars_take():
    """A bounded schema stops a grammar-constrained model before MAX_TOKENS; llama.cpp
    crashes on a maxLength of 1,500 (one grammar rule per character)."""

    def lengths(schema):
        yield schema.get("maxLength")
        for sub in (schema.get("properties") or {}).values():
            yield from lengths(sub)
        if isinstance(schema.get("items"), dict):
            yield from lengths(schema["items"])

    for action in (SummarizeAction, FlagAnomaliesAction, SummarizeSelectionAction):
        found = [n for n in lengths(action().get_batch_schema()) if n is not None]
        assert found and max(found) <= 1000, action
        for name, prop in action.schema["properties"].items():
            if prop.get("type") == "string":
                assert "maxLength" in prop, (action, name)
            if prop.get("type") == "array":
                assert "maxItems" in prop, (action, name)


class SuggestSku(ProposeFieldAction):
    name = "test_suggest_sku"
    proposal_field = "sku"


@pytest.mark.django_db
def test_the_action_decides_how_it_runs_by_its_run_class(catalog):
    from demo.catalog.models import Product
    from toolkit.ai.endpoints import EndpointConfig
    from toolkit.ai.runs import DigestRun, RecordRun, RunOptions
    from toolkit.ai.sources import AISource

    source = AISource(Product, fields=["name"])
    records = Product.objects.order_by("pk")[:2]
    options = RunOptions(endpoint=EndpointConfig(base_url="http://llm.test/v1", model="m"))
    for action, run_class in (
        (SummarizeAction(), RecordRun),
        (FlagAnomaliesAction(), RecordRun),
        (SuggestSku(), RecordRun),
        (SummarizeSelectionAction(), DigestRun),
    ):
        run = action.new_run(source, records, options)
        assert type(run) is run_class and run.count == 2
        assert action.per_record is (run_class is RecordRun)


def test_only_proposals_have_a_review_page():
    class ProposalsAdmin:
        def get_ai_proposals_url(self):
            return "/admin/catalog/product/ai-proposals/"

    assert SuggestSku().get_review_url(ProposalsAdmin()) == "/admin/catalog/product/ai-proposals/"
    assert SuggestSku().get_review_url(object()) is None
    assert SummarizeAction().get_review_url(ProposalsAdmin()) is None


@pytest.mark.django_db
def test_an_action_defined_in_a_test_is_offered_run_and_stored_like_the_built_in_ones(
    catalog, admin_client, settings, monkeypatch
):
    from demo.catalog.admin import ProductAdmin
    from demo.catalog.models import Product
    from tests.ai.fault_server import FaultServer

    monkeypatch.setattr(ProductAdmin, "ai_actions", [SummarizeAction, TranslateAction])
    products = list(Product.objects.order_by("pk")[:2])
    with FaultServer(answer={"french": "Table en chêne"}) as server:
        settings.TOOLKIT_AI = {"default": {"BASE_URL": server.url, "MODEL": "m"}}
        settings.TOOLKIT_AI_BACKGROUND_THRESHOLD = 10
        changelist = admin_client.get("/admin/catalog/product/")
        assert "Translate names to French" in changelist.text
        admin_client.post(
            "/admin/catalog/product/",
            {"action": "ai_test_translate_name", "_selected_action": [p.pk for p in products]},
        )
        bodies = list(server.bodies)

    assert [body["response_format"]["json_schema"]["name"] for body in bodies] == [
        "test_translate_name"
    ] * 2
    assert "Translate each name into French." in bodies[0]["messages"][-1]["content"]
    stored = Insight.objects.filter(action="test_translate_name", status="ok")
    assert sorted(stored.values_list("object_id", flat=True)) == sorted(str(p.pk) for p in products)
    assert {(i.kind, i.text) for i in stored} == {("translation", "Table en chêne")}
