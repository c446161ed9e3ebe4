""":class:`SearchMixin`, the ModelAdmin side of the search: its options, their
``get_*(request)`` hooks, and ``get_search_results``, which parses the text, caps it,
applies the terms (:mod:`.query`) and reports what it left out (:mod:`.messages`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from django.contrib.admin.views.main import ORDER_VAR
from django.db import connections, models
from django.http import HttpRequest
from django.utils.translation import gettext as _

from ..base import ToolkitAdminMixin
from ..changelist import estimate_rows
from ..fulltext import DEFAULT_FULLTEXT_CONFIG, StoredSearchVector, search_vector
from .checks import SearchChecks
from .help_text import generated_help_text
from .limits import SearchLimits, has_nul
from .messages import ignored, report_problems, syntax_message
from .query import (
    filter_by_fulltext,
    filter_by_qualifiers,
    filter_by_words,
    fulltext_other_lookups,
    list_ordering,
    ranked,
    sorted_after_matching,
)
from .syntax import QualifiedTerm, TextTerm, parse

__all__ = ["SORT_MAX_ROWS_COMPUTED", "SORT_MAX_ROWS_STORED", "SearchMixin"]

#: ``search_fulltext_sort_max_rows`` by default, with each row's vector computed...
SORT_MAX_ROWS_COMPUTED = 50_000
#: ...and with a stored vector column.
SORT_MAX_ROWS_STORED = 10_000


class SearchMixin(SearchLimits, ToolkitAdminMixin):
    """ModelAdmin mixin: Django's search, plus qualifiers, exclusions, rows listed once
    over relations, full text, and limits the database can take.

    Combine it with ``admin.ModelAdmin`` (it goes first)::

        class ProductAdmin(SearchMixin, admin.ModelAdmin):
            search_fields = ["sku", "name", "reviews__text"]
            search_qualifiers = {"sku": "sku__iexact", "price": "price"}
    """

    mixin_checks_class: ClassVar[type | None] = SearchChecks

    #: Names a person can type before a colon, mapped to lookup paths:
    #: ``{"supplier": "supplier__name__icontains", "price": "price"}``. A path that ends
    #: on a number or date field (no lookup) also compares: ``price>=10``,
    #: ``created<2025-01-01``. A path that ends on a text field matches like
    #: ``search_fields`` (``icontains``); on a field with choices, the value must be one
    #: of them (key or label).
    search_qualifiers: dict[str, str] = {}

    #: On PostgreSQL, free terms search these text fields of the model with full-text
    #: search instead of ``search_fields``; None (the default) keeps the plain search.
    #: Add the matching index with :func:`search_vector_index` or
    #: :class:`AddSearchVectorIndex`, with the same fields in the same order.
    search_fulltext_fields: Sequence[str] | None = None

    #: PostgreSQL text search configuration (``"english"``, ``"simple"``...), the same
    #: as the index's.
    search_fulltext_config: str = DEFAULT_FULLTEXT_CONFIG

    #: The stored ``tsvector`` column that :class:`AddSearchVectorColumn` made of
    #: ``search_fulltext_fields`` (same fields, same order): queries read it instead of
    #: computing each row's vector, which costs a list that walks its own ordering
    #: past many rows (a common word) ten times more. None: compute the vector.
    search_fulltext_column: str | None = None

    #: Order full-text results by relevance when the person has not picked a column to
    #: sort by (and no more than ``search_fulltext_rank_max_rows`` rows match).
    search_fulltext_rank: bool = True

    #: Rank only searches matching at most this many rows; ``None`` always ranks.
    #: Ranking computes ``ts_rank`` for every match and sorts them all: a common word
    #: over a million rows (100,000+ matches) takes seconds, while the changelist's
    #: own ordering pages through an index. One count that stops after this many + 1
    #: rows decides; above it the list keeps its usual ordering.
    search_fulltext_rank_max_rows: int | None = 1000

    #: PostgreSQL: when the planner expects at most this many full-text matches, the
    #: matches are read through the full-text index and then sorted, instead of
    #: walking the index of the list's ordering and testing every row on the way,
    #: which the planner underrates. A page costs about 10 µs a row either way: all
    #: the matches, or the rows walked to find a page of them (more, the rarer the
    #: word). ``None``: 50,000 when each row's vector is computed (40 µs more a row
    #: walked: a word in 1 % of a million rows took 3 s walking and 0.1 s sorted),
    #: 10,000 with ``search_fulltext_column`` (where both cost the same, measured on a
    #: million products). 0 leaves the choice to the planner.
    search_fulltext_sort_max_rows: int | None = None

    # --- Hooks ----------------------------------------------------------------------

    def get_search_qualifiers(self, request: HttpRequest) -> dict[str, str]:
        """The qualifiers available to this request. Override to offer some only to
        some people; return a dict of name to lookup path."""
        return dict(self.search_qualifiers)

    def get_search_fulltext_fields(self, request: HttpRequest) -> Sequence[str] | None:
        """The fields free terms search with full-text search on PostgreSQL, or None
        for the plain search. Ignored on other databases."""
        return self.search_fulltext_fields

    def get_search_fulltext_column(self, request: HttpRequest) -> str | None:
        """The stored vector column full-text search reads, or None to compute the
        vector from ``get_search_fulltext_fields()``."""
        return self.search_fulltext_column

    def get_search_fulltext_rank(
        self, request: HttpRequest, queryset: models.QuerySet[Any]
    ) -> bool:
        """Order these full-text matches (``queryset``, already searched and filtered)
        by relevance? Called only when the person chose no ordering. By default: when
        ``search_fulltext_rank`` is on and at most ``search_fulltext_rank_max_rows``
        rows match, which one LIMITed count decides (skipped when the planner expects
        ten times more). Override to rank for some people or lists only."""
        if not self.search_fulltext_rank:
            return False
        limit = self.search_fulltext_rank_max_rows
        if limit is None:
            return True
        estimate = estimate_rows(queryset)
        if estimate is not None and estimate > 10 * limit:
            return False  # a common word: no need to count to know
        return queryset.order_by()[: limit + 1].count() <= limit

    def get_search_help_text(self, request: HttpRequest) -> str | None:
        """The text under the search box. ``search_help_text`` when set, as in Django;
        otherwise, on a list with qualifiers (which no one can guess), a text written
        from the search fields and the qualifiers; otherwise none, as in Django. Plain
        text: the template escapes it."""
        if self.search_help_text is not None:
            # str() keeps a mark_safe() text safe and renders a lazy one now.
            return str(self.search_help_text)
        if not self.get_search_qualifiers(request):
            return None
        return generated_help_text(
            self.model, list(self.get_search_fields(request)), self.get_search_qualifiers(request)
        )

    # --- ModelAdmin overrides -------------------------------------------------------

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        changelist = super().get_changelist_instance(request)
        changelist.search_help_text = self.get_search_help_text(request)
        return changelist

    def get_search_results(
        self, request: HttpRequest, queryset: models.QuerySet[Any], search_term: str
    ) -> tuple[models.QuerySet[Any], bool]:
        """Filter ``queryset`` by ``search_term``; never spawns duplicate rows.

        Classes after this mixin in the MRO are still called, with an empty term, so
        their own adjustments apply; the term itself is handled here.
        """
        queryset, may_have_duplicates = super().get_search_results(request, queryset, "")
        search_term = (search_term or "").strip()
        if not search_term:
            return queryset, may_have_duplicates
        too_long = self._search_too_long(request, search_term)
        if too_long is not None:
            report_problems(self, request, [too_long])
            return queryset, may_have_duplicates
        qualifiers = self.get_search_qualifiers(request)
        parsed = parse(search_term, qualifiers)
        problems = [syntax_message(problem) for problem in parsed.problems]
        terms: list[TextTerm | QualifiedTerm] = []
        for term in parsed.terms:
            if has_nul(term.raw):
                # PostgreSQL refuses the character in any text: leave the term out on
                # every database, so the same search behaves the same everywhere.
                problems.append(ignored(term.raw, _("it contains a NUL character.")))
            else:
                terms.append(term)
        terms, capped = self._capped_terms(request, terms, [term.raw for term in terms])
        if capped is not None:
            problems.append(capped)
        queryset, term_problems = self._apply_terms(request, queryset, terms, qualifiers)
        problems.extend(term_problems)
        report_problems(self, request, problems)
        return queryset, may_have_duplicates

    # --- Applying the terms -----------------------------------------------------------

    def _apply_terms(
        self,
        request: HttpRequest,
        queryset: models.QuerySet[Any],
        terms: list[TextTerm | QualifiedTerm],
        qualifiers: dict[str, str],
    ) -> tuple[models.QuerySet[Any], list[str]]:
        qualified = [term for term in terms if isinstance(term, QualifiedTerm)]
        text_terms = [term for term in terms if isinstance(term, TextTerm)]
        queryset, problems = filter_by_qualifiers(self.model, queryset, qualified, qualifiers)
        if not text_terms:
            return queryset, problems
        fulltext_fields = self.get_search_fulltext_fields(request)
        if fulltext_fields and connections[queryset.db].vendor == "postgresql":
            return self._apply_fulltext(request, queryset, text_terms, fulltext_fields), problems
        search_fields = self.get_search_fields(request)
        queryset, word_problems = filter_by_words(self.model, queryset, text_terms, search_fields)
        return queryset, [*problems, *word_problems]

    def _apply_fulltext(
        self,
        request: HttpRequest,
        queryset: models.QuerySet[Any],
        terms: list[TextTerm],
        fields: Sequence[str],
    ) -> models.QuerySet[Any]:
        """Free terms against the full-text vector over ``fields``, then the order of
        the matches: by relevance, or the list's own with the matches read first."""
        config = self.search_fulltext_config
        column = self.get_search_fulltext_column(request)
        vector: Any = StoredSearchVector(column) if column else search_vector(fields, config)
        others = fulltext_other_lookups(self.model, self.get_search_fields(request), fields)
        queryset, query = filter_by_fulltext(queryset, terms, vector, config, others)
        if query is None:
            # Only exclusions: nearly every row matches, so walking the ordering's
            # index finds a page at once.
            return queryset
        ordering = list_ordering(queryset)
        if ORDER_VAR not in request.GET and self.get_search_fulltext_rank(request, queryset):
            return ranked(queryset, vector, query, ordering)
        limit = self.search_fulltext_sort_max_rows
        if limit is None:
            limit = SORT_MAX_ROWS_STORED if column else SORT_MAX_ROWS_COMPUTED
        if limit and ordering:
            estimate = estimate_rows(queryset)
            if estimate is not None and estimate <= limit:
                sorted_matches = sorted_after_matching(queryset.model, ordering)
                if sorted_matches is not None:
                    return queryset.order_by(*sorted_matches)
        return queryset
