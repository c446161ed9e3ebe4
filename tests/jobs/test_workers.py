"""Real worker processes on a real PostgreSQL database: killed mid-job, a job resumes once
its lease expired and every row is processed exactly once; two workers drain a queue
without running a job twice. The same tests run with django-tasks-db's ``db_worker`` and
with django-tasks-rq's ``rqworker`` against the Redis on 127.0.0.1:6379. Three
``db_worker`` processes and ``resume_jobs`` in a loop run an AI job whose records each
reach the model once.

PostgreSQL only: the workers need a database file or server they all see, with the
pytest database left alone; SQLite's test database lives in the test process's memory.

pytest-django's test database lives inside a transaction the workers cannot see, so
these tests create a database of their own (``toolkit_jobs_it_<pid>``), migrate it with
``tests/jobs/settings_worker.py`` and drive everything through child processes; they
read the results with plain SQL.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TOOLKIT_JOBS_REDIS_URL", "redis://127.0.0.1:6379/0")
FINISHED = ("done", "failed", "cancelled")
# Generous: two cores shared with other test runs; a worker starts in seconds there.
TIMEOUT = 180

pytestmark = pytest.mark.postgres


# -- the database ---------------------------------------------------------------------


def server_params():
    db = settings.DATABASES["default"]
    return {
        "host": db.get("HOST") or "127.0.0.1",
        "port": int(db.get("PORT") or 5432),
        "user": db.get("USER") or "postgres",
        "password": db.get("PASSWORD") or None,
    }


def database_url(name):
    p = server_params()
    auth = p["user"] + (f":{p['password']}" if p["password"] else "")
    return f"postgres://{auth}@{p['host']}:{p['port']}/{name}"


@pytest.fixture(scope="module")
def worker_db(tmp_path_factory):
    """A migrated, real (non-test) PostgreSQL database the worker processes share."""
    name = f"toolkit_jobs_it_{os.getpid()}"
    with psycopg.connect(dbname="postgres", autocommit=True, **server_params()) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = database_url(name)
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=child_env(url, "tests.jobs.settings_worker"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    yield Database(name=name, url=url, logs=tmp_path_factory.mktemp("worker-logs"))
    with psycopg.connect(dbname="postgres", autocommit=True, **server_params()) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Database:
    name: str
    url: str
    logs: Path

    def rows(self, sql, *args):
        with psycopg.connect(dbname=self.name, **server_params()) as conn:
            cursor = conn.execute(sql, args)
            columns = [c.name for c in cursor.description]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    def job(self, pk):
        (row,) = self.rows("SELECT * FROM toolkit_jobs_job WHERE id = %s", pk)
        return row

    def visits(self, job_pk):
        return self.rows(
            "SELECT item_id, worker FROM workerapp_visit WHERE job_pk = %s ORDER BY id", job_pk
        )

    def truncate(self):
        with psycopg.connect(dbname=self.name, autocommit=True, **server_params()) as conn:
            conn.execute(
                "TRUNCATE workerapp_visit, workerapp_item, toolkit_jobs_job, "
                "django_tasks_database_dbtaskresult RESTART IDENTITY CASCADE"
            )


def child_env(url, settings_module, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE=settings_module,
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="INFO",
        **extra,
    )
    return env


# -- the tasks backends ---------------------------------------------------------------


@dataclass
class Backend:
    name: str
    settings_module: str
    queue: str | None = None

    def env(self, db, **extra):
        if self.queue:
            extra.update(TOOLKIT_JOBS_TEST_QUEUE=self.queue, TOOLKIT_JOBS_REDIS_URL=REDIS_URL)
        return child_env(db.url, self.settings_module, **extra)

    def worker_command(self, worker_name):
        if self.name == "db":
            return [
                "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1",
                "--worker-id", worker_name,
            ]  # fmt: skip
        return [
            "rqworker", self.queue, "--job-class", "django_tasks_rq.backend.Job",
            "--name", f"{self.queue}-{worker_name}",
        ]  # fmt: skip

    #: What a worker prints once it waits for tasks.
    @property
    def ready_line(self):
        return "Starting worker" if self.name == "db" else "Listening on"


def redis_or_skip():
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        message = f"Redis unreachable at {REDIS_URL} ({exc}): the rq leg needs it"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; CI requires it")
        pytest.skip(message)


def forget_queue(queue, task_ids):
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"*{queue}*"))
    for task_id in task_ids:
        keys += [f"rq:job:{task_id}", f"rq:results:{task_id}"]
    if keys:
        client.delete(*keys)
    for key in ("rq:workers", f"rq:workers:{queue}"):
        for member in client.smembers(key):
            if queue in member.decode():
                client.srem(key, member)


@pytest.fixture(params=["db", "rq"])
def backend(request, worker_db):
    worker_db.truncate()
    if request.param == "db":
        yield Backend("db", "tests.jobs.settings_worker")
        return
    redis_or_skip()
    queue = f"toolkit_jobs_{uuid.uuid4().hex[:12]}"
    yield Backend("rq", "tests.jobs.settings_rq", queue=queue)
    task_ids = [row["task_id"] for row in worker_db.rows("SELECT task_id FROM toolkit_jobs_job")]
    forget_queue(queue, task_ids)


# -- processes ------------------------------------------------------------------------


class Worker:
    def __init__(self, name, backend, db, **env):
        self.name = name
        self.killed = False
        self.backend = backend
        self.log_path = db.logs / f"{backend.name}-{name}-{uuid.uuid4().hex[:6]}.log"
        self.trace_path = db.logs / f"{name}.trace"
        self.trace_path.unlink(missing_ok=True)
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", *backend.worker_command(name)],
            cwd=ROOT,
            env=backend.env(
                db, TOOLKIT_JOBS_WORKER=name, TOOLKIT_JOBS_TEST_TRACE=str(db.logs), **env
            ),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def output(self):
        return self.log_path.read_text()

    def traced(self):
        """Rows this worker had written, committed or not (its handler's trace file)."""
        path = self.trace_path
        return len(path.read_text().splitlines()) if path.exists() else 0

    def wait_ready(self):
        wait_until(
            lambda: self.backend.ready_line in self.output(),
            f"worker {self.name} to start",
            check=self.check_alive,
        )

    def check_alive(self):
        if not self.killed and self.process.poll() is not None:
            pytest.fail(
                f"worker {self.name} exited with {self.process.returncode}:\n{self.output()}"
            )

    def kill(self):
        """SIGKILL, as the OOM killer or a lost machine would: no clean-up runs."""
        self.killed = True
        self.kill_all()

    def stop(self):
        self.kill_all()
        self.log.close()

    def kill_all(self):
        # rq's work horse puts itself in a process group of its own (os.setpgrp), so
        # it is found as a child of the worker; everything here was started by us.
        for pid in [*descendants(self.process.pid), self.process.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=30)


def descendants(pid):
    """Pids of every process below ``pid`` (Linux /proc)."""
    children = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


@dataclass
class Workers:
    backend: Backend
    db: Database
    started: list[Worker] = field(default_factory=list)

    def start(self, name, **env):
        worker = Worker(name, self.backend, self.db, **env)
        self.started.append(worker)
        return worker

    def check_alive(self):
        for worker in self.started:
            worker.check_alive()

    def logs(self):
        return "\n".join(f"--- {w.name}:\n{w.output()[-4000:]}" for w in self.started)


@pytest.fixture
def workers(backend, worker_db):
    pool = Workers(backend, worker_db)
    yield pool
    for worker in pool.started:
        worker.stop()


def wait_until(predicate, what, timeout=TIMEOUT, check=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if check is not None:
            check()
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


def ctl(backend, db, *args, env=None):
    result = subprocess.run(
        [sys.executable, "-m", "tests.jobs.worker_ctl", *args],
        cwd=ROOT,
        env=backend.env(db, **(env or {})),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def manage(backend, db, *args):
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=backend.env(db),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


# -- the tests ------------------------------------------------------------------------


def test_killed_worker_leaves_a_resumable_job_that_a_new_worker_finishes_exactly_once(
    backend, worker_db, workers
):
    db = worker_db
    ctl(backend, db, "seed", "--batches", "1", "--items", "40")
    [job] = ctl(
        backend, db, "start", "--batches", "0", "--chunk-size", "5", "--delay", "0.08",
        "--lease", "3",
    )  # fmt: skip

    first = workers.start("first")

    def mid_chunk_after_two():
        # 1 to 3 rows into a chunk (of 5, 0.08 s each): well before that chunk commits.
        done = db.job(job)["done"]
        return done >= 10 and 1 <= first.traced() - done <= 3

    wait_until(mid_chunk_after_two, "the middle of a chunk", check=workers.check_alive)
    first.kill()

    killed = db.job(job)
    assert killed["status"] == "running", workers.logs()
    assert 10 <= killed["done"] < 40
    assert killed["done"] % 5 == 0  # whole chunks only
    assert first.traced() > killed["done"]  # it died with rows written but not committed
    visits = db.visits(job)
    assert len(visits) == killed["done"]  # the interrupted chunk left nothing behind
    item_pks = [v["item_id"] for v in visits]
    assert item_pks == sorted(item_pks) and max(item_pks) == killed["cursor"]

    # Its lease outlives the worker by up to 3 s: until then nobody may take the job. (A
    # loaded machine may take longer than that to start the command: then taking it is
    # right, and the test checks the lease had expired by then.)
    out = manage(backend, db, "resume_jobs", "--stale-after", "0")
    if "Resumed 1 job(s)." in out:
        assert db.rows("SELECT now() AS now")[0]["now"] >= killed["lease_expires_at"]
    else:
        assert "No job to resume." in out
        wait_until(
            lambda: "Resumed 1 job(s)." in manage(backend, db, "resume_jobs"),
            "the dead worker's lease to expire",
        )

    workers.start("second")
    wait_until(
        lambda: db.job(job)["status"] in FINISHED, "the job to finish", check=workers.check_alive
    )

    row = db.job(job)
    assert row["status"] == "done", (row, workers.logs())
    assert (row["total"], row["done"], row["failed"], row["attempts"]) == (40, 40, 0, 2)
    visits = db.visits(job)
    item_pks = [v["item_id"] for v in visits]
    assert len(item_pks) == len(set(item_pks)) == 40  # every row once, none twice
    assert {v["worker"] for v in visits[: killed["done"]]} == {"first"}
    assert {v["worker"] for v in visits[killed["done"] :]} == {"second"}


def test_two_workers_drain_a_queue_together_without_running_a_job_twice(
    backend, worker_db, workers
):
    db = worker_db
    ctl(backend, db, "seed", "--batches", "6", "--items", "12")
    pool = [workers.start("a"), workers.start("b")]
    for worker in pool:
        worker.wait_ready()

    jobs = ctl(
        backend, db, "start", "--batches", *map(str, range(6)), "--chunk-size", "4",
        "--delay", "0.05",
    )  # fmt: skip
    wait_until(
        lambda: all(db.job(pk)["status"] in FINISHED for pk in jobs),
        "every job to finish",
        check=workers.check_alive,
    )

    used = set()
    for pk in jobs:
        row = db.job(pk)
        assert (row["status"], row["done"], row["attempts"]) == ("done", 12, 1), workers.logs()
        visits = db.visits(pk)
        item_pks = [v["item_id"] for v in visits]
        assert len(item_pks) == len(set(item_pks)) == 12
        runners = {v["worker"] for v in visits}
        assert len(runners) == 1  # one job, one worker
        used |= runners
    assert used == {"a", "b"}  # and both workers took a share


# -- an AI job -------------------------------------------------------------------------


@pytest.fixture
def fault_llm():
    from tests.ai.fault_server import FaultServer

    with FaultServer(answer={"summary": "Fine."}, latency=0.4) as server:
        yield server


@pytest.fixture
def ai_catalog(worker_db):
    """60 products and the person who runs the job, removed afterwards."""
    from django.apps import apps

    yield
    tables = [m._meta.db_table for m in apps.get_app_config("catalog").get_models()]
    tables += ["auth_user", "toolkit_insight", "toolkit_aiusage", "toolkit_aireservation"]
    with psycopg.connect(dbname=worker_db.name, autocommit=True, **server_params()) as conn:
        conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


@pytest.mark.parametrize("backend", ["db"], indirect=True)
def test_three_workers_and_resume_in_a_loop_send_each_record_of_an_ai_job_once(
    backend, worker_db, workers, fault_llm, ai_catalog
):
    """The demo's old start-up, ``resume_jobs --stale-after 0``, runs over and over while
    three workers share the queue. The AI job's chunks (5 records, 0.4 s each) outlast
    its lease (1.5 s), and its records are sent before each chunk's transaction opens;
    yet no resume takes the job from its live run, and the model gets each record once."""
    from collections import Counter

    from tests.ai.fault_server import RECORD_ID

    db = worker_db
    ai = {"TOOLKIT_TEST_AI_URL": fault_llm.url, "TOOLKIT_TEST_AI_LEASE": "1.5"}
    ctl(backend, db, "seed-ai", "--products", "60")
    pool = [workers.start(name, **ai) for name in ("a", "b", "c")]
    for worker in pool:
        worker.wait_ready()
    resume_log = db.logs / "resume.log"
    with resume_log.open("w") as log:
        resumer = subprocess.Popen(
            [sys.executable, "manage.py", "resume_jobs", "--every", "0.2", "--stale-after", "0"],
            cwd=ROOT,
            env=backend.env(db, **ai),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            [job] = ctl(backend, db, "start-ai", "--products", "60", env=ai)
            wait_until(
                lambda: db.job(job)["status"] in FINISHED,
                "the AI job to finish",
                check=workers.check_alive,
            )
            assert resumer.poll() is None, resume_log.read_text()
        finally:
            resumer.kill()
            resumer.wait(30)

    row = db.job(job)
    assert row["status"] == "done", (row, workers.logs())
    assert (row["total"], row["done"], row["failed"], row["attempts"]) == (60, 60, 0, 1)
    assert "Queued job" not in resume_log.read_text()
    sent = Counter()
    for body in fault_llm.bodies:
        text = "\n".join(str(message.get("content", "")) for message in body["messages"])
        sent.update(RECORD_ID.findall(text))
    assert len(sent) == 60 and set(sent.values()) == {1}, sent.most_common(3)
    assert fault_llm.requests == 60
