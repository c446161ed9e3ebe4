"""The demo under load: gunicorn, PostgreSQL, a million products, 50 staff sessions.

    .venv/bin/python bench/bench_load.py [--users 50] [--seconds 60] [--products 1000000]
                                         [--workers 2] [--threads 1] [--max-requests 200000]
                                         [--think 2-8] [--seed 1]

Starts ``gunicorn -c demo/gunicorn.conf.py demo.wsgi -w 2`` (the demo's production
settings: sync workers, the ``prod`` extra; ``--threads`` above 1 makes them gthread
workers) on a free port of 127.0.0.1 with production settings (``DEBUG=false``, a random
``SECRET_KEY`` for the run, ``ALLOWED_HOSTS=127.0.0.1``; no TLS on loopback, so
``SECURE_SSL_REDIRECT=false``), then lets ``--users`` virtual staff users hit it for
``--seconds`` seconds. Each user is a thread with its own HTTP client and session cookie
that, between one answer and its next request, thinks for a random time drawn uniformly
from ``--think MIN-MAX`` seconds (default 2-8 s: reading a list, typing a search, as
staff do between clicks; each user starts at a random point of its first think so they
do not arrive together). ``--think 0`` is the stress figure: a closed loop without think
time, which shows what the server sustains with that many requests always in flight (on
a 2-core machine that also runs PostgreSQL and the load generator, p99 is then bound by
Little's law: users / throughput, whatever a page costs). Pages, in turn:

    plain     the product changelist
    searched  a free term and a qualified one (``steel price<50``)
    filtered  ``status__in=active&price__gte=10`` and similar
    change    the change form of a random existing product (two paginated inlines)

It prints the think time, requests/s, p50, p95, p99 and max latency and the errors
(any status other than 200, or no response) per page kind and overall, when the slowest
1 % were sent (spread over the run, or bunched in a pause), then PASS or FAIL against
the target of issue 4: no error and p99 under 1 s.

The database is ``<name>_<size>`` on the PostgreSQL server of ``BENCH_DATABASE_URL``
(default ``toolkit_bench_1m``: the one ``bench_changelist.py`` seeds and reuses; seeded
here the same way when missing). Its migrations are applied first: on a million
products and four million stock movements the indexes of ``demo.catalog`` 0002/0003
take minutes the first time, with progress printed every 15 s. The staff users
(``load-01``...) get view permissions on the catalog and change permission on products,
no password, and a session each, written straight to the session store rather than
logged in through 50 password hashes; the sessions are deleted at the end.

Loopback only, bounded in time (``--seconds``, plus at most the 30 s client timeout
for the requests in flight) and in requests (``--max-requests``). gunicorn runs in its
own process group and is stopped on every exit, Ctrl-C included; its log goes to
``var/bench_load_gunicorn.log``.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from bench_changelist import SEED, database_url, size_label

ROOT = Path(__file__).resolve().parents[1]
LOG_PATH = ROOT / "var" / "bench_load_gunicorn.log"
GUNICORN_CONFIG = ROOT / "demo" / "gunicorn.conf.py"
CHANGELIST = "/admin/catalog/product/"
KINDS = ("plain", "searched", "filtered", "change")
#: The target of issue 4.
TARGET_P99_MS = 1000.0
#: Per request; gunicorn's own worker timeout is 30 s too.
CLIENT_TIMEOUT = 30.0
USERNAME_PREFIX = "load-"

#: Free terms of the seeded names and descriptions (each in a few percent of the
#: products), paired with a qualified term, as a person narrows a search.
SEARCHES = (
    "steel price<50",
    "wireless price<50",
    "bamboo stock>10",
    "lamp price>=20",
    "keyboard status:active",
    "cotton price<100",
)
FILTERS = (
    {"status__in": "active", "price__gte": "10"},
    {"status__in": "active,draft", "price__lte": "50"},
    {"status__in": "discontinued", "stock__gte": "1"},
    {"price__gte": "100", "price__lte": "200"},
)


#: Seconds a staff member spends between clicks (reading the list, typing a search).
DEFAULT_THINK = (2.0, 8.0)


def think_range(raw: str) -> tuple[float, float]:
    """``"2-8"`` -> (2.0, 8.0); ``"0"`` or ``"3"`` -> a fixed time."""
    low, _sep, high = raw.partition("-")
    try:
        bounds = (float(low), float(high or low))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not MIN-MAX seconds: {raw!r}") from None
    if not 0 <= bounds[0] <= bounds[1] or not all(math.isfinite(b) for b in bounds):
        raise argparse.ArgumentTypeError(f"need 0 <= MIN <= MAX: {raw!r}")
    return bounds


def worker_label(args: argparse.Namespace) -> str:
    if args.threads > 1:
        return f"{args.workers} gthread workers of {args.threads} threads"
    return f"{args.workers} sync workers"


def think_label(think: tuple[float, float]) -> str:
    low, high = think
    if high == 0:
        return "no think time (stress: a closed loop)"
    if low == high:
        return f"think {low:g} s between requests"
    return f"think {low:g}-{high:g} s between requests (uniform)"


@dataclass
class Sample:
    kind: str
    ms: float
    error: str | None  # None for a 200; otherwise the status or the exception
    #: When it was sent (perf_counter seconds).
    began: float = 0.0


@dataclass
class Recorder:
    """Samples of every user; list.append is atomic, so the threads share one list."""

    samples: list[Sample] = field(default_factory=list)
    max_requests: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    interrupted: bool = False

    def add(self, sample: Sample) -> None:
        self.samples.append(sample)
        if len(self.samples) >= self.max_requests:
            self.stop.set()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50, help="concurrent staff sessions")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the load")
    parser.add_argument("--products", type=int, default=1_000_000, metavar="N")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per gunicorn worker (above 1: the gthread worker)",
    )
    parser.add_argument(
        "--max-requests", type=int, default=200_000, metavar="N", help="stop after N requests"
    )
    parser.add_argument(
        "--think",
        type=think_range,
        default=DEFAULT_THINK,
        metavar="MIN-MAX",
        help="seconds each user waits between an answer and its next request, uniform "
        "in MIN-MAX (default 2-8); 0 for the zero-think stress run",
    )
    parser.add_argument("--seed", type=int, default=SEED, help="of the users' random choices")
    args = parser.parse_args(argv)
    # A plain `kill` too must stop gunicorn: turn SIGTERM into SystemExit, so that the
    # finally clauses run.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

    try:
        import gunicorn  # noqa: F401
    except ImportError:
        print("gunicorn is not installed: pip install 'django-toolkit[prod]'")
        return 1

    url, description = database_url(args.products)
    secret_key = secrets.token_urlsafe(50)
    environment = {
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "demo.settings",
        "DEBUG": "false",
        "SECRET_KEY": secret_key,  # signs the sessions: this process and gunicorn share it
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(environment)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()

    print(f"Database: {description}, {args.products:,} products", flush=True)
    prepare_database(url, args.products)
    pks = sample_pks()
    session_keys = create_sessions(args.users)
    port = free_port()
    server: subprocess.Popen[bytes] | None = None
    try:
        server = start_gunicorn(port, args.workers, args.threads, environment)
        base_url = f"http://127.0.0.1:{port}"
        warm_up(base_url, session_keys[0], pks)
        load_before = os.getloadavg()[0]
        print(
            f"Load: {args.users} users for {args.seconds:g} s, {think_label(args.think)}, "
            f"gunicorn {worker_label(args)}, DEBUG=false; load average before "
            f"{load_before:.2f} on {os.cpu_count()} CPUs",
            flush=True,
        )
        recorder = Recorder(max_requests=args.max_requests)
        cpu_before = time.process_time()
        elapsed = run_load(
            base_url, session_keys, pks, args.seconds, recorder, args.think, args.seed
        )
        report(recorder.samples, elapsed, args, description, recorder.interrupted)
        # The load generator shares the machine with gunicorn and PostgreSQL.
        generator_cpu = time.process_time() - cpu_before
        print(
            f"load generator CPU: {generator_cpu:.1f} s "
            f"({100 * generator_cpu / elapsed:.0f} % of one core)"
        )
    finally:
        if server is not None:
            stop_gunicorn(server)
        delete_sessions(session_keys)
    return 130 if recorder.interrupted else 0


# --- the database, the users and their sessions ------------------------------------------


def prepare_database(url: str, products: int) -> None:
    """Apply the pending migrations (with progress), seed when the size differs."""
    from django.core.management import call_command
    from django.db import DEFAULT_DB_ALIAS, connection
    from django.db.migrations.executor import MigrationExecutor

    from demo.catalog.models import Product

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    analyse = "ANALYZE" if plan else ""
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in plan)
        print(f"migrating: {names}", flush=True)
        watcher = None
        if connection.vendor == "postgresql":
            watcher = IndexProgress(url)
            with connection.cursor() as cursor:
                # The full-text GIN index builds several times faster with room to sort.
                cursor.execute("SET maintenance_work_mem = '256MB'")
        started = time.perf_counter()
        try:
            call_command("migrate", database=DEFAULT_DB_ALIAS, verbosity=1, stdout=sys.stdout)
        finally:
            if watcher:
                watcher.stop()
        print(f"migrated in {time.perf_counter() - started:.0f}s", flush=True)
    if Product.objects.count() != products:
        print(f"seeding {products:,} products (once; later runs reuse them) ...", flush=True)
        call_command("seed_catalog", products=products, seed=SEED, flush=True, stdout=sys.stdout)
        analyse = "VACUUM ANALYZE"
    if analyse and connection.vendor == "postgresql":
        # New indexes (the full-text one is on an expression) need statistics; fresh
        # rows need the visibility map for index-only scans.
        print(f"{analyse} ...", flush=True)
        with connection.cursor() as cursor:
            cursor.execute(analyse)


class IndexProgress:
    """Prints ``pg_stat_progress_create_index`` every 15 s while migrations build indexes."""

    def __init__(self, url: str, every: float = 15.0) -> None:
        self._url, self._every = url, every
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        import psycopg

        started = time.perf_counter()
        try:
            with psycopg.connect(self._url, autocommit=True) as conn:
                while not self._done.wait(self._every):
                    rows = conn.execute(
                        "SELECT relid::regclass, NULLIF(index_relid, 0)::regclass, phase,"
                        " blocks_done, blocks_total, tuples_done, tuples_total"
                        " FROM pg_stat_progress_create_index"
                    ).fetchall()
                    for table, index, phase, bd, bt, td, tt in rows:
                        share = (
                            f"{100 * bd / bt:.0f}% of blocks"
                            if bt
                            else (f"{100 * td / tt:.0f}% of tuples" if tt else "")
                        )
                        print(
                            f"\n  {time.perf_counter() - started:4.0f}s  {table}"
                            f"{f' ({index})' if index else ''}: {phase}, {share}",
                            flush=True,
                        )
                    if not rows:
                        print(f"  {time.perf_counter() - started:4.0f}s  migrating ...", flush=True)
        except Exception as exc:  # progress is a courtesy: never fail the migration
            print(f"  (no index progress: {exc})", flush=True)


def sample_pks(count: int = 1000) -> list[int]:
    """Up to ``count`` existing product ids spread over the table, found by index."""
    from django.db.models import Max, Min

    from demo.catalog.models import Product

    bounds = Product.objects.aggregate(low=Min("pk"), high=Max("pk"))
    low, high = bounds["low"], bounds["high"]
    if low is None:
        raise SystemExit("the catalog has no products")
    rng = random.Random(SEED)
    candidates = {rng.randint(low, high) for _ in range(count * 2)}
    pks = list(Product.objects.filter(pk__in=candidates).values_list("pk", flat=True)[:count])
    return pks or [low]


def create_sessions(users: int) -> list[str]:
    """One staff user and one session per virtual user; returns the session keys."""
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.auth.models import Group, Permission
    from django.utils.module_loading import import_string

    group, _ = Group.objects.get_or_create(name="bench load staff")
    group.permissions.set(
        Permission.objects.filter(content_type__app_label="catalog", codename__startswith="view_")
        | Permission.objects.filter(content_type__app_label="catalog", codename="change_product")
    )
    User = get_user_model()
    store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    backend = "django.contrib.auth.backends.ModelBackend"
    keys = []
    for number in range(1, users + 1):
        user, created = User.objects.get_or_create(
            username=f"{USERNAME_PREFIX}{number:02d}", defaults={"is_staff": True}
        )
        if created:
            user.set_unusable_password()  # no hasher: nobody logs in with a password
            user.save()
            user.groups.add(group)
        session = store()
        session[SESSION_KEY] = user._meta.pk.value_to_string(user)
        session[BACKEND_SESSION_KEY] = backend
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        keys.append(session.session_key)
    return keys


def delete_sessions(keys: list[str]) -> None:
    from django.conf import settings
    from django.utils.module_loading import import_string

    store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    for key in keys:
        store(session_key=key).delete()


# --- gunicorn ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(
    port: int, workers: int, threads: int, environment: dict[str, str]
) -> subprocess.Popen[bytes]:
    LOG_PATH.parent.mkdir(exist_ok=True)
    # The demo's own production settings (demo/gunicorn.conf.py), with the workers,
    # threads and address of this run.
    command = [
        sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONFIG), "demo.wsgi",
        "-w", str(workers), "--threads", str(threads), "-b", f"127.0.0.1:{port}",
        "--error-logfile", str(LOG_PATH),
    ]  # fmt: skip
    print(
        f"starting: gunicorn -c demo/gunicorn.conf.py demo.wsgi -w {workers} "
        f"--threads {threads} -b 127.0.0.1:{port}",
        flush=True,
    )
    server = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **environment},
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: Ctrl-C here does not reach it
    )
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}; see {LOG_PATH}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/admin/login/", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_gunicorn(server)
    raise SystemExit(f"gunicorn did not answer within 60 s; see {LOG_PATH}")


def stop_gunicorn(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group (a graceful stop), SIGKILL after 15 s."""
    if server.poll() is not None:
        return
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    except ProcessLookupError:
        pass


# --- the load ------------------------------------------------------------------------------


def page_url(kind: str, rng: random.Random, pks: list[int]) -> str:
    if kind == "plain":
        return CHANGELIST
    if kind == "searched":
        return f"{CHANGELIST}?{urlencode({'q': rng.choice(SEARCHES)})}"
    if kind == "filtered":
        return f"{CHANGELIST}?{urlencode(rng.choice(FILTERS))}"
    return f"{CHANGELIST}{rng.choice(pks)}/change/"


def warm_up(base_url: str, session_key: str, pks: list[int]) -> None:
    """Every page once per worker-ish (unmeasured): templates, caches, and a check that
    the session is accepted (a redirect to the login page would be an error)."""
    import httpx

    rng = random.Random(0)
    with httpx.Client(
        base_url=base_url, cookies={"sessionid": session_key}, timeout=CLIENT_TIMEOUT
    ) as client:
        for _ in range(2):
            for kind in KINDS:
                url = page_url(kind, rng, pks)
                response = client.get(url)
                if response.status_code != 200:
                    raise SystemExit(
                        f"warm-up: {url} answered {response.status_code} "
                        f"{response.headers.get('location', '')}; see {LOG_PATH}"
                    )
                if kind != "change" and b'<li class="error"' in response.content:
                    raise SystemExit(f"warm-up: {url} shows an error message")


def run_load(
    base_url: str,
    session_keys: list[str],
    pks: list[int],
    seconds: float,
    recorder: Recorder,
    think: tuple[float, float] = (0.0, 0.0),
    seed: int = SEED,
) -> float:
    """Run one thread per session until ``seconds`` have passed; returns the wall time
    from the start to the last answer."""
    started = time.perf_counter()
    deadline = started + seconds
    threads = [
        threading.Thread(
            target=virtual_user,
            args=(base_url, key, pks, deadline, recorder, number, think, seed),
            daemon=True,
        )
        for number, key in enumerate(session_keys)
    ]
    for thread in threads:
        thread.start()
    try:
        recorder.stop.wait(seconds)
    except KeyboardInterrupt:  # report what was measured so far
        recorder.interrupted = True
    finally:
        recorder.stop.set()  # Ctrl-C too: users finish the request in flight and leave
        last_answer = time.perf_counter() + CLIENT_TIMEOUT + 5
        for thread in threads:
            thread.join(timeout=max(0.0, last_answer - time.perf_counter()))
    return time.perf_counter() - started


def virtual_user(
    base_url: str,
    session_key: str,
    pks: list[int],
    deadline: float,
    recorder: Recorder,
    number: int,
    think: tuple[float, float] = (0.0, 0.0),
    seed: int = SEED,
) -> None:
    import httpx

    rng = random.Random(seed * 1000 + number)
    position = rng.randrange(len(KINDS))  # users start at different pages
    low, high = think
    # Start somewhere in a first think, so that the users do not all arrive at once.
    pause = rng.uniform(0, high)
    with httpx.Client(
        base_url=base_url, cookies={"sessionid": session_key}, timeout=CLIENT_TIMEOUT
    ) as client:
        while not recorder.stop.is_set() and time.perf_counter() < deadline:
            if pause:
                # wait() returns early when the run ends; never past the deadline.
                if recorder.stop.wait(min(pause, max(0.0, deadline - time.perf_counter()))):
                    break
                if time.perf_counter() >= deadline:
                    break
            pause = rng.uniform(low, high)
            kind = KINDS[position % len(KINDS)]
            position += 1
            url = page_url(kind, rng, pks)
            began = time.perf_counter()
            try:
                response = client.get(url)
                response.read()
                error = None if response.status_code == 200 else f"HTTP {response.status_code}"
            except Exception as exc:  # timeouts, refused connections: errors, not crashes
                error = f"{type(exc).__name__}: {exc}"[:120]
            recorder.add(Sample(kind, (time.perf_counter() - began) * 1000, error, began))


# --- the figures ---------------------------------------------------------------------------


def slowest_line(samples: list[Sample], p99: float, window: float = 5.0) -> str:
    """When the slowest 1 % were sent: spread over the run (the server was busy) or
    bunched in a few seconds (a pause: a checkpoint, a collection, the machine)."""
    slow = sorted(s.began for s in samples if s.ms >= p99)
    if not slow or not samples:
        return ""
    start = min(s.began for s in samples)
    bunched = max(sum(1 for t in slow if first <= t < first + window) for first in slow)
    return (
        f"slowest 1 % ({len(slow)} requests) sent between {slow[0] - start:.0f} s and "
        f"{slow[-1] - start:.0f} s of the run; at most {bunched} of them within {window:g} s"
    )


def percentile(ordered: list[float], share: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return float("nan")
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def passed(samples: list[Sample]) -> bool:
    ordered = sorted(s.ms for s in samples)
    return (
        bool(samples)
        and not any(s.error for s in samples)
        and (percentile(ordered, 0.99) < TARGET_P99_MS)
    )


def report(
    samples: list[Sample],
    elapsed: float,
    args: argparse.Namespace,
    description: str,
    interrupted: bool = False,
) -> None:
    print(
        f"\n{args.users} staff sessions, {think_label(args.think)}, {elapsed:.1f} s, "
        f"gunicorn {worker_label(args)}, {size_label(args.products)} products ({description})"
        + (" -- INTERRUPTED, partial figures" if interrupted else "")
    )
    header = (
        f"{'page':<10}{'requests':>9}{'req/s':>8}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}"
        f"{'errors':>8}"
    )
    print(header)
    print("-" * len(header))
    for kind in (*KINDS, "all"):
        chosen = [s for s in samples if kind in ("all", s.kind)]
        ordered = sorted(s.ms for s in chosen)
        errors = sum(1 for s in chosen if s.error)
        figures = [percentile(ordered, q) for q in (0.50, 0.95, 0.99)]
        print(
            f"{kind:<10}{len(chosen):>9}{len(chosen) / elapsed:>8.1f}"
            + "".join(f"{ms:>7.0f}ms" for ms in (*figures, ordered[-1] if ordered else 0))
            + f"{errors:>8}"
        )
    kinds_of_error: dict[str, int] = {}
    for sample in samples:
        if sample.error:
            kinds_of_error[sample.error] = kinds_of_error.get(sample.error, 0) + 1
    for error, count in sorted(kinds_of_error.items(), key=lambda item: -item[1])[:5]:
        print(f"  {count} x {error}")
    ordered = sorted(s.ms for s in samples)
    errors = sum(1 for s in samples if s.error)
    p99 = percentile(ordered, 0.99)
    print(slowest_line(samples, p99))
    verdict = "no verdict (interrupted)" if interrupted else "PASS" if passed(samples) else "FAIL"
    print(
        f"\ntarget: 0 errors and p99 < {TARGET_P99_MS:.0f} ms: {verdict} "
        f"({errors} errors, p99 {p99:.0f} ms); load average after: {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # gunicorn is already stopped by then
        print("\ninterrupted")
        sys.exit(130)
