"""The client against a misbehaving server on a real loopback socket.

Whatever the endpoint does (rate limits, HTML from a proxy, garbage, a hang, a reset, a
flood), every request ends with an answer or a readable error, within its time budget.
"""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from tests.ai.fault_server import FaultServer
from toolkit.ai.client import AsyncClient, ChatRequest, Client
from toolkit.ai.endpoints import EndpointConfig
from toolkit.exceptions import (
    EndpointError,
    EndpointTimeout,
    EndpointUnreachable,
    ResponseFormatError,
    ResponseTooLarge,
    SchemaValidationError,
    TruncatedResponse,
)

SCHEMA = {
    "type": "object",
    "properties": {
        "summary": {"type": "string"},
        "flags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["summary", "flags"],
    "additionalProperties": False,
}
MESSAGES = [{"role": "user", "content": "Summarise: <record>Oak table</record>"}]
TIMEOUT = 1.0
CONNECT_TIMEOUT = 0.5
RETRIES = 2
KEY = "sk-fault-test-key-0123456789"


class FastClient(Client):
    backoff_initial = 0.01
    backoff_max = 0.05


class FastAsyncClient(AsyncClient):
    backoff_initial = 0.01
    backoff_max = 0.05


def endpoint(server, **kwargs):
    options = {
        "base_url": server.url,
        "model": "fault-model",
        "timeout": TIMEOUT,
        "connect_timeout": CONNECT_TIMEOUT,
        "max_retries": RETRIES,
        "api_key_env": "TEST_FAULT_KEY",
        **kwargs,
    }
    return EndpointConfig(**options)


def complete(driver, config, **kwargs):
    """One request through the sync or the async client; returns (result, seconds)."""
    started = time.monotonic()
    if driver == "sync":
        with FastClient(config) as client:
            result = client.complete(MESSAGES, schema=SCHEMA, **kwargs)
    else:

        async def main():
            async with FastAsyncClient(config) as client:
                return await client.complete(MESSAGES, schema=SCHEMA, **kwargs)

        result = asyncio.run(main())
    return result, time.monotonic() - started


@pytest.fixture(autouse=True)
def api_key(monkeypatch):
    monkeypatch.setenv("TEST_FAULT_KEY", KEY)


@pytest.fixture
def server(fault_server):
    return fault_server


# mode -> (error class or None for an answer, requests the client makes, text in the message)
CASES = {
    "ok": (None, 1, ""),
    "prose": (None, 1, ""),
    "reject_json_schema": (None, 2, ""),
    "reject_response_format": (None, 4, ""),
    "rate_limited": (EndpointError, 3, "HTTP 429 Too Many Requests: Rate limit reached"),
    "server_error": (EndpointError, 3, "HTTP 500 Internal Server Error"),
    "html_502": (EndpointError, 3, "HTTP 502 Bad Gateway: an HTML page ('502 Bad Gateway')"),
    "unauthorized": (EndpointError, 1, "Check the API key in the environment variable"),
    "not_json": (ResponseFormatError, 1, "with text/plain, not JSON"),
    "wrong_shape": (ResponseFormatError, 1, "not a chat completion"),
    "schema_mismatch": (SchemaValidationError, 2, "missing required property 'summary'"),
    "truncated": (TruncatedResponse, 2, "cut the answer off at max_tokens=1024"),
    "hang": (EndpointTimeout, 3, f"no complete answer within {TIMEOUT:g} s"),
    "trickle": (EndpointTimeout, 3, f"no complete answer within {TIMEOUT:g} s"),
    "reset": (EndpointUnreachable, 3, "dropped the connection"),
    "huge": (ResponseTooLarge, 1, "bytes, more than the 1,048,576 bytes the client accepts"),
    "flood": (ResponseTooLarge, 1, "sent an answer longer than the 1,048,576 bytes"),
}


def test_every_mode_of_the_server_has_a_case():
    assert set(CASES) == set(FaultServer.MODES)


@pytest.mark.parametrize("driver", ["sync", "async"])
@pytest.mark.parametrize("mode", list(CASES))
def test_each_fault_ends_in_an_answer_or_a_readable_error_in_time(server, mode, driver):
    expected_error, expected_requests, fragment = CASES[mode]
    server.mode = mode
    budget = expected_requests * (CONNECT_TIMEOUT + TIMEOUT) + RETRIES * 0.05 + 2.0

    if expected_error is None:
        result, elapsed = complete(driver, endpoint(server))
        assert result.data == server.answer
        assert result.attempts == expected_requests
        assert result.usage.total_tokens == 49  # rejected attempts report no usage
    else:
        started = time.monotonic()
        with pytest.raises(expected_error) as excinfo:
            complete(driver, endpoint(server))
        elapsed = time.monotonic() - started
        error = excinfo.value
        message = str(error)
        assert fragment in message
        assert message.startswith(("LLM endpoint 'default'", "The answer of LLM endpoint"))
        assert "Traceback" not in message and len(message) < 400
        assert KEY not in message and KEY not in repr(error)
        assert error.attempts == expected_requests

    assert server.requests == expected_requests
    assert elapsed < budget, f"{mode} took {elapsed:.1f}s, budget {budget:.1f}s"
    assert set(server.authorization) == {f"Bearer {KEY}"}


def test_retry_after_from_the_server_is_waited_for(server):
    server.retry_after = "0.3"
    server.script("rate_limited")
    result, elapsed = complete("sync", endpoint(server))
    assert result.attempts == 2
    assert elapsed >= 0.3


def test_a_run_of_different_faults_recovers_within_the_retries(server):
    server.script("reset", "html_502")
    result, _ = complete("sync", endpoint(server))
    assert result.attempts == 3
    assert server.served == {"reset": 1, "html_502": 1, "ok": 1}


def test_truncated_once_then_whole_succeeds_with_the_larger_budget(server):
    server.script("truncated")
    result, _ = complete("async", endpoint(server), max_tokens=100)
    assert result.attempts == 2
    assert [body["max_tokens"] for body in server.bodies] == [100, 200]


def test_fallback_is_remembered_across_requests_on_one_client(server):
    server.mode = "reject_json_schema"
    with FastClient(endpoint(server)) as client:
        client.complete(MESSAGES, schema=SCHEMA)
        client.complete(MESSAGES, schema=SCHEMA)
    formats = [body["response_format"]["type"] for body in server.bodies]
    assert formats == ["json_schema", "json_object", "json_object"]


def test_a_server_refusing_json_schema_with_a_500_meets_it_once_per_process(server):
    # llama-cpp-python's server: a 500 (and a traceback in its log) for json_schema.
    server.mode = "reject_json_schema"
    for driver in ("sync", "async", "sync"):  # three runs, each with a client of its own
        result, _ = complete(driver, endpoint(server))
        assert result.data == server.answer
    formats = [body["response_format"]["type"] for body in server.bodies]
    assert formats == ["json_schema", "json_object", "json_object", "json_object"]
    assert all("schema" in body["response_format"] for body in list(server.bodies)[1:])


def test_a_large_answer_is_read_when_the_limit_allows_it(server):
    server.mode = "huge"
    server.huge_bytes = 3 * 1024 * 1024

    class RoomyClient(FastClient):
        max_response_bytes = 8 * 1024 * 1024

    with RoomyClient(endpoint(server)) as client:
        result = client.complete(MESSAGES, schema=SCHEMA)
    assert len(result.data["summary"]) > 3_000_000


def test_nothing_listening_is_unreachable_quickly():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = EndpointConfig(base_url=f"http://127.0.0.1:{port}/v1", model="m", max_retries=1)
    started = time.monotonic()
    with (
        pytest.raises(EndpointUnreachable, match=r"cannot be reached.*is the server running"),
        FastClient(config) as client,
    ):
        client.complete(MESSAGES)
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("driver", ["sync", "async"])
def test_a_batch_through_faults_reports_every_request_and_a_rerun_completes_it(server, driver):
    faults = ["reset", "html_502", "not_json", "schema_mismatch", "truncated", "rate_limited"]
    server.script(*faults)
    requests = [ChatRequest(MESSAGES, schema=SCHEMA, key=i) for i in range(12)]
    config = endpoint(server, max_retries=0, concurrency=3)

    def run(batch):
        if driver == "sync":
            with FastClient(config) as client:
                return list(client.complete_many(batch))

        async def main():
            async with FastAsyncClient(config) as client:
                return [outcome async for outcome in client.complete_many(batch)]

        return asyncio.run(main())

    outcomes = run(requests)
    assert sorted(o.request.key for o in outcomes) == list(range(12))
    failed = [o for o in outcomes if not o.ok]
    # "truncated", "not_json" and "schema_mismatch" each cost a second request, which
    # takes the next turn of the script (another request's fault, or an ok answer): so
    # between 2 and 6 requests fail, each with a sentence, none half-done.
    assert 2 <= len(failed) <= 6
    assert server.requests > 12
    for outcome in failed:
        assert outcome.completion is None
        assert str(outcome.error).startswith(("LLM endpoint", "The answer of LLM endpoint"))
    assert all(o.completion.data == server.answer for o in outcomes if o.ok)

    rerun = run([o.request for o in failed])
    assert all(o.ok for o in rerun)
    assert sorted(o.request.key for o in rerun) == sorted(o.request.key for o in failed)


@pytest.mark.parametrize("driver", ["sync", "async"])
def test_concurrency_above_httpx_default_pool_keeps_every_request_in_flight(driver):
    count = 120  # httpx's default pool holds 100 connections
    # A long answer time, so that all requests overlap even on a busy machine; generous
    # timeouts, since this is about the pool, not the deadlines.
    with FaultServer(latency=3.0) as server:
        config = endpoint(server, concurrency=count, timeout=20, connect_timeout=20)
        requests = [ChatRequest(MESSAGES, schema=SCHEMA, key=i) for i in range(count)]
        if driver == "sync":
            with FastClient(config) as client:
                outcomes = list(client.complete_many(requests))
        else:

            async def main():
                async with FastAsyncClient(config) as client:
                    return [o async for o in client.complete_many(requests)]

            outcomes = asyncio.run(main())
    assert [o.error for o in outcomes if not o.ok] == []
    assert server.requests == count  # no retries: no pool timeouts
    assert server.peak_in_flight == count  # one round, not a second for the last 20


@pytest.mark.parametrize("driver", ["sync", "async"])
def test_a_proxy_named_by_the_environment_carries_the_requests(server, driver, monkeypatch):
    # The fault server answers the proxied request itself, as a proxy passing it on
    # would; the endpoint's own host does not even resolve.
    monkeypatch.setenv("HTTP_PROXY", server.url.removesuffix("/v1"))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    config = endpoint(server, base_url="http://llm.invalid/v1", max_retries=0)

    result, _ = complete(driver, config)

    assert result.data == server.answer
    assert server.requests == 1
