"""The LLM client, branch by branch, against httpx.MockTransport (no network, no sleeping)."""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import ssl
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from toolkit.ai.client import (
    RESAMPLE_TEMPERATURE,
    AsyncClient,
    ChatRequest,
    Client,
    forget_accepted_formats,
    parse_json_answer,
)
from toolkit.ai.endpoints import EndpointConfig
from toolkit.exceptions import (
    AIError,
    EndpointError,
    EndpointTimeout,
    EndpointUnreachable,
    ResponseFormatError,
    ResponseTooLarge,
    SchemaValidationError,
    ToolkitConfigurationError,
    TruncatedResponse,
)

SCHEMA = {
    "type": "object",
    "properties": {
        "summary": {"type": "string", "maxLength": 200},
        "flags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["summary", "flags"],
    "additionalProperties": False,
}
ANSWER = {"summary": "Oak table.", "flags": []}
MESSAGES = [
    {"role": "system", "content": "You summarise products."},
    {"role": "user", "content": "<record>Oak table</record>"},
]
SECRET = "sk-test-0123456789abcdef"


def completion(content=None, *, finish_reason="stop", usage=(30, 6), model="served-model"):
    if content is None:
        content = json.dumps(ANSWER)
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": usage[0],
            "completion_tokens": usage[1],
            "total_tokens": sum(usage),
        },
    }


def ok(content=None, **kwargs):
    return httpx.Response(200, json=completion(content, **kwargs))


class Script:
    """A MockTransport handler answering with the given responses in turn (the last repeats)."""

    def __init__(self, *responses):
        self.responses = list(responses)
        self.requests = []

    def __call__(self, request):
        self.requests.append(request)
        index = min(len(self.requests), len(self.responses)) - 1
        answer = self.responses[index]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer

    @property
    def bodies(self):
        return [json.loads(r.content) for r in self.requests]


def endpoint(**kwargs):
    kwargs.setdefault("base_url", "http://llm.test/v1")
    kwargs.setdefault("model", "test-model")
    return EndpointConfig(**kwargs)


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def make_client(sleeps):
    clients = []

    def make(*responses, **endpoint_kwargs):
        script = Script(*responses)
        client = Client(endpoint(**endpoint_kwargs), transport=httpx.MockTransport(script))
        client._sleep = sleeps.append
        clients.append(client)
        return client, script

    yield make
    for client in clients:
        client.close()


# -- a good answer --------------------------------------------------------------------


def test_schema_answer_is_parsed_validated_and_costed(make_client):
    client, script = make_client(ok())
    result = client.complete(MESSAGES, schema=SCHEMA, schema_name="summary")

    assert result.data == ANSWER
    assert result.text == json.dumps(ANSWER)
    assert result.finish_reason == "stop"
    assert result.model == "served-model"
    assert result.endpoint == "default"
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (30, 6)
    assert result.usage.total_tokens == 36
    assert result.attempts == 1
    assert result.latency >= 0
    assert result.response_format == "json_schema"

    (request,) = script.requests
    assert request.method == "POST"
    assert str(request.url) == "http://llm.test/v1/chat/completions"
    body = script.bodies[0]
    assert body["model"] == "test-model"
    assert body["messages"] == MESSAGES
    assert body["max_tokens"] == 512
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "summary", "schema": SCHEMA, "strict": True},
    }
    assert "authorization" not in request.headers


def test_non_strict_schema_is_not_sent_as_strict(make_client):
    client, script = make_client(ok())
    loose = {**SCHEMA, "additionalProperties": True}
    client.complete(MESSAGES, schema=loose)
    assert script.bodies[0]["response_format"]["json_schema"]["strict"] is False


def test_without_schema_the_text_comes_back_and_no_format_is_asked(make_client):
    client, script = make_client(ok("Just prose."))
    result = client.complete(MESSAGES)
    assert (result.text, result.data, result.response_format) == ("Just prose.", None, "text")
    assert "response_format" not in script.bodies[0]


def test_options_are_merged_and_max_tokens_can_be_overridden(make_client):
    client, script = make_client(ok(), options={"temperature": 0, "seed": 1}, max_tokens=64)
    client.complete(MESSAGES, schema=SCHEMA)
    client.complete(MESSAGES, schema=SCHEMA, max_tokens=9)
    first, second = script.bodies
    assert (first["temperature"], first["seed"], first["max_tokens"]) == (0, 1, 64)
    assert second["max_tokens"] == 9


def test_missing_usage_counts_as_zero(make_client):
    payload = completion()
    del payload["usage"]
    client, _ = make_client(httpx.Response(200, json=payload))
    assert client.complete(MESSAGES, schema=SCHEMA).usage.total_tokens == 0


# -- the API key ----------------------------------------------------------------------


def test_key_is_read_from_the_named_variable_and_sent_as_bearer(make_client, monkeypatch):
    monkeypatch.setenv("TEST_LLM_KEY", SECRET)
    client, script = make_client(ok(), api_key_env="TEST_LLM_KEY")
    client.complete(MESSAGES)
    assert script.requests[0].headers["authorization"] == f"Bearer {SECRET}"

    monkeypatch.setenv("TEST_LLM_KEY", "sk-rotated")  # read per request: no restart needed
    client.complete(MESSAGES)
    assert script.requests[1].headers["authorization"] == "Bearer sk-rotated"


def test_unset_key_variable_sends_no_header(make_client, monkeypatch):
    monkeypatch.delenv("TEST_LLM_KEY", raising=False)
    client, script = make_client(ok(), api_key_env="TEST_LLM_KEY")
    client.complete(MESSAGES)
    assert "authorization" not in script.requests[0].headers


def test_key_never_appears_in_errors_reprs_or_logs(make_client, monkeypatch, caplog):
    monkeypatch.setenv("TEST_LLM_KEY", SECRET)
    echo = httpx.Response(
        401,
        json={"error": {"message": f"Incorrect API key provided: Bearer {SECRET}"}},
    )
    retry_echo = httpx.Response(500, text=f"upstream said: Bearer {SECRET}")
    client, _ = make_client(retry_echo, echo, api_key_env="TEST_LLM_KEY")
    caplog.set_level(logging.DEBUG, logger="toolkit")
    with pytest.raises(EndpointError) as excinfo:
        client.complete(MESSAGES)
    error = excinfo.value
    shown = [str(error), repr(error), repr(client), repr(client.endpoint), caplog.text]
    assert not [text for text in shown if SECRET in text]
    assert "[redacted]" in str(error)
    assert "TEST_LLM_KEY" in str(error)  # the name of the variable, to fix it
    assert error.status == 401 and not error.retryable


def test_401_without_key_variable_says_how_to_configure_one(make_client):
    client, _ = make_client(httpx.Response(401, json={"error": {"message": "No key"}}))
    with pytest.raises(EndpointError, match="set API_KEY_ENV"):
        client.complete(MESSAGES)


# -- retries --------------------------------------------------------------------------


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
def test_transient_statuses_are_retried(make_client, sleeps, status):
    client, script = make_client(httpx.Response(status, json={"error": "busy"}), ok())
    result = client.complete(MESSAGES, schema=SCHEMA)
    assert result.attempts == 2
    assert len(script.requests) == 2
    assert len(sleeps) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_not_retried(make_client, sleeps, status):
    client, script = make_client(httpx.Response(status, json={"error": {"message": "no"}}))
    with pytest.raises(EndpointError) as excinfo:
        client.complete(MESSAGES)  # no schema, so no format fallback either
    assert excinfo.value.status == status
    assert not excinfo.value.retryable
    assert excinfo.value.attempts == 1
    assert (len(script.requests), sleeps) == (1, [])


def test_retries_stop_after_max_retries_with_growing_jittered_backoff(make_client, sleeps):
    client, script = make_client(httpx.Response(500, json={"error": {"message": "boom"}}))
    with pytest.raises(EndpointError) as excinfo:
        client.complete(MESSAGES)
    error = excinfo.value
    assert (error.status, error.retryable, error.attempts) == (500, True, 3)
    assert str(error) == (
        "LLM endpoint 'default' answered HTTP 500 Internal Server Error: boom. "
        "Gave up after 3 attempts."
    )
    assert len(script.requests) == 3  # openai-python's default: 2 retries
    assert 0.375 <= sleeps[0] <= 0.5
    assert 0.75 <= sleeps[1] <= 1.0


def test_backoff_is_capped_at_eight_seconds():
    client = Client(endpoint(), transport=httpx.MockTransport(Script(ok())))
    assert all(6.0 <= client._backoff(n) <= 8.0 for n in range(4, 30))
    client.close()


def test_max_retries_zero_means_one_attempt(make_client, sleeps):
    client, script = make_client(httpx.Response(503), max_retries=0)
    with pytest.raises(EndpointError):
        client.complete(MESSAGES)
    assert (len(script.requests), sleeps) == (1, [])


def test_retry_after_seconds_is_honoured(make_client, sleeps):
    client, _ = make_client(httpx.Response(429, headers={"Retry-After": "2"}), ok())
    client.complete(MESSAGES)
    assert sleeps == [2.0]


def test_retry_after_ms_wins_over_retry_after(make_client, sleeps):
    limited = httpx.Response(429, headers={"retry-after-ms": "1500", "Retry-After": "9"})
    client, _ = make_client(limited, ok())
    client.complete(MESSAGES)
    assert sleeps == [1.5]


def test_retry_after_as_http_date_is_honoured(make_client, sleeps):
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=5), usegmt=True)
    client, _ = make_client(httpx.Response(503, headers={"Retry-After": when}), ok())
    client.complete(MESSAGES)
    assert 3.0 < sleeps[0] <= 5.0


def test_unparseable_retry_after_falls_back_to_backoff(make_client, sleeps):
    client, _ = make_client(httpx.Response(429, headers={"Retry-After": "soon"}), ok())
    client.complete(MESSAGES)
    assert 0.375 <= sleeps[0] <= 0.5


def test_retry_after_beyond_the_cap_fails_at_once_saying_so(make_client, sleeps):
    client, script = make_client(httpx.Response(429, headers={"Retry-After": "3600"}), ok())
    with pytest.raises(EndpointError, match="asks to wait 3600 s") as excinfo:
        client.complete(MESSAGES)
    assert excinfo.value.retryable and excinfo.value.status == 429
    assert (len(script.requests), sleeps) == (1, [])


def test_x_should_retry_header_overrides_the_status(make_client):
    client, script = make_client(httpx.Response(500, headers={"x-should-retry": "false"}))
    with pytest.raises(EndpointError):
        client.complete(MESSAGES)
    assert len(script.requests) == 1

    client, script = make_client(httpx.Response(400, headers={"x-should-retry": "true"}), ok())
    assert client.complete(MESSAGES).attempts == 2


def test_connect_errors_are_retried_then_reported_as_unreachable(make_client, sleeps):
    client, _ = make_client(httpx.ConnectError("Connection refused"))
    with pytest.raises(EndpointUnreachable, match=r"reached \(Connection refused\).*after 3") as e:
        client.complete(MESSAGES)
    assert e.value.attempts == 3 and e.value.retryable and e.value.status is None
    assert "http://llm.test/v1" in str(e.value)
    assert len(sleeps) == 2


def test_connection_dropped_midway_is_retried(make_client):
    client, _ = make_client(httpx.RemoteProtocolError("Server disconnected"), ok())
    assert client.complete(MESSAGES).attempts == 2


def test_read_timeout_is_retried_then_reported_as_timeout(make_client):
    client, script = make_client(httpx.ReadTimeout("timed out"), timeout=7)
    with pytest.raises(EndpointTimeout, match="within 7 s"):
        client.complete(MESSAGES)
    assert len(script.requests) == 3


def test_a_bad_url_scheme_is_not_retried(make_client):
    client, script = make_client(httpx.UnsupportedProtocol("Request URL has no scheme"))
    with pytest.raises(EndpointError) as excinfo:
        client.complete(MESSAGES)
    assert not excinfo.value.retryable
    assert len(script.requests) == 1


def test_credentials_in_base_url_are_not_shown(make_client):
    client, _ = make_client(
        httpx.ConnectError("refused"), base_url="http://user:hunter2@llm.test/v1", max_retries=0
    )
    with pytest.raises(EndpointUnreachable) as excinfo:
        client.complete(MESSAGES)
    assert "hunter2" not in str(excinfo.value) and "hunter2" not in repr(client)


# -- readable failures ------------------------------------------------------------------


def test_html_502_from_a_proxy_reads_as_a_sentence(make_client):
    page = "<html><head><title>502 Bad Gateway</title></head><body>" + "x" * 5000 + "</body>"
    client, _ = make_client(httpx.Response(502, html=page), max_retries=0)
    with pytest.raises(EndpointError) as excinfo:
        client.complete(MESSAGES)
    message = str(excinfo.value)
    assert "HTTP 502 Bad Gateway" in message
    assert "HTML page ('502 Bad Gateway')" in message
    assert len(message) < 300


def test_404_points_at_base_url_and_model(make_client):
    client, _ = make_client(httpx.Response(404, json={"detail": "Not Found"}))
    with pytest.raises(EndpointError, match=r"Check BASE_URL .* and MODEL"):
        client.complete(MESSAGES)


def test_redirect_is_not_followed_and_names_the_target(make_client):
    moved = httpx.Response(301, headers={"Location": "https://llm.example/v1/chat/completions"})
    client, script = make_client(moved)
    with pytest.raises(EndpointError, match=r"redirects to https://llm\.example"):
        client.complete(MESSAGES)
    assert len(script.requests) == 1


def test_200_with_plain_text_is_a_format_error(make_client):
    client, _ = make_client(httpx.Response(200, text="Service is up!"))
    with pytest.raises(ResponseFormatError, match=r"text/plain.*not JSON.*Service is up") as e:
        client.complete(MESSAGES, schema=SCHEMA)
    assert e.value.attempts == 1
    assert e.value.content == "Service is up!"


def test_json_that_is_no_chat_completion_is_a_format_error(make_client):
    client, _ = make_client(httpx.Response(200, json={"object": "list", "data": []}))
    with pytest.raises(ResponseFormatError, match="not a chat completion"):
        client.complete(MESSAGES, schema=SCHEMA)


def test_200_carrying_an_error_object_shows_that_error(make_client):
    client, _ = make_client(httpx.Response(200, json={"error": {"message": "model overloaded"}}))
    with pytest.raises(ResponseFormatError, match="answered with an error: model overloaded"):
        client.complete(MESSAGES)


def test_refusal_is_reported(make_client):
    payload = completion()
    payload["choices"][0]["message"] = {
        "role": "assistant",
        "content": None,
        "refusal": "I can't help with that.",
    }
    client, _ = make_client(httpx.Response(200, json=payload))
    with pytest.raises(ResponseFormatError, match="refused to answer: I can't help"):
        client.complete(MESSAGES, schema=SCHEMA)


def test_empty_message_is_reported(make_client):
    payload = completion()
    payload["choices"][0]["message"] = {"role": "assistant", "content": None}
    client, _ = make_client(httpx.Response(200, json=payload))
    with pytest.raises(ResponseFormatError, match="without any text"):
        client.complete(MESSAGES)


def test_answer_without_json_is_a_format_error(make_client):
    client, _ = make_client(ok("I think this table is lovely."))
    with pytest.raises(ResponseFormatError, match="contains no JSON object") as excinfo:
        client.complete(MESSAGES, schema=SCHEMA)
    assert not isinstance(excinfo.value, SchemaValidationError)
    assert excinfo.value.content == "I think this table is lovely."


def test_answer_of_the_wrong_shape_fails_validation_with_reasons(make_client):
    client, _ = make_client(ok(json.dumps({"summary": 3, "extra": True})))
    with pytest.raises(SchemaValidationError, match="does not match the schema") as excinfo:
        client.complete(MESSAGES, schema=SCHEMA)
    assert set(excinfo.value.errors) == {
        "$: missing required property 'flags'",
        "$.summary: expected string, got integer",
        "$: unexpected property 'extra'",
    }


def test_json_wrapped_in_prose_and_fences_is_found(make_client):
    text = "Here you go:\n```json\n" + json.dumps(ANSWER) + "\n```\nAnything else {?}"
    client, _ = make_client(ok(text))
    assert client.complete(MESSAGES, schema=SCHEMA).data == ANSWER


def test_unsupported_schema_fails_before_anything_is_sent(make_client):
    client, script = make_client(ok())
    with pytest.raises(ToolkitConfigurationError, match=r"\$ref"):
        client.complete(MESSAGES, schema={"$ref": "#/$defs/x"})
    assert script.requests == []


# -- structured output fallbacks --------------------------------------------------------


def _reject(kinds):
    """A handler that answers 400 when the request's structured-output kind is in ``kinds``."""

    def handler(request):
        body = json.loads(request.content)
        response_format = body.get("response_format") or {"type": "text"}
        kind = response_format["type"]
        if kind == "json_object" and "schema" in response_format:
            kind = "json_object_with_schema"
        if kind in kinds:
            return httpx.Response(400, json={"error": {"message": f"{kind} unsupported"}})
        if kind == "text":
            return ok("Sure:\n" + json.dumps(ANSWER))
        return ok()

    return handler


def test_json_schema_rejected_falls_back_to_a_schema_in_json_object_and_remembers(
    make_client, sleeps
):
    # The llama-cpp-python server: 422 for json_schema, a grammar from json_object's schema.
    client, script = make_client(_reject({"json_schema"}))
    result = client.complete(MESSAGES, schema=SCHEMA)
    assert (result.data, result.attempts) == (ANSWER, 2)
    assert result.response_format == "json_object_with_schema"
    assert script.bodies[1]["response_format"] == {"type": "json_object", "schema": SCHEMA}
    # Below json_schema the model also learns the shape from the prompt.
    assert '"required":["summary","flags"]' in script.bodies[1]["messages"][-1]["content"]
    assert sleeps == []  # a fallback is not a retry

    client.complete(MESSAGES, schema=SCHEMA)
    assert script.bodies[2]["response_format"] == {"type": "json_object", "schema": SCHEMA}


def test_schema_in_json_object_rejected_falls_back_to_plain_json_object(make_client):
    client, script = make_client(_reject({"json_schema", "json_object_with_schema"}))
    result = client.complete(MESSAGES, schema=SCHEMA)
    assert (result.response_format, result.attempts) == ("json_object", 3)
    assert script.bodies[2]["response_format"] == {"type": "json_object"}


def test_no_response_format_at_all_falls_back_to_parsing_text(make_client):
    client, script = make_client(_reject({"json_schema", "json_object_with_schema", "json_object"}))
    result = client.complete(MESSAGES, schema=SCHEMA)
    assert (result.data, result.response_format, result.attempts) == (ANSWER, "text", 4)
    assert "response_format" not in script.bodies[-1]
    assert "JSON Schema" in script.bodies[-1]["messages"][-1]["content"]
    assert MESSAGES[-1]["content"] == "<record>Oak table</record>"  # caller's list untouched


def test_a_400_in_every_format_is_reported_and_not_remembered(make_client):
    client, script = make_client(
        _reject({"json_schema", "json_object_with_schema", "json_object", "text"})
    )
    with pytest.raises(EndpointError, match=r"HTTP 400.*text unsupported") as excinfo:
        client.complete(MESSAGES, schema=SCHEMA)
    assert excinfo.value.attempts == 4
    with pytest.raises(EndpointError):
        client.complete(MESSAGES, schema=SCHEMA)
    assert script.bodies[4]["response_format"]["type"] == "json_schema"


def test_422_counts_as_a_rejected_format(make_client):
    rejected = httpx.Response(422, json={"detail": [{"msg": "Input should be 'json_object'"}]})
    client, _ = make_client(rejected, ok())
    assert client.complete(MESSAGES, schema=SCHEMA).response_format == "json_object_with_schema"


def test_an_error_of_any_status_naming_response_format_is_a_rejected_format(make_client, sleeps):
    # llama-cpp-python 0.3 answers an unknown response_format type with a 500.
    message = "validation error: ('body', 'response_format', 'type') Input should be 'json_object'"
    rejected = httpx.Response(500, json={"error": {"message": message}})
    client, _script = make_client(rejected, ok())
    result = client.complete(MESSAGES, schema=SCHEMA)
    assert (result.response_format, result.attempts, sleeps) == ("json_object_with_schema", 2, [])


def test_a_500_not_about_the_format_is_retried_in_the_same_format(make_client, sleeps):
    client, _script = make_client(httpx.Response(500, json={"error": "overloaded"}), ok())
    result = client.complete(MESSAGES, schema=SCHEMA)
    assert (result.response_format, len(sleeps)) == ("json_schema", 1)


def test_the_form_an_endpoint_takes_is_remembered_for_every_later_client(make_client):
    first, _ = make_client(_reject({"json_schema"}))
    first.complete(MESSAGES, schema=SCHEMA)

    later, script = make_client(_reject({"json_schema"}))  # a new run, a new job chunk
    result = later.complete(MESSAGES, schema=SCHEMA)
    assert (result.response_format, result.attempts) == ("json_object_with_schema", 1)
    assert [body["response_format"]["type"] for body in script.bodies] == ["json_object"]

    # Another model, or another server, is asked for json_schema as usual.
    for other in ({"model": "other-model"}, {"base_url": "http://other.test/v1"}):
        client, _ = make_client(ok(), **other)
        assert client.complete(MESSAGES, schema=SCHEMA).response_format == "json_schema"

    forget_accepted_formats()
    again, _ = make_client(ok())
    assert again.complete(MESSAGES, schema=SCHEMA).response_format == "json_schema"


def test_an_endpoints_response_format_is_asked_for_first_and_falls_back_from_there(make_client):
    # RESPONSE_FORMAT names the form a server is known to take: no request is refused.
    client, script = make_client(
        _reject({"json_schema"}), response_format="json_object_with_schema"
    )
    result = client.complete(MESSAGES, schema=SCHEMA)
    assert (result.response_format, result.attempts) == ("json_object_with_schema", 1)
    assert [body["response_format"]["type"] for body in script.bodies] == ["json_object"]

    # A server that takes less than the form named still falls back, and is remembered.
    client, script = make_client(
        _reject({"json_schema", "json_object_with_schema"}),
        base_url="http://plain.test/v1",
        response_format="json_object_with_schema",
    )
    assert client.complete(MESSAGES, schema=SCHEMA).response_format == "json_object"
    later, script = make_client(
        ok(), base_url="http://plain.test/v1", response_format="json_object_with_schema"
    )
    later.complete(MESSAGES, schema=SCHEMA)
    assert script.bodies[0]["response_format"] == {"type": "json_object"}


def test_an_endpoints_response_format_comes_from_its_setting():
    config = EndpointConfig.from_setting(
        "local", {"BASE_URL": "http://x.test/v1", "MODEL": "m", "RESPONSE_FORMAT": "text"}
    )
    assert config.response_format == "text"
    assert (
        EndpointConfig.from_setting("d", {"BASE_URL": "http://x/v1", "MODEL": "m"}).response_format
        is None
    )


def test_a_fallback_is_logged_once_at_info_however_many_requests_met_it(caplog):
    # Four requests in flight are all refused json_schema before any answer comes back.
    refused = threading.Barrier(4, timeout=5)
    reject = _reject({"json_schema"})

    def handler(request):
        response = reject(request)
        if response.status_code == 400:
            refused.wait()
        return response

    caplog.set_level(logging.DEBUG, logger="toolkit")
    requests = [ChatRequest(MESSAGES, schema=SCHEMA, key=n) for n in range(8)]
    for _ in range(2):  # a second run, as a job's next chunk would be
        with Client(endpoint(concurrency=4), transport=httpx.MockTransport(handler)) as client:
            outcomes = list(client.complete_many(requests))
        assert all(outcome.ok for outcome in outcomes)

    by_level = {}
    for record in caplog.records:
        by_level.setdefault(record.levelname, []).append(record.getMessage())
    assert set(by_level) == {"DEBUG", "INFO"}
    assert len(by_level["DEBUG"]) == 4  # one per refused request, for diagnosis
    assert by_level["INFO"] == [
        "LLM endpoint 'default' takes structured output as json_object_with_schema, not "
        "json_schema; this process asks it for that from now on."
    ]


# -- system prompts for templates without a system role -------------------------------


def test_system_messages_are_folded_into_the_first_user_message_when_asked(make_client):
    client, script = make_client(ok(), merge_system_prompt=True)
    conversation = [
        *MESSAGES,
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "again"},
    ]
    client.complete(conversation)
    assert script.bodies[0]["messages"] == [
        {"role": "user", "content": "You summarise products.\n\n<record>Oak table</record>"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "again"},
    ]
    assert MESSAGES[0]["role"] == "system"


def test_a_lone_system_message_becomes_a_user_message(make_client):
    client, script = make_client(ok(), merge_system_prompt=True)
    client.complete([{"role": "system", "content": "Say hi."}])
    assert script.bodies[0]["messages"] == [{"role": "user", "content": "Say hi."}]


def test_system_messages_are_sent_as_they_are_by_default(make_client):
    client, script = make_client(ok())
    client.complete(MESSAGES)
    assert script.bodies[0]["messages"] == MESSAGES


# -- truncated answers ----------------------------------------------------------------


def test_truncated_answer_is_asked_again_with_twice_the_budget(make_client, sleeps):
    client, script = make_client(
        ok('{"summary": "Oak', finish_reason="length", usage=(30, 512)), ok(usage=(30, 6))
    )
    result = client.complete(MESSAGES, schema=SCHEMA)
    assert result.data == ANSWER
    assert [b["max_tokens"] for b in script.bodies] == [512, 1024]
    assert result.usage.completion_tokens == 518  # the cut-off attempt cost tokens too
    assert result.attempts == 2
    assert sleeps == []


def test_truncated_twice_is_a_failure(make_client):
    client, script = make_client(ok('{"summary": "Oak', finish_reason="length"), max_tokens=50)
    with pytest.raises(TruncatedResponse, match="max_tokens=100") as excinfo:
        client.complete(MESSAGES, schema=SCHEMA)
    assert excinfo.value.attempts == 2
    assert excinfo.value.content == '{"summary": "Oak'
    assert len(script.requests) == 2


# -- size and time limits ---------------------------------------------------------------


def test_declared_oversized_body_is_abandoned(make_client):
    big = httpx.Response(200, content=b"{" + b" " * 2_000_000 + b"}")
    client, _ = make_client(big)
    with pytest.raises(ResponseTooLarge, match="announced an answer of 2,000,002 bytes"):
        client.complete(MESSAGES)


def test_streamed_oversized_body_is_abandoned_while_reading(make_client):
    read = []

    def endless():
        while True:
            read.append(1)
            yield b"x" * 65536

    client, _ = make_client(httpx.Response(200, content=endless()))
    with pytest.raises(ResponseTooLarge):
        client.complete(MESSAGES)
    assert len(read) <= 17  # stopped just past 1 MiB


def test_a_trickling_body_hits_the_attempt_deadline(make_client):
    def trickle():
        for _ in range(100):
            time.sleep(0.05)
            yield b" "

    client, _ = make_client(
        lambda request: httpx.Response(200, content=trickle()),
        timeout=0.2,
        connect_timeout=0.05,
        max_retries=0,
    )
    started = time.monotonic()
    with pytest.raises(EndpointTimeout):
        client.complete(MESSAGES)
    assert time.monotonic() - started < 1.0


# -- concurrency ----------------------------------------------------------------------


class Gauge:
    def __init__(self):
        self.lock = threading.Lock()
        self.now = self.peak = 0

    def __enter__(self):
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def __exit__(self, *exc_info):
        with self.lock:
            self.now -= 1


def test_complete_many_keeps_n_in_flight_reads_lazily_and_reports_every_request():
    gauge = Gauge()

    def handler(request):
        with gauge:
            time.sleep(0.02)
            prompt = json.loads(request.content)["messages"][-1]["content"]
            if prompt.endswith("7"):
                return httpx.Response(400, json={"error": {"message": "bad record"}})
            return ok()

    produced = []

    def requests():
        for i in range(40):
            produced.append(i)
            yield ChatRequest([{"role": "user", "content": f"record {i}"}], key=i)

    client = Client(endpoint(concurrency=5, max_retries=0), transport=httpx.MockTransport(handler))
    outcomes = []
    for outcome in client.complete_many(requests()):
        # Never more than the in-flight requests (plus the refill) read ahead.
        assert len(produced) - len(outcomes) <= 2 * 5
        outcomes.append(outcome)
    client.close()

    assert sorted(o.request.key for o in outcomes) == list(range(40))
    failed = sorted(o.request.key for o in outcomes if not o.ok)
    assert failed == [7, 17, 27, 37]
    assert all(isinstance(o.error, EndpointError) for o in outcomes if not o.ok)
    assert all(o.completion.data is None and o.completion.text for o in outcomes if o.ok)
    assert gauge.peak == 5


def test_client_concurrency_bounds_direct_calls_from_many_threads():
    gauge = Gauge()

    def handler(request):
        with gauge:
            time.sleep(0.02)
            return ok()

    client = Client(endpoint(concurrency=3), transport=httpx.MockTransport(handler))
    threads = [threading.Thread(target=client.complete, args=(MESSAGES,)) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    client.close()
    assert gauge.peak == 3


def test_complete_many_lets_bugs_propagate():
    client = Client(endpoint(), transport=httpx.MockTransport(Script(ok())))
    bad = ChatRequest(MESSAGES, schema={"type": "object", "if": {}})
    with pytest.raises(ToolkitConfigurationError):
        list(client.complete_many([bad]))
    client.close()


def pool_sizes(client):
    return [
        client._pool(slot)._transport._pool._max_connections for slot in range(len(client._pools))
    ]


def test_concurrency_argument_overrides_the_endpoint_and_sizes_the_connections():
    client = Client(endpoint(concurrency=4), concurrency=150)
    assert client.concurrency == 150
    # 150 connections (above httpx's default pool of 100), one per slot: httpcore's pool
    # does work quadratic in its size on every request.
    assert pool_sizes(client) == [1] * 150
    assert len({id(pool._transport._pool._ssl_context) for pool in client._pools}) == 1
    client.close()


def test_only_an_https_endpoint_loads_the_ca_certificates():
    def context(base_url):
        client = Client(endpoint(base_url=base_url))
        ssl_context = client._pool(0)._transport._pool._ssl_context
        client.close()
        return ssl_context

    assert context("https://api.example.com/v1").cert_store_stats()["x509_ca"] > 0
    plain = context("http://127.0.0.1:8001/v1")
    # No certificate at all: TLS to a plain-http endpoint fails instead of going unverified.
    assert plain.cert_store_stats()["x509_ca"] == 0
    assert plain.verify_mode == ssl.CERT_REQUIRED and plain.check_hostname


def test_slot_clients_are_made_when_first_taken():
    client = Client(endpoint(), concurrency=150)
    assert client._pools.count(None) == 150
    client.close()  # closing a client that never sent closes nothing and raises nothing


def test_a_light_load_reuses_the_same_slot_and_connection(make_client):
    client, _ = make_client(ok(), concurrency=60)
    taken = []
    original = client._read

    def read(pool, request):
        taken.append(client._pools.index(pool))
        return original(pool, request)

    client._read = read
    for _ in range(5):
        client.complete(MESSAGES)
    assert taken == [0] * 5
    # Only the slot that was used has a client (and a connection) of its own.
    assert [slot for slot, pool in enumerate(client._pools) if pool is not None] == [0]


# -- the async twin ---------------------------------------------------------------------


def make_async(handler, sleeps, **endpoint_kwargs):
    async def record(seconds):
        sleeps.append(seconds)

    client = AsyncClient(endpoint(**endpoint_kwargs), transport=httpx.MockTransport(handler))
    client._sleep = record
    return client


def test_async_complete_retries_and_parses(sleeps):
    script = Script(httpx.Response(503, headers={"Retry-After": "1"}), ok())

    async def main():
        async with make_async(script, sleeps) as client:
            return await client.complete(MESSAGES, schema=SCHEMA)

    result = asyncio.run(main())
    assert (result.data, result.attempts, sleeps) == (ANSWER, 2, [1.0])


def test_async_errors_match_the_sync_ones(sleeps):
    async def main():
        async with make_async(Script(httpx.ConnectError("refused")), sleeps) as client:
            await client.complete(MESSAGES)

    with pytest.raises(EndpointUnreachable) as excinfo:
        asyncio.run(main())
    assert excinfo.value.attempts == 3 and len(sleeps) == 2


def test_async_attempt_deadline_bounds_a_hang(sleeps):
    async def hang(request):
        await asyncio.sleep(10)

    async def main():
        async with make_async(
            hang, sleeps, timeout=0.2, connect_timeout=0.05, max_retries=0
        ) as client:
            await client.complete(MESSAGES)

    started = time.monotonic()
    with pytest.raises(EndpointTimeout):
        asyncio.run(main())
    assert time.monotonic() - started < 1.0


def test_async_oversized_stream_is_abandoned(sleeps):
    async def endless():
        while True:
            yield b"x" * 65536

    async def main():
        handler = Script(lambda request: httpx.Response(200, content=endless()))
        async with make_async(handler, sleeps) as client:
            await client.complete(MESSAGES)

    with pytest.raises(ResponseTooLarge):
        asyncio.run(main())


def test_async_complete_many_bounds_concurrency_and_accepts_async_iterables(sleeps):
    state = {"now": 0, "peak": 0}

    async def handler(request):
        state["now"] += 1
        state["peak"] = max(state["peak"], state["now"])
        await asyncio.sleep(0.01)
        state["now"] -= 1
        if json.loads(request.content)["messages"][0]["content"] == "3":
            return httpx.Response(500)
        return ok()

    async def requests():
        for i in range(30):
            yield ChatRequest([{"role": "user", "content": str(i)}], schema=SCHEMA, key=i)

    async def main():
        async with make_async(handler, sleeps, concurrency=4) as client:
            return [o async for o in client.complete_many(requests())]

    outcomes = asyncio.run(main())
    assert sorted(o.request.key for o in outcomes) == list(range(30))
    (failed,) = [o for o in outcomes if not o.ok]
    assert failed.request.key == 3 and failed.error.status == 500 and failed.error.attempts == 3
    assert all(o.completion.data == ANSWER for o in outcomes if o.ok)
    assert state["peak"] == 4


def test_async_complete_many_closed_early_cancels_what_is_in_flight(sleeps):
    started = []

    async def handler(request):
        started.append(1)
        if len(started) > 1:
            await asyncio.sleep(30)
        return ok()

    async def main():
        async with make_async(handler, sleeps, concurrency=3) as client:
            stream = client.complete_many(ChatRequest(MESSAGES) for _ in range(100))
            first = await anext(stream)
            await stream.aclose()
            return first

    began = time.monotonic()
    assert asyncio.run(main()).ok
    assert time.monotonic() - began < 5
    assert len(started) <= 4


def test_async_pools_are_sized_to_the_concurrency():
    async def main():
        async with AsyncClient(endpoint(), concurrency=150) as client:
            return pool_sizes(client)

    assert asyncio.run(main()) == [1] * 150


# -- parsing plain-text answers ---------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ('{"a": 1}', {"a": 1}),
        ("  [1, 2] ", [1, 2]),
        ('Sure! {"a": 1} and {"b": 2}', {"a": 1}),
        ('```json\n{"a": {"b": [1]}}\n```', {"a": {"b": [1]}}),
        ('{not json} then {"a": 1}', {"a": 1}),
    ],
)
def test_parse_json_answer_takes_the_first_json_object(text, expected):
    assert parse_json_answer(text) == expected


@pytest.mark.parametrize("text", ["", "no braces", "{" * 200, "[" * 100_000])
def test_parse_json_answer_raises_value_error_when_there_is_none(text):
    with pytest.raises(ValueError):
        parse_json_answer(text)


def test_every_client_error_is_an_ai_error():
    for cls in (
        EndpointError,
        EndpointTimeout,
        EndpointUnreachable,
        ResponseFormatError,
        SchemaValidationError,
        TruncatedResponse,
        ResponseTooLarge,
    ):
        assert issubclass(cls, AIError)


def test_a_broken_answer_is_asked_for_once_more_and_the_second_one_counts(make_client):
    client, script = make_client(ok("The summary is: {broken"), ok())
    result = client.complete(MESSAGES, schema=SCHEMA)
    assert result.data == ANSWER
    assert result.attempts == 2
    assert len(script.requests) == 2


def test_the_second_ask_samples_when_the_first_was_greedy(make_client):
    client, script = make_client(ok(json.dumps({"summary": 3})), ok(), options={"temperature": 0})
    client.complete(MESSAGES, schema=SCHEMA)
    first, second = script.bodies
    assert first["temperature"] == 0
    assert second["temperature"] == RESAMPLE_TEMPERATURE > 0


def test_the_second_ask_keeps_a_temperature_the_site_chose(make_client):
    client, script = make_client(ok("no json"), ok(), options={"temperature": 0.9})
    client.complete(MESSAGES, schema=SCHEMA)
    assert [body["temperature"] for body in script.bodies] == [0.9, 0.9]


def test_two_broken_answers_fail_with_the_second_ones_reason(make_client):
    client, script = make_client(ok("no json at all"), ok(json.dumps({"summary": 3})))
    with pytest.raises(SchemaValidationError, match="does not match the schema") as excinfo:
        client.complete(MESSAGES, schema=SCHEMA)
    assert excinfo.value.attempts == 2
    assert len(script.requests) == 2


def test_a_gzip_encoded_answer_is_decoded(make_client):
    body = gzip.compress(json.dumps(completion(json.dumps(ANSWER))).encode())
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    client, _ = make_client(httpx.Response(200, content=body, headers=headers))
    assert client.complete(MESSAGES, schema=SCHEMA).data == ANSWER


# 3 in flight; the first outcomes come in a batch of 1 to 3, each replaced at once. Then
# without read-ahead nothing more is sent while the caller is busy (3 to 6 in all); with
# 4 read ahead the threads go on through the queue (8 to 10).
@pytest.mark.parametrize("read_ahead, sent_meanwhile", [(0, range(3, 7)), (4, range(8, 11))])
def test_complete_many_reads_ahead_so_threads_need_not_wait_for_the_caller(
    read_ahead, sent_meanwhile
):
    sent = []

    def handler(request):
        sent.append(request)
        time.sleep(0.005)
        return ok()

    client = Client(endpoint(concurrency=3), transport=httpx.MockTransport(handler))
    seen = []
    for outcome in client.complete_many(
        (ChatRequest(MESSAGES, key=i) for i in range(30)), read_ahead=read_ahead
    ):
        if not seen:
            # A slow caller: meanwhile the threads go on with what was read ahead.
            time.sleep(0.2)
            seen_sent = len(sent)
        seen.append(outcome)
    client.close()
    assert len(seen) == 30
    # Without read-ahead the threads wait for the caller to hand them the next request.
    assert seen_sent in sent_meanwhile


@pytest.mark.parametrize("read_ahead", [0, 10])
def test_should_stop_sends_nothing_more_and_drops_what_is_queued(read_ahead):
    sent = []
    stop = threading.Event()

    def handler(request):
        sent.append(request)
        time.sleep(0.01)
        return ok()

    client = Client(endpoint(concurrency=2), transport=httpx.MockTransport(handler))
    outcomes = []
    requests = (ChatRequest(MESSAGES, key=i) for i in range(100))
    for outcome in client.complete_many(requests, read_ahead=read_ahead, should_stop=stop.is_set):
        outcomes.append(outcome)
        if len(outcomes) == 4:
            stop.set()
    client.close()
    # What was in flight when the stop came finished (with the rest of the batch of
    # outcomes it came in: at most two at a time); nothing queued was sent.
    assert 4 <= len(outcomes) <= 4 + 1 + 2
    assert len(sent) == len(outcomes)
    assert all(outcome.ok for outcome in outcomes)


def test_async_should_stop_sends_nothing_more():
    sent = []
    stop = threading.Event()

    async def handler(request):
        sent.append(request)
        await asyncio.sleep(0.01)
        return ok()

    async def main():
        outcomes = []
        async with AsyncClient(
            endpoint(concurrency=2), transport=httpx.MockTransport(handler)
        ) as client:
            requests = (ChatRequest(MESSAGES, key=i) for i in range(100))
            async for outcome in client.complete_many(
                requests, read_ahead=10, should_stop=stop.is_set
            ):
                outcomes.append(outcome)
                if len(outcomes) == 3:
                    stop.set()
        return outcomes

    outcomes = asyncio.run(main())
    assert 3 <= len(outcomes) <= 3 + 1 + 2
    assert len(sent) == len(outcomes)
