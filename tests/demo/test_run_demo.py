"""`make demo` (scripts/run-demo) serves the admin while the local model still installs,
prints the banner once the admin answers, and one line when the model is ready.

The model's install and server are faked (TOOLKIT_LLM_FAKE_INSTALL waits for a file the
test creates; TOOLKIT_LLM_FAKE_SERVER answers /v1/models), everything else is real:
demo_setup on a fresh SQLite database, honcho, runserver, the worker.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
#: The admin must answer well within the three minutes a first `make demo` is allowed.
ADMIN_DEADLINE = 60


def get(url):
    """GET ``url``, waiting out a restart of runserver (its autoreloader restarts it when
    a source file changes)."""
    deadline = time.monotonic() + 15
    while True:
        try:
            return httpx.get(url, timeout=10)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening(port):
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Launcher:
    def __init__(self, tmp_path, **env):
        self.web_port, self.llm_port = free_port(), free_port()
        self.gate = tmp_path / "build-done"
        (tmp_path / "www" / "v1").mkdir(parents=True)
        (tmp_path / "www" / "v1" / "models").write_text('{"data": []}')
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in ("TOOLKIT_AI_BASE_URL", "PORT")},
            "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
            "DEMO_PORT": str(self.web_port),
            "LLM_PORT": str(self.llm_port),
            "DEMO_PRODUCTS": "30",
            "DEMO_PASSWORD": "launcher-test-pass-1",
            "LLM_STATUS_FILE": str(tmp_path / "local-llm.status"),
            "LLM_LOG_DIR": str(tmp_path / "log"),
            "LLM_PROGRESS_EVERY": "2",
            "TOOLKIT_LLM_FAKE_ESTIMATE": "1020",
            # The install ends when the test says so; the "server" answers /v1/models.
            "TOOLKIT_LLM_FAKE_INSTALL": f"while [ ! -e {self.gate} ]; do sleep 0.2; done",
            "TOOLKIT_LLM_FAKE_SERVER": (
                f"exec {sys.executable} -m http.server --bind 127.0.0.1 {self.llm_port} "
                f"--directory {tmp_path / 'www'}"
            ),
            **env,
        }
        self.console = tmp_path / "console.txt"
        self.started = time.monotonic()
        with self.console.open("wb") as console:
            # A process group of its own, like `make demo` in a terminal: Ctrl-C is a
            # SIGINT to the whole group.
            self.process = subprocess.Popen(
                [sys.executable, "scripts/run-demo"],
                cwd=ROOT,
                env=self.env,
                stdout=console,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.admin = f"http://127.0.0.1:{self.web_port}/admin/"

    def output(self):
        return self.console.read_text(errors="replace")

    def wait_for_output(self, text, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return time.monotonic() - self.started
            assert self.process.poll() is None, self.output()
            time.sleep(0.2)
        pytest.fail(f"no {text!r} within {timeout} s:\n{self.output()}")

    def ctrl_c(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            raise


@pytest.fixture
def launcher(tmp_path):
    started = []

    def start(**env):
        started.append(Launcher(tmp_path, **env))
        return started[-1]

    yield start
    for each in started:
        if each.process.poll() is None:
            each.ctrl_c()


def test_the_admin_answers_while_the_model_installs_and_the_model_follows(launcher):
    demo = launcher()
    seconds = demo.wait_for_output(" The demo admin: ", ADMIN_DEADLINE)
    assert seconds < ADMIN_DEADLINE

    login = get(demo.admin + "login/")
    assert login.status_code == 200
    assert "The local model is still being installed (about 17 minutes left)" in login.text
    # An AI request meanwhile is told the same, not "connection refused".
    answer = httpx.post(f"http://127.0.0.1:{demo.llm_port}/v1/chat/completions", json={})
    assert answer.status_code == 503
    assert "still being installed" in answer.json()["error"]["message"]

    output = demo.output()
    banner = output[output.index(" The demo admin: ") :]
    assert f"The demo admin: {demo.admin}" in banner
    assert "password: launcher-test-pass-1   (from DEMO_PASSWORD)" in banner
    assert "Local model: being installed in the background (about 17 min left)" in banner
    assert "local-llm-install.log (model install)" in banner
    assert "local-llm.log (model server)" in banner
    assert output.count("password: launcher-test-pass-1") == 1  # demo_setup's own is held back
    demo.wait_for_output("installing: ", 10)  # the progress line (every 2 s here)

    demo.gate.touch()
    demo.wait_for_output("== The local model is ready", 30)
    assert "still being installed" not in get(demo.admin + "login/").text
    assert httpx.get(f"http://127.0.0.1:{demo.llm_port}/v1/models").status_code == 200

    demo.ctrl_c()
    assert not listening(demo.web_port) and not listening(demo.llm_port)


def test_a_failed_model_install_leaves_the_admin_running_and_says_what_to_run(launcher, tmp_path):
    gate = tmp_path / "build-done"
    demo = launcher(
        TOOLKIT_LLM_FAKE_INSTALL=(
            f"while [ ! -e {gate} ]; do sleep 0.2; done; echo 'No space left on device'; exit 1"
        )
    )
    demo.wait_for_output(" The demo admin: ", ADMIN_DEADLINE)
    gate.touch()
    demo.wait_for_output("== The model install failed (the disk is full)", 30)
    assert "free some space, then run `make llm` to try again." in demo.output()
    login = get(demo.admin + "login/")
    assert login.status_code == 200
    assert "The model install failed (the disk is full)" in login.text
    demo.ctrl_c()
