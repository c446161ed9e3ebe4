"""Where the demo's local model stands, in a small JSON file that two sides share.

``scripts/local-llm`` writes it while it installs and serves the model (the Procfile's
``llm`` process, or ``make llm``); the demo reads it for the notice on every admin page
(:mod:`demo.context_processors`) and for the lines ``make demo`` prints
(``scripts/run-demo``). The stand-in server that answers on the model's port until the
model is up (``scripts/local_llm/placeholder.py``) words its error the same way, so
an AI action run too early says why instead of "cannot be reached".

The file (``var/local-llm.status``, or ``$LLM_STATUS_FILE``) holds::

    {"state": "installing", "pid": 4242, "started": 1767000000.0,
     "estimated_finish": 1767001020.0, "step": "compiling llama.cpp (40/193)",
     "log": "var/log/local-llm-install.log", "updated": 1767000300.0}

``state`` is one of :data:`STATES`. A state that needs a live process (installing,
starting, ready) whose ``pid`` is gone reads as what it became: an install killed
half-way is a failed install, a server that is gone is not running.

The AI actions ask :func:`unavailable_reason` before sending anything (the demo's
``TOOLKIT_AI`` names it as the endpoint's ``UNAVAILABLE_REASON``): while the model is
being installed, starting, failed or not running, an action says so and sends nothing.

Only the standard library is used at import: the script imports this module before
Django, or without it.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

__all__ = [
    "STATES",
    "ModelStatus",
    "display_path",
    "install_log",
    "log_dir",
    "read_status",
    "server_log",
    "status_file",
    "unavailable_reason",
    "write_status",
]

ROOT = Path(__file__).resolve().parent.parent

#: installing: pip runs; installed: ``--install`` (``make llm``) ended, nothing serves yet;
#: starting: the model loads; ready: it answers; failed: see ``reason`` and ``log``;
#: stopped: the process that served it ended (Ctrl-C).
STATES = ("installing", "installed", "starting", "ready", "failed", "stopped")
#: States that are true only while their process runs.
_LIVE_STATES = ("installing", "starting", "ready")


def status_file() -> Path:
    """The status file: ``$LLM_STATUS_FILE``, else ``var/local-llm.status``."""
    return Path(os.environ.get("LLM_STATUS_FILE") or ROOT / "var" / "local-llm.status")


def log_dir() -> Path:
    """Where the model's install and server logs go: ``$LLM_LOG_DIR``, else ``var/log``."""
    return Path(os.environ.get("LLM_LOG_DIR") or ROOT / "var" / "log")


def install_log() -> Path:
    return log_dir() / "local-llm-install.log"


def server_log() -> Path:
    return log_dir() / "local-llm.log"


def display_path(path: Path | str) -> str:
    """``path`` relative to the checkout when inside it (``var/log/...``), for messages."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


@dataclass(frozen=True)
class ModelStatus:
    """One reading of the status file."""

    state: str
    pid: int | None = None
    started: float | None = None
    estimated_finish: float | None = None
    step: str = ""
    reason: str = ""
    log: str = ""
    url: str = ""
    #: What failed: "install" (pip) or "server" (the model server, once installed).
    failed: str = ""
    #: What to do before trying again ("free some space"), when there is something.
    fix: str = ""
    updated: float | None = None

    @property
    def current_state(self) -> str:
        """``state``, corrected for a process that is gone: an install that stopped
        half-way is ``failed``, a model that no process serves is ``stopped``."""
        if self.state in _LIVE_STATES and not _alive(self.pid):
            return "failed" if self.state == "installing" else "stopped"
        return self.state

    def minutes_left(self, now: float | None = None) -> int | None:
        """Whole minutes until the estimated end of the install (at least 1)."""
        if self.estimated_finish is None:
            return None
        seconds = self.estimated_finish - (time.time() if now is None else now)
        return max(1, math.ceil(seconds / 60))

    def _left(self, now: float | None) -> str:
        minutes = self.minutes_left(now)
        if minutes is None:
            return ""
        return f" (about {minutes} minute{'s' if minutes != 1 else ''} left)"

    def failure(self) -> str:
        """The sentence for a failure: what failed, where to look, what to run."""
        reason = self.reason
        if self.state == "installing":  # its process died: killed, or the machine stopped
            reason = "it stopped before it finished"
        if self.failed == "server":
            what, log, hint = "The local model stopped", server_log(), "restart `make demo`"
        else:
            what, log, hint = "The model install failed", install_log(), "run `make llm`"
        what = f"{what} ({reason})" if reason else what
        fix = f"{self.fix}, then " if self.fix else ""
        return f"{what}: see {self.log or display_path(log)}; {fix}{hint} to try again."

    def notice(self, now: float | None = None) -> str | None:
        """What the admin says about the model, or ``None`` once it answers."""
        state = self.current_state
        if state == "installing":
            step = f" Now: {self.step}." if self.step else ""
            return (
                f"The local model is still being installed{self._left(now)}; the AI actions "
                f"answer once it is ready (it starts by itself).{step} The rest of the admin "
                "works meanwhile."
            )
        if state == "starting":
            return "The local model is installed and starting; the AI actions answer in a moment."
        if state == "failed":
            return self.failure() + " The rest of the admin works meanwhile."
        if state in ("installed", "stopped"):
            return (
                "The local model is not running, so the AI actions cannot answer: "
                "`make demo` starts it (or `make llm` in another terminal)."
            )
        return None

    def short(self, now: float | None = None) -> str:
        """The notice in one sentence, for an AI action run before the model is up."""
        state = self.current_state
        if state == "installing":
            return (
                f"The local model is still being installed{self._left(now)}; run this "
                "again once it is ready."
            )
        if state == "failed":
            return self.failure()
        return self.notice(now) or "The local model is ready."


def read_status(path: Path | None = None) -> ModelStatus | None:
    """The status in ``path`` (default :func:`status_file`), or ``None`` when there is no
    readable status (no file yet, or one cut short by a full disk)."""
    path = status_file() if path is None else path
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("state") not in STATES:
        return None
    known = {field.name for field in fields(ModelStatus)}
    try:
        return ModelStatus(**{key: value for key, value in data.items() if key in known})
    except TypeError:
        return None


def unavailable_reason(request: object = None) -> str | None:
    """Why the AI actions cannot use the local model now, in one sentence (it is being
    installed, starting, failed or not running), or ``None`` once it answers.

    The demo's ``TOOLKIT_AI["default"]["UNAVAILABLE_REASON"]``: an AI action run
    meanwhile shows the sentence and queues nothing, instead of a job that fails with
    "cannot be reached". ``None`` too outside ``make demo``
    (``DEMO_LOCAL_MODEL_STATUS_FILE`` unset) and while no status was written: the
    action then runs and its records say what the endpoint answered."""
    from django.conf import settings  # here: the module is imported without Django too

    path = getattr(settings, "DEMO_LOCAL_MODEL_STATUS_FILE", None)
    status = read_status(Path(path)) if path else None
    if status is None or status.current_state == "ready":
        return None
    return status.short()


def write_status(path: Path | None = None, **values: object) -> ModelStatus:
    """Replace the status with ``values`` (``state`` required), stamped with this
    process's id and the time. Written whole or not at all (a temporary file renamed),
    so a reader never sees half a file; a disk too full to write it is not an error:
    the status is returned all the same."""
    path = status_file() if path is None else path
    values.setdefault("pid", os.getpid())
    values["updated"] = time.time()
    status = ModelStatus(**values)  # type: ignore[arg-type]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps(asdict(status), indent=1) + "\n")
        os.replace(temporary, path)
    except OSError:
        pass
    return status
