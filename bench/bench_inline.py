"""The product change page with 5 stock movements and with 50,000, side by side.

Each page uses ``ReadOnlyTabularInline`` + ``PaginatedTabularInline`` with its defaults
(the newest ``per_page`` rows, count capped at 1,000). Prints the median and 90th
percentile time of the page for a product with 5 movements, with exactly ``per_page``
(the same rows shown as with 50,000) and with 50,000; the ratio 50,000 / 5 (target:
within 1.2x) and 50,000 / ``per_page`` (what the relation's size alone costs); and the
number of queries of each page.

    .venv/bin/python bench/bench_inline.py [--movements 50000] [--rounds 40]

The database is ``toolkit_bench_inline`` on the PostgreSQL server of
``BENCH_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/``), created when
missing, seeded once and reused; ``BENCH_INLINE_DATABASE_URL`` names another database.
When PostgreSQL is unreachable the script says so and falls back to SQLite in
``var/bench_inline.sqlite3``. Requests go through Django's test client in this
process (every middleware, the templates, the database; no network), measured
interleaved so that both pages see the same machine load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import types
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/toolkit_bench_inline"
FEW, PAGE, MANY = "BENCH-FEW", "BENCH-PAGE", "BENCH-MANY"


def database_url() -> str:
    """``BENCH_INLINE_DATABASE_URL``, else this benchmark's own database on the server of
    ``BENCH_DATABASE_URL`` (other benchmarks' data is never touched)."""
    explicit = os.environ.get("BENCH_INLINE_DATABASE_URL")
    if explicit:
        return explicit
    server = urlsplit(os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    if not server.scheme.startswith("postgres"):
        return server.geturl()
    return server._replace(path="/" + urlsplit(DEFAULT_URL).path.lstrip("/")).geturl()


def choose_database(url: str) -> tuple[str, str]:
    """The database URL to use and a line saying which it is."""
    parts = urlsplit(url)
    if parts.scheme.startswith("postgres"):
        try:
            import psycopg
        except ImportError:
            return _sqlite("psycopg is not installed")
        name = parts.path.lstrip("/")
        maintenance = parts._replace(path="/postgres").geturl()
        try:
            with psycopg.connect(maintenance, autocommit=True, connect_timeout=3) as conn:
                exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
                if exists.fetchone() is None:
                    conn.execute(f'CREATE DATABASE "{name}"')
                version = conn.execute("SHOW server_version").fetchone()
        except psycopg.OperationalError as exc:
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else exc
            return _sqlite(f"PostgreSQL unreachable ({first_line})")
        return url, f"PostgreSQL {version[0] if version else '?'}, database {name}"
    return url, f"database {url}"


def _sqlite(reason: str) -> tuple[str, str]:
    path = ROOT / "var" / "bench_inline.sqlite3"
    path.parent.mkdir(exist_ok=True)
    return f"sqlite:///{path}", f"SQLite {path} -- NOTE: {reason}; figures are not PostgreSQL's"


def setup_django(database_url: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def build_urlconf() -> str:
    """An admin site like the demo's, whose product page uses the toolkit's inline."""
    from django.contrib import admin
    from django.urls import path

    from demo.catalog import admin as demo_admin
    from demo.catalog.models import Category, Product, StockMovement, Supplier, Tag
    from toolkit.admin_ext.inlines import PaginatedTabularInline, ReadOnlyTabularInline

    class MovementInline(ReadOnlyTabularInline, PaginatedTabularInline):
        model = StockMovement
        fields = ["timestamp", "quantity", "reason"]
        ordering = ["-timestamp", "-id"]

    class ProductAdmin(demo_admin.ProductAdmin):
        inlines = [MovementInline]

    site = admin.AdminSite(name="bench")
    site.register(Product, ProductAdmin)
    site.register(Category, demo_admin.CategoryAdmin)
    site.register(Supplier, demo_admin.SupplierAdmin)
    site.register(Tag, demo_admin.TagAdmin)
    site.register(StockMovement, demo_admin.StockMovementAdmin)

    module = types.ModuleType("bench_inline_urls")
    module.urlpatterns = [path("admin/", site.urls)]  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    return module.__name__


def per_page() -> int:
    from toolkit.admin_ext.inlines import PaginatedTabularInline

    return PaginatedTabularInline.per_page


def seed(movements: int, background: int) -> dict[str, int]:
    """Products with 5, ``per_page()`` and ``movements`` movements among others (their
    primary keys by SKU); reused when present."""
    from datetime import UTC, datetime, timedelta
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import Count

    from demo.catalog.models import Category, Product, StockMovement, Supplier

    call_command("migrate", verbosity=0)
    user_model = get_user_model()
    if not user_model.objects.filter(username="bench").exists():
        user_model.objects.create_superuser("bench", "bench@example.com", "bench-pw-123")

    wanted = {FEW: 5, PAGE: per_page(), MANY: movements}
    for i in range(background // 1000):
        wanted[f"BENCH-BG-{i:04d}"] = 1000
    current = dict(
        Product.objects.filter(sku__startswith="BENCH-")
        .values_list("sku")
        .annotate(n=Count("movements"))
    )
    if current == wanted:
        return dict(Product.objects.filter(sku__in=[FEW, PAGE, MANY]).values_list("sku", "pk"))

    print(f"seeding: {sum(wanted.values()):,} stock movements over {len(wanted)} products ...")
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with transaction.atomic():
        Product.objects.filter(sku__startswith="BENCH-").delete()
        category, _ = Category.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
        supplier, _ = Supplier.objects.get_or_create(name="Bench", defaults={"country": "DE"})
        for sku, count in wanted.items():
            product = Product.objects.create(
                sku=sku,
                name=f"Bench product {sku}",
                category=category,
                supplier=supplier,
                price=Decimal("19.90"),
                cost=Decimal("9.90"),
            )
            StockMovement.objects.bulk_create(
                (
                    StockMovement(
                        product=product,
                        quantity=(i % 7) - 3 or 1,
                        reason=StockMovement.Reason.SALE,
                        timestamp=start + timedelta(minutes=i),
                    )
                    for i in range(count)
                ),
                batch_size=5000,
            )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE catalog_product")
            cursor.execute("ANALYZE catalog_stockmovement")
    return dict(Product.objects.filter(sku__in=[FEW, PAGE, MANY]).values_list("sku", "pk"))


def measure(urlconf: str, pages: dict[str, str], rounds: int) -> dict[str, dict[str, float]]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    results: dict[str, dict[str, float]] = {}
    with override_settings(ROOT_URLCONF=urlconf):
        client = Client(HTTP_HOST="localhost")
        client.force_login(get_user_model().objects.get(username="bench"))
        times: dict[str, list[float]] = {label: [] for label in pages}
        queries: dict[str, int] = {}
        for label, url in pages.items():
            for _ in range(3):  # warm up: templates, content types, connection
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)
            with CaptureQueriesContext(connection) as ctx:
                client.get(url)
            queries[label] = len(ctx.captured_queries)
        for _ in range(rounds):
            for label, url in pages.items():
                began = time.perf_counter()
                response = client.get(url)
                times[label].append(time.perf_counter() - began)
                assert response.status_code == 200
        for label, samples in times.items():
            samples.sort()
            results[label] = {
                "median": statistics.median(samples) * 1000,
                "p90": samples[int(len(samples) * 0.9) - 1] * 1000,
                "queries": queries[label],
            }
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movements", type=int, default=50_000)
    parser.add_argument(
        "--background",
        type=int,
        default=100_000,
        help="movements of other products in the table (default 100,000)",
    )
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args(argv)

    url, description = choose_database(database_url())
    setup_django(url)
    urlconf = build_urlconf()
    pks = seed(args.movements, args.background)
    few, page, many = "5 movements", f"{per_page()} movements", f"{args.movements:,} movements"
    results = measure(
        urlconf,
        {
            few: f"/admin/catalog/product/{pks[FEW]}/change/",
            page: f"/admin/catalog/product/{pks[PAGE]}/change/",
            many: f"/admin/catalog/product/{pks[MANY]}/change/",
        },
        args.rounds,
    )

    ratio = results[many]["median"] / results[few]["median"]
    same_rows = results[many]["median"] / results[page]["median"]
    print(f"Product change page, read-only paginated inline of the newest {per_page()} movements")
    print(f"({description}; {args.rounds} interleaved rounds)")
    print(f"{'':<14}" + "".join(f"{label:>20}" for label in results))
    for key in ("median", "p90"):
        cells = "".join(f"{r[key]:>20.1f}" for r in results.values())
        print(f"{key + ' (ms)':<14}{cells}")
    print(f"{'queries':<14}" + "".join(f"{r['queries']:>20.0f}" for r in results.values()))
    verdict = "within target" if ratio <= 1.2 else "ABOVE TARGET"
    print(f"ratio {many} / {few}: {ratio:.2f}x (target <= 1.2x: {verdict})")
    print(f"ratio {many} / {page} (same rows shown, relation size alone): {same_rows:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
