"""The TOOLKIT_AI_* action settings and their checks (toolkit.E090-E096, W090)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from toolkit import checks as toolkit_checks
from toolkit.ai import checks as ai_checks
from toolkit.ai.conf import DEFAULTS, conf


def run(**settings):
    with override_settings(**settings):
        return ai_checks.check_ai_action_settings()


def only(messages, id_):
    assert [m.id for m in messages] == [id_], [str(m) for m in messages]
    assert messages[0].hint
    return messages[0]


def test_defaults_pass():
    assert ai_checks.check_ai_action_settings() == []


def test_defaults_read_through_conf(settings):
    for name in DEFAULTS:
        if name.startswith("AI_") and hasattr(settings, f"TOOLKIT_{name}"):
            delattr(settings, f"TOOLKIT_{name}")
    assert conf.AI_BACKGROUND_THRESHOLD == 10
    assert conf.AI_MAX_RECORDS == 1000
    assert conf.AI_MAX_INPUT_CHARS == 12_000
    assert conf.AI_VALUE_MAX_CHARS == 1000
    assert conf.AI_DAILY_RECORD_LIMIT is None
    assert conf.AI_STORE_PROMPTS is False
    assert conf.AI_JOB_CHUNK_SIZE == 5


@pytest.mark.parametrize("value", [-1, "10", 2.5, None, True])
def test_bad_background_threshold_is_E090(value):
    only(run(TOOLKIT_AI_BACKGROUND_THRESHOLD=value), "toolkit.E090")


def test_zero_background_threshold_sends_every_run_to_a_job():
    assert run(TOOLKIT_AI_BACKGROUND_THRESHOLD=0) == []


@pytest.mark.parametrize("value", [0, -5, "1000", None])
def test_bad_max_records_is_E091(value):
    only(run(TOOLKIT_AI_MAX_RECORDS=value), "toolkit.E091")


@pytest.mark.parametrize("value", [0, 499, "12000", 1.5])
def test_bad_max_input_chars_is_E092(value):
    only(run(TOOLKIT_AI_MAX_INPUT_CHARS=value, TOOLKIT_AI_VALUE_MAX_CHARS=10), "toolkit.E092")


@pytest.mark.parametrize("value", [0, "1000", None])
def test_bad_value_max_chars_is_E093(value):
    only(run(TOOLKIT_AI_VALUE_MAX_CHARS=value), "toolkit.E093")


@pytest.mark.parametrize("value", [0, -1, "500", 2.5])
def test_bad_daily_record_limit_is_E094(value):
    message = only(run(TOOLKIT_AI_DAILY_RECORD_LIMIT=value), "toolkit.E094")
    assert "None" in message.msg


def test_a_daily_record_limit_passes():
    assert run(TOOLKIT_AI_DAILY_RECORD_LIMIT=500) == []


@pytest.mark.parametrize("value", [0, None, "5"])
def test_bad_job_chunk_size_is_E095(value):
    only(run(TOOLKIT_AI_JOB_CHUNK_SIZE=value), "toolkit.E095")


@pytest.mark.parametrize("value", [1, "yes", None])
def test_store_prompts_not_a_bool_is_E096(value):
    only(run(TOOLKIT_AI_STORE_PROMPTS=value), "toolkit.E096")


def test_value_cap_not_below_the_prompt_cap_is_W090():
    message = only(
        run(TOOLKIT_AI_VALUE_MAX_CHARS=5000, TOOLKIT_AI_MAX_INPUT_CHARS=5000), "toolkit.W090"
    )
    assert "too long" in message.msg


def test_new_settings_are_known_not_W001():
    with override_settings(TOOLKIT_AI_STORE_PROMPTS=True, TOOLKIT_AI_JOB_CHUNK_SIZE=3):
        assert toolkit_checks.check_settings() == []


def test_conf_reads_overrides(settings):
    settings.TOOLKIT_AI_DAILY_RECORD_LIMIT = 50
    settings.TOOLKIT_AI_STORE_PROMPTS = True
    assert (conf.AI_DAILY_RECORD_LIMIT, conf.AI_STORE_PROMPTS) == (50, True)
