"""Bulk inserts for rows whose primary keys the caller does not need back.

``bulk_create`` on PostgreSQL sends one array per column (``INSERT ... SELECT * FROM
UNNEST(...)``), and psycopg quotes those arrays in Python on a client-side cursor: at
150 answers stored at a time that quoting was half the batch command's own CPU, on the
one interpreter lock its HTTP threads also need. ``COPY ... FROM STDIN`` sends the same
values through psycopg's C dumpers instead, at about a third of the cost per row.
Other databases keep ``bulk_create``, and so does a batch holding a value COPY cannot
carry (an expression, a ``db_default``).

Values go through each field's ``pre_save`` and ``get_db_prep_save``, as
``bulk_create`` does, so defaults, ``auto_now`` and JSON encoders behave the same; no
signals are sent (``bulk_create`` sends none either). The objects get no primary key:
use ``bulk_create`` when they must (objects that already have one go through it). The
COPY is logged in ``connection.queries`` like any statement, but database
wrappers (``connection.execute_wrapper``) do not see it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from django.db import connections, models, router

__all__ = ["insert_rows"]


def insert_rows(model: type[models.Model], objects: Sequence[models.Model]) -> int:
    """Insert ``objects`` (unsaved instances of ``model``); return how many.

    Call it inside ``transaction.atomic()`` when the rows must land all or none: COPY
    is one statement, so on PostgreSQL they do anyway.
    """
    if not objects:
        return 0
    alias = router.db_for_write(model)
    connection = connections[alias]
    opts = model._meta
    for parent in opts.get_parent_list():
        if parent._meta.concrete_model is not opts.concrete_model:
            # As bulk_create refuses them: the rows span several tables.
            raise ValueError("insert_rows() cannot insert rows of a multi-table inherited model.")
    # As bulk_create: an auto-incremented key is left to the database.
    fields = [
        field
        for field in opts.concrete_fields
        if not field.generated and not isinstance(field, models.AutoField)
    ]
    # A key the caller chose is written by bulk_create (COPY here leaves keys to the
    # database).
    rows = None
    if connection.vendor == "postgresql" and all(obj.pk is None for obj in objects):
        rows = _copy_rows(objects, fields, connection)
    if rows is None:
        model._default_manager.using(alias).bulk_create(objects)
        return len(objects)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in fields)
    statement = f"COPY {quote(opts.db_table)} ({columns}) FROM STDIN"
    started = time.monotonic()
    # The raw cursor raises psycopg's errors: wrapped, they are Django's (IntegrityError...).
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(statement) as copy,
    ):
        for values in rows:
            copy.write_row(values)
    if connection.queries_logged:
        # As Django's cursor logs a statement (DEBUG, assertNumQueries); the rows are
        # sent as data, not SQL, so they are not in it.
        connection.queries_log.append(
            {"sql": f"{statement} -- {len(rows)} rows", "time": f"{time.monotonic() - started:.3f}"}
        )
    for obj in objects:
        obj._state.adding = False
        obj._state.db = alias
    return len(objects)


def _copy_rows(
    objects: Sequence[models.Model], fields: list[Any], connection: Any
) -> list[list[Any]] | None:
    """The database values of each object's ``fields``, or None when one is an
    expression or a ``db_default``: SQL, which COPY cannot carry."""
    rows = []
    for obj in objects:
        # As save() does: a related object saved after it was assigned has its key now.
        obj._prepare_related_fields_for_save(operation_name="insert_rows")  # type: ignore[attr-defined]
        values = [field.pre_save(obj, True) for field in fields]
        if any(hasattr(value, "resolve_expression") for value in values):
            return None
        rows.append(
            [field.get_db_prep_save(v, connection) for field, v in zip(fields, values, strict=True)]
        )
    return rows
