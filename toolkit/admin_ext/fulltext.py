"""PostgreSQL full-text search for :class:`~toolkit.admin_ext.SearchMixin`: the vector, its
index, and a stored column of it.

:class:`~toolkit.admin_ext.SearchMixin` searches ``search_fulltext_fields`` with
``to_tsvector(config, field || ' ' || ...) @@ tsquery``. Three ways to back that, each a
migration operation that does nothing on other databases (so SQLite runs the same
migrations) and changes no model state:

- :class:`AddSearchVectorIndex`: a GIN index on the expression. The query computes the
  vector of each row it reads: cheap when the index finds the few matches of a rare
  word, costly when the list walks its own ordering past the rows of a common one
  (about 40 µs a row for a product's name and description: 90 ms for a page of
  "steel" among a million products).
- :class:`AddSearchVectorColumn`: a stored generated ``tsvector`` column with a GIN
  index. The database keeps it up to date on every write; a query reads it instead of
  computing it (the same page: 10 ms). Name it in ``search_fulltext_column``.
- :func:`search_vector_index`, for ``Meta.indexes`` of a PostgreSQL-only project.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.migrations.operations.base import Operation
from django.db.models.sql.query import Query
from django.utils.deconstruct import deconstructible

if TYPE_CHECKING:
    from django.contrib.postgres.indexes import GinIndex
    from django.contrib.postgres.search import SearchVector

__all__ = [
    "DEFAULT_FULLTEXT_CONFIG",
    "AddSearchVectorColumn",
    "AddSearchVectorIndex",
    "RemoveSearchVectorIndex",
    "StoredSearchVector",
    "search_vector",
    "search_vector_index",
]

#: Text search configuration used when none is given; must be the same in the queries
#: and in the index, or PostgreSQL cannot use the index.
DEFAULT_FULLTEXT_CONFIG = "english"


def search_vector(fields: Sequence[str], config: str = DEFAULT_FULLTEXT_CONFIG) -> SearchVector:
    """The ``to_tsvector(config, ...)`` expression over ``fields``.

    :class:`SearchMixin` queries with exactly this expression and
    :func:`search_vector_index` indexes exactly this expression: PostgreSQL uses an
    expression index only when the query repeats the indexed expression verbatim.
    """
    from django.contrib.postgres.search import SearchVector

    return SearchVector(*fields, config=config)


def search_vector_index(
    fields: Sequence[str], *, name: str, config: str = DEFAULT_FULLTEXT_CONFIG
) -> GinIndex:
    """A GIN index on :func:`search_vector`, for ``Meta.indexes`` of a PostgreSQL-only
    project (it needs ``django.contrib.postgres`` in ``INSTALLED_APPS``).

    A project that also runs on SQLite cannot list a GIN index in ``Meta.indexes``
    (SQLite has no GIN); it adds :class:`AddSearchVectorIndex` to a migration instead.
    """
    from django.contrib.postgres.indexes import GinIndex

    return GinIndex(search_vector(fields, config), name=name)


class _FullTextOperation(Operation):
    """What the full-text migration operations share: PostgreSQL only (a no-op on other
    databases), no model state (like ``RunSQL``, so ``makemigrations`` leaves them be),
    reversible, and deconstructed from their arguments."""

    reversible = True
    reduces_to_sql = True

    def __init__(
        self,
        model_name: str,
        fields: Sequence[str],
        name: str,
        config: str = DEFAULT_FULLTEXT_CONFIG,
        concurrently: bool = False,
    ) -> None:
        self.model_name = model_name
        self.fields = list(fields)
        self.name = name
        self.config = config
        self.concurrently = concurrently

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def _model(self, schema_editor: Any, state: Any, app_label: str) -> Any:
        """The model to change, or ``None`` where there is nothing to do."""
        if schema_editor.connection.vendor != "postgresql":
            return None
        model = state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return None
        return model

    def _kwargs(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "fields": self.fields, "name": self.name}

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        kwargs = self._kwargs()
        if self.config != DEFAULT_FULLTEXT_CONFIG:
            kwargs["config"] = self.config
        if self.concurrently:
            kwargs["concurrently"] = True
        return self.__class__.__qualname__, [], kwargs


class AddSearchVectorIndex(_FullTextOperation):
    """Migration operation: create :func:`search_vector_index` on PostgreSQL only.

    It changes no model state (like ``RunSQL``), so ``makemigrations`` does not try to
    remove it, and it does nothing on other databases, so the same migrations run on
    SQLite. Reversible. Usage::

        operations = [
            AddSearchVectorIndex(
                "product", ["name", "description"], name="product_search_idx"
            ),
        ]

    ``concurrently=True`` builds the index without locking out writes (``CREATE INDEX
    CONCURRENTLY``), for a table that is already large; the migration then needs
    ``atomic = False``.
    """

    def _index(self) -> GinIndex:
        return search_vector_index(self.fields, name=self.name, config=self.config)

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        model = self._model(schema_editor, to_state, app_label)
        if model is not None:
            schema_editor.add_index(model, self._index(), concurrently=self.concurrently)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        model = self._model(schema_editor, from_state, app_label)
        if model is not None:
            schema_editor.remove_index(model, self._index(), concurrently=self.concurrently)

    def describe(self) -> str:
        return f"Create full-text index {self.name} on {self.model_name} (PostgreSQL only)"

    @property
    def migration_name_fragment(self) -> str:
        return f"{self.model_name.lower()}_{self.name.lower()}"


class RemoveSearchVectorIndex(AddSearchVectorIndex):
    """Migration operation: drop an index made by :class:`AddSearchVectorIndex`
    (PostgreSQL only; reversible), e.g. once :class:`AddSearchVectorColumn` replaces it."""

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        super().database_backwards(app_label, schema_editor, to_state, from_state)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        super().database_forwards(app_label, schema_editor, to_state, from_state)

    def describe(self) -> str:
        return f"Remove full-text index {self.name} from {self.model_name} (PostgreSQL only)"

    @property
    def migration_name_fragment(self) -> str:
        return f"remove_{self.model_name.lower()}_{self.name.lower()}"


class AddSearchVectorColumn(_FullTextOperation):
    """Migration operation: a stored generated ``tsvector`` column holding
    :func:`search_vector` of ``fields``, with a GIN index named ``name`` (PostgreSQL
    only; reversible). Point ``SearchMixin.search_fulltext_column`` at ``column``::

        operations = [
            AddSearchVectorColumn(
                "product", ["name", "description"], column="search_document",
                name="product_search_document_idx",
            ),
        ]

    The column is not a model field: Django never reads or writes it, PostgreSQL keeps
    it in step with ``fields`` on every write. Adding it rewrites the table under an
    exclusive lock (about three minutes for a million products on these machines):
    on a large live table, run the migration when writes can wait.
    ``concurrently=True`` builds the index with ``CREATE INDEX CONCURRENTLY`` (the
    migration then needs ``atomic = False``).
    """

    def __init__(
        self,
        model_name: str,
        fields: Sequence[str],
        column: str,
        name: str,
        config: str = DEFAULT_FULLTEXT_CONFIG,
        concurrently: bool = False,
    ) -> None:
        super().__init__(model_name, fields, name, config, concurrently)
        self.column = column

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        model = self._model(schema_editor, to_state, app_label)
        if model is None:
            return
        quote = schema_editor.quote_name
        table, column = quote(model._meta.db_table), quote(self.column)
        schema_editor.execute(
            f"ALTER TABLE {table} ADD COLUMN {column} tsvector "
            f"GENERATED ALWAYS AS ({self._expression_sql(model, schema_editor)}) STORED"
        )
        concurrently = " CONCURRENTLY" if self.concurrently else ""
        schema_editor.execute(
            f"CREATE INDEX{concurrently} {quote(self.name)} ON {table} USING gin ({column})"
        )

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        model = self._model(schema_editor, from_state, app_label)
        if model is None:
            return
        quote = schema_editor.quote_name
        concurrently = " CONCURRENTLY" if self.concurrently else ""
        schema_editor.execute(f"DROP INDEX{concurrently} IF EXISTS {quote(self.name)}")
        schema_editor.execute(
            f"ALTER TABLE {quote(model._meta.db_table)} DROP COLUMN IF EXISTS {quote(self.column)}"
        )

    def _expression_sql(self, model: type[models.Model], schema_editor: Any) -> str:
        """:func:`search_vector` as SQL for the column's definition: the very
        expression SearchMixin would compute, with its parameters (the configuration)
        written in, as Django does for a GeneratedField."""
        connection = schema_editor.connection
        query = Query(model=model, alias_cols=False)
        compiler = query.get_compiler(connection=connection)
        expression = search_vector(self.fields, self.config).resolve_expression(
            query, allow_joins=False
        )
        sql, params = compiler.compile(expression)
        return str(sql % tuple(schema_editor.quote_value(param) for param in params))

    def describe(self) -> str:
        return f"Add stored full-text column {self.column} to {self.model_name} (PostgreSQL only)"

    @property
    def migration_name_fragment(self) -> str:
        return f"{self.model_name.lower()}_{self.column.lower()}"

    def _kwargs(self) -> dict[str, Any]:
        return {**super()._kwargs(), "column": self.column}


@deconstructible(path="toolkit.admin_ext.fulltext.StoredSearchVector")
class StoredSearchVector(models.Expression):
    """The queried model's stored vector column (made by :class:`AddSearchVectorColumn`),
    usable wherever :func:`search_vector` is: ``SearchVectorExact``, ``SearchRank``."""

    def __init__(self, column: str) -> None:
        from django.contrib.postgres.search import SearchVectorField

        super().__init__(output_field=SearchVectorField())
        self.column = column

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        # The column of the query's own table: the model is the one being searched.
        alias = compiler.query.get_initial_alias()
        # Django 6.1 renamed quote_name_unless_alias (5.2) to quote_name.
        quote = getattr(compiler, "quote_name", None) or compiler.quote_name_unless_alias
        table = quote(alias)
        # No parameters, in the container this Django's expressions use (a list on
        # 5.2, a tuple on 6.1), so that lookups can join them with their own.
        _, params = compiler.compile(models.Value(0))
        return f"{table}.{connection.ops.quote_name(self.column)}", params[:0]

    def get_group_by_cols(self) -> list[Any]:
        return [self]
