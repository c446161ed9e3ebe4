"""``manage.py seed_catalog --products N``: fill the catalog with realistic, reproducible data.

The generator lives in :mod:`demo.catalog.seeding` (its words in ``demo/catalog/data/``);
this command checks the arguments, guards a non-empty catalog, and reports progress and
totals.
"""

from __future__ import annotations

import os
from argparse import ArgumentParser
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from demo.catalog.seeding import (
    ANOMALY_KINDS,
    ANOMALY_RATE,
    DEFAULT_BATCH_SIZE,
    ROW_KINDS,
    CatalogSeeder,
    SeedProgress,
    SeedReport,
    catalog_counts,
    flush_catalog,
)


class Command(BaseCommand):
    help = (
        "Fill the catalog with N realistic products (with stock movements, reviews and "
        f"tags) that are the same for the same --seed. About {ANOMALY_RATE:.0%} of them "
        "carry one injected anomaly, listed only in the --labels-out CSV."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--products", type=int, required=True, metavar="N", help="Number of products."
        )
        parser.add_argument(
            "--seed", type=int, default=0, help="Seed of the generator (default 0)."
        )
        parser.add_argument(
            "--labels-out",
            type=Path,
            metavar="FILE",
            help="Write the injected anomalies as CSV (sku,anomaly,field,detail) to FILE.",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            metavar="B",
            help=f"Products per insert and transaction (default {DEFAULT_BATCH_SIZE}).",
        )
        parser.add_argument(
            "--today",
            metavar="YYYY-MM-DD",
            help="The day the catalog's 18 months of history end (default: today). The "
            "same --seed and --today give the same rows, timestamps included.",
        )
        parser.add_argument(
            "--flush",
            action="store_true",
            help="Delete the whole catalog (products, categories, suppliers, tags) first.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        products: int = options["products"]
        batch_size: int = options["batch_size"]
        labels_out: Path | None = options["labels_out"]
        today = None
        if options.get("today"):
            try:
                today = date.fromisoformat(str(options["today"]))
            except ValueError:
                raise CommandError(
                    f"--today must be a date as YYYY-MM-DD, not {options['today']!r}."
                ) from None
        if products < 0:
            raise CommandError(f"--products must be 0 or more, not {products}.")
        if batch_size < 1:
            raise CommandError(f"--batch-size must be at least 1, not {batch_size}.")
        if labels_out is not None and not labels_out.parent.is_dir():
            raise CommandError(
                f"Cannot write labels to {labels_out}: {labels_out.parent} is not a directory."
            )

        counts = catalog_counts()
        if counts["Product"] and not options["flush"]:
            raise CommandError(
                f"The catalog already holds {counts['Product']:,} products. Pass --flush to "
                "delete the catalog (products, categories, suppliers, tags) before seeding."
            )
        if options["flush"]:
            flush_catalog()
            self.stdout.write(f"Flushed the catalog ({counts['Product']:,} products).")
        elif any(counts.values()):
            # Categories, suppliers or tags without products: left by a seed that was
            # interrupted before its first batch. They would clash with the new ones.
            leftovers = ", ".join(f"{n:,} {model}" for model, n in counts.items() if n)
            flush_catalog()
            self.stdout.write(f"Deleted {leftovers} left without products.")

        seeder = CatalogSeeder(products, seed=options["seed"], batch_size=batch_size, today=today)
        if labels_out is None:
            report = seeder.run(progress=self._progress)
        else:
            # Write next to the target and rename at the end, so a failed run leaves no
            # half-written labels file that looks complete.
            partial = labels_out.with_name(labels_out.name + ".partial")
            try:
                with partial.open("w", encoding="utf-8", newline="") as labels:
                    report = seeder.run(labels=labels, progress=self._progress)
                os.replace(partial, labels_out)
            finally:
                partial.unlink(missing_ok=True)
        self._summary(report, labels_out)

    def _progress(self, progress: SeedProgress) -> None:
        self.stdout.write(
            f"  {progress.products_done:>10,} / {progress.products_total:,} products"
            f"  {progress.products_per_second:>9,.0f} products/s"
        )

    def _summary(self, report: SeedReport, labels_out: Path | None) -> None:
        self.stdout.write("Rows created:")
        for kind in ROW_KINDS:
            self.stdout.write(f"  {kind:<14}{report.rows[kind]:>12,}")
        total = sum(report.anomalies.values())
        share = total / report.rows["Product"] if report.rows["Product"] else 0
        kinds = ", ".join(f"{kind} {report.anomalies[kind]:,}" for kind in ANOMALY_KINDS)
        self.stdout.write(f"Anomalies injected: {total:,} ({share:.1%} of products: {kinds})")
        if labels_out is not None:
            self.stdout.write(f"Labels written to {labels_out}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {report.total_rows:,} rows in {report.elapsed:.1f} s: "
                f"{report.rows_per_second:,.0f} rows/s, "
                f"{report.products_per_second:,.0f} products/s."
            )
        )
