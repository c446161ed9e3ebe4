"""Storing the catalog: a batch of generated products and their rows, inserted with
PostgreSQL's binary ``COPY`` where it is available and ``bulk_create`` elsewhere (the
same rows, ids included, either way); and the catalog as a whole (counted, flushed).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Model

from ..models import Category, Product, Review, StockMovement, Supplier, Tag
from .products import PRODUCT_FIELDS, ProductDraft

__all__ = [
    "CATALOG_MODELS",
    "CatalogWriter",
    "catalog_counts",
    "flush_catalog",
    "supports_copy",
]

_M = TypeVar("_M", bound=Model)

MOVEMENT_FIELDS = ("product_id", "quantity", "reason", "timestamp")
REVIEW_FIELDS = ("product_id", "rating", "title", "text", "author", "created")
TAG_LINK_FIELDS = ("product_id", "tag_id")


#: Catalog models in an order where every model comes after the ones it references.
CATALOG_MODELS = (Category, Supplier, Tag, Product, StockMovement, Review)


def catalog_counts(using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Return the number of rows of each catalog model, keyed by model name."""
    return {model.__name__: model._default_manager.using(using).count() for model in CATALOG_MODELS}


def flush_catalog(using: str = DEFAULT_DB_ALIAS) -> None:
    """Delete every catalog row, and rows elsewhere that point to them; restart the ids.

    Uses the backend's flush SQL, as ``manage.py flush`` does (``TRUNCATE ... RESTART
    IDENTITY CASCADE`` on PostgreSQL, ``DELETE`` plus a sequence reset on SQLite), so a
    million products go in well under a second instead of being loaded and deleted
    one by one. Restarting the ids makes a re-seed produce the same ids as well.
    """
    connection = connections[using]
    tables = [model._meta.db_table for model in CATALOG_MODELS]
    tables.append(Product.tags.through._meta.db_table)
    statements = connection.ops.sql_flush(
        no_style(), tables, reset_sequences=True, allow_cascade=True
    )
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            # Rows inserted earlier in an enclosing transaction (a test's, say) still
            # have deferred foreign-key checks pending, and TRUNCATE refuses to run
            # until they have.
            connection.check_constraints()
        connection.ops.execute_sql_flush(statements)


class CatalogWriter:
    """Inserts batches of :class:`~.products.ProductDraft` into database ``using``,
    counting the rows it inserts by kind in :attr:`rows`."""

    def __init__(self, using: str, *, use_copy: bool, rows: Counter[str]) -> None:
        self.using = using
        self.use_copy = use_copy
        self.rows = rows

    def insert(self, batch: list[ProductDraft]) -> None:
        """Insert a batch of products, then the movements, reviews and tag links that
        need their ids (inside the caller's transaction)."""
        if self.use_copy:
            with connections[self.using].cursor() as cursor:
                # A crash loses at most the last batches, never consistency; the
                # flush to disk after every batch no longer holds up the next.
                cursor.execute("SET LOCAL synchronous_commit = off")
            product_ids = self.reserve_product_ids(len(batch))
            self.copy(Product, ("id", *PRODUCT_FIELDS), _with_ids(product_ids, batch))
        else:
            product_ids = self.bulk_create_products(batch)
        movements = [
            (product_id, *movement)
            for product_id, draft in zip(product_ids, batch, strict=True)
            for movement in draft.movements
        ]
        reviews = [
            (product_id, *review)
            for product_id, draft in zip(product_ids, batch, strict=True)
            for review in draft.reviews
        ]
        links = [
            (product_id, tag_id)
            for product_id, draft in zip(product_ids, batch, strict=True)
            for tag_id in draft.tag_ids
        ]
        Link = Product.tags.through
        for model, fields, rows in (
            (StockMovement, MOVEMENT_FIELDS, movements),
            (Review, REVIEW_FIELDS, reviews),
            (Link, TAG_LINK_FIELDS, links),
        ):
            if self.use_copy:
                self.copy(model, fields, rows)
            else:
                self.bulk_create(model, fields, rows)
        report_rows = self.rows
        report_rows["Product"] += len(batch)
        report_rows["StockMovement"] += len(movements)
        report_rows["Review"] += len(reviews)
        report_rows["Product.tags"] += len(links)

    def bulk_create_products(self, batch: list[ProductDraft]) -> list[int]:
        products = [Product(**dict(zip(PRODUCT_FIELDS, d.row, strict=True))) for d in batch]
        Product.objects.using(self.using).bulk_create(products)
        return self.pks(Product, products, "sku")

    def bulk_create(
        self, model: type[Model], fields: Sequence[str], rows: Iterable[Sequence[object]]
    ) -> None:
        model._default_manager.using(self.using).bulk_create(
            [model(**dict(zip(fields, values, strict=True))) for values in rows]
        )

    def reserve_product_ids(self, count: int) -> list[int]:
        """Take ``count`` ids from the product id sequence (PostgreSQL)."""
        opts = Product._meta
        with connections[self.using].cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [opts.db_table, opts.pk.column, count],
            )
            return sorted(row[0] for row in cursor.fetchall())

    def copy(
        self, model: type[Model], fields: Sequence[str], rows: Iterable[Sequence[object]]
    ) -> None:
        """Stream ``rows`` (values of ``fields``) into ``model``'s table with COPY.

        Binary COPY: psycopg encodes datetimes several times faster in binary than as
        text, and the server has no text to parse.
        """
        connection = connections[self.using]
        quote = connection.ops.quote_name
        opts = model._meta
        by_name = {f.attname: f for f in opts.concrete_fields}
        columns: list[str] = []
        types: list[str] = []
        for name in fields:
            field = by_name[name]
            db_type = field.db_type(connection)
            if field.column is None or db_type is None:
                raise TypeError(f"{opts.label}.{name} has no database column")
            columns.append(quote(field.column))
            # The binary format needs the bare type: "varchar", not "varchar(32)".
            types.append(db_type.split("(")[0])
        statement = f"COPY {quote(opts.db_table)} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
        with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            copy.set_types(types)
            write_row = copy.write_row
            for row in rows:
                write_row(row)

    def pks(self, model: type[_M], objs: list[_M], key: str) -> list[int]:
        """Return the primary keys of just-inserted ``objs``, by ``key`` if need be.

        bulk_create sets them on PostgreSQL, and on SQLite 3.35+ and MariaDB 10.5+;
        elsewhere, look them up by a unique field.
        """
        if all(obj.pk is not None for obj in objs):
            return [obj.pk for obj in objs]
        ids = dict(
            model._default_manager.using(self.using)
            .filter(**{f"{key}__in": [getattr(obj, key) for obj in objs]})
            .values_list(key, "pk")
        )
        for obj in objs:
            obj.pk = ids[getattr(obj, key)]
        return [obj.pk for obj in objs]


def supports_copy(using: str) -> bool:
    """Whether database ``using`` takes binary ``COPY``: PostgreSQL through psycopg 3."""
    if connections[using].vendor != "postgresql":
        return False
    # Imported here: sites on other databases need not have psycopg installed.
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    return is_psycopg3


def _with_ids(product_ids: list[int], batch: list[ProductDraft]) -> Iterator[tuple[object, ...]]:
    for product_id, draft in zip(product_ids, batch, strict=True):
        yield (product_id, *draft.row)
