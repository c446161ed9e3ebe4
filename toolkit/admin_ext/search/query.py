"""The parsed terms applied to a queryset: qualifiers, words and phrases, full text.

Each function narrows a queryset and never spawns duplicate rows (to-many matches go
through ``EXISTS``). A term that cannot be used is left out and comes back as a
message (:mod:`.messages`), so the list is still filtered by every other term.
``SearchMixin`` picks which of these run and in which order the full-text matches are
listed; nothing here reads the request.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django.core.exceptions import FieldDoesNotExist, FieldError, ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from toolkit.exceptions import TermProblem

from .fields import SearchLookup, all_words, any_field, search_lookups
from .messages import ignored
from .qualifiers import error_text, qualifier_condition
from .syntax import QualifiedTerm, TextTerm

__all__ = [
    "filter_by_fulltext",
    "filter_by_qualifiers",
    "filter_by_words",
    "fulltext_other_lookups",
    "list_ordering",
    "ranked",
    "sorted_after_matching",
]

_RANK_ALIAS = "_toolkit_search_rank"


def filter_by_qualifiers(
    model: type[models.Model],
    queryset: models.QuerySet[Any],
    terms: Sequence[QualifiedTerm],
    qualifiers: dict[str, str],
) -> tuple[models.QuerySet[Any], list[str]]:
    """``queryset`` filtered by each qualifier term, and the messages of the terms that
    could not be used (a value the field cannot hold, a misconfigured qualifier)."""
    problems: list[str] = []
    for term in terms:
        try:
            condition = qualifier_condition(model, term, qualifiers[term.name])
            queryset = queryset.filter(condition)
        except TermProblem as exc:
            problems.append(ignored(term.raw, str(exc)))
        except (ValidationError, FieldError, ValueError, TypeError) as exc:
            problems.append(ignored(term.raw, error_text(exc)))
    return queryset, problems


def filter_by_words(
    model: type[models.Model],
    queryset: models.QuerySet[Any],
    terms: Sequence[TextTerm],
    search_fields: Sequence[Any],
) -> tuple[models.QuerySet[Any], list[str]]:
    """Words and phrases against ``search_fields``: the rows stock Django finds for the
    words, without the rows of any excluded word; on a list without search fields,
    a message for each term instead."""
    lookups = search_lookups(model, search_fields)
    if not lookups:
        problems = [
            ignored(term.raw, _("this list has no text search; use a qualifier.")) for term in terms
        ]
        return queryset, problems
    queryset = all_words(queryset, [term.value for term in terms if not term.negated], lookups)
    for term in terms:
        if term.negated:
            queryset = queryset.filter(~any_field(term.value, lookups))
    return queryset, []


def fulltext_other_lookups(
    model: type[models.Model], search_fields: Sequence[Any], fulltext_fields: Sequence[str]
) -> list[SearchLookup]:
    """The lookups of ``search_fields`` that the full-text vector does not cover (a code,
    a relation), which still match each term beside the vector."""
    return [
        lookup
        for lookup in search_lookups(model, search_fields)
        if lookup.target is None
        or lookup.target.multi_valued
        or lookup.target.field_path not in fulltext_fields
    ]


def filter_by_fulltext(
    queryset: models.QuerySet[Any],
    terms: Sequence[TextTerm],
    vector: Any,
    config: str,
    others: Sequence[SearchLookup],
) -> tuple[models.QuerySet[Any], Any]:
    """``queryset`` narrowed to the rows whose ``vector`` matches ``terms``, and the
    ``tsquery`` of all the terms, to rank by (None when every term is an exclusion).

    Search fields on other columns (``others``: ``sku``, a relation) still match each
    term, OR the vector, so a code typed in the box is found; with none left, all terms
    go into one ``tsquery`` and one index scan.
    """
    from django.contrib.postgres.search import SearchQuery, SearchVectorExact

    query: Any = None
    positive = False
    for term in terms:
        search_type = "phrase" if term.phrase else "plain"
        term_query: Any = SearchQuery(term.value, config=config, search_type=search_type)
        if others:
            matched = Q(SearchVectorExact(vector, term_query)) | any_field(term.value, others)
            queryset = queryset.filter(~matched if term.negated else matched)
        if term.negated:
            term_query = ~term_query
        else:
            positive = True
        query = term_query if query is None else query & term_query
    if not others:
        queryset = queryset.filter(SearchVectorExact(vector, query))
    return queryset, query if positive else None


def list_ordering(queryset: models.QuerySet[Any]) -> list[Any]:
    """The ordering the list will have: the queryset's own, else the model's default."""
    ordering = list(queryset.query.order_by)
    if not ordering and queryset.query.default_ordering:
        ordering = list(queryset.model._meta.ordering)
    return ordering


def ranked(
    queryset: models.QuerySet[Any], vector: Any, query: Any, ordering: Sequence[Any]
) -> models.QuerySet[Any]:
    """The full-text matches by relevance (``ts_rank``), then by ``ordering``."""
    from django.contrib.postgres.search import SearchRank

    return queryset.alias(**{_RANK_ALIAS: SearchRank(vector, query)}).order_by(
        f"-{_RANK_ALIAS}", *ordering
    )


def sorted_after_matching(model: type[models.Model], ordering: Sequence[Any]) -> list[Any] | None:
    """``ordering`` with its first term hidden from index matching (``COALESCE(f, f)``
    sorts exactly like ``f``), so PostgreSQL cannot walk an index of it and reads the
    matching rows through the full-text index instead. None when the first term is not
    a plain column of ``model`` (a relation's ordering, an expression): left alone."""
    first, rest = ordering[0], list(ordering[1:])
    if not isinstance(first, str) or first.startswith("?"):
        return None
    descending = first.startswith("-")
    name = first.lstrip("-")
    try:
        field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if not getattr(field, "concrete", False) or field.is_relation:
        return None
    hidden = Coalesce(F(name), F(name), output_field=cast(models.Field[Any, Any], field))
    return [hidden.desc() if descending else hidden.asc(), *rest]
