"""The full-text migration operations: a stored vector column and dropping an index.

Both do nothing outside PostgreSQL, change no model state, and reverse cleanly.
"""

from __future__ import annotations

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.db.migrations.state import ProjectState

from demo.catalog.models import Product
from tests.conftest import ON_POSTGRES
from toolkit.admin_ext import AddSearchVectorColumn, RemoveSearchVectorIndex, StoredSearchVector
from toolkit.admin_ext.fulltext import AddSearchVectorIndex


def constraints():
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, "catalog_product")


def columns():
    with connection.cursor() as cursor:
        description = connection.introspection.get_table_description(cursor, "catalog_product")
    return {column.name for column in description}


def apply(operation, backwards=False):
    state = ProjectState.from_apps(django_apps)
    with connection.schema_editor() as editor:
        method = operation.database_backwards if backwards else operation.database_forwards
        method("catalog", editor, state, state)


@pytest.mark.django_db(transaction=True)
def test_the_column_operation_adds_a_generated_column_and_its_index_and_reverses():
    operation = AddSearchVectorColumn(
        "product", ["name", "sku"], column="op_search_doc", name="op_search_doc_idx"
    )
    apply(operation)
    try:
        assert ("op_search_doc" in columns()) is ON_POSTGRES
        assert ("op_search_doc_idx" in constraints()) is ON_POSTGRES
        if ON_POSTGRES:
            # The column's definition is the very vector SearchMixin would compute.
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN "
                    "pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum "
                    "WHERE a.attname = 'op_search_doc'"
                )
                (expression,) = cursor.fetchone()
            assert "to_tsvector('english'::regconfig" in expression
            assert "COALESCE(name, ''" in expression.replace('"', "")
    finally:
        apply(operation, backwards=True)
    assert "op_search_doc" not in columns()
    assert "op_search_doc_idx" not in constraints()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_removing_an_index_drops_it_and_reversing_builds_it_again():
    index = AddSearchVectorIndex("product", ["name"], name="op_old_search_idx")
    apply(index)
    removal = RemoveSearchVectorIndex("product", ["name"], name="op_old_search_idx")
    apply(removal)
    assert "op_old_search_idx" not in constraints()
    apply(removal, backwards=True)
    assert "op_old_search_idx" in constraints()
    apply(index, backwards=True)


def test_the_operations_change_no_model_state_and_deconstruct():
    column = AddSearchVectorColumn(
        "product", ["name"], column="doc", name="doc_idx", config="simple", concurrently=True
    )
    removal = RemoveSearchVectorIndex("product", ["name"], name="idx")
    state = ProjectState()
    column.state_forwards("catalog", state)
    removal.state_forwards("catalog", state)
    assert state.models == {}
    assert column.deconstruct() == (
        "AddSearchVectorColumn",
        [],
        {
            "model_name": "product",
            "fields": ["name"],
            "column": "doc",
            "name": "doc_idx",
            "config": "simple",
            "concurrently": True,
        },
    )
    assert removal.deconstruct()[0] == "RemoveSearchVectorIndex"
    assert "PostgreSQL only" in column.describe() and "Remove" in removal.describe()


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_stored_vector_reads_the_column_of_the_searched_table():
    # Inside a subquery too: the column belongs to whichever query is the product's.
    from django.contrib.postgres.search import SearchQuery, SearchVectorExact

    matches = Product.objects.filter(
        SearchVectorExact(StoredSearchVector("search_document"), SearchQuery("cable"))
    )
    outer = Product.objects.filter(pk__in=matches.values("pk"))
    sql = str(outer.query)
    assert sql.count('"search_document"') == 1
    assert list(outer) == []
