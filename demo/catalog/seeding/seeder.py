"""``CatalogSeeder``: the run that fills a catalog, batch after batch, and reports.

The reference data first (:mod:`.reference`), then products generated one batch ahead
by a worker thread (:mod:`.products`) while the database stores the current batch
(:mod:`.storage`), each batch in its own transaction.
"""

from __future__ import annotations

import csv
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from typing import TextIO

from django.db import DEFAULT_DB_ALIAS, reset_queries, transaction
from django.utils import timezone

from .products import ProductDraft, ProductGenerator, timeline_start
from .reference import create_reference_data
from .storage import CatalogWriter, supports_copy

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "LABEL_FIELDS",
    "ROW_KINDS",
    "CatalogSeeder",
    "SeedProgress",
    "SeedReport",
]

#: Products inserted per ``bulk_create`` and per transaction.
DEFAULT_BATCH_SIZE = 5000

#: Header of the labels CSV.
LABEL_FIELDS = ("sku", "anomaly", "field", "detail")

#: The kinds of rows a seed creates, as :attr:`SeedReport.rows` counts them.
ROW_KINDS = ("Category", "Supplier", "Tag", "Product", "Product.tags", "StockMovement", "Review")


@dataclass(frozen=True)
class SeedProgress:
    """Reported after every committed batch."""

    products_done: int
    products_total: int
    elapsed: float

    @property
    def products_per_second(self) -> float:
        return self.products_done / self.elapsed if self.elapsed else 0.0


@dataclass
class SeedReport:
    """What a run inserted, by kind of row and of anomaly, and how long it took."""

    rows: Counter[str] = field(default_factory=Counter)
    anomalies: Counter[str] = field(default_factory=Counter)
    elapsed: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.elapsed if self.elapsed else 0.0

    @property
    def products_per_second(self) -> float:
        return self.rows["Product"] / self.elapsed if self.elapsed else 0.0


class CatalogSeeder:
    """Fill an empty catalog with ``products`` products and everything around them.

    ``seed`` selects the data, and ``today`` (the current date by default) the day its
    ~18 months of history end. ``batch_size`` and ``use_copy`` only choose how it is
    inserted, never what: the rows, ids included, are the same either way.
    ``use_copy`` streams the rows with PostgreSQL's ``COPY``, several times faster
    than ``bulk_create``, which spends most of its time building model instances;
    ``None`` uses it wherever the database is PostgreSQL through psycopg 3.

    Call :meth:`run` once, on an empty catalog (see :func:`~.storage.flush_catalog`).
    """

    def __init__(
        self,
        products: int,
        *,
        seed: int = 0,
        batch_size: int = DEFAULT_BATCH_SIZE,
        use_copy: bool | None = None,
        using: str = DEFAULT_DB_ALIAS,
        today: date | None = None,
    ) -> None:
        if products < 0:
            raise ValueError(f"products must be >= 0, not {products}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, not {batch_size}")
        copy_supported = supports_copy(using)
        if use_copy and not copy_supported:
            raise ValueError("use_copy needs PostgreSQL with psycopg 3")
        self.products = products
        self.seed = seed
        self.batch_size = batch_size
        self.use_copy = copy_supported if use_copy is None else use_copy
        self.using = using
        #: The day the catalog's timeline ends: the same seed and day give the same rows.
        self.today = today if today is not None else timezone.localdate()
        # Separate streams, so that the reference data and the products do not shift
        # each other when one of them changes.
        self._reference_rng = random.Random(f"catalog:{seed}:reference")
        self._rng = random.Random(f"catalog:{seed}:products")
        self.report = SeedReport()
        self._writer = CatalogWriter(using, use_copy=self.use_copy, rows=self.report.rows)

    def run(
        self,
        *,
        labels: TextIO | None = None,
        progress: Callable[[SeedProgress], None] | None = None,
    ) -> SeedReport:
        """Insert the catalog; write anomaly labels to ``labels`` as CSV if given.

        ``progress`` is called after each committed batch. Returns the report, which is
        also left on ``self.report``.
        """
        started = time.perf_counter()
        writer = csv.writer(labels, lineterminator="\n") if labels is not None else None
        if writer is not None:
            writer.writerow(LABEL_FIELDS)
        with transaction.atomic(using=self.using):
            reference = create_reference_data(self._reference_rng, self.products, self._writer)
        generator = ProductGenerator(
            self._rng,
            reference.leaves,
            reference.tag_ids,
            reference.supplier_ids,
            start=timeline_start(self.today),
        )
        drafts = generator.drafts(self.products)
        done = 0
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="seed-catalog") as worker:
            # Generate the next batch while the database stores this one: both take
            # about as long, and the database server runs on another core. The worker
            # only runs Python; it never touches the database connection.
            next_batch = worker.submit(_take, drafts, self.batch_size)
            while batch := next_batch.result():
                next_batch = worker.submit(_take, drafts, self.batch_size)
                with transaction.atomic(using=self.using):
                    self._writer.insert(batch)
                done += len(batch)
                for draft in batch:
                    if (label := draft.label) is not None:
                        self.report.anomalies[label.anomaly] += 1
                        if writer is not None:
                            writer.writerow((label.sku, label.anomaly, label.field, label.detail))
                # With DEBUG on, Django keeps the SQL of recent queries, and here each
                # holds a whole batch; forget them so that memory stays flat.
                reset_queries()
                if progress is not None:
                    progress(SeedProgress(done, self.products, time.perf_counter() - started))
        self.report.elapsed = time.perf_counter() - started
        return self.report


def _take(drafts: Iterator[ProductDraft], count: int) -> list[ProductDraft]:
    return list(islice(drafts, count))
