"""The toolkit's settings object reads lazily, so override_settings just works."""

from __future__ import annotations

from django.test import override_settings

from toolkit.conf import DEFAULTS, conf


def test_defaults_apply_when_unset():
    assert conf.CHUNK_SIZE == DEFAULTS["CHUNK_SIZE"]
    assert conf.ESTIMATED_COUNT_THRESHOLD == DEFAULTS["ESTIMATED_COUNT_THRESHOLD"]


def test_values_are_read_at_access_time():
    with override_settings(TOOLKIT_CHUNK_SIZE=17, TOOLKIT_ESTIMATED_COUNT_THRESHOLD=None):
        assert conf.CHUNK_SIZE == 17
        assert conf.ESTIMATED_COUNT_THRESHOLD is None
    assert conf.CHUNK_SIZE == DEFAULTS["CHUNK_SIZE"]


def test_each_part_reads_its_own_settings_through_its_own_object():
    from toolkit.ai.conf import DEFAULTS as AI_DEFAULTS
    from toolkit.ai.conf import conf as ai_conf

    assert not set(AI_DEFAULTS) & set(DEFAULTS)
    assert ai_conf.AI_MAX_RECORDS == AI_DEFAULTS["AI_MAX_RECORDS"]
    with override_settings(TOOLKIT_AI_MAX_RECORDS=7, TOOLKIT_CHUNK_SIZE=3):
        assert (ai_conf.AI_MAX_RECORDS, conf.CHUNK_SIZE) == (7, 3)
        assert ai_conf.raw("AI_MAX_RECORDS") == 7
