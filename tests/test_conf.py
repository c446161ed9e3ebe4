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
