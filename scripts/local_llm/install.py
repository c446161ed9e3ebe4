"""Installing the ``local-llm`` extra: pip's output to a log, one progress line at a time.

The first install compiles llama-cpp-python (llama.cpp is C++): 12 to 17 minutes on a
2-core machine, longer than anyone waits on a silent console. So pip runs verbose into
``var/log/local-llm-install.log`` (niced, so the demo's admin stays quick), and every
``LLM_PROGRESS_EVERY`` seconds (30) a line says how long it has run, what it is doing
(read from that log: downloading, configuring, "compiling llama.cpp (40/131)",
installing) and about how long is left. The estimate starts from the measured build
time and, once the compiler runs, follows the build's own counter.

Only the extra's requirements are installed (read from ``pyproject.toml``), not the
project again: it is installed already, and reinstalling it rebuilt its editable wheel
for nothing.

``TOOLKIT_LLM_FAKE_INSTALL`` (tests only) is a shell command run instead of pip, its
output logged and read the same way: ``sleep 30`` is a slow install, ``exit 1`` a
failed one.
"""

from __future__ import annotations

import fcntl
import math
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

#: The first build of llama-cpp-python 0.3.36 with portable flags on 2 cores: 12 minutes
#: measured on an idle machine, 17 on a busy one.
BUILD_SECONDS_ON_2_CORES = 13 * 60
#: With a wheel pip built before (in its cache): the rest downloaded and installed in
#: 11 s, measured; more on a slow network.
CACHED_WHEEL_SECONDS = 60
#: After the compiler's last step: link, make the wheel, install it and the server's deps.
AFTER_COMPILE_SECONDS = 60
FAKE_INSTALL_ENV = "TOOLKIT_LLM_FAKE_INSTALL"

#: (pattern of a log line, the step it starts); the last match wins, so later steps win.
_STEPS = (
    (re.compile(r"^\s*(Collecting|Downloading|Obtaining)\b"), "downloading packages"),
    (re.compile(r"Building wheel for llama|scikit-build-core|Configuring CMake"),
     "configuring the llama.cpp build"),
    (re.compile(r"\*\*\* (Installing project into wheel|Making wheel)|Created wheel for llama"),
     "packaging the compiled llama.cpp"),
    (re.compile(r"^\s*Installing collected packages"), "installing the packages"),
    (re.compile(r"^\s*Successfully installed"), "installed"),
)  # fmt: skip
_COMPILE_STEP = re.compile(r"^\s*\[(\d+)/(\d+)\]")
_CACHED_WHEEL = re.compile(r"llama_cpp_python-\S+\.whl", re.IGNORECASE)

#: (pattern found in the log, what went wrong, what to do before trying again); in order.
_DIAGNOSES = (
    (re.compile(r"No space left on device|Disk quota exceeded"),
     "the disk is full", "free some space"),
    (re.compile(r"No CMAKE_CX*_COMPILER could be found|CMAKE_CX*_COMPILER not set|"
                r"\b(cc|c\+\+|gcc|g\+\+): (command )?not found|is not able to compile"),
     "no working C/C++ compiler", "install one (Debian: apt-get install build-essential)"),
    (re.compile(r"Killed signal terminated program|Cannot allocate memory|MemoryError"),
     "the build ran out of memory", "stop what else uses it"),
    (re.compile(r"Could not find a version that satisfies|Max retries exceeded|"
                r"Temporary failure in name resolution|Network is unreachable"),
     "the package index could not be reached", "check the network"),
)  # fmt: skip
#: What to do when no C/C++ compiler is found before pip runs.
COMPILER_FIX = _DIAGNOSES[1][2]


def requirements(root: Path) -> list[str]:
    """The ``local-llm`` extra's requirements, as ``pyproject.toml`` lists them."""
    with (root / "pyproject.toml").open("rb") as file:
        return list(tomllib.load(file)["project"]["optional-dependencies"]["local-llm"])


def _pip_cache() -> Path | None:
    if os.environ.get("PIP_NO_CACHE_DIR", "").lower() in ("1", "true", "yes", "on"):
        return None
    if os.environ.get("PIP_CACHE_DIR"):
        return Path(os.environ["PIP_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pip"


def cached_wheel(requirements: list[str]) -> bool:
    """Whether pip built this llama-cpp-python before (its wheel is in pip's cache)."""
    cache = _pip_cache()
    pinned = next((r for r in requirements if r.startswith("llama-cpp-python")), "")
    version = pinned.partition("==")[2]
    if cache is None or not version or not (cache / "wheels").is_dir():
        return False
    return any((cache / "wheels").rglob(f"llama_cpp_python-{version}-*.whl"))


def compiler_missing() -> bool:
    """True when no C and C++ compiler is on PATH (or named by CC/CXX)."""
    c = os.environ.get("CC") or next(filter(shutil.which, ("cc", "gcc", "clang")), None)
    cxx = os.environ.get("CXX") or next(filter(shutil.which, ("c++", "g++", "clang++")), None)
    return not (c and cxx)


def first_estimate(requirements: list[str]) -> float:
    """Seconds the install should take, before it has said anything."""
    if os.environ.get(FAKE_INSTALL_ENV):
        return float(os.environ.get("TOOLKIT_LLM_FAKE_ESTIMATE", 60))
    if cached_wheel(requirements):
        return CACHED_WHEEL_SECONDS
    return BUILD_SECONDS_ON_2_CORES * 2 / max(2, os.cpu_count() or 2)


def diagnose(log_text: str, returncode: int) -> tuple[str, str]:
    """Why an install failed and what to do first (``""`` when nothing but trying
    again), read from the end of its log."""
    for pattern, reason, fix in _DIAGNOSES:
        if pattern.search(log_text):
            return reason, fix
    if returncode < 0:
        return f"stopped by signal {-returncode}", ""
    return f"pip exited with status {returncode}", ""


def elapsed(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


class Progress:
    """What the install is doing, read from its log line by line."""

    def __init__(self, started: float, estimate: float) -> None:
        self.started = started
        self.estimate = estimate
        self.estimated_finish = started + estimate
        self.step = "starting pip"
        self._compile_started: float | None = None

    def feed(self, line: str, now: float) -> bool:
        """Read one log line; returns whether the step changed."""
        before = self.step
        compiled = _COMPILE_STEP.match(line)
        if compiled:
            done, total = int(compiled.group(1)), int(compiled.group(2))
            self.step = f"compiling llama.cpp ({done}/{total})"
            if self._compile_started is None:
                self._compile_started = now
            elif done >= 3 and now - self._compile_started >= 20:
                self.estimated_finish = now + self._left(done, total, now)
            return self.step != before
        if _CACHED_WHEEL.search(line) and "cache" in line.lower():
            self.step = "installing the llama-cpp-python built before (pip's cache)"
            self.estimated_finish = min(self.estimated_finish, now + CACHED_WHEEL_SECONDS)
        for pattern, step in _STEPS:
            if pattern.search(line):
                self.step = step
        return self.step != before

    def _left(self, done: int, total: int, now: float) -> float:
        """Seconds left while compiling: the build's own pace, trusted as far as it has
        got (its first steps are small C files, its last the big C++ ones), the rest
        from the first estimate."""
        assert self._compile_started is not None
        pace = (now - self._compile_started) / done * (total - done) + AFTER_COMPILE_SECONDS
        planned = max(AFTER_COMPILE_SECONDS, self.started + self.estimate - now)
        weight = done / total
        return weight * pace + (1 - weight) * planned

    def line(self, now: float) -> str:
        left = max(0, self.estimated_finish - now)
        ahead = f"about {max(1, math.ceil(left / 60))} min left" if left else "should end soon"
        return f"{elapsed(now - self.started)} so far, {self.step}; {ahead}"


def _lowered_priority() -> None:
    os.nice(10)


def run(
    command: list[str] | str,
    *,
    log_path: Path,
    progress: Progress,
    every: float,
    say: Callable[[str], None],
    on_step: Callable[[Progress], None],
    env: dict[str, str] | None = None,
) -> int:
    """Run ``command`` (a list, or a shell string) with its output appended to
    ``log_path``; say ``progress.line()`` every ``every`` seconds and call ``on_step``
    when the step changes (at most every 2 s) and with each progress line. Returns its
    exit status."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    shown = command if isinstance(command, str) else " ".join(command)
    with log_path.open("ab") as log, log_path.open("rb") as reader:
        log.write(f"\n===== {time.strftime('%Y-%m-%d %H:%M:%S')} {shown}\n".encode())
        log.flush()
        reader.seek(0, os.SEEK_END)
        process = subprocess.Popen(
            command,
            shell=isinstance(command, str),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            preexec_fn=_lowered_priority,
        )
        pending = b""
        next_line = time.monotonic() + every
        last_step_report = 0.0
        try:
            while True:
                returncode = process.poll()
                chunk = reader.read()
                pending += chunk
                *lines, pending = pending.split(b"\n")
                now = time.time()
                changed = False
                for raw in lines:
                    changed |= progress.feed(raw.decode(errors="replace"), now)
                if changed and time.monotonic() - last_step_report >= 2:
                    on_step(progress)
                    last_step_report = time.monotonic()
                if returncode is not None:
                    return returncode
                if time.monotonic() >= next_line:
                    say(progress.line(now))
                    on_step(progress)
                    next_line += every
                time.sleep(0.5)
        finally:
            if process.poll() is None:  # interrupted: do not leave pip building alone
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()


def tail(path: Path, size: int = 20_000) -> str:
    """The end of ``path`` (where pip says why it failed)."""
    try:
        with path.open("rb") as file:
            file.seek(max(0, path.stat().st_size - size))
            return file.read().decode(errors="replace")
    except OSError:
        return ""


@contextmanager
def exclusive(lock_path: Path, waiting: Callable[[], None]) -> Iterator[None]:
    """Hold ``lock_path`` while installing: two pips in one venv at once break it. Calls
    ``waiting`` first when another install holds it, then waits for it."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            waiting()
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def pip_command(root: Path) -> list[str]:
    """pip, verbose (the log shows the compiler's steps), for the extra's requirements."""
    return [sys.executable, "-m", "pip", "install", "-v", *requirements(root)]
