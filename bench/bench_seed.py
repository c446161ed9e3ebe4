"""Does seeding stay as fast per row at a million products as at ten thousand?

    python bench/bench_seed.py [--products N]

Seeds a fresh PostgreSQL database (``toolkit_bench_seed``, or ``BENCH_DATABASE_URL``)
with 10,000 products and then with N (default 100,000) through ``manage.py
seed_catalog``, and prints products/s and rows/s for both sizes, their ratio (flat
throughput means constant time per row) and the peak RSS after each run (flat memory
means the seeder never holds the catalog). Falls back to SQLite in var/ when PostgreSQL
is unreachable, and says so. The database is dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/toolkit_bench_seed"
SMALL = 10_000


@dataclass
class Run:
    products: int
    rows: int
    seconds: float
    peak_rss_mib: float

    @property
    def products_per_second(self) -> float:
        return self.products / self.seconds

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=100_000, metavar="N")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    args = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    postgres = url.startswith(("postgres://", "postgresql://")) and recreate_database(url)
    if not postgres:
        sqlite_path = ROOT / "var" / "bench_seed.sqlite3"
        print(f"PostgreSQL at {redact(url)} is unreachable: falling back to SQLite {sqlite_path}")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{sqlite_path}"

    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    print(f"Database: {redact(url)}  (Django {django.get_version()})")
    # The figures only mean something on an otherwise idle machine; show how idle it was.
    print(f"Load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")

    runs = [seed(SMALL, args.seed), seed(args.products, args.seed)]
    report(runs)
    print(f"Load average after: {os.getloadavg()[0]:.2f}")

    connections.close_all()
    if postgres and not args.keep:
        drop_database(url)
    return 0


def seed(products: int, seed_value: int) -> Run:
    from django.core.management import call_command

    from demo.catalog.seeding import catalog_counts

    started = time.perf_counter()
    call_command(
        "seed_catalog", products=products, seed=seed_value, flush=True, stdout=io.StringIO()
    )
    seconds = time.perf_counter() - started
    counts = catalog_counts()
    rows = sum(counts.values()) + tag_links()
    # ru_maxrss is in KiB on Linux; it only grows, so a flat value means flat memory.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    run = Run(products=counts["Product"], rows=rows, seconds=seconds, peak_rss_mib=peak)
    print(
        f"  seeded {run.products:>9,} products, {run.rows:>10,} rows in {seconds:7.1f} s"
        f"  (peak RSS {peak:,.0f} MiB)"
    )
    return run


def tag_links() -> int:
    from demo.catalog.models import Product

    return Product.tags.through.objects.count()


def report(runs: list[Run]) -> None:
    print()
    print(f"{'products':>10}  {'all rows':>11}  {'seconds':>8}  {'products/s':>10}  "
          f"{'rows/s':>9}  {'peak RSS':>9}")  # fmt: skip
    for run in runs:
        print(
            f"{run.products:>10,}  {run.rows:>11,}  {run.seconds:>8.1f}  "
            f"{run.products_per_second:>10,.0f}  {run.rows_per_second:>9,.0f}  "
            f"{run.peak_rss_mib:>5,.0f} MiB"
        )
    small, large = runs
    print(
        f"\nThroughput at {large.products:,} vs {small.products:,} products: "
        f"products/s x{large.products_per_second / small.products_per_second:.2f}, "
        f"rows/s x{large.rows_per_second / small.rows_per_second:.2f} "
        f"(1.00 = constant time per row); "
        f"peak RSS x{large.peak_rss_mib / small.peak_rss_mib:.2f}"
    )


def admin_url(url: str) -> tuple[str, str]:
    """Return (URL of the server's ``postgres`` database, name of the bench database)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres")), parts.path.lstrip("/")


def recreate_database(url: str) -> bool:
    """Drop and create the bench database; False if PostgreSQL cannot be reached."""
    import psycopg
    from psycopg import sql

    admin, name = admin_url(url)
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as exc:
        print(f"({type(exc).__name__}: {str(exc).strip().splitlines()[0]})")
        return False
    return True


def drop_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    admin, name = admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


if __name__ == "__main__":
    sys.exit(main())
