"""Throughput of toolkit.jobs with one, then two, real ``db_worker`` processes.

The same set of jobs (each over a slice of the catalog, walked in chunks) is drained by
1 and by 2 worker processes sharing PostgreSQL; the figures are printed side by side
with their ratio. Each chunk does I/O-bound work, as real jobs do: one UPDATE of its
rows plus a pause standing for an HTTP call (``--call-ms``), so a second worker can
overlap its waits with the first one's. On two cores expect a ratio below 2x.

    .venv/bin/python bench/bench_workers.py [--products 10000] [--jobs 8]
                                            [--chunk-size 200] [--call-ms 50] [--rounds 2]

It uses the PostgreSQL server of ``BENCH_DATABASE_URL`` (default
``postgres://postgres@127.0.0.1:5432/``) and a database of its own,
``toolkit_jobs_bench``, created (and seeded with ``seed_catalog``) when missing; without
a reachable server it falls back to SQLite and says so (where writers are serialised,
so expect no gain).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from toolkit.jobs import ChunkResult, JobHandler, register  # noqa: E402

BENCH_DB = "toolkit_jobs_bench"
FINISHED = ("done", "failed", "cancelled")


@register
class TouchProducts(JobHandler):
    """One UPDATE of the chunk's rows, then a pause standing for a call to a remote API."""

    name = "bench.touch"

    def get_chunk_size(self, job):
        return job.params["chunk_size"]

    def process_chunk(self, job, objects):
        from django.db.models import F

        changed = objects.update(stock=F("stock") + 1)
        time.sleep(job.params["call_ms"] / 1000)
        return ChunkResult(done=changed)


# -- the database ---------------------------------------------------------------------


def database_url() -> tuple[str, str]:
    """(url of the bench database, a note on what it is)."""
    server = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/")
    parts = urlsplit(server)
    try:
        import psycopg

        with psycopg.connect(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            user=parts.username or "postgres",
            password=parts.password,
            dbname="postgres",
            autocommit=True,
            connect_timeout=3,
        ) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    except Exception as exc:  # any failure to reach the server: fall back, say so
        path = ROOT / "var" / "bench_workers.sqlite3"
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        note = f"SQLite {path} (PostgreSQL unreachable at {server}: {reason})"
        return f"sqlite:///{path}", note
    url = urlunsplit((parts.scheme or "postgres", parts.netloc, f"/{BENCH_DB}", "", ""))
    return url, f"PostgreSQL {version}, database {BENCH_DB}"


def manage(url: str, *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "demo.settings"},
        check=True,
        stdout=subprocess.DEVNULL,
    )


# -- workers --------------------------------------------------------------------------


def start_worker(url: str, name: str, log: Path) -> tuple[subprocess.Popen[bytes], Path]:
    path = log / f"{name}.log"
    process = subprocess.Popen(
        [sys.executable, __file__, "--worker", name],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "demo.settings",
            "LOG_LEVEL": "WARNING",
        },
        stdout=path.open("w"),
        stderr=subprocess.STDOUT,
    )
    return process, path


def run_worker(name: str) -> None:
    """The child process: a plain db_worker that also knows the bench's handler."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command(
        "db_worker",
        "--no-reload",
        "--no-startup-delay",
        "--interval",
        "0.05",
        "--worker-id",
        name,
    )


def drain(url: str, workers: int, args: argparse.Namespace, log: Path) -> tuple[float, int, int]:
    """Start ``workers`` processes, queue the jobs, time until all are finished.
    Returns (seconds, rows, chunks)."""
    from django.db import connection, transaction

    from demo.catalog.models import Product
    from toolkit.jobs.models import Job
    from toolkit.jobs.tasks import start_job

    Job.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_tasks_database_dbtaskresult")

    processes = [start_worker(url, f"bench-{workers}-{i}", log) for i in range(workers)]
    try:
        for process, path in processes:
            deadline = time.monotonic() + 120
            while "Starting worker" not in path.read_text():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"worker did not start:\n{path.read_text()}")
                time.sleep(0.05)

        pks = list(Product.objects.order_by("pk").values_list("pk", flat=True))
        size = -(-len(pks) // args.jobs)
        slices = [pks[i : i + size] for i in range(0, len(pks), size)]
        started = time.perf_counter()
        with transaction.atomic():
            jobs = [
                start_job(
                    TouchProducts,
                    model=Product,
                    target={"filter": {"pk__gte": part[0], "pk__lte": part[-1]}},
                    params={"chunk_size": args.chunk_size, "call_ms": args.call_ms},
                ).pk
                for part in slices
            ]
        while Job.objects.filter(pk__in=jobs).exclude(status__in=FINISHED).exists():
            time.sleep(0.02)
        elapsed = time.perf_counter() - started
    finally:
        for process, _path in processes:
            process.terminate()
        for process, _path in processes:
            process.wait(timeout=60)

    finished = Job.objects.filter(pk__in=jobs)
    bad = finished.exclude(status="done")
    if bad.exists():
        raise SystemExit(f"{bad.count()} job(s) did not finish: {list(bad.values('pk', 'error'))}")
    rows = sum(finished.values_list("done", flat=True))
    chunks = sum(finished.values_list("chunks", flat=True))
    return elapsed, rows, chunks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--chunk-size", type=int, default=200)
    parser.add_argument("--call-ms", type=float, default=50.0)
    parser.add_argument("--rounds", type=int, default=2, help="runs per setting; best kept")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        run_worker(args.worker)
        return

    url, note = database_url()
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")
    os.environ["LOG_LEVEL"] = "WARNING"
    manage(url, "migrate", "--noinput")

    import django

    django.setup()
    from demo.catalog.models import Product

    if Product.objects.count() != args.products:
        print(f"seeding {args.products:,} products...", flush=True)
        manage(url, "seed_catalog", "--products", str(args.products), "--seed", "1", "--flush")

    log = ROOT / "var" / "bench-workers"
    log.mkdir(parents=True, exist_ok=True)
    print(
        f"bench_workers: {args.jobs} jobs over {args.products:,} products, chunks of "
        f"{args.chunk_size} (one UPDATE + a {args.call_ms:g} ms call each); {note}; "
        f"{os.cpu_count()} CPU(s); best of {args.rounds}",
        flush=True,
    )
    best: dict[int, tuple[float, int, int]] = {}
    for _ in range(args.rounds):
        for workers in (1, 2):  # alternate, so a noisy moment hits both settings
            result = drain(url, workers, args, log)
            if workers not in best or result[0] < best[workers][0]:
                best[workers] = result

    print(f"{'workers':>8} {'seconds':>9} {'rows/s':>10} {'chunks/s':>9}")
    rates = {}
    for workers, (seconds, rows, chunks) in sorted(best.items()):
        rates[workers] = rows / seconds
        print(f"{workers:>8} {seconds:>9.2f} {rows / seconds:>10,.0f} {chunks / seconds:>9.1f}")
    print(f"ratio 2 workers / 1 worker: {rates[2] / rates[1]:.2f}x rows/s (ideal 2.00x)")


if __name__ == "__main__":
    main()
