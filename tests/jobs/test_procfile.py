"""How the demo runs its workers (the Procfile, started by ``make demo``)."""

from __future__ import annotations

import shlex
from pathlib import Path

PROCFILE = Path(__file__).resolve().parents[2] / "Procfile"


def processes():
    entries = (line.split(":", 1) for line in PROCFILE.read_text().splitlines() if line)
    return {name: shlex.split(command) for name, command in entries}


def test_the_worker_is_db_worker_without_the_autoreloader():
    """Under DEBUG, db_worker reloads through a child process; killing the parent left
    that child running jobs as an orphan."""
    worker = processes()["worker"]
    assert worker[worker.index("manage.py") + 1 :] == ["db_worker", "--no-reload"]


def test_abandoned_jobs_are_resumed_in_a_loop_and_never_with_stale_after_zero():
    """Resuming with ``--stale-after 0`` at each worker's start took the jobs of workers
    still alive; a resume loop takes only jobs whose lease expired."""
    commands = processes()
    assert not any("--stale-after" in command for command in commands.values())
    resume = commands["resume"]
    assert resume[resume.index("manage.py") + 1 : -1] == ["resume_jobs", "--every"]
    assert float(resume[-1]) > 0
