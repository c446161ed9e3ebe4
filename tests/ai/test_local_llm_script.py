"""scripts/local-llm: finds or assembles the model, says what it does, never lingers."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time

import pytest

from tests.local_llm import LOCAL_LLM_SCRIPT, NEEDED_MODULES

INSTALLED = all(importlib.util.find_spec(name) for name in NEEDED_MODULES)
needs_extra = pytest.mark.skipif(
    not INSTALLED, reason="the local-llm extra is not installed (run `make llm`)"
)


def run(*args, timeout=120, **env):
    return subprocess.run(
        [sys.executable, str(LOCAL_LLM_SCRIPT), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_check_says_whether_the_extra_is_installed():
    result = run("--check")
    assert result.returncode == (0 if INSTALLED else 1)
    expected = "are installed" if INSTALLED else "run `make llm`"
    assert expected in result.stderr


@needs_extra
def test_model_is_assembled_once_into_the_cache(tmp_path):
    first = run("--model-path", TOOLKIT_LLM_CACHE=str(tmp_path))
    assert first.returncode == 0, first.stderr
    path = tmp_path / "gemma-3-270m-q4_k_m.gguf"
    assert first.stdout.strip() == str(path)
    assert "assembling" in first.stderr
    assert path.stat().st_size > 200_000_000
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind
    modified = path.stat().st_mtime_ns

    again = run("--model-path", TOOLKIT_LLM_CACHE=str(tmp_path))
    assert again.returncode == 0 and "assembling" not in again.stderr
    assert path.stat().st_mtime_ns == modified


@needs_extra
def test_a_busy_port_is_a_sentence_not_a_traceback():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = run(LLM_PORT=str(port))
    assert result.returncode != 0
    assert f"127.0.0.1:{port} is already in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_procfile_mode_idles_when_another_endpoint_is_configured():
    process = subprocess.Popen(
        [sys.executable, str(LOCAL_LLM_SCRIPT), "--idle-if-remote"],
        env={**os.environ, "TOOLKIT_AI_BASE_URL": "https://api.example.com/v1"},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.0)
        assert process.poll() is None  # honcho would stop the whole demo on an exit
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    assert "TOOLKIT_AI_BASE_URL is set" in stderr


def idles(*args, **env):
    """Start the script as the Procfile does; it must still run after a second (under
    honcho an exit would stop the whole demo). Returns what it said."""
    process = subprocess.Popen(
        [sys.executable, *args, str(LOCAL_LLM_SCRIPT), "--idle-if-remote"],
        env={**{k: v for k, v in os.environ.items() if k != "TOOLKIT_AI_BASE_URL"}, **env},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.0)
        assert process.poll() is None
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    return stderr


def test_procfile_mode_idles_with_a_sentence_when_the_extra_is_missing():
    # -S: no site-packages, so the extra is missing whatever is installed here.
    stderr = idles("-S")
    assert "not installed" in stderr and "make llm" in stderr
    assert "Traceback" not in stderr


@needs_extra
def test_procfile_mode_idles_when_the_port_is_taken():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        stderr = idles(LLM_PORT=str(port))
    assert f"127.0.0.1:{port} is already in use" in stderr


def test_the_demo_starts_the_model_beside_the_web_server_and_the_worker():
    procfile = (LOCAL_LLM_SCRIPT.parent.parent / "Procfile").read_text()
    processes = dict(line.split(":", 1) for line in procfile.splitlines() if line.strip())
    assert set(processes) == {"web", "worker", "resume", "llm"}
    assert "scripts/local-llm --idle-if-remote" in processes["llm"]


@needs_extra
def test_the_server_listens_on_llm_port_even_when_honcho_sets_port(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = (tmp_path / "server.log").open("w")
    env = {**os.environ, "LLM_PORT": str(port), "PORT": "5300", "HOST": "0.0.0.0", "LLM_CTX": "512"}
    process = subprocess.Popen(
        [sys.executable, str(LOCAL_LLM_SCRIPT)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.5)
        else:
            pytest.fail((tmp_path / "server.log").read_text()[-2000:])
        assert f"127.0.0.1:{port}" in (tmp_path / "server.log").read_text()
    finally:
        process.terminate()
        process.wait(30)
