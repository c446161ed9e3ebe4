"""TOOLKIT_AI system checks (toolkit.E050-E059, W050-W059), their parsing and the setting."""

from __future__ import annotations

import pytest
from django.core import checks
from django.test import override_settings

from toolkit import checks as toolkit_checks
from toolkit.ai import checks as ai_checks
from toolkit.ai.conf import AI_ENDPOINT_DEFAULTS, conf
from toolkit.ai.endpoints import EndpointConfig, endpoint_names, get_endpoint
from toolkit.exceptions import ToolkitConfigurationError

LOCAL = {"BASE_URL": "http://127.0.0.1:8001/v1", "MODEL": "gemma-3-270m"}


def run(value):
    with override_settings(TOOLKIT_AI=value):
        return ai_checks.check_ai_settings()


def only(messages, id_):
    assert [m.id for m in messages] == [id_], [str(m) for m in messages]
    (message,) = messages
    assert message.hint
    return message


def test_a_minimal_local_endpoint_passes():
    assert run({"default": LOCAL}) == []


def test_a_full_endpoint_with_its_key_set_passes(monkeypatch):
    monkeypatch.setenv("TEST_AI_KEY", "sk-abc")
    endpoint = {
        "BASE_URL": "https://api.openai.com/v1",
        "MODEL": "gpt-4o-mini",
        "API_KEY_ENV": "TEST_AI_KEY",
        "TIMEOUT": 30,
        "CONNECT_TIMEOUT": 2.5,
        "MAX_RETRIES": 0,
        "CONCURRENCY": 150,
        "MAX_TOKENS": 256,
        "OPTIONS": {"temperature": 0},
        "MERGE_SYSTEM_PROMPT": True,
    }
    assert run({"default": endpoint, "local": LOCAL}) == []


def test_unset_setting_passes_and_is_a_known_setting_name():
    assert ai_checks.check_ai_settings() == []
    with override_settings(TOOLKIT_AI={"default": LOCAL}):
        assert [m for m in toolkit_checks.check_settings() if m.id == "toolkit.W001"] == []


@pytest.mark.parametrize("value", [None, [], "http://127.0.0.1:8001/v1"])
def test_setting_that_is_not_a_dict_is_E050(value):
    only(run(value), "toolkit.E050")


def test_endpoint_that_is_not_a_dict_is_E050():
    message = only(run({"default": "http://127.0.0.1:8001/v1"}), "toolkit.E050")
    assert "TOOLKIT_AI['default']" in message.msg


@pytest.mark.parametrize("url", [None, "", "127.0.0.1:8001/v1", "ftp://host/v1", 8001, "http://"])
def test_bad_or_missing_base_url_is_E051(url):
    endpoint = {**LOCAL, "BASE_URL": url}
    only(run({"default": endpoint}), "toolkit.E051")


def test_missing_base_url_says_it_is_missing():
    message = only(run({"default": {"MODEL": "m"}}), "toolkit.E051")
    assert message.msg == "TOOLKIT_AI['default'] has no BASE_URL."


@pytest.mark.parametrize("model", [None, "", "  ", 3])
def test_bad_model_is_E052(model):
    only(run({"default": {**LOCAL, "MODEL": model}}), "toolkit.E052")


def test_missing_model_is_E052():
    only(run({"default": {"BASE_URL": LOCAL["BASE_URL"]}}), "toolkit.E052")


@pytest.mark.parametrize("key", ["TIMEOUT", "CONNECT_TIMEOUT"])
@pytest.mark.parametrize("value", [0, -1, "30", None, True])
def test_bad_timeouts_are_E053(key, value):
    message = only(run({"default": {**LOCAL, key: value}}), "toolkit.E053")
    assert key in message.msg


@pytest.mark.parametrize("value", [-1, 1.5, "2", None, True])
def test_bad_max_retries_is_E054(value):
    only(run({"default": {**LOCAL, "MAX_RETRIES": value}}), "toolkit.E054")


@pytest.mark.parametrize("value", [0, -3, 2.0, "4", None])
def test_bad_concurrency_is_E055(value):
    only(run({"default": {**LOCAL, "CONCURRENCY": value}}), "toolkit.E055")


@pytest.mark.parametrize("value", [0, -1, 100.5, "512", None])
def test_bad_max_tokens_is_E056(value):
    only(run({"default": {**LOCAL, "MAX_TOKENS": value}}), "toolkit.E056")


@pytest.mark.parametrize("value", ["sk-proj-abcdef0123456789", "MY KEY", "1ABC", 42, ""])
def test_api_key_env_that_is_not_a_variable_name_is_E057_and_not_echoed(value):
    message = only(run({"default": {**LOCAL, "API_KEY_ENV": value}}), "toolkit.E057")
    if isinstance(value, str) and value:
        assert value not in message.msg and value not in message.hint
    assert "rotate" in message.hint


def test_options_not_a_dict_is_E058():
    only(run({"default": {**LOCAL, "OPTIONS": ["temperature", 0]}}), "toolkit.E058")


def test_options_overriding_client_fields_is_E058():
    message = only(
        run({"default": {**LOCAL, "OPTIONS": {"model": "x", "max_tokens": 3}}}), "toolkit.E058"
    )
    assert "max_tokens, model" in message.msg


@pytest.mark.parametrize("value", [1, "yes", None])
def test_merge_system_prompt_that_is_not_a_bool_is_E059(value):
    only(run({"default": {**LOCAL, "MERGE_SYSTEM_PROMPT": value}}), "toolkit.E059")


def test_api_key_env_naming_an_unset_variable_is_W050(monkeypatch):
    monkeypatch.delenv("TEST_AI_MISSING_KEY", raising=False)
    message = only(
        run({"default": {**LOCAL, "API_KEY_ENV": "TEST_AI_MISSING_KEY"}}), "toolkit.W050"
    )
    assert message.level == checks.WARNING
    assert "TEST_AI_MISSING_KEY" in message.msg


def test_empty_key_variable_is_W050_too(monkeypatch):
    monkeypatch.setenv("TEST_AI_EMPTY_KEY", "")
    only(run({"default": {**LOCAL, "API_KEY_ENV": "TEST_AI_EMPTY_KEY"}}), "toolkit.W050")


@pytest.mark.parametrize("value", ["json", "JSON_SCHEMA", 1, True])
def test_a_response_format_that_is_no_known_form_is_E098(value):
    message = only(run({"default": {**LOCAL, "RESPONSE_FORMAT": value}}), "toolkit.E098")
    assert "json_object_with_schema" in message.msg


@pytest.mark.parametrize("value", [None, "json_schema", "json_object_with_schema", "text"])
def test_a_known_response_format_passes_and_is_no_unknown_key(value):
    assert run({"default": {**LOCAL, "RESPONSE_FORMAT": value}}) == []


def test_unknown_endpoint_key_is_W051_with_a_suggestion():
    message = only(run({"default": {**LOCAL, "MAX_TOKEN": 100}}), "toolkit.W051")
    assert "'MAX_TOKENS'" in message.hint


def test_base_url_with_chat_completions_is_W052():
    url = "http://127.0.0.1:8001/v1/chat/completions"
    only(run({"default": {**LOCAL, "BASE_URL": url}}), "toolkit.W052")


def test_key_over_plain_http_to_another_host_is_W053(monkeypatch):
    monkeypatch.setenv("TEST_AI_KEY", "sk-abc")
    remote = {**LOCAL, "BASE_URL": "http://llm.internal:8000/v1", "API_KEY_ENV": "TEST_AI_KEY"}
    only(run({"default": remote}), "toolkit.W053")
    local = {**LOCAL, "BASE_URL": "http://localhost:8001/v1", "API_KEY_ENV": "TEST_AI_KEY"}
    assert run({"default": local}) == []


def test_no_default_endpoint_is_W054():
    message = only(run({"local": LOCAL}), "toolkit.W054")
    assert "'local'" in message.hint


def test_every_problem_of_an_endpoint_is_reported_at_once():
    messages = run({"default": {"TIMEOUT": 0, "CONCURRENCY": 0}})
    assert [m.id for m in messages] == [
        "toolkit.E051",
        "toolkit.E052",
        "toolkit.E053",
        "toolkit.E055",
    ]


# -- reading the setting ----------------------------------------------------------------


def test_conf_reads_the_setting_lazily(settings):
    del settings.TOOLKIT_AI  # the demo configures one; a site may not
    assert conf.AI == {}
    with override_settings(TOOLKIT_AI={"default": LOCAL}):
        assert conf.AI == {"default": LOCAL}
    assert conf.AI == {}


def test_get_endpoint_applies_the_defaults():
    with override_settings(TOOLKIT_AI={"default": LOCAL, "big": {**LOCAL, "CONCURRENCY": 150}}):
        endpoint = get_endpoint()
        assert endpoint_names() == ["default", "big"]
        assert get_endpoint("big").concurrency == 150
    assert endpoint == EndpointConfig(
        name="default",
        base_url="http://127.0.0.1:8001/v1",
        model="gemma-3-270m",
        api_key_env=None,
        timeout=AI_ENDPOINT_DEFAULTS["TIMEOUT"],
        connect_timeout=AI_ENDPOINT_DEFAULTS["CONNECT_TIMEOUT"],
        max_retries=2,
        concurrency=AI_ENDPOINT_DEFAULTS["CONCURRENCY"],
        max_tokens=AI_ENDPOINT_DEFAULTS["MAX_TOKENS"],
        options={},
        merge_system_prompt=False,
    )
    assert endpoint.chat_completions_url == "http://127.0.0.1:8001/v1/chat/completions"


def test_unknown_endpoint_name_is_a_configuration_error_naming_the_known_ones(settings):
    with (
        override_settings(TOOLKIT_AI={"default": LOCAL}),
        pytest.raises(ToolkitConfigurationError, match=r"'fast'.*configured: 'default'"),
    ):
        get_endpoint("fast")
    del settings.TOOLKIT_AI
    with pytest.raises(ToolkitConfigurationError, match="configured: none"):
        get_endpoint()


def test_endpoint_holds_the_variable_name_and_reads_the_key_when_asked(monkeypatch):
    monkeypatch.setenv("TEST_AI_KEY", "sk-secret-value")
    with override_settings(TOOLKIT_AI={"default": {**LOCAL, "API_KEY_ENV": "TEST_AI_KEY"}}):
        endpoint = get_endpoint()
    assert endpoint.api_key() == "sk-secret-value"
    assert "sk-secret-value" not in repr(endpoint)
    monkeypatch.delenv("TEST_AI_KEY")
    assert endpoint.api_key() is None


# -- the app's own checks -------------------------------------------------------------


def test_without_the_ai_app_its_checks_say_nothing_and_its_settings_are_unknown(settings):
    """The AI checks belong to ``toolkit.ai``: a site without it hears nothing from them,
    and the core's W001 says its leftover TOOLKIT_AI settings are ignored."""
    settings.TOOLKIT_AI = "not a dict"
    settings.TOOLKIT_AI_MAX_RECORDS = -1
    assert ai_checks.check_ai_settings() and ai_checks.check_ai_action_settings()
    settings.INSTALLED_APPS = [a for a in settings.INSTALLED_APPS if a != "toolkit.ai"]
    assert ai_checks.check_ai_settings() == []
    assert ai_checks.check_ai_action_settings() == []
    unknown = [m.msg for m in toolkit_checks.check_settings() if m.id == "toolkit.W001"]
    assert any("TOOLKIT_AI_MAX_RECORDS" in msg for msg in unknown), unknown


def test_the_ai_checks_are_registered_by_the_ai_app():
    from django.core.checks.registry import registry

    assert ai_checks.check_ai_settings in registry.get_checks()
    assert ai_checks.check_ai_action_settings in registry.get_checks()
