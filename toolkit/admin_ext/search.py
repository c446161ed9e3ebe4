"""Qualified search for changelists: ``supplier:acme price>=10 "usb c" -refurbished``.

:class:`SearchMixin` replaces the term matching of ``ModelAdmin.get_search_results``:

- free words and "quoted phrases" match ``search_fields`` as in Django (``^``, ``=``,
  ``@`` prefixes and explicit lookups included): AND between terms, OR across fields;
- ``search_qualifiers`` map a name the person types to a lookup path; a bare field path
  on a number or date also accepts ``>``, ``>=``, ``<``, ``<=`` and ``=``;
- ``-`` excludes a word, phrase or qualifier;
- fields reached through a many-to-many or reverse relation are matched with
  ``EXISTS (...)`` subqueries, so a product with three matching tags is listed once and
  the changelist never needs ``DISTINCT``;
- on PostgreSQL, ``search_fulltext_fields`` switches free terms to full-text search,
  ranked by relevance when the person did not pick an ordering and the matches are
  few enough to rank quickly (``search_fulltext_rank_max_rows``).

Anything the search cannot use (an unclosed quote, ``price>abc``, an unknown qualifier)
becomes one warning message naming the term, and the list is still filtered by every
other term and filter. The syntax itself lives in :mod:`toolkit.admin_ext.search_syntax`.
"""

from __future__ import annotations

import datetime
import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import messages
from django.contrib.admin.views.main import ORDER_VAR
from django.core import checks
from django.core.exceptions import FieldDoesNotExist, FieldError, ValidationError
from django.db import connections, models
from django.db.models import Exists, F, OuterRef, Q, Value
from django.db.models.constants import LOOKUP_SEP
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from .fulltext import DEFAULT_FULLTEXT_CONFIG, StoredSearchVector, search_vector
from .pagination import estimate_rows
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

# Lookups whose right-hand side is text whatever the field's type.
_TEXT_LOOKUPS = frozenset(
    {
        "contains",
        "icontains",
        "startswith",
        "istartswith",
        "endswith",
        "iendswith",
        "regex",
        "iregex",
        "search",
        "trigram_similar",
        "trigram_word_similar",
        "trigram_strict_word_similar",
        "unaccent",
    }
)
_COMPARISON_LOOKUPS = {"=": "exact", ">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}
_TEXT_FIELDS = (models.CharField, models.TextField)
_COMPARABLE_FIELDS = (
    models.IntegerField,
    models.FloatField,
    models.DecimalField,
    models.DateField,
    models.TimeField,
)
_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off"})
_RANK_ALIAS = "_toolkit_search_rank"


# --- Lookup paths --------------------------------------------------------------------


class PathError(Exception):
    """A lookup path that does not resolve; ``suggestion`` is the closest valid name."""

    def __init__(self, message: str, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.suggestion = suggestion


@dataclass(frozen=True)
class _Target:
    """Where a qualifier or search field points, split for building subqueries.

    ``field_path`` is the path without its trailing lookup (transforms included) and
    ``field`` the output field there, which values are converted for. When the path
    crosses a many-to-many or reverse relation, ``field_path`` is relative to
    ``subquery_model``, whose rows are correlated to the outer row by
    ``correlation=OuterRef(outer_ref)``; ``relation_only`` says the path ended on the
    relation itself (``reviews__isnull``).
    """

    field_path: str
    field: Any
    lookup: str | None
    subquery_model: type[models.Model] | None = None
    correlation: str = ""
    outer_ref: str = ""
    relation_only: bool = False

    @property
    def multi_valued(self) -> bool:
        return self.subquery_model is not None

    @property
    def group(self) -> tuple[Any, ...]:
        """Targets in the same group can share one ``EXISTS`` subquery."""
        return (self.subquery_model, self.correlation, self.outer_ref)

    def lookup_path(self, suffix: str | None) -> str:
        return f"{self.field_path}{LOOKUP_SEP}{suffix}" if suffix else self.field_path

    def condition(self, suffixes: Sequence[tuple[str, Any]]) -> Q:
        """``field_path__<suffix>=value`` for each pair, ANDed, relative to where it is
        evaluated: the changelist's model, or the subquery's for multi-valued paths."""
        return Q.create([(self.lookup_path(suffix), value) for suffix, value in suffixes])

    def exists(self, condition: Q | None = None) -> Exists:
        """``EXISTS`` of a related row matching ``condition`` (any row when None)."""
        assert self.subquery_model is not None
        inner = self.subquery_model._base_manager.filter(
            **{self.correlation: OuterRef(self.outer_ref)}
        )
        if condition is not None:
            inner = inner.filter(condition)
        return Exists(inner)


def resolve_path(model: type[models.Model], path: str) -> _Target:
    """Resolve ``path`` (``"tags__name__iexact"``) on ``model`` or raise PathError.

    Follows relations like Django's own lookups: fields, then transforms, then at
    most one lookup at the end.
    """
    parts = path.split(LOOKUP_SEP)
    opts = model._meta
    fields: list[Any] = []
    owners: list[type[models.Model]] = []
    i = 0
    while i < len(parts):
        name = opts.pk.name if parts[i] == "pk" else parts[i]
        try:
            field: Any = opts.get_field(name)
        except FieldDoesNotExist:
            if not fields:
                raise PathError(
                    _("%(model)s has no field %(name)r.")
                    % {"model": opts.object_name, "name": parts[i]},
                    _closest(parts[i], _field_names(opts)),
                ) from None
            break
        fields.append(field)
        owners.append(opts.model)
        i += 1
        if not getattr(field, "path_infos", None):
            # Only a relation leads to more fields; transforms and a lookup follow.
            break
        opts = field.path_infos[-1].to_opts
    output = fields[-1]
    lookup: str | None = None
    for position in range(i, len(parts)):
        part = parts[position]
        last = position == len(parts) - 1
        if last and output.get_lookup(part) is not None:
            lookup = part
            break
        transform = output.get_transform(part)
        if transform is None:
            choices = list(output.get_lookups())
            if getattr(output, "path_infos", None):
                choices += _field_names(output.path_infos[-1].to_opts)
            raise PathError(
                _("%(name)r is neither a field nor a lookup of %(field)s.")
                % {"name": part, "field": _describe_field(output)},
                _closest(part, choices),
            )
        try:
            output = transform(Value(None, output_field=output)).output_field
        except (FieldError, TypeError, ValueError) as exc:
            raise PathError(str(exc)) from exc
    field_parts = parts[: len(parts) - 1] if lookup else parts
    return _split_multi_valued(field_parts, fields, owners, output, lookup)


def _split_multi_valued(
    field_parts: list[str],
    fields: list[Any],
    owners: list[type[models.Model]],
    output: Any,
    lookup: str | None,
) -> _Target:
    for index, field in enumerate(fields):
        path_infos = getattr(field, "path_infos", None) or []
        if not any(info.m2m for info in path_infos):
            continue
        prefix = field_parts[:index]
        rest = LOOKUP_SEP.join(field_parts[index + 1 :])
        related, correlation, outer = _correlation(field)
        if related is None:
            # A relation with no way back (related_name="+", generic relations):
            # correlate on the owner's primary key and keep the relation in the path.
            related, correlation, outer = owners[index], "pk", "pk"
            rest = LOOKUP_SEP.join(field_parts[index:])
        elif not rest:
            # The path ends on the relation itself: its value is the related row's key.
            rest = "pk"
        return _Target(
            field_path=rest,
            field=output,
            lookup=lookup,
            subquery_model=related,
            correlation=correlation,
            outer_ref=LOOKUP_SEP.join([*prefix, outer]),
            relation_only=len(field_parts) == index + 1,
        )
    return _Target(field_path=LOOKUP_SEP.join(field_parts), field=output, lookup=lookup)


def _correlation(field: Any) -> tuple[type[models.Model] | None, str, str]:
    """(model to query, its path back to the outer row, the outer field it matches)."""
    try:
        if isinstance(field, models.ManyToOneRel):
            return field.related_model, field.field.name, field.field.target_field.name
        if isinstance(field, models.ManyToManyRel):
            return field.related_model, field.field.name, "pk"
        if isinstance(field, models.ManyToManyField) and not field.remote_field.hidden:
            return field.related_model, field.related_query_name(), "pk"
    except FieldError:
        # Relations over several columns have no single target field.
        pass
    return None, "", ""


def _field_names(opts: Any) -> list[str]:
    # A reverse relation's name is its query name ("reviews"), as filter() spells it.
    return [field.name for field in opts.get_fields()]


def _closest(name: str, choices: Sequence[str]) -> str | None:
    close = difflib.get_close_matches(name, sorted(set(choices)), n=1, cutoff=0.5)
    return close[0] if close else None


def _describe_field(field: Any) -> str:
    model = getattr(field, "model", None)
    name = getattr(field, "name", None)
    if model is not None and name:
        return f"{type(field).__name__} {model._meta.object_name}.{name}"
    return type(field).__name__


# --- Values -------------------------------------------------------------------------


class TermProblem(Exception):
    """A term that cannot be used; the message says why, for the person."""


def _strict_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValidationError(_("Use yes or no."))


def _convert(field: Any, raw: str) -> Any:
    """``raw`` as a Python value for ``field``, validated by the field's own form field.

    Raises ValidationError with a message fit for the person.
    """
    if field.is_relation:
        field = field.target_field
    if isinstance(field, models.BooleanField):
        return _strict_bool(raw)
    if field.choices:
        return _choice(field, raw)
    formfield = field.formfield()
    if formfield is None:
        # Fields like AutoField have no form field.
        return field.to_python(raw)
    value = formfield.to_python(raw)
    # validate() rejects NaN and infinity for numbers; validators (max_digits, ranges)
    # are skipped on purpose: price<1000000000 is a fine comparison.
    formfield.validate(value)
    return value


def _choice(field: Any, raw: str) -> Any:
    wanted = raw.strip().lower()
    for key, label in field.flatchoices:
        if wanted in (str(key).lower(), str(label).lower()):
            return key
    raise ValidationError(
        _("Choose one of: %(choices)s.")
        % {"choices": ", ".join(str(key) for key, _label in field.flatchoices)}
    )


def _day_bounds(raw: str) -> tuple[datetime.datetime, datetime.datetime] | None:
    """Start of the day ``raw`` names and of the next day, in the current time zone;
    None when ``raw`` is not a date alone."""
    try:
        day = forms.DateField().to_python(raw)
    except ValidationError:
        return None
    if day is None:
        return None
    to_datetime = forms.DateTimeField().to_python
    start, end = to_datetime(day), to_datetime(day + datetime.timedelta(days=1))
    assert start is not None and end is not None
    return start, end


def _comparison(field: Any, operator: str, raw: str) -> list[tuple[str, Any]]:
    """Lookup suffixes and values for ``<field> <operator> raw`` on a number or date."""
    if isinstance(field, models.DateTimeField):
        bounds = _day_bounds(raw)
        if bounds is not None:
            # A date alone means the whole day: created=2025-01-01 is that day,
            # created<=2025-01-01 includes it, created>2025-01-01 starts the next day.
            start, end = bounds
            return {
                "=": [("gte", start), ("lt", end)],
                ">": [("gte", end)],
                ">=": [("gte", start)],
                "<": [("lt", start)],
                "<=": [("lt", end)],
            }[operator]
    return [(_COMPARISON_LOOKUPS[operator], _convert(field, raw))]


# --- The mixin ----------------------------------------------------------------------


class SearchMixin(_ModelAdminBase):
    """ModelAdmin mixin: qualifiers, phrases, negation, EXISTS for relations, full text.

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

    #: Terms beyond this many are ignored (with a message): each term adds a condition
    #: to the query, and a pasted paragraph must not produce a query the database
    #: refuses.
    search_max_terms: int = 32

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
        """The text under the search box. ``search_help_text`` wins when set; otherwise
        it is written from the search fields and the qualifiers. Plain text: the
        template escapes it."""
        if self.search_help_text is not None:
            return str(self.search_help_text)
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
        search_term = (search_term or "").replace("\x00", "")
        if not search_term.strip():
            return queryset, may_have_duplicates
        qualifiers = self.get_search_qualifiers(request)
        parsed = parse(search_term, qualifiers)
        problems = [self._syntax_message(problem, qualifiers) for problem in parsed.problems]
        terms = list(parsed.terms)
        if len(terms) > self.search_max_terms:
            dropped = terms[self.search_max_terms :]
            terms = terms[: self.search_max_terms]
            problems.append(
                _("The search uses its first %(count)d terms; ignored: %(terms)s")
                % {
                    "count": self.search_max_terms,
                    "terms": " ".join(term.raw for term in dropped),
                }
            )
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
                condition = self._qualified_condition(term, qualifiers[term.name])
                queryset = queryset.filter(condition)
            except TermProblem as exc:
                problems.append(_ignored(term.raw, str(exc)))
            except (ValidationError, FieldError, ValueError, TypeError) as exc:
                problems.append(_ignored(term.raw, _error_text(exc)))
        if not text_terms:
            return queryset, problems
        fulltext_fields = self.get_search_fulltext_fields(request)
        if fulltext_fields and connections[queryset.db].vendor == "postgresql":
            return self._apply_fulltext(request, queryset, text_terms, fulltext_fields), problems
        return self._apply_text_terms(request, queryset, text_terms, problems), problems

    def _qualified_condition(self, term: QualifiedTerm, path: str) -> Any:
        try:
            target = resolve_path(self.model, path)
        except PathError:
            raise TermProblem(
                _("the %(name)s: qualifier is misconfigured (see manage.py check).")
                % {"name": term.name}
            ) from None
        field, lookup, operator, raw = target.field, target.lookup, term.operator, term.value
        suffixes: list[tuple[str, Any]]
        if lookup is None:
            if isinstance(field, _COMPARABLE_FIELDS) and not field.choices:
                suffixes = _comparison(field, operator, raw)
            elif operator != "=":
                raise TermProblem(_comparison_refused(term.name))
            elif isinstance(field, _TEXT_FIELDS) and not field.choices:
                suffixes = [("icontains", raw)]
            else:
                suffixes = [("exact", _convert(field, raw))]
        else:
            if operator != "=":
                raise TermProblem(_comparison_refused(term.name))
            if lookup in _TEXT_LOOKUPS or isinstance(field, _TEXT_FIELDS):
                value: Any = raw
            elif lookup == "isnull":
                value = _strict_bool(raw)
            elif lookup == "in":
                value = [_convert(field, part) for part in raw.split(",") if part.strip()]
            else:
                value = _convert(field, raw)
            suffixes = [(lookup, value)]
        condition: Any
        if target.multi_valued and target.relation_only and lookup == "isnull":
            # reviews__isnull=True means "has no review": no related row exists.
            condition = ~target.exists() if value else target.exists()
        elif target.multi_valued:
            condition = target.exists(target.condition(suffixes))
        else:
            condition = target.condition(suffixes)
        return ~condition if term.negated else condition

    def _search_targets(self, request: HttpRequest) -> list[tuple[_Target | None, str, Any]]:
        """For each search field: (its target, or None when it does not resolve; its
        lookup path; the field a term must convert to first, or None), built with
        Django's rules for the ``^``, ``=`` and ``@`` prefixes and the default
        ``icontains``."""
        targets: list[tuple[_Target | None, str, Any]] = []
        for search_field in self.get_search_fields(request):
            name = str(search_field)
            prefixed = {"^": "istartswith", "=": "iexact", "@": "search"}.get(name[:1])
            if prefixed:
                path = f"{name[1:]}{LOOKUP_SEP}{prefixed}"
            else:
                try:
                    has_lookup = resolve_path(self.model, name).lookup is not None
                except PathError:
                    has_lookup = True
                path = name if has_lookup else f"{name}{LOOKUP_SEP}icontains"
            try:
                target: _Target | None = resolve_path(self.model, path)
            except PathError:
                # Not something this mixin understands (e.g. "@name" without
                # django.contrib.postgres): hand the path to the ORM as Django would.
                targets.append((None, path, None))
                continue
            assert target is not None
            validate = None
            if target.lookup == "exact" and not isinstance(target.field, _TEXT_FIELDS):
                # As in Django: "id__exact" skips words that are not valid ids.
                validate = target.field
            targets.append((target, path, validate))
        return targets

    def _apply_text_terms(
        self,
        request: HttpRequest,
        queryset: models.QuerySet[Any],
        terms: list[TextTerm],
        problems: list[str],
    ) -> models.QuerySet[Any]:
        targets = self._search_targets(request)
        if not targets:
            problems.extend(
                _ignored(term.raw, _("this list has no text search; use a qualifier."))
                for term in terms
            )
            return queryset
        for term in terms:
            matched = _term_condition(term.value, targets)
            queryset = queryset.filter(~matched if term.negated else matched)
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
            (target, path, validate)
            for target, path, validate in self._search_targets(request)
            if target is None or target.multi_valued or target.field_path not in fields
        ]
        query: Any = None
        positive = False
        for term in terms:
            search_type = "phrase" if term.phrase else "plain"
            term_query: Any = SearchQuery(term.value, config=config, search_type=search_type)
            if others:
                matched = Q(SearchVectorExact(vector, term_query)) | _term_condition(
                    term.value, others
                )
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

    def _syntax_message(self, problem: SyntaxProblem, qualifiers: dict[str, str]) -> str:
        if problem.code == UNCLOSED_QUOTE:
            return _ignored(problem.raw, _("the quote is not closed."))
        if problem.code == EMPTY_VALUE:
            return _ignored(
                problem.raw,
                _("type a value after %(name)s:, e.g. %(name)s:abc.") % {"name": problem.name},
            )
        if problem.code == UNKNOWN_QUALIFIER:
            close = _closest(problem.name.lower(), list(qualifiers))
            if close:
                reason = _("there is no %(name)s: qualifier; did you mean %(close)s:?")
            elif qualifiers:
                reason = _("there is no %(name)s: qualifier (available: %(available)s).")
            else:
                reason = _("this list has no %(name)s: qualifier.")
            reason = reason % {
                "name": problem.name,
                "close": close,
                "available": ", ".join(f"{name}:" for name in qualifiers),
            }
            return (
                _ignored(problem.raw, reason)
                + " "
                + _('To search for the text itself, put it in quotes: "%(raw)s".')
                % {"raw": problem.raw}
            )
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
            if isinstance(field, _COMPARABLE_FIELDS):
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
            f.name for f in opts.get_fields() if isinstance(f, _TEXT_FIELDS) and f.concrete
        ]
        errors: list[checks.CheckMessage] = []
        for name in fields:
            try:
                field = opts.get_field(name)
            except FieldDoesNotExist:
                problem = f"{opts.label} has no field {name!r}"
            else:
                if isinstance(field, _TEXT_FIELDS):
                    continue
                problem = f"{opts.label}.{name} is not a text field (CharField or TextField)"
            close = _closest(name, text_names)
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


def _term_condition(value: str, targets: list[tuple[_Target | None, str, Any]]) -> Any:
    """A word or phrase matching any of the search fields ``targets``: OR across
    fields; fields behind the same relation share one ``EXISTS`` with OR inside it."""
    alternatives: list[Any] = []
    grouped: dict[tuple[Any, ...], tuple[_Target, list[Any]]] = {}
    for target, path, validate in targets:
        converted: Any = value
        if validate is not None:
            try:
                converted = _convert(validate, value)
            except ValidationError:
                continue
        if target is None:
            alternatives.append(Q(**{path: converted}))
        elif target.multi_valued:
            condition = target.condition([(target.lookup or "exact", converted)])
            grouped.setdefault(target.group, (target, []))[1].append(condition)
        else:
            alternatives.append(target.condition([(target.lookup or "exact", converted)]))
    for target, conditions in grouped.values():
        alternatives.append(target.exists(Q.create(conditions, connector=Q.OR)))
    if not alternatives:
        # No field can hold this word (e.g. only id fields and a word that is no id).
        return Q(pk__in=[])
    if len(alternatives) == 1:
        return alternatives[0]
    return Q.create(alternatives, connector=Q.OR)


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
    return _("Ignored “%(term)s” in the search: %(reason)s") % {"term": raw, "reason": reason}


def _comparison_refused(name: str) -> str:
    return _("%(name)s: does not compare with <, >, <= or >=; use %(name)s:value.") % {"name": name}


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(str(message) for message in exc.messages)
    return _("this value cannot be searched.")


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
