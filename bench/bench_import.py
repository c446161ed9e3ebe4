"""Import of 100,000 products from a CSV file: the toolkit's batched import vs raw
``bulk_create(batch_size=1000)`` vs django-import-export's stock ``import_data``.

    .venv/bin/python bench/bench_import.py [--rows 100000] [--stock-rows 2000]

Database: ``toolkit_bench_io`` on the PostgreSQL server of ``BENCH_DATABASE_URL``
(created and seeded by bench_export.py's rules when missing). The file names category
by slug, supplier by name and tags by name (the demo's ProductResource), with new SKUs;
the imported rows are deleted afterwards.

- toolkit: what ``ImportJobHandler`` does, chunk by chunk: read the next 1,000 rows of
  the stored file, validate them with one query per related model and one for existing
  SKUs, ``bulk_create`` them and their tags in one transaction;
- raw: ``Product.objects.bulk_create(batch_size=1000)`` of the same rows, categories and
  suppliers resolved from dicts built beforehand, no validation, no tags;
- stock: ``ProductResource().import_data()`` (row by row) on ``--stock-rows`` rows,
  its rate extrapolated to ``--rows``.

The toolkit and raw imports run interleaved, 1,000 rows of one then 1,000 of the other
(the raw rows under SKUs of their own), alternating which goes first: on a machine busy
with other work, the load then falls on both alike and the ratio stays meaningful.

Target: toolkit within 3x of raw.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PREFIX = "IMPBENCH-"
RAW_PREFIX = "IMPRAW-"
BATCH = 1000


def make_rows(
    count: int, categories: list[str], suppliers: list[str], tags: list[str], prefix: str = PREFIX
) -> list[dict[str, str]]:
    return [
        {
            "sku": f"{prefix}{i:07}",
            "name": f"Imported product {i}",
            "category": categories[i % len(categories)],
            "supplier": suppliers[i % len(suppliers)],
            "price": f"{(i % 500) + 0.99:.2f}",
            "cost": f"{(i % 300) + 0.49:.2f}",
            "stock": str(i % 70),
            "status": "active",
            "tags": ",".join(tags[i % len(tags) : i % len(tags) + 2]) if tags else "",
        }
        for i in range(count)
    ]


def to_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--stock-rows", type=int, default=2_000)
    args = parser.parse_args()

    import bench_export

    os.environ["DATABASE_URL"] = bench_export.ensure_database("")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")
    import django

    django.setup()
    from itertools import islice

    import tablib
    from django.core.files.base import ContentFile
    from django.db import transaction

    from demo.catalog.models import Category, Product, Supplier, Tag
    from demo.catalog.resources import ProductResource
    from toolkit.admin_ext.importexport import (
        BulkImporter,
        inspect_upload,
        read_csv_batch,
        upload_storage,
    )

    def clean() -> None:
        for prefix in (PREFIX, RAW_PREFIX):
            Product.tags.through.objects.filter(product__sku__startswith=prefix).delete()
            Product.objects.filter(sku__startswith=prefix).delete()

    clean()
    categories = list(Category.objects.values_list("slug", flat=True)[:200])
    suppliers = list(Supplier.objects.values_list("name", flat=True)[:200])
    tags = list(Tag.objects.values_list("name", flat=True)[:20])
    rows = make_rows(args.rows, categories, suppliers, tags)
    data = to_csv(rows)
    print(
        f"{args.rows:,} rows, {len(data) / 1e6:.1f} MB of CSV, "
        f"{Product.objects.count():,} products already there"
    )

    raw_data = to_csv(make_rows(args.rows, categories, suppliers, tags, RAW_PREFIX))

    # toolkit: as ImportJobHandler runs it, chunk by chunk from the stored file;
    # raw: bulk_create of the same rows parsed from CSV, related ids from dicts built once.
    parsed = inspect_upload(data, "bench.csv", 10**9)
    name = upload_storage().save("toolkit_imports/bench.csv", ContentFile(data))
    toolkit = raw = 0.0
    try:
        importer = BulkImporter(ProductResource())
        done = failed = 0
        row, offset = 2, 0
        raw_reader = csv.DictReader(io.StringIO(raw_data.decode()))
        raw_ids: dict[str, dict[str, int]] = {}
        raw_done = 0

        def toolkit_batch() -> bool:
            nonlocal done, failed, row, offset, toolkit
            started = time.perf_counter()
            batch, offset = read_csv_batch(
                name, parsed.delimiter, parsed.headers, row, offset, BATCH
            )
            if batch:
                row = batch[-1][0] + 1
                with transaction.atomic():
                    results = importer.validate(batch)
                    created, updated = importer.write(results)
                done += created + updated
                failed += sum(1 for r in results if not r.is_valid)
            toolkit += time.perf_counter() - started
            return bool(batch)

        def raw_batch() -> bool:
            nonlocal raw, raw_done
            started = time.perf_counter()
            if not raw_ids:
                raw_ids["category"] = dict(Category.objects.values_list("slug", "pk"))
                raw_ids["supplier"] = dict(Supplier.objects.values_list("name", "pk"))
            objects = [
                Product(
                    sku=r["sku"],
                    name=r["name"],
                    category_id=raw_ids["category"][r["category"]],
                    supplier_id=raw_ids["supplier"][r["supplier"]],
                    price=Decimal(r["price"]),
                    cost=Decimal(r["cost"]),
                    stock=int(r["stock"]),
                    status=r["status"],
                )
                for r in islice(raw_reader, BATCH)
            ]
            Product.objects.bulk_create(objects, batch_size=BATCH)
            raw_done += len(objects)
            raw += time.perf_counter() - started
            return bool(objects)

        for index in range(args.rows // BATCH + 2):
            first, second = (toolkit_batch, raw_batch) if index % 2 else (raw_batch, toolkit_batch)
            more = [first(), second()]
            if not any(more):
                break
    finally:
        upload_storage().delete(name)
    assert done == args.rows and not failed, (done, failed)
    assert raw_done == args.rows, raw_done
    clean()

    # stock import-export, row by row
    sample = rows[: args.stock_rows]
    dataset = tablib.Dataset(headers=list(sample[0]))
    for r in sample:
        dataset.append(list(r.values()))
    started = time.perf_counter()
    result = ProductResource().import_data(dataset, dry_run=False, use_transactions=True)
    stock = time.perf_counter() - started
    assert not result.has_errors() and not result.has_validation_errors()
    clean()

    stock_rate = args.stock_rows / stock
    print(f"{'method':>8} {'seconds':>8} {'rows/s':>9} {'vs raw':>7}")
    print(f"{'raw':>8} {raw:>8.2f} {args.rows / raw:>9,.0f} {1:>6.2f}x")
    print(
        f"{'toolkit':>8} {toolkit:>8.2f} {args.rows / toolkit:>9,.0f} {toolkit / raw:>6.2f}x"
        "  (with validation and tags)"
    )
    print(
        f"{'stock':>8} {args.rows / stock_rate:>8.2f} {stock_rate:>9,.0f} "
        f"{args.rows / stock_rate / raw:>6.2f}x"
        f"  (measured on {args.stock_rows:,} rows, extrapolated)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
