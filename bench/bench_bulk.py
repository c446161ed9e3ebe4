"""Bulk actions on PostgreSQL: mass update, select-across delete, and the request that
starts a job.

    .venv/bin/python bench/bench_bulk.py [--products 200000] [--rows 100000] [--rounds 3]

Prints:

- mass update of ``--rows`` rows (a select-across on ``?id__lte=...``) run as the
  toolkit's job, chunk by chunk (``MassUpdateHandler`` through the job runner, as a
  worker runs it: changelist re-evaluated per chunk, one UPDATE per chunk, a summary
  LogEntry), against a raw ``queryset.update()`` of the same rows; median of
  ``--rounds``, interleaved. Target: ratio at most 1.5x. For scale, the per-object path
  (``save()`` + ``full_clean()``, the default for models that override ``save()``) on
  2,000 rows, as rows/s.
- the requests a person waits for: the mass update form's "Apply" and the delete
  confirmation's "Yes" on that selection (each starts a job and redirects), and the
  delete confirmation page itself (the cascade counted per model, related rows up to
  ``delete_summary_count_limit``). Target: under 1 s.
- select-across delete of ``--rows`` products with their cascade (stock movements,
  reviews, tag links): the job's time, and the number of fields its confirmation posts
  (constant; Django's own page posts one per row and fails past 1,000).

Databases on the server of ``BENCH_DATABASE_URL`` (default
``postgres://postgres@127.0.0.1:5432/toolkit_bench_bulk``): ``toolkit_bench_bulk``,
seeded once with ``seed_catalog --seed 1`` (200,000 products by default: 1,000,000 took
15 minutes to seed on these loaded machines, and 100,000-row operations need no more),
and ``toolkit_bench_bulk_work``, a fresh copy of it for each run, since the delete
destroys rows.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/toolkit_bench_bulk"


def with_db(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def psql(url: str, sql: str) -> str:
    result = subprocess.run(
        ["psql", with_db(url, "postgres"), "-tAc", sql], capture_output=True, text=True
    )
    if result.returncode:
        raise SystemExit(f"psql failed: {result.stderr.strip()}")
    return result.stdout.strip()


def manage(url: str, *args: str) -> None:
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def prepare(base_url: str, products: int) -> str:
    """The seeded template (once) and a fresh working copy; returns the copy's URL."""
    template = urlsplit(base_url).path.lstrip("/")
    work = f"{template}_work"
    exists = psql(base_url, f"SELECT 1 FROM pg_database WHERE datname = '{template}'")
    if not exists:
        print(f"seeding {template} with {products:,} products (once)...", flush=True)
        psql(base_url, f'CREATE DATABASE "{template}"')
        manage(base_url, "migrate", "-v0")
        manage(base_url, "seed_catalog", "--products", str(products), "--seed", "1")
    psql(base_url, f'DROP DATABASE IF EXISTS "{work}"')
    started = time.perf_counter()
    psql(base_url, f'CREATE DATABASE "{work}" TEMPLATE "{template}"')
    print(f"fresh copy {work} in {time.perf_counter() - started:.1f}s", flush=True)
    # The template was seeded by an older checkout, perhaps: bring the copy's schema up.
    manage(with_db(base_url, work), "migrate", "-v0")
    return with_db(base_url, work)


# -- the measuring process -----------------------------------------------------------


def child(rows: int, rounds: int) -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib import admin
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test import Client
    from django.urls import path
    from django.utils import timezone

    from demo.catalog.models import Product, Review, StockMovement
    from toolkit.admin_ext.actions import BulkActionsMixin, MassUpdateHandler
    from toolkit.admin_ext.selection import Selection
    from toolkit.jobs.models import Job, JobStatus
    from toolkit.jobs.runner import run_job
    from toolkit.jobs.tasks import start_job

    site = admin.AdminSite(name="bench_bulk")

    class ProductAdmin(BulkActionsMixin, admin.ModelAdmin):  # type: ignore[type-arg]
        list_display = ["sku", "name", "price", "stock", "status"]
        list_filter = ["status", "is_active"]
        search_fields = ["sku", "name"]
        actions = ["mass_update"]
        # Product.save() only stamps `updated`: set it here and keep the single UPDATE.
        mass_update_per_object = False

        def get_mass_update_values(self, request, cleaned):  # type: ignore[no-untyped-def]
            from django.utils import timezone

            return {**cleaned, "updated": timezone.now()}

    class PerObjectAdmin(BulkActionsMixin, admin.ModelAdmin):  # type: ignore[type-arg]
        actions = ["mass_update"]

    site.register(Product, ProductAdmin)
    per_object_site = admin.AdminSite(name="bench_bulk_per_object")
    per_object_site.register(Product, PerObjectAdmin)
    urls = types.ModuleType("bench_bulk_urls")
    urls.urlpatterns = [  # type: ignore[attr-defined]
        path("bench/", site.urls),
        path("admin/", admin.site.urls),
    ]
    sys.modules["bench_bulk_urls"] = urls
    settings.ROOT_URLCONF = "bench_bulk_urls"
    settings.ALLOWED_HOSTS = ["*"]
    from django.urls import clear_url_caches

    clear_url_caches()

    user_model = get_user_model()
    user = user_model.objects.filter(username="bench").first() or (
        user_model.objects.create_superuser("bench", "bench@example.com", "bench")
    )
    client = Client()
    client.force_login(user)

    pks = list(Product.objects.order_by("pk").values_list("pk", flat=True)[:rows])
    last = pks[-1]
    query = f"id__lte={last}"
    url = f"/bench/catalog/product/?{query}"
    selection = Selection(
        site="bench_bulk", model="catalog.product", query=query, select_across=True
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE catalog_product")

    def raw_update(value: int) -> float:
        started = time.perf_counter()
        with transaction.atomic():
            # The same columns the toolkit writes (Product.save() stamps `updated`).
            Product.objects.filter(pk__lte=last).update(stock=value, updated=timezone.now())
        return time.perf_counter() - started

    def job_update(
        value: int, sel: Selection = selection, per_object: bool = False
    ) -> tuple[float, Job]:
        job = start_job(
            MassUpdateHandler,
            user=user,
            model=Product,
            target=sel.to_dict(),
            params={
                "fields": ["stock"],
                "data": {"mu-stock": [str(value)]},
                "per_object": per_object,
                "log_each": False,
            },
        )
        Job.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
        started = time.perf_counter()
        run_job(job.pk)
        elapsed = time.perf_counter() - started
        job.refresh_from_db()
        assert job.status == JobStatus.DONE, job.error
        return elapsed, job

    # The job is started here without a worker: the dummy backend keeps the task.
    from toolkit.compat import TASKS_MODULE

    settings.TASKS = {"default": {"BACKEND": f"{TASKS_MODULE}.backends.dummy.DummyBackend"}}

    raw_times, job_times = [], []
    value = 10_000
    for _ in range(rounds):
        value += 1
        raw_times.append(raw_update(value))
        value += 1
        elapsed, job = job_update(value)
        assert job.done == rows, (job.done, rows)
        job_times.append(elapsed)
    assert Product.objects.filter(pk__lte=last, stock=value).count() == rows

    small = Selection(
        site="bench_bulk_per_object",
        model="catalog.product",
        query=f"id__lte={pks[1999]}",
        select_across=True,
    )
    per_object_time, _ = job_update(value + 1, small, per_object=True)

    # -- the requests a person waits for ------------------------------------------------
    def timed_post(data: dict[str, Any]) -> tuple[float, Any]:
        started = time.perf_counter()
        response = client.post(url, data)
        return time.perf_counter() - started, response

    form_time, form_page = timed_post(
        {"action": "mass_update", "select_across": "1", "_selected_action": [str(pks[0])]}
    )
    hidden = dict(
        re.findall(
            r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form_page.content.decode()
        )
    )
    data = {k: v for k, v in hidden.items() if not k.startswith(("initial-", "mu-"))}
    apply_time, response = timed_post({**data, "_field": ["stock"], "mu-stock": "7", "_apply": "1"})
    assert response.status_code == 302 and "/toolkit_jobs/job/" in response["Location"], response

    confirm_page_time, confirm_page = timed_post(
        {"action": "delete_selected", "select_across": "1", "_selected_action": [str(pks[0])]}
    )
    html = confirm_page.content.decode()
    form = html[html.index('<form method="post">') :]
    posted_fields = len(re.findall(r"<input[^>]+name=", form))
    confirm_fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    cascade = {
        "products": rows,
        "stock movements": StockMovement.objects.filter(product_id__lte=last).count(),
        "reviews": Review.objects.filter(product_id__lte=last).count(),
    }
    confirm_time, response = timed_post(confirm_fields)
    assert response.status_code == 302 and "/toolkit_jobs/job/" in response["Location"], response
    delete_job = Job.objects.filter(kind="admin_ext.bulk_delete").latest("pk")
    started = time.perf_counter()
    run_job(delete_job.pk)
    delete_time = time.perf_counter() - started
    delete_job.refresh_from_db()
    assert delete_job.status == JobStatus.DONE, delete_job.error
    assert not Product.objects.filter(pk__lte=last).exists()
    assert not StockMovement.objects.filter(product_id__lte=last).exists()

    return {
        "rows": rows,
        "raw": statistics.median(raw_times),
        "job": statistics.median(job_times),
        "per_object_rows_s": 2000 / per_object_time,
        "form": form_time,
        "apply": apply_time,
        "confirm_page": confirm_page_time,
        "confirm": confirm_time,
        "posted_fields": posted_fields,
        "cascade": cascade,
        "delete": delete_time,
        "deleted": delete_job.done,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=200_000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.rows, args.rounds)))
        return 0
    base = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if subprocess.run(
        ["psql", with_db(base, "postgres"), "-tAc", "SELECT 1"], capture_output=True
    ).returncode:
        print(f"PostgreSQL at {base} is unreachable; this benchmark needs it.")
        return 1
    work_url = prepare(base, args.products)
    env = {**os.environ, "DATABASE_URL": work_url, "DJANGO_SETTINGS_MODULE": "demo.settings"}
    result = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            "--rows",
            str(args.rows),
            "--rounds",
            str(args.rounds),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode:
        print(result.stdout[-3000:], result.stderr[-5000:])
        return 1
    r = json.loads(result.stdout.strip().splitlines()[-1])
    n = r["rows"]
    ratio = r["job"] / r["raw"]
    print(f"\nMass update of {n:,} rows (of {args.products:,} products), median of {args.rounds}:")
    print(f"  raw queryset.update()          {r['raw']:7.2f} s")
    print(
        f"  toolkit job (chunks, log)      {r['job']:7.2f} s   ratio {ratio:.2f}x "
        f"(target <= 1.5x: {'met' if ratio <= 1.5 else 'MISSED'})"
    )
    print(f"  per-object path (save+clean)   {r['per_object_rows_s']:7.0f} rows/s (2,000 rows)")
    print("\nRequests a person waits for (select-across on the same rows):")
    for key, label in [
        ("form", "mass update form"),
        ("apply", "mass update Apply (starts job)"),
        ("confirm_page", "delete confirmation page"),
        ("confirm", "delete Yes (starts job)"),
    ]:
        flag = "met" if r[key] < 1 else "MISSED"
        print(f"  {label:32s} {r[key]:6.3f} s   (target < 1 s: {flag})")
    cascade = ", ".join(f"{v:,} {k}" for k, v in r["cascade"].items())
    print(f"\nSelect-across delete of {n:,} products with their cascade ({cascade}):")
    print(
        f"  job time                        {r['delete']:7.2f} s   ({r['deleted']:,} deleted, "
        f"{r['deleted'] / r['delete']:,.0f} products/s)"
    )
    print(
        f"  fields posted by the confirmation: {r['posted_fields']} "
        f"(Django's own: one per row, {n:,}, refused past DATA_UPLOAD_MAX_NUMBER_FIELDS=1000)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
