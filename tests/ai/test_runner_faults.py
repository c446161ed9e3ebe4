"""Every fault of the loopback server, through run_action: no record is ever lost.

For each mode: every record ends ok, or failed with a readable error; each request's
records are stored whole (never a half-written insight); a re-run against a healthy
server sends exactly the failed records and completes them; the API key appears in no
stored row and no error.
"""

from __future__ import annotations

import json

import pytest

from demo.catalog.models import Product
from tests.ai.fault_server import FaultServer
from toolkit.ai.actions import FlagAnomaliesAction, SummarizeAction
from toolkit.ai.endpoints import EndpointConfig
from toolkit.ai.models import Insight
from toolkit.ai.runner import run_action
from toolkit.ai.sources import AISource

pytestmark = pytest.mark.django_db

KEY = "sk-fault-test-9f8e7d6c5b4a"
#: Modes the client recovers from on its own (a fallback or lenient parsing).
RECOVERED = {"prose", "reject_json_schema", "reject_response_format"}
FAULTS = [mode for mode in FaultServer.MODES if mode != "ok"]


@pytest.fixture
def server():
    with FaultServer(
        answer={"summary": "A sound product."},
        retry_after="0.01",
        hang_seconds=10,
        huge_bytes=2 * 1024 * 1024,
    ) as server:
        yield server


def endpoint(server):
    return EndpointConfig(
        base_url=server.url,
        model="fault-server",
        api_key_env="TOOLKIT_FAULT_KEY",
        timeout=1.0,
        connect_timeout=0.5,
        max_retries=1,
        concurrency=3,
    )


SOURCE_FIELDS = ["sku", "name", "description", "category", "price", "stock"]


def assert_whole(insights):
    for insight in insights:
        if insight.status == "ok":
            assert insight.text and not insight.error
        else:
            assert insight.status == "failed" and not insight.text and not insight.data
            error = insight.error
            assert 10 < len(error) < 1000, error
            assert "Traceback" not in error and "<html" not in error.lower(), error
            assert error[0].isupper() and error.rstrip()[-1] in ".)!?", error


@pytest.mark.parametrize("mode", FAULTS)
def test_a_fault_leaves_each_record_ok_or_failed_and_a_rerun_completes_them(
    catalog, server, monkeypatch, mode
):
    monkeypatch.setenv("TOOLKIT_FAULT_KEY", KEY)
    items = list(Product.objects.order_by("pk")[:4])
    source = AISource(Product, fields=SOURCE_FIELDS)
    server.mode = mode
    first = run_action(SummarizeAction, source, items, endpoint=endpoint(server))
    assert first.ok + first.failed == 4 and first.sent == 4
    stored = list(Insight.objects.all())
    assert len(stored) == 4
    assert_whole(stored)
    if mode in RECOVERED:
        assert first.ok == 4
    else:
        assert first.failed == 4, [i.error for i in stored]

    server.mode = "ok"
    server.reset_counters()
    second = run_action(SummarizeAction, source, items, endpoint=endpoint(server))
    assert (second.sent, second.cached, second.ok) == (first.failed, first.ok, first.failed)
    assert server.requests == first.failed
    latest = Insight.objects.latest_for(items, kind="summary")
    assert {i.status for i in latest.values()} == {"ok"}

    for insight in Insight.objects.all():
        assert KEY not in json.dumps(
            [insight.error, insight.text, insight.data, insight.prompt, insight.flags]
        )
    assert KEY not in " ".join(first.errors + second.errors)


def test_only_the_first_run_asks_a_server_in_a_form_it_refuses(catalog, server):
    server.mode = "reject_json_schema"  # as llama-cpp-python's server: a 500
    source = AISource(Product, fields=SOURCE_FIELDS)
    items = list(Product.objects.order_by("pk")[:6])
    first = run_action(SummarizeAction, source, items[:3], endpoint=endpoint(server))
    asked_by_first = len(server.bodies)
    second = run_action(SummarizeAction, source, items[3:], endpoint=endpoint(server))
    assert (first.ok, second.ok) == (3, 3)
    kinds = [body["response_format"]["type"] for body in server.bodies]
    assert 1 <= kinds[:asked_by_first].count("json_schema") <= 3  # those in flight at once
    assert kinds[asked_by_first:] == ["json_object"] * 3


def test_a_fault_in_the_middle_of_a_batch_answer_keeps_the_other_requests(catalog, server):
    items = list(Product.objects.order_by("pk")[:6])
    source = AISource(Product, fields=SOURCE_FIELDS)
    server.answer = {"summary": "fine"}
    server.script("ok", "reset", "ok")  # the second request of three fails
    cfg = endpoint(server)
    cfg = EndpointConfig(**{**cfg.__dict__, "max_retries": 0, "concurrency": 1})
    report = run_action(SummarizeAction, source, items, endpoint=cfg, records_per_prompt=2)
    assert (report.requests, report.ok, report.failed) == (3, 4, 2)
    failed = Insight.objects.filter(status="failed")
    assert failed.count() == 2
    assert len({i.prompt_hash for i in failed}) == 1  # the two records of that request


def test_anomaly_flags_from_rules_stand_through_every_failure(catalog, server):
    from django.db.models import Q

    from toolkit.ai.rules import Rule

    product = Product.objects.order_by("pk").first()
    Product.objects.filter(pk=product.pk).update(stock=-1)
    source = AISource(
        Product,
        fields=SOURCE_FIELDS,
        rules=[Rule("negative_stock", Q(stock__lt=0), field="stock", severity="critical")],
    )
    server.mode = "html_502"
    report = run_action(FlagAnomaliesAction, source, [product], endpoint=endpoint(server))
    (insight,) = report.insights
    assert insight.status == "failed" and insight.max_severity == "critical"
    assert [f["source"] for f in insight.flags] == ["rule"]
