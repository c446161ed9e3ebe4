"""Fixtures for the AI tests: a fault-injecting server on loopback.

The real local model's fixtures (``local_llm_url``, ``local_model``) live in
``tests/local_llm.py`` and are shared by the whole suite through ``tests/conftest.py``.
"""

from __future__ import annotations

import pytest

from tests.ai.fault_server import FaultServer


@pytest.fixture
def fault_server():
    with FaultServer(retry_after="0.05", hang_seconds=30) as server:
        yield server
