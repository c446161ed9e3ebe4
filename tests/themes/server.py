"""A demo admin server in a process of its own, under one theme's settings.

A theme replaces the admin's templates and static files for the whole project, so each
runs in its own ``manage.py runserver`` with its own ``DJANGO_SETTINGS_MODULE``, on its
own SQLite file: migrated, seeded with the demo catalog (60 products, seed 7) and a
superuser, before the server starts. The test reads the same file (``rows``) to know
what the pages should show.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Generous: two cores shared with other test runs.
START_TIMEOUT = 120
USERNAME, PASSWORD = "root", "pw-root-123"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ThemeServer:
    """``manage.py runserver`` of the demo under ``settings``, in ``folder``."""

    def __init__(self, settings: str, folder: Path):
        self.folder = folder
        self.database = folder / "db.sqlite3"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / "server.log"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        self.env.update(
            DJANGO_SETTINGS_MODULE=settings,
            DATABASE_URL=f"sqlite:///{self.database}",
            MEDIA_ROOT=str(folder / "media"),
            DEBUG="true",
            DJANGO_SUPERUSER_PASSWORD=PASSWORD,
            PYTHONPATH=str(ROOT),
            PYTHONUNBUFFERED="1",
        )
        self.env.pop("TOOLKIT_AI_BASE_URL", None)
        self.process: subprocess.Popen[bytes] | None = None

    def manage(self, *args: str) -> None:
        """Run one management command to its end; its output goes to the log."""
        with self.log_path.open("a") as log:
            log.write(f"$ manage.py {' '.join(args)}\n")
            log.flush()
            done = subprocess.run(
                [sys.executable, "manage.py", *args],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                timeout=START_TIMEOUT,
            )  # fmt: skip
        if done.returncode:
            raise RuntimeError(f"manage.py {args[0]} failed:\n{self.output()}")

    def start(self) -> ThemeServer:
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("seed_catalog", "--products", "60", "--seed", "7")
        self.manage("createsuperuser", "--noinput", "--username", USERNAME,
                    "--email", "root@example.com")  # fmt: skip
        log = self.log_path.open("a")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{self.port}"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        self.wait_ready()
        return self

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited:\n{self.output()}")
            try:
                with urllib.request.urlopen(f"{self.url}/admin/login/", timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the server did not answer:\n{self.output()}")

    def output(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def rows(self, sql: str, *params: object) -> list[tuple]:
        """Rows of the server's database, read directly."""
        with sqlite3.connect(self.database) as db:
            return db.execute(sql, params).fetchall()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
