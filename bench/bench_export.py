"""Export of products: the toolkit's streaming export vs raw csv.writer vs stock
django-import-export, at 100,000 and 1,000,000 rows; and one selected row from a
1,000,000-row table vs from a 1,000-row table.

    .venv/bin/python bench/bench_export.py [--sizes 100000,1000000] [--stock-max 100000]

Databases on the PostgreSQL server of ``BENCH_DATABASE_URL`` (default
``postgres://postgres@127.0.0.1:5432/toolkit_bench_io``): ``toolkit_bench_io`` (large)
and ``toolkit_bench_io_1k``, created when missing (copied from ``toolkit_bench_1m`` /
``toolkit_bench_1k`` when those exist, else seeded with ``seed_catalog --seed 1``).

Each measurement runs in a fresh process, so its peak memory (``ru_maxrss``, minus the
process's own before the export) is its own:

- raw: ``csv.writer`` over ``values_list(<the changelist's columns>).iterator()``;
- toolkit: ``ExportMixin.export_response()`` of the demo's columns (``list_display``,
  related objects' ``__str__``, choice labels, neutralised), streamed by the
  ``CSVFormat`` class, as a request does;
- stock: the demo ``ProductResource().export(queryset).csv`` (a tablib Dataset),
  run up to ``--stock-max`` rows (at 1M it holds about a gigabyte).

Targets: toolkit within 1.5x of raw at 1M rows; peak memory at 1M no more than at 100k
plus a few MB (flat); one-row export from 1M within 1.2x of the same from 1k.

``--one METHOD ROWS`` runs one measurement against the database of ``DATABASE_URL``
(a small SQLite catalog will do to compare two versions of the code side by side).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/toolkit_bench_io"
TEMPLATES = {"": "toolkit_bench_1m", "_1k": "toolkit_bench_1k"}
SEED_SIZES = {"": 1_000_000, "_1k": 1_000}


def url_for(suffix: str) -> str:
    base = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=parts.path + suffix))


def psql(url: str, sql: str) -> str:
    parts = urlsplit(url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    return subprocess.run(
        ["psql", admin_url, "-tAc", sql], capture_output=True, text=True, check=False
    ).stdout.strip()


def ensure_database(suffix: str) -> str:
    """Create and seed the database once; later runs reuse it."""
    url = url_for(suffix)
    name = urlsplit(url).path.lstrip("/")
    if psql(url, f"SELECT 1 FROM pg_database WHERE datname = '{name}'") != "1":
        template = TEMPLATES[suffix]
        if psql(url, f"SELECT 1 FROM pg_database WHERE datname = '{template}'") == "1":
            psql(url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        if psql(url, f"SELECT 1 FROM pg_database WHERE datname = '{name}'") != "1":
            psql(url, f'CREATE DATABASE "{name}"')
            env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "demo.settings"}
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
            )
            subprocess.run(
                [
                    sys.executable,
                    "manage.py",
                    "seed_catalog",
                    "--products",
                    str(SEED_SIZES[suffix]),
                    "--seed",
                    "1",
                ],
                cwd=ROOT,
                env=env,
                check=True,
            )
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "demo.settings"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    return url


# -- one measurement, in its own process ------------------------------------------------


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Counter:
    """A sink that counts what is written to it (a response going to a socket)."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, data: str) -> None:
        self.bytes += len(data)


def measure(method: str, rows: int) -> dict[str, float]:
    import csv

    import django

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")
    django.setup()
    from django.contrib import admin
    from django.test import RequestFactory

    from demo.catalog.admin import ProductAdmin as DemoProductAdmin
    from demo.catalog.models import Product
    from demo.catalog.resources import ProductResource
    from toolkit.admin_ext.importexport import ExportMixin

    class BenchProductAdmin(ExportMixin, admin.ModelAdmin):  # type: ignore[type-arg]
        list_display = [
            "sku",
            "name",
            "category",
            "supplier",
            "price",
            "stock",
            "status",
            "is_active",
        ]
        list_select_related = DemoProductAdmin.list_select_related

    site = admin.AdminSite(name="bench_export")
    model_admin = BenchProductAdmin(Product, site)
    request = RequestFactory().get("/")
    ids = Product.objects.order_by("pk").values_list("pk", flat=True)
    last = ids[rows - 1 : rows].get()
    queryset = (
        Product.objects.filter(pk__lte=last)
        .select_related("category", "category__parent", "supplier")
        .order_by("pk")
    )
    base = rss_mb()
    sink = Counter()
    started = time.perf_counter()
    if method == "raw":
        writer = csv.writer(sink)
        columns = [
            "sku",
            "name",
            "category__name",
            "supplier__name",
            "price",
            "stock",
            "status",
            "is_active",
        ]
        writer.writerow(columns)
        for values in queryset.values_list(*columns).iterator(chunk_size=2000):
            writer.writerow(values)
    elif method == "toolkit":
        response = model_admin.export_response(request, queryset, "csv")
        for part in response.streaming_content:
            sink.write(part.decode() if isinstance(part, bytes) else part)
    elif method == "stock":
        sink.write(ProductResource().export(queryset).csv)
    elif method == "one":
        pk = queryset.order_by("-pk").values_list("pk", flat=True)[0]
        timings = []
        for _ in range(20):
            one = Product.objects.filter(pk=pk).select_related(
                "category", "category__parent", "supplier"
            )
            began = time.perf_counter()
            response = model_admin.export_response(request, one, "csv")
            b"".join(response.streaming_content)
            timings.append(time.perf_counter() - began)
        timings.sort()
        return {"seconds": timings[len(timings) // 2], "peak_mb": 0.0, "bytes": 0}
    elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "peak_mb": rss_mb() - base, "bytes": sink.bytes}


def run_one(url: str, method: str, rows: int) -> dict[str, float]:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "demo.settings"}
    out = subprocess.run(
        [sys.executable, __file__, "--one", method, str(rows)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--stock-max", type=int, default=100_000)
    parser.add_argument("--one", nargs=2, metavar=("METHOD", "ROWS"))
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one[0], int(args.one[1]))))
        return 0
    large = ensure_database("")
    small = ensure_database("_1k")
    env = {**os.environ, "DATABASE_URL": large}
    count = int(
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import django; django.setup(); from demo.catalog.models import Product; "
                "print(Product.objects.count())",
            ],
            cwd=ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": "demo.settings"},
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    sizes = [s for s in (int(x) for x in args.sizes.split(",")) if s <= count]
    print(f"products in {urlsplit(large).path[1:]}: {count:,}")
    print(f"{'rows':>10} {'method':>8} {'seconds':>8} {'rows/s':>9} {'peak MB':>8} {'vs raw':>7}")
    peaks = {}
    for rows in sizes:
        raw = run_one(large, "raw", rows)
        results = {"raw": raw, "toolkit": run_one(large, "toolkit", rows)}
        if rows <= args.stock_max:
            results["stock"] = run_one(large, "stock", rows)
        for method, r in results.items():
            print(
                f"{rows:>10,} {method:>8} {r['seconds']:>8.2f} {rows / r['seconds']:>9,.0f} "
                f"{r['peak_mb']:>8.1f} {r['seconds'] / raw['seconds']:>6.2f}x"
            )
        peaks[rows] = results["toolkit"]["peak_mb"]
        ratio = results["toolkit"]["seconds"] / raw["seconds"]
        print(f"{'':>10} toolkit/raw at {rows:,} rows: {ratio:.2f} (target: at most 1.5)")
    if len(peaks) > 1:
        low, high = min(peaks), max(peaks)
        print(
            f"toolkit peak memory at {high:,} rows minus at {low:,}: "
            f"{peaks[high] - peaks[low]:+.1f} MB (target: a few MB)"
        )
    one_large = run_one(large, "one", count)
    one_small = run_one(small, "one", 1000)
    print(
        f"one selected row: {one_large['seconds'] * 1000:.2f} ms from {count:,} rows, "
        f"{one_small['seconds'] * 1000:.2f} ms from 1,000 rows: "
        f"ratio {one_large['seconds'] / one_small['seconds']:.2f} (target: at most 1.2)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
