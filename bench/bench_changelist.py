"""The product changelist at 1,000 and at 1,000,000 products, stock admin vs toolkit.

    .venv/bin/python bench/bench_changelist.py [--small 1000] [--large 1000000]
                                               [--rounds 3] [--runs 3]

For each page (plain, searched, filtered, sorted, last page, qualified search, totals)
it prints the median time over ``--rounds`` x ``--runs`` requests of a stock
``ModelAdmin`` ("plain": the demo ProductAdmin's list_display, list_select_related, a
list_filter and search_fields) and of the same admin with ``SearchMixin`` and
``PerformanceMixin`` (qualifiers, keyset pagination, estimated counts, select_related
derived from list_display), at both sizes; then the ratio large/small of each (target:
toolkit within 2x), the ratio toolkit/plain at the large size (target: at most 1x), the
queries per page and the rows listed.

The qualified search (``supplier:er price>=10 price<50 -"usb-c" -tag:refurbished``)
is compared with the stock admin filtered by the same supplier and prices (it cannot
exclude). The totals pages use a third admin, the toolkit one plus ``TotalsMixin``
with the demo's ``list_totals`` and limits: on the plain page (1k aggregates, 1m is
over the limit and shows the "totals are computed for at most N rows" line) and on a
filter of 0.5 % of the rows (aggregated at both sizes); the stock admin has no totals.
Every measured page is first checked to show no warning message.

Databases: ``<name>_1k`` and ``<name>_1m`` on the PostgreSQL server of
``BENCH_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/toolkit_bench``,
so ``toolkit_bench_1k`` and ``toolkit_bench_1m``), created when missing and seeded once
with ``manage.py seed_catalog --seed 1`` (a million products take a while the first
time; later runs reuse them). When PostgreSQL is unreachable it says so and uses
SQLite files in ``var/``. Each size is measured in its own process (the settings read
the database URL once), the sizes taking turns for ``--rounds`` rounds so that both see
the same machine load; requests go through Django's test client (every middleware, the
templates, the database; no network), plain and toolkit interleaved.
"""

from __future__ import annotations

import argparse
import html
import json
import math
import os
import re
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/toolkit_bench"
SEED = 1
#: A free search term in about 12 % of the seeded products ("steel", "stainless", ...):
#: enough to fill a page of 100 at both sizes, so that both render the same rows.
TERM = "ste"

#: The pages, as query strings. "last page" is filled in per admin (page number for
#: the stock admin, the keyset "last" link for the toolkit).
PAGES: dict[str, dict[str, str]] = {
    "plain": {},
    "searched": {"q": TERM},
    "filtered": {"status__exact": "active"},
    "sorted": {"o": "-5"},  # price, most expensive first (column 0 holds the checkboxes)
    "last page": {},
}

# --- search and totals ----------------------------------------------------------------
# The toolkit admin also has SearchMixin, with the demo's qualifiers for these pages.
# Totals have an admin of their own (/totals/: the toolkit admin plus TotalsMixin with
# the demo ProductAdmin's list_totals and row limits), so that the other pages measure
# no aggregate.
TOOLKIT_MIXINS: tuple[str, ...] = ("toolkit.admin_ext.search.SearchMixin",)
TOOLKIT_OPTIONS: dict[str, Any] = {
    "search_qualifiers": {
        "supplier": "supplier__name__icontains",
        "price": "price",
        "tag": "tags__name__iexact",
    },
}
#: A qualified search as staff type it: a supplier, a price range, a phrase left out
#: and a tag left out (EXISTS over the many-to-many). About 23 % of the products, so
#: both sizes fill a page. The stock admin gets the same supplier and price lookups as
#: query-string filters; it has no way to exclude, so it does a little less work.
QUALIFIED = 'supplier:er price>=10 price<50 -"usb-c" -tag:refurbished'
#: About 0.5 % of the products (5,000 at 1m, so within the demo's totals limit of
#: 10,000 rows; a handful at 1k).
FEW_ROWS = {"price__gte": "400"}

#: page: (toolkit params, stock admin params, the toolkit site: "toolkit" or "totals")
EXTRA_PAGES: dict[str, tuple[dict[str, str], dict[str, str], str]] = {
    "qualified search": (
        {"q": QUALIFIED},
        {"supplier__name__icontains": "er", "price__gte": "10", "price__lt": "50"},
        "toolkit",
    ),
    # The plain page with the totals row: 1k aggregates its 1,000 rows, 1m is over the
    # demo's limit and says so instead of reading a million rows.
    "totals": ({}, {}, "totals"),
    # A filter narrow enough that 1m aggregates too.
    "totals, 0.5 %": (FEW_ROWS, FEW_ROWS, "totals"),
}


def size_label(products: int) -> str:
    if products >= 1_000_000 and products % 1_000_000 == 0:
        return f"{products // 1_000_000}m"
    if products >= 1000 and products % 1000 == 0:
        return f"{products // 1000}k"
    return str(products)


# --- parent: one child process per size, then the table ---------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1000, metavar="N")
    parser.add_argument("--large", type=int, default=1_000_000, metavar="N")
    parser.add_argument("--rounds", type=int, default=3, help="turns each size takes")
    parser.add_argument("--runs", type=int, default=3, help="timed requests per page and turn")
    parser.add_argument("--measure", type=int, metavar="N", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure is not None:
        return measure_size(args.measure, args.runs)

    print(f"Load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", flush=True)
    results: dict[int, dict[str, Any]] = {}
    for _round in range(args.rounds):
        for products in (args.small, args.large):
            child = subprocess.run(
                [sys.executable, __file__, "--measure", str(products), "--runs", str(args.runs)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                text=True,
            )
            if child.returncode:
                print(f"measuring {products:,} products failed (exit {child.returncode})")
                return 1
            turn = json.loads(child.stdout.strip().splitlines()[-1])
            if products not in results:
                results[products] = turn
                continue
            for page, pair in turn["pages"].items():
                for admin_name, figures in pair.items():
                    results[products]["pages"][page][admin_name]["samples"] += figures["samples"]
    report(results[args.small], results[args.large], args.rounds * args.runs)
    print(f"Load average after: {os.getloadavg()[0]:.2f}")
    return 0


def report(small: dict[str, Any], large: dict[str, Any], runs: int) -> None:
    s, la = size_label(small["products"]), size_label(large["products"])
    print(f"\nProduct changelist, median of {runs} requests ({large['database']})")
    header = (
        f"{'page':<18}{'plain ' + s:>10}{'plain ' + la:>10}{'toolkit ' + s:>12}"
        f"{'toolkit ' + la:>12}{'plain ' + la + '/' + s:>12}{'toolkit ' + la + '/' + s:>14}"
        f"{'toolkit/plain':>15}{'queries':>12}{'rows':>10}  note"
    )
    print(header)
    print("-" * len(header))
    worst_growth = worst_vs_plain = 0.0
    # A page that lists fewer rows at the small size is not the same page there:
    # its growth includes rendering more rows, so it is shown but not judged.
    unequal: list[str] = []
    for result in (small, large):
        for pair in result["pages"].values():
            for figures in pair.values():
                figures["ms"] = statistics.median(figures["samples"])
    for page in large["pages"]:
        ps, pl = small["pages"][page]["plain"], large["pages"][page]["plain"]
        ts, tl = small["pages"][page]["toolkit"], large["pages"][page]["toolkit"]
        growth, vs_plain = tl["ms"] / ts["ms"], tl["ms"] / pl["ms"]
        worst_vs_plain = max(worst_vs_plain, vs_plain)
        if ts.get("rows") == tl.get("rows"):
            worst_growth = max(worst_growth, growth)
        else:
            unequal.append(f"{page} ({ts.get('rows')} rows at {s}, {tl.get('rows')} at {la})")
        note = " / ".join(
            f"{label}: {result.get('notes', {})[page]}"
            for label, result in ((s, small), (la, large))
            if page in result.get("notes", {})
        )
        print(
            f"{page:<18}{ps['ms']:>8.1f}ms{pl['ms']:>8.1f}ms{ts['ms']:>10.1f}ms{tl['ms']:>10.1f}ms"
            f"{pl['ms'] / ps['ms']:>11.1f}x{growth:>13.2f}x{vs_plain:>14.2f}x"
            f"{pl['queries']:>7}/{tl['queries']:<4}"
            f"{ts.get('rows', '?'):>5}/{tl.get('rows', '?'):<4}  {note}"
        )
    print(
        f"\nworst toolkit {la}/{s}: {worst_growth:.2f}x (target <= 2x: "
        f"{'met' if worst_growth <= 2 else 'NOT MET'}); worst toolkit/plain at {la}: "
        f"{worst_vs_plain:.2f}x (target <= 1x: {'met' if worst_vs_plain <= 1 else 'NOT MET'})"
    )
    if unequal:
        print(f"not in the {la}/{s} verdict, as they list fewer rows at {s}: " + "; ".join(unequal))
    print(
        "queries: plain/toolkit per page at the large size (session and user included); "
        f"rows: rows the toolkit page lists at {s}/{la}"
    )


# --- child: one database ----------------------------------------------------------------


def database_url(products: int) -> tuple[str, str]:
    """The URL of this size's database (created when missing) and a line about it."""
    base = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    parts = urlsplit(base)
    name = f"{parts.path.lstrip('/') or 'toolkit_bench'}_{size_label(products)}"
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
        return parts._replace(path=f"/{name}").geturl(), (
            f"PostgreSQL {version[0] if version else '?'}"
        )
    return _sqlite(name, f"{base} is not a PostgreSQL URL")


def _sqlite(name: str, reason: str) -> tuple[str, str]:
    path = ROOT / "var" / f"{name}.sqlite3"
    path.parent.mkdir(exist_ok=True)
    return f"sqlite:///{path}", f"SQLite -- NOTE: {reason}; figures are not PostgreSQL's"


def setup_django(url: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "demo.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def seed(products: int) -> None:
    """Seed ``products`` products once; a database already holding them is reused."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from demo.catalog.models import Product

    call_command("migrate", verbosity=0)
    if Product.objects.count() != products:
        print(f"seeding {products:,} products (once; later runs reuse them) ...", file=sys.stderr)
        call_command("seed_catalog", products=products, seed=SEED, flush=True, stdout=sys.stderr)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
    users = get_user_model()
    if not users.objects.filter(username="bench").exists():
        users.objects.create_superuser("bench", "bench@example.com", "bench-pw-123")


def build_urlconf() -> types.ModuleType:
    """``/plain/``: a stock ModelAdmin; ``/toolkit/``: the same with PerformanceMixin."""
    from django.contrib import admin
    from django.urls import path
    from django.utils.module_loading import import_string

    from demo.catalog import admin as demo_admin
    from demo.catalog.models import Product
    from toolkit.admin_ext import PerformanceMixin, TotalsMixin

    demo = demo_admin.ProductAdmin
    options = {
        "list_display": list(demo.list_display),
        "list_filter": ["status", "is_active"],
        "search_fields": ["sku", "name"],
        "show_full_result_count": False,
    }

    def lookup_allowed(self: Any, lookup: str, value: str, request: Any) -> bool:
        # The qualified-search page filters the stock admin by supplier name.
        if lookup == "supplier__name__icontains":
            return True
        return admin.ModelAdmin.lookup_allowed(self, lookup, value, request)

    plain_admin = type(
        "PlainProductAdmin",
        (admin.ModelAdmin,),
        {
            **options,
            "list_select_related": ["category", "category__parent", "supplier"],
            "lookup_allowed": lookup_allowed,
        },
    )
    mixins = tuple(import_string(name) for name in TOOLKIT_MIXINS)
    toolkit_admin = type(
        "ToolkitProductAdmin",
        (*mixins, PerformanceMixin, admin.ModelAdmin),
        {
            **options,
            "list_select_related_extra": ["category__parent"],
            "keyset_pagination": True,
            **TOOLKIT_OPTIONS,
        },
    )
    totals_admin = type(
        "TotalsProductAdmin",
        (TotalsMixin, toolkit_admin),
        {
            "list_totals": demo.list_totals,
            "list_totals_max_rows": demo.list_totals_max_rows,
            "estimated_count_threshold": demo.estimated_count_threshold,
        },
    )
    plain, toolkit = admin.AdminSite(name="plain"), admin.AdminSite(name="toolkit")
    totals = admin.AdminSite(name="totals")
    plain.register(Product, plain_admin)
    toolkit.register(Product, toolkit_admin)
    totals.register(Product, totals_admin)
    module = types.ModuleType("bench_changelist_urls")
    module.urlpatterns = [  # type: ignore[attr-defined]
        path("plain/", plain.urls),
        path("toolkit/", toolkit.urls),
        path("totals/", totals.urls),
    ]
    sys.modules[module.__name__] = module
    return module


def measure_size(products: int, runs: int) -> int:
    url, description = database_url(products)
    setup_django(url)
    seed(products)
    urlconf = build_urlconf()

    from django.contrib import messages
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from demo.catalog.models import Product

    plain_base, toolkit_base = "/plain/catalog/product/", "/toolkit/catalog/product/"
    with override_settings(ROOT_URLCONF=urlconf.__name__, ALLOWED_HOSTS=["localhost"]):
        client = Client(HTTP_HOST="localhost")
        client.force_login(get_user_model().objects.get(username="bench"))

        urls: dict[str, dict[str, str]] = {}
        for page, params in PAGES.items():
            urls[page] = {
                "plain": plain_base + _query(params),
                "toolkit": toolkit_base + _query(params),
            }
        last = math.ceil(Product.objects.count() / 100)
        urls["last page"]["plain"] = plain_base + _query({"p": str(last)})
        # The "Last" link of the toolkit's first page (its template marks it rel="last").
        first = client.get(toolkit_base).content.decode()
        last_link = re.search(r'href="([^"]*)" rel="last"', first)
        urls["last page"]["toolkit"] = toolkit_base + html.unescape(
            last_link.group(1) if last_link else ""
        )
        for page, (toolkit_params, plain_params, site) in EXTRA_PAGES.items():
            urls[page] = {
                "plain": plain_base + _query(plain_params),
                "toolkit": f"/{site}/catalog/product/" + _query(toolkit_params),
            }

        queries: dict[str, dict[str, int]] = {}
        rows: dict[str, dict[str, int]] = {page: {} for page in urls}
        notes: dict[str, str] = {}
        for page, pair in urls.items():
            queries[page] = {}
            for admin_name, page_url in pair.items():
                response = client.get(page_url)  # warm up: templates, caches, connection
                assert response.status_code == 200, (page_url, response.status_code)
                problems = [
                    str(m)
                    for m in messages.get_messages(response.wsgi_request)
                    if m.level >= messages.WARNING
                ]
                assert not problems, (page_url, problems)  # a page must mean what it says
                context = response.context_data
                if page == "qualified search" and admin_name == "toolkit":
                    assert not context["cl"].queryset.query.distinct  # EXISTS, never DISTINCT
                rows[page][admin_name] = len(context["cl"].result_list)
                totals = context.get("toolkit_totals")
                if totals is not None:
                    notes[page] = "totals skipped" if totals.skipped else "totals shown"
                with CaptureQueriesContext(connection) as captured:
                    client.get(page_url)
                queries[page][admin_name] = len(captured.captured_queries)

        samples: dict[str, dict[str, list[float]]] = {
            page: {"plain": [], "toolkit": []} for page in urls
        }
        for _ in range(runs):
            for page, pair in urls.items():
                for admin_name, page_url in pair.items():
                    began = time.perf_counter()
                    client.get(page_url)
                    samples[page][admin_name].append((time.perf_counter() - began) * 1000)

    result = {
        "products": products,
        "database": description,
        "pages": {
            page: {
                admin_name: {
                    "samples": times,
                    "queries": queries[page][admin_name],
                    "rows": rows[page][admin_name],
                }
                for admin_name, times in pair.items()
            }
            for page, pair in samples.items()
        },
        "notes": notes,
    }
    print(json.dumps(result))
    return 0


def _query(params: dict[str, str]) -> str:
    return "?" + urlencode(params) if params else ""


if __name__ == "__main__":
    sys.exit(main())
