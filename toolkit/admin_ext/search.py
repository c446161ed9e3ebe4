"""Qualified search for changelists: ``supplier:acme price>=10 "usb c" -refurbished``.

:class:`SearchMixin` replaces the term matching of ``ModelAdmin.get_search_results``,
keeping stock Django's meaning for everything stock Django accepts:

- words and phrases (``"usb c"`` or ``'usb c'``) match ``search_fields`` exactly as in
  Django (``^``, ``=``, ``@`` prefixes and explicit lookups included): AND between
  terms, OR across fields, and over a to-many relation every word on the same related
  row (:mod:`toolkit.admin_ext.search_fields`); a row is listed once, through
  ``EXISTS``, so the changelist never needs ``DISTINCT``;
- ``search_qualifiers`` map a name the person types to a lookup path; a bare field path
  on a number or date also accepts ``>``, ``>=``, ``<``, ``<=`` and ``=``
  (:mod:`toolkit.admin_ext.search_qualifiers`);
- ``-`` excludes a word, phrase or qualifier;
- on PostgreSQL, ``search_fulltext_fields`` switches free terms to full-text search,
  ranked by relevance when the person did not pick an ordering and the matches are
  few enough to rank quickly (``search_fulltext_rank_max_rows``).

Anything the search cannot use (an unclosed quote, ``price>abc``, a text too long to
search) becomes one warning message naming the term, and the list is still filtered by
every other term and filter. The syntax itself lives in
:mod:`toolkit.admin_ext.search_syntax`, the limits in :mod:`toolkit.admin_ext.search_limits`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.contrib.admin.views.main import ORDER_VAR
from django.core import checks
from django.core.exceptions import FieldDoesNotExist, FieldError, ValidationError
from django.db import connections, models
from django.db.models import F, Q
from django.db.models.constants import LOOKUP_SEP
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from .changelist import estimate_rows
from .fulltext import DEFAULT_FULLTEXT_CONFIG, StoredSearchVector, search_vector
from .search_fields import all_words, any_field, search_lookups
from .search_limits import SearchLimits, has_nul, shown
from .search_paths import PathError, closest, resolve_path
from .search_qualifiers import (
    COMPARABLE_FIELDS,
    TEXT_FIELDS,
    TermProblem,
    error_text,
    qualifier_condition,
)
from .search_syntax import (
    EMPTY_VALUE,
    UNCLOSED_QUOTE,
    UNKNOWN_QUALIFIER,
    QualifiedTerm,
    SyntaxProblem,
    TextTerm,
    parse,
)

if TYPE_CHECKING:
    from django.contrib import admin

    _ModelAdminBase = admin.ModelAdmin[Any]
else:
    _ModelAdminBase = object

__all__ = ["SearchMixin"]

#: ``search_fulltext_sort_max_rows`` by default, with each row's vector computed...
SORT_MAX_ROWS_COMPUTED = 50_000
#: ...and with a stored vector column.
SORT_MAX_ROWS_STORED = 10_000

_RANK_ALIAS = "_toolkit_search_rank"


# --- The mixin ----------------------------------------------------------------------


class SearchMixin(SearchLimits, _ModelAdminBase):
    """ModelAdmin mixin: Django's search, plus qualifiers, exclusions, rows listed once
    over relations, full text, and limits the database can take.

    Combine it with ``admin.ModelAdmin`` (it goes first)::

        class ProductAdmin(SearchMixin, admin.ModelAdmin):
            search_fields = ["sku", "name", "reviews__text"]
            search_qualifiers = {"sku": "sku__iexact", "price": "price"}
    """

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
        return self._generated_help_text(request)

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
            self._report_search_problems(request, [too_long])
            return queryset, may_have_duplicates
        qualifiers = self.get_search_qualifiers(request)
        parsed = parse(search_term, qualifiers)
        problems = [self._syntax_message(problem) for problem in parsed.problems]
        terms: list[TextTerm | QualifiedTerm] = []
        for term in parsed.terms:
            if has_nul(term.raw):
                # PostgreSQL refuses the character in any text: leave the term out on
                # every database, so the same search behaves the same everywhere.
                problems.append(_ignored(term.raw, _("it contains a NUL character.")))
            else:
                terms.append(term)
        terms, capped = self._capped_terms(request, terms, [term.raw for term in terms])
        if capped is not None:
            problems.append(capped)
        queryset, term_problems = self._apply_terms(request, queryset, terms, qualifiers)
        problems.extend(term_problems)
        self._report_search_problems(request, problems)
        return queryset, may_have_duplicates

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        return [
            *super().check(**kwargs),
            *self._check_search_qualifiers(),
            *self._check_search_fulltext_fields(),
            *self._check_search_fulltext_column(),
            *self._check_search_fulltext_rank_max_rows(),
            *self._check_search_limits(),
        ]

    # --- Building the query ---------------------------------------------------------

    def _apply_terms(
        self,
        request: HttpRequest,
        queryset: models.QuerySet[Any],
        terms: list[TextTerm | QualifiedTerm],
        qualifiers: dict[str, str],
    ) -> tuple[models.QuerySet[Any], list[str]]:
        problems: list[str] = []
        text_terms: list[TextTerm] = []
        for term in terms:
            if isinstance(term, TextTerm):
                text_terms.append(term)
                continue
            try:
                condition = qualifier_condition(self.model, term, qualifiers[term.name])
                queryset = queryset.filter(condition)
            except TermProblem as exc:
                problems.append(_ignored(term.raw, str(exc)))
            except (ValidationError, FieldError, ValueError, TypeError) as exc:
                problems.append(_ignored(term.raw, error_text(exc)))
        if not text_terms:
            return queryset, problems
        fulltext_fields = self.get_search_fulltext_fields(request)
        if fulltext_fields and connections[queryset.db].vendor == "postgresql":
            return self._apply_fulltext(request, queryset, text_terms, fulltext_fields), problems
        return self._apply_text_terms(request, queryset, text_terms, problems), problems

    def _apply_text_terms(
        self,
        request: HttpRequest,
        queryset: models.QuerySet[Any],
        terms: list[TextTerm],
        problems: list[str],
    ) -> models.QuerySet[Any]:
        """Words and phrases against ``get_search_fields()``: the rows stock Django
        finds for the words, without the rows of any excluded word."""
        lookups = search_lookups(self.model, self.get_search_fields(request))
        if not lookups:
            problems.extend(
                _ignored(term.raw, _("this list has no text search; use a qualifier."))
                for term in terms
            )
            return queryset
        queryset = all_words(queryset, [term.value for term in terms if not term.negated], lookups)
        for term in terms:
            if term.negated:
                queryset = queryset.filter(~any_field(term.value, lookups))
        return queryset

    def _apply_fulltext(
        self,
        request: HttpRequest,
        queryset: models.QuerySet[Any],
        terms: list[TextTerm],
        fields: Sequence[str],
    ) -> models.QuerySet[Any]:
        """Free terms against the full-text vector over ``fields``.

        Search fields on other columns (``sku``, a relation) still match each term, OR
        the vector, so a code typed in the box is found; with none left, all terms go
        into one ``tsquery`` and one index scan.
        """
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorExact

        config = self.search_fulltext_config
        column = self.get_search_fulltext_column(request)
        vector: Any = StoredSearchVector(column) if column else search_vector(fields, config)
        others = [
            lookup
            for lookup in search_lookups(self.model, self.get_search_fields(request))
            if lookup.target is None
            or lookup.target.multi_valued
            or lookup.target.field_path not in fields
        ]
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
        if not positive:
            # Only exclusions: nearly every row matches, so walking the ordering's
            # index finds a page at once.
            return queryset
        ordering = list(queryset.query.order_by)
        if not ordering and queryset.query.default_ordering:
            ordering = list(queryset.model._meta.ordering)
        if ORDER_VAR not in request.GET and self.get_search_fulltext_rank(request, queryset):
            return queryset.alias(**{_RANK_ALIAS: SearchRank(vector, query)}).order_by(
                f"-{_RANK_ALIAS}", *ordering
            )
        limit = self.search_fulltext_sort_max_rows
        if limit is None:
            limit = SORT_MAX_ROWS_STORED if column else SORT_MAX_ROWS_COMPUTED
        if limit and ordering:
            estimate = estimate_rows(queryset)
            if estimate is not None and estimate <= limit:
                sorted_matches = _sorted_after_matching(queryset.model, ordering)
                if sorted_matches is not None:
                    return queryset.order_by(*sorted_matches)
        return queryset

    # --- Messages ---------------------------------------------------------------------

    def _syntax_message(self, problem: SyntaxProblem) -> str:
        if problem.code == UNCLOSED_QUOTE:
            return _ignored(problem.raw, _("the quote is not closed."))
        if problem.code == EMPTY_VALUE:
            return _ignored(
                problem.raw,
                _("type a value after %(name)s:, e.g. %(name)s:abc.") % {"name": problem.name},
            )
        if problem.code == UNKNOWN_QUALIFIER:
            # The piece is still searched as text (it may be "Re:" or "ISBN:..."); the
            # message only points at the qualifier the person probably meant.
            start = problem.raw.index(problem.name)
            meant = (
                problem.raw[:start] + problem.suggestion + problem.raw[start + len(problem.name) :]
            )
            return _(
                "Searched for “%(term)s” as text: there is no %(name)s: qualifier. "
                "Did you mean “%(meant)s”?"
            ) % {"term": shown(problem.raw), "name": problem.name, "meant": shown(meant)}
        return _ignored(problem.raw, problem.code)

    def _report_search_problems(self, request: HttpRequest, problems: list[str]) -> None:
        """Show each problem once per request as a warning.

        The changelist runs the search again for each facet count, and the autocomplete
        view runs it for a JSON response that shows no messages (they would surface on
        the next page instead), so both are filtered out here.
        """
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name == "autocomplete":
            return
        reported: set[str] = request.__dict__.setdefault("_toolkit_search_reported", set())
        for problem in problems:
            if problem not in reported:
                reported.add(problem)
                self.message_user(request, problem, messages.WARNING, fail_silently=True)

    def _generated_help_text(self, request: HttpRequest) -> str | None:
        search_fields = list(self.get_search_fields(request))
        qualifiers = self.get_search_qualifiers(request)
        if not search_fields and not qualifiers:
            return None
        sentences = []
        if search_fields:
            names = _unique(_search_field_label(self.model, str(f)) for f in search_fields)
            sentences.append(_("Search by %(fields)s.") % {"fields": get_text_list(names, _("or"))})
        if qualifiers:
            examples = [self._qualifier_example(name, path) for name, path in qualifiers.items()]
            sentences.append(_("Qualifiers: %(examples)s.") % {"examples": ", ".join(examples)})
        sentences.append(_('Use "quotes" for phrases and -word to exclude.'))
        return " ".join(sentences)

    def _qualifier_example(self, name: str, path: str) -> str:
        try:
            target = resolve_path(self.model, path)
        except PathError:
            return f"{name}:…"
        field = target.field
        if target.lookup is None and not field.choices:
            if isinstance(field, models.DateField):
                return f"{name}>=2025-01-01"
            if isinstance(field, COMPARABLE_FIELDS):
                return f"{name}>=…"
        return f"{name}:…"

    # --- Checks -------------------------------------------------------------------------

    def _check_search_qualifiers(self) -> list[checks.CheckMessage]:
        qualifiers = self.search_qualifiers
        cls = type(self)
        if not isinstance(qualifiers, dict) or not all(
            isinstance(key, str) and isinstance(value, str) for key, value in qualifiers.items()
        ):
            return [
                checks.Error(
                    "The value of 'search_qualifiers' must be a dict mapping names (str) "
                    "to lookup paths (str).",
                    hint='For example: search_qualifiers = {"sku": "sku__iexact", '
                    '"price": "price"}.',
                    obj=cls,
                    id="toolkit.E010",
                )
            ]
        errors: list[checks.CheckMessage] = []
        for name, path in qualifiers.items():
            if not _is_identifier(name):
                errors.append(
                    checks.Error(
                        f"The search qualifier name {name!r} cannot be typed in the search "
                        "box: it must start with a letter or '_' and contain only letters, "
                        "digits and '_'.",
                        hint=f"Rename it, e.g. {_as_identifier(name)!r}.",
                        obj=cls,
                        id="toolkit.E011",
                    )
                )
            try:
                resolve_path(self.model, path)
            except PathError as exc:
                errors.append(
                    checks.Warning(
                        f"The search qualifier {name!r} refers to {path!r}, which does not "
                        f"resolve on {self.model._meta.label}: {exc}",
                        hint=(
                            f"Did you mean {exc.suggestion!r}?"
                            if exc.suggestion
                            else "Use a path of fields and an optional lookup, as in "
                            "QuerySet.filter()."
                        ),
                        obj=cls,
                        id="toolkit.W010",
                    )
                )
        return errors

    def _check_search_fulltext_column(self) -> list[checks.CheckMessage]:
        column = self.search_fulltext_column
        if column is None:
            return []
        if not isinstance(column, str) or not column.isidentifier():
            problem = f"must be a column name or None, not {column!r}"
        elif not self.search_fulltext_fields:
            problem = "needs search_fulltext_fields: the fields the column holds"
        elif column in {f.column for f in self.model._meta.concrete_fields}:
            problem = f"names {column!r}, a column of a model field, not the stored vector"
        else:
            return []
        return [
            checks.Error(
                f"'search_fulltext_column' {problem}.",
                hint='Add the column with AddSearchVectorColumn("<model>", ["name", '
                '"description"], column="search_document", name="...") in a migration, '
                "and set search_fulltext_fields to the same fields.",
                obj=type(self),
                id="toolkit.E014",
            )
        ]

    def _check_search_fulltext_rank_max_rows(self) -> list[checks.CheckMessage]:
        limit = self.search_fulltext_rank_max_rows
        if limit is None or (isinstance(limit, int) and not isinstance(limit, bool) and limit >= 0):
            return []
        return [
            checks.Error(
                "The value of 'search_fulltext_rank_max_rows' must be a non-negative "
                f"integer or None, not {limit!r}.",
                hint="For example 1000 (rank searches matching up to 1,000 rows), or None "
                "to always rank.",
                obj=type(self),
                id="toolkit.E013",
            )
        ]

    def _check_search_fulltext_fields(self) -> list[checks.CheckMessage]:
        fields = self.search_fulltext_fields
        cls = type(self)
        if fields is None:
            return []
        if isinstance(fields, str) or not all(isinstance(name, str) for name in fields):
            return [
                checks.Error(
                    "The value of 'search_fulltext_fields' must be a list of field names or None.",
                    hint='For example: search_fulltext_fields = ["name", "description"].',
                    obj=cls,
                    id="toolkit.E012",
                )
            ]
        opts = self.model._meta
        text_names = [
            f.name for f in opts.get_fields() if isinstance(f, TEXT_FIELDS) and f.concrete
        ]
        errors: list[checks.CheckMessage] = []
        for name in fields:
            try:
                field = opts.get_field(name)
            except FieldDoesNotExist:
                problem = f"{opts.label} has no field {name!r}"
            else:
                if isinstance(field, TEXT_FIELDS):
                    continue
                problem = f"{opts.label}.{name} is not a text field (CharField or TextField)"
            close = closest(name, text_names)
            errors.append(
                checks.Warning(
                    f"'search_fulltext_fields' names {name!r}, which cannot be searched with "
                    f"full-text search: {problem}.",
                    hint=(
                        f"Did you mean {close!r}? Only text fields of the model itself can "
                        "be in the index."
                        if close
                        else "Only text fields of the model itself can be in the index; "
                        f"its text fields are: {', '.join(text_names) or 'none'}."
                    ),
                    obj=cls,
                    id="toolkit.W011",
                )
            )
        return errors


def _sorted_after_matching(model: type[models.Model], ordering: Sequence[Any]) -> list[Any] | None:
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


# --- Small helpers --------------------------------------------------------------------


def _ignored(raw: str, reason: str) -> str:
    return _("Ignored “%(term)s” in the search: %(reason)s") % {
        "term": shown(raw),
        "reason": reason,
    }


def _is_identifier(name: str) -> bool:
    """Whether the parser reads ``name:`` as a qualifier (see search_syntax)."""
    return name.isidentifier()


def _as_identifier(name: str) -> str:
    cleaned = "".join(char if char.isalnum() or char == "_" else "_" for char in name)
    if not cleaned or cleaned[0].isdigit():
        cleaned = "_" + cleaned
    return cleaned.lower()


def _unique(items: Any) -> list[str]:
    return list(dict.fromkeys(items))


def _search_field_label(model: type[models.Model], search_field: str) -> str:
    """A readable name for a search field: ``"reviews__text"`` -> ``"review text"``."""
    name = search_field.lstrip("^=@")
    opts = model._meta
    words: list[str] = []
    for part in name.split(LOOKUP_SEP):
        try:
            field: Any = opts.get_field(opts.pk.name if part == "pk" else part)
        except FieldDoesNotExist:
            break
        if getattr(field, "path_infos", None):
            opts = field.path_infos[-1].to_opts
            words.append(str(opts.verbose_name))
        else:
            words.append(str(getattr(field, "verbose_name", field.name)))
    return " ".join(words) if words else name
