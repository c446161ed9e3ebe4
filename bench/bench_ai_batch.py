"""``manage.py ai_summarize`` over 1,000 products against a slow endpoint, and its memory.

    .venv/bin/python bench/bench_ai_batch.py [--records 1000] [--stream 1000000]

Starts the fault server (tests/ai/fault_server.py) in a process of its own with a fixed
200 ms answer time, and runs the batch command in a child process (settings, database
and all, as a person runs it) over ``--records`` products:

1. at concurrency 50, 125 and 150 (the last two above httpx's default pool of 100
   connections; 50 and 125 divide 1,000, so the ideal is whole rounds of requests, while
   150 leaves a last round of 100 and no client can beat 1.05x there), with
   ``--force``: wall time of the command as a ratio to the ideal ``N x latency /
   concurrency`` (median of 3; target: within 1.10x), failed records (target: 0, so no pool timeout
   hid in them; the endpoint has MAX_RETRIES 0, so no retry hides one either) and the
   most requests the server answered at once;
   beside the blocking client alone (``complete_many`` with the same read-ahead, as
   bench_ai_client.py) on the same server at the same moment, which shows what the
   machine's load allows; and the CPU seconds of the command and of the server, with
   the floor they set: the command's threads share one interpreter lock, so its CPU
   seconds are a wall time it cannot go below, nor below all CPU over the cores;
2. the same command again, without ``--force``: requests the server saw (target: 0,
   every record's answer is cached by its input hash);
3. ``--records-per-prompt 5`` with ``--force``: requests (target: N/5);
4. ``--dry-run`` over ``--stream / 10`` and ``--stream`` products, each in a fresh
   process: peak RSS above the process's size before the command (target: the larger
   run within 1.25x of the smaller one plus 10 MB, i.e. flat).

Database: ``toolkit_bench_ai`` on the PostgreSQL server of ``BENCH_DATABASE_URL``
(default ``postgres://postgres@127.0.0.1:5432/toolkit_bench_ai``), created when
missing and seeded once with ``manage.py seed_catalog --seed 1`` up to ``--stream``
products (a million take about 10 minutes on these machines the first time; later runs
reuse them). When PostgreSQL is unreachable it says so and uses SQLite in ``var/``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from _common import setup_django

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/toolkit_bench_ai"
SEED = 1
LATENCY = 0.2
CONCURRENCIES = (50, 125, 150)
PER_PROMPT = 5
#: What the server answers: a valid summary (the command runs the summarize action).
ANSWER = {"summary": "A sturdy product that sells well."}
TARGET_RATIO = 1.10
#: Turns of each timed run; the median is shown (the machine is shared and noisy).
ROUNDS = 3
#: The larger streaming run may use this much more memory than the smaller, at most.
FLAT_FACTOR, FLAT_SLACK_MB = 1.25, 10.0
#: Fields sent, for a ProductAdmin that declares none (the demo's is used when it does).
FALLBACK_AI_FIELDS = ["sku", "name", "description", "price", "stock", "category.name"]


# --- parent --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000, metavar="N")
    parser.add_argument("--stream", type=int, default=1_000_000, metavar="N")
    parser.add_argument("--skip-timed", action="store_true", help="only the memory part")
    parser.add_argument("--skip-stream", action="store_true", help="only the timed part")
    parser.add_argument(
        "--concurrency",
        type=int,
        nargs="+",
        default=list(CONCURRENCIES),
        metavar="C",
        help="concurrencies of the timed runs (default: %(default)s)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(json.loads(args.child))

    url, description = database_url()
    print(f"Load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", flush=True)
    prepared = run_child({"task": "prepare", "db": url, "products": args.stream}, quiet=False)
    if prepared is None:
        return 1
    print(f"database: {description}, {prepared['products']:,} products", flush=True)
    failed = False
    if not args.skip_timed:
        failed |= timed(url, args.records, args.concurrency)
    if not args.skip_stream:
        failed |= streaming(url, args.stream)
    print(f"Load average after: {os.getloadavg()[0]:.2f}")
    return 1 if failed else 0


def timed(url: str, n: int, concurrencies: list[int]) -> bool:
    """The runs against the 200 ms server; True when a target was missed."""
    process, server = start_server()
    failed = False
    try:
        print(
            f"\nai_summarize catalog.Product over {n:,} products, {LATENCY * 1000:.0f} ms "
            f"per answer, loopback {server}"
        )
        print(
            f"{'run':<30}{'wall':>9}{'ideal':>9}{'ratio':>8}{'requests':>10}"
            f"{'failed':>8}{'peak conn':>11}{'exit':>6}"
        )
        for concurrency in concurrencies:
            ideal = n * LATENCY / concurrency
            # The client alone (as bench_ai_client.py) on the same server, taking turns
            # with the command: what the machine's load allows at that moment, so the
            # command's own cost shows apart from it. Medians of ROUNDS turns.
            clients: list[float] = []
            runs: list[dict[str, Any]] = []
            for _ in range(ROUNDS):
                client = run_child({"task": "client", "server": server, "n": n, "c": concurrency})
                args_ = ["--limit", str(n), "--concurrency", str(concurrency), "--force"]
                result = timed_run(server, url, args_)
                if client is None or result is None:
                    return True
                failed |= bool(client["errors"])
                clients.append(client["wall"])
                runs.append(result)
            client_wall = statistics.median(clients)
            result = sorted(runs, key=lambda run: run["wall"])[len(runs) // 2]
            result["failed"] = max(run["failed"] for run in runs)
            result["requests"] = min(run["requests"] for run in runs)
            print(
                f"{'client alone, ' + str(concurrency) + ' at a time':<30}{client_wall:>8.2f}s"
                f"{ideal:>8.2f}s{client_wall / ideal:>7.2f}x{n:>10,}"
            )
            ratio = result["wall"] / ideal
            ok = ratio <= TARGET_RATIO and not result["failed"] and result["requests"] == n
            failed |= not ok
            show(f"--concurrency {concurrency} --force", result, ideal, ok)
            command_walls = ", ".join(f"{run['wall']:.2f}" for run in runs)
            client_walls = ", ".join(f"{wall:.2f}" for wall in clients)
            print(
                f"   command / client alone: {result['wall'] / client_wall:.2f}x "
                f"(walls: command {command_walls}; client {client_walls})"
            )
            print("   " + cpu_bound(result, ideal))
            # Requests finish in whole rounds of ``concurrency``: none can end before
            # ceil(N / concurrency) latencies, whatever sends them.
            rounds = -(-n // concurrency)
            print(
                f"   rounds: {rounds} x {LATENCY * 1000:.0f} ms = {rounds * LATENCY:.2f} s "
                f"({rounds * LATENCY / ideal:.2f}x the ideal) is the floor of any client"
            )
            errors = [e for run in runs for e in run["errors"]]
            if errors:
                print("   errors:", "; ".join(errors[:3]))

        most = str(max(concurrencies))
        again = timed_run(server, url, ["--limit", str(n), "--concurrency", most])
        if again is None:
            return True
        ok = again["requests"] == 0 and again["exit"] == 0
        failed |= not ok
        show("second run (no --force)", again, None, ok)

        k_args = ["--limit", str(n), "--concurrency", "50", "--force"]
        k_args += ["--records-per-prompt", str(PER_PROMPT)]
        per_prompt = timed_run(server, url, k_args)
        if per_prompt is None:
            return True
        expected = -(-n // PER_PROMPT)
        ok = per_prompt["requests"] == expected and not per_prompt["failed"]
        failed |= not ok
        show(
            f"--records-per-prompt {PER_PROMPT} --force",
            per_prompt,
            expected * LATENCY / 50,
            ok,
        )
        print(
            f"targets: ratio <= {TARGET_RATIO:.2f}x with 0 failed; second run 0 requests; "
            f"{PER_PROMPT} per prompt {expected:,} requests (N/{PER_PROMPT})"
        )
    finally:
        process.terminate()
        process.wait(10)

    return failed


def streaming(url: str, stream: int) -> bool:
    """Peak memory of dry runs over stream/10 and stream records; True when not flat."""
    failed = False
    small, large = max(1, stream // 10), stream
    print("\nStreaming with --dry-run (nothing sent), each in a fresh process")
    print(
        f"{'records':>12}{'wall':>9}{'records/s':>11}{'baseline':>11}{'peak RSS':>11}{'growth':>9}"
    )
    growth: dict[int, float] = {}
    for size in (small, large):
        result = run_child({"task": "stream", "db": url, "limit": size})
        if result is None:
            return True
        growth[size] = result["peak_mb"] - result["baseline_mb"]
        print(
            f"{result['records']:>12,}{result['wall']:>8.1f}s"
            f"{result['records'] / max(result['wall'], 1e-9):>11,.0f}"
            f"{result['baseline_mb']:>9.1f}MB{result['peak_mb']:>9.1f}MB{growth[size]:>7.1f}MB",
            flush=True,
        )
        if result["records"] < size:
            print(f"   only {result['records']:,} products in the database (--stream {size:,})")
    flat = growth[large] <= growth[small] * FLAT_FACTOR + FLAT_SLACK_MB
    failed |= not flat
    print(
        f"growth {large:,} vs {small:,}: {growth[large]:.1f} MB vs {growth[small]:.1f} MB "
        f"(target: at most {FLAT_FACTOR}x + {FLAT_SLACK_MB:.0f} MB: "
        f"{'flat' if flat else 'NOT FLAT'})"
    )
    return failed


def cpu_bound(result: dict[str, Any], ideal: float) -> str:
    """Where the run's wall time is bound: the command's one interpreter (its threads
    share one GIL, so its CPU seconds are a floor), the machine's cores (command, fault
    server and PostgreSQL together), or neither."""
    cpu, server_cpu = result["cpu"], result["server_cpu"]
    cores = os.cpu_count() or 1
    floor = max(cpu, (cpu + server_cpu) / cores)
    bound = "CPU-bound" if floor > ideal * TARGET_RATIO else "not CPU-bound"
    return (
        f"CPU: command {cpu:.2f} s ({1000 * cpu / max(result['requests'], 1):.2f} ms a "
        f"request; its threads share one interpreter lock, so it needs at least that long), "
        f"fault server {server_cpu:.2f} s, on {cores} cores: floor {floor:.2f} s = "
        f"{floor / ideal:.2f}x the ideal ({bound})"
    )


def show(name: str, result: dict[str, Any], ideal: float | None, ok: bool) -> None:
    ideal_text = f"{ideal:>8.2f}s" if ideal else f"{'':>9}"
    ratio_text = f"{result['wall'] / ideal:>7.2f}x" if ideal else f"{'':>8}"
    print(
        f"{name:<30}{result['wall']:>8.2f}s{ideal_text}{ratio_text}{result['requests']:>10,}"
        f"{result['failed']:>8,}{result['peak_in_flight']:>11}{result['exit']:>6}  "
        f"{'ok' if ok else 'MISSED'}",
        flush=True,
    )


def timed_run(server: str, url: str, args: list[str]) -> dict[str, Any] | None:
    """Run the command in a child; add what the server saw (requests, peak in flight)."""
    before = httpx.get(f"{server}/_stats?reset=1", timeout=5).json()
    result = run_child({"task": "run", "db": url, "server": server, "args": args})
    if result is None:
        return None
    stats = httpx.get(f"{server}/_stats", timeout=5).json()
    result["requests"] = stats["requests"]
    result["peak_in_flight"] = stats["peak_in_flight"]
    result["server_cpu"] = stats["cpu"] - before["cpu"]
    return result


def run_child(spec: dict[str, Any], *, quiet: bool = True) -> dict[str, Any] | None:
    child = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(spec)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE if quiet else None,
        text=True,
    )
    lines = child.stdout.strip().splitlines()
    if child.returncode or not lines:
        print(f"the {spec['task']} step failed (exit {child.returncode}):")
        print(child.stdout[-3000:], (child.stderr or "")[-3000:])
        return None
    return json.loads(lines[-1])


def start_server() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "tests" / "ai" / "fault_server.py"),
            "--latency",
            str(LATENCY),
            "--answer",
            json.dumps(ANSWER),
        ],
        stdin=subprocess.PIPE,  # closed when this process ends: the server stops too
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    match = re.search(r"on (http://\S+)", process.stdout.readline())
    if not match:
        process.kill()
        sys.exit("bench_ai_batch: the fault server did not start")
    return process, match.group(1)


def database_url() -> tuple[str, str]:
    """The benchmark's database URL (created when missing) and a line about it."""
    base = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    parts = urlsplit(base)
    name = parts.path.lstrip("/") or "toolkit_bench_ai"
    if parts.scheme.startswith("postgres"):
        try:
            import psycopg

            maintenance = parts._replace(path="/postgres").geturl()
            with psycopg.connect(maintenance, autocommit=True, connect_timeout=3) as conn:
                row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
                if row.fetchone() is None:
                    conn.execute(f'CREATE DATABASE "{name}"')
                version = conn.execute("SHOW server_version").fetchone()
        except Exception as exc:  # psycopg missing, server down, bad URL
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return _sqlite(name, f"PostgreSQL unreachable ({reason})")
        return base, f"PostgreSQL {version[0] if version else '?'} ({name})"
    return _sqlite(name, f"{base} is not a PostgreSQL URL")


def _sqlite(name: str, reason: str) -> tuple[str, str]:
    path = ROOT / "var" / f"{name}.sqlite3"
    path.parent.mkdir(exist_ok=True)
    return f"sqlite:///{path}", f"SQLite -- NOTE: {reason}; figures are not PostgreSQL's"


# --- child: one step in a fresh process ------------------------------------------------


def child(spec: dict[str, Any]) -> int:
    sys.path.insert(0, str(ROOT))
    if spec["task"] == "client":
        return client_alone(spec["server"], spec["n"], spec["c"])
    setup_django(spec["db"])
    ensure_ai_fields()
    if spec["task"] == "prepare":
        return prepare(spec["products"])
    if spec["task"] == "run":
        return run_command(spec)
    return stream(spec["limit"])


def client_alone(server: str, count: int, concurrency: int) -> int:
    """``complete_many`` of the blocking client alone (as bench_ai_client.py does)."""
    from toolkit.ai.client import ChatRequest, Client
    from toolkit.ai.endpoints import EndpointConfig

    schema = {
        "type": "object",
        "properties": {"summary": {"type": "string"}},
        "required": ["summary"],
    }
    requests = (
        ChatRequest([{"role": "user", "content": f"record {i}"}], schema=schema, key=i)
        for i in range(count)
    )
    endpoint = EndpointConfig(
        base_url=server, model="bench", concurrency=concurrency, timeout=30, max_retries=0
    )
    started = time.perf_counter()
    with Client(endpoint) as client:
        # Read ahead as run_action does, so the comparison is like for like.
        outcomes = client.complete_many(requests, read_ahead=concurrency)
        errors = sum(not outcome.ok for outcome in outcomes)
    print(json.dumps({"wall": time.perf_counter() - started, "errors": errors}))
    return 0


def ensure_ai_fields() -> None:
    """Give the demo's ProductAdmin ai_fields if it has none (yet)."""
    from django.contrib import admin

    from demo.catalog.models import Product

    model_admin = admin.site._registry[Product]
    if not getattr(model_admin, "ai_fields", None):
        model_admin.ai_fields = FALLBACK_AI_FIELDS  # type: ignore[attr-defined]


def prepare(products: int) -> int:
    from django.core.management import call_command
    from django.db import connection

    from demo.catalog.models import Product
    from toolkit.ai.models import Insight

    call_command("migrate", verbosity=0)
    # Every run starts from no answers, so that the first one sends every record.
    Insight.objects.all().delete()
    have = Product.objects.count()
    if have < products:
        print(
            f"seeding {products:,} products (once; later runs reuse them; about "
            f"{products / 1700 / 60:.0f} min) ...",
            file=sys.stderr,
            flush=True,
        )
        call_command("seed_catalog", products=products, seed=SEED, flush=True, stdout=sys.stderr)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
    print(json.dumps({"products": Product.objects.count()}))
    return 0


def run_command(spec: dict[str, Any]) -> int:
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.test.utils import override_settings

    endpoint = {
        "BASE_URL": spec["server"],
        "MODEL": "bench",
        "TIMEOUT": 30,
        "MAX_RETRIES": 0,  # a retry would hide a failure (a pool timeout, say)
        "CONCURRENCY": 4,
    }
    out, err = io.StringIO(), io.StringIO()
    status = 0
    with override_settings(TOOLKIT_AI={"bench": endpoint}):
        started = time.perf_counter()
        cpu_started = time.process_time()
        try:
            call_command(
                "ai_summarize",
                "catalog.Product",
                "--endpoint",
                "bench",
                *spec["args"],
                stdout=out,
                stderr=err,
            )
        except CommandError as exc:
            status = exc.returncode
            err.write(str(exc))
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
    text = out.getvalue()
    totals = re.search(r"([\d,]+) failed;", text)
    errors = [line.strip() for line in err.getvalue().splitlines() if " x " in line]
    print(
        json.dumps(
            {
                "wall": wall,
                "cpu": cpu,
                "exit": status,
                "failed": int(totals.group(1).replace(",", "")) if totals else -1,
                "errors": errors,
                "output": text[-2000:],
            }
        )
    )
    return 0


def stream(limit: int) -> int:
    import io

    from django.core.management import call_command

    baseline = _rss_mb()
    out = io.StringIO()
    started = time.perf_counter()
    call_command("ai_summarize", "catalog.Product", "--dry-run", "--limit", str(limit), stdout=out)
    wall = time.perf_counter() - started
    match = re.search(r"Would send [\d,]+ of ([\d,]+) records", out.getvalue())
    records = int(match.group(1).replace(",", "")) if match else 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"records": records, "wall": wall, "baseline_mb": baseline, "peak_mb": peak}))
    return 0


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


if __name__ == "__main__":
    sys.exit(main())
