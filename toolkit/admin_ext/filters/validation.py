"""Bad filter input on the changelist page: a warning each, and the rest still applies.

``FiltersMixin`` puts :class:`FilterValidationMixin` in front of the admin's
``ChangeList`` (its changelist part ``FilterValidation``). It reports and drops what Django would
answer with ``?e=1`` or a 400: a value a filter cannot use, an unknown field, a lookup
that is not allowed, a bad date drill-down. Outside the changelist page Django's own
contract holds: ``IncorrectLookupParameters``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, cast

from django.conf import settings
from django.contrib.admin.options import IS_FACETS_VAR, IncorrectLookupParameters
from django.contrib.admin.utils import (
    build_q_object_from_lookup_parameters,
    lookup_spawns_duplicates,
)
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import (
    FieldError,
    ImproperlyConfigured,
    SuspiciousOperation,
    ValidationError,
)
from django.http import HttpRequest
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from ..changelist.in_page import log_disallowed_lookup, on_changelist_page
from .base import error_reason, shorten, warn_once

if TYPE_CHECKING:
    _ChangeListBase = ChangeList
else:
    _ChangeListBase = object

__all__ = ["FilterValidationMixin"]


class FilterValidationMixin(_ChangeListBase):
    """Mixed into the admin's ``ChangeList`` by ``FiltersMixin``.

    Django turns any unusable filter parameter into a redirect to ``?e=1`` that drops
    the whole query string (or a 400 for a lookup that is not allowed). Here each
    unusable parameter is reported as an admin warning and removed, the filters are
    built again without it, and the page renders with everything else applied.
    """

    #: Enough rounds for a query string full of bad parameters; each round drops one
    #: or more. Past it, Django's own handling takes over.
    max_filter_rounds: ClassVar[int] = 20

    @property
    def ignored_parameters(self) -> dict[str, str | None]:
        """Parameters left out or corrected, each with the value kept (``None``: none)."""
        return self.__dict__.setdefault("_toolkit_ignored_parameters", {})

    def get_filters(self, request: HttpRequest) -> Any:
        if not on_changelist_page(request):
            result = super().get_filters(request)
            for spec in result[0]:
                # A toolkit filter checks its own values; Django's would raise here.
                invalid = getattr(spec, "invalid_parameters", None)
                if invalid:
                    raise IncorrectLookupParameters(f"Bad value for {', '.join(invalid)}.")
            return self._toolkit_without_needless_distinct(result)
        for _round in range(self.max_filter_rounds):
            self._toolkit_drop_disallowed(request)
            self._toolkit_drop_bad_drilldown(request)
            result = super().get_filters(request)
            if self._toolkit_drop_failing(request, result):
                continue
            return self._toolkit_without_needless_distinct(result)
        return self._toolkit_without_needless_distinct(super().get_filters(request))

    def _toolkit_without_needless_distinct(self, result: Sequence[Any]) -> Any:
        """Django asks for ``DISTINCT`` over the whole changelist whenever a used filter
        crosses a many-valued relation; filters that match through ``EXISTS``
        (``avoids_duplicates``) cannot repeat a row, so only the others count."""
        specs, has_filters, remaining, may_have_duplicates, has_active = result
        if may_have_duplicates and not self._toolkit_may_repeat_rows(remaining):
            may_have_duplicates = False
        return specs, has_filters, remaining, may_have_duplicates, has_active

    def _toolkit_may_repeat_rows(self, remaining: dict[str, Any]) -> bool:
        """Django's test of ``get_filters``, leaving out the filters that avoid duplicates."""
        opts = self.lookup_opts
        if any(lookup_spawns_duplicates(opts, name) for name in remaining):
            return True
        sent = list(self.get_filters_params())
        for item in self.list_filter:
            if not isinstance(item, list | tuple | str):
                continue  # a SimpleListFilter class: Django does not look at those either
            path, filter_class = (item, None) if isinstance(item, str) else item
            if getattr(filter_class, "avoids_duplicates", False):
                continue
            if not isinstance(path, str):
                return True  # a Field instance: keep Django's answer
            if not lookup_spawns_duplicates(opts, path):
                continue
            if any(name == path or name.startswith(f"{path}__") for name in sent):
                return True
        return False

    def get_queryset(
        self, request: HttpRequest, exclude_parameters: list[str | None] | None = None
    ) -> Any:
        queryset = super().get_queryset(request, exclude_parameters)
        if self.ignored_parameters:
            # These were computed in __init__ from the query string as sent.
            self.remove_facet_link = self.get_query_string(remove=[IS_FACETS_VAR])
            self.add_facet_link = self.get_query_string({IS_FACETS_VAR: True})
            if self.preserved_filters:
                # Links to the change pages bring the person back to this list.
                kept = request.GET.copy()
                for name, keep in self.ignored_parameters.items():
                    if keep is None:
                        kept.pop(name, None)
                    else:
                        kept.setlist(name, [keep])
                self.preserved_filters = urlencode({"_changelist_filters": kept.urlencode()})
        return queryset

    # --- what gets dropped, and how ----------------------------------------------------

    def _toolkit_set(self, request: HttpRequest, name: str, keep: str | None) -> bool:
        """Replace (or with ``None`` remove) a parameter everywhere the page reads it."""
        current = self.filter_params.get(name)
        if keep is None:
            if name not in self.filter_params and name not in self.params:
                return False
            self.filter_params.pop(name, None)
            self.params.pop(name, None)
        else:
            if current == [keep]:
                return False
            self.filter_params[name] = [keep]
            self.params[name] = keep
        self.ignored_parameters[name] = keep
        return True

    def _toolkit_ignore(self, request: HttpRequest, names: Iterable[str], message: str) -> bool:
        changed = False
        for name in names:
            changed |= self._toolkit_set(request, name, None)
        if changed:
            warn_once(request, message)
        return changed

    def _toolkit_drop_disallowed(self, request: HttpRequest) -> None:
        """Mirror the ``lookup_allowed`` loop of ``get_filters``, minus the 400."""
        for name, values in list(self.get_filters_params().items()):
            for value in values if isinstance(values, list) else [values]:
                if not self.model_admin.lookup_allowed(name, value, request):
                    log_disallowed_lookup(request, name)
                    self._toolkit_ignore(
                        request,
                        [name],
                        _("Filtering by %(name)s is not allowed; it was ignored.")
                        % {"name": shorten(name)},
                    )
                    break

    def _toolkit_drop_bad_drilldown(self, request: HttpRequest) -> None:
        """Check the date hierarchy's year, month and day as ``get_filters`` will use them.

        Django answers a day that does not exist with ``?e=1``, and the last year or
        month of the calendar (no next one to end the range) with a server error.
        """
        hierarchy = self.date_hierarchy
        if not hierarchy:
            return
        names = [f"{hierarchy}__{part}" for part in ("year", "month", "day")]
        if names[0] not in self.filter_params:
            return  # without a year Django leaves month and day to the plain lookups
        try:
            year, month, day = (
                int(values[-1]) if (values := self.filter_params.get(name)) else None
                for name in names
            )
            start = datetime.datetime(cast(int, year), month or 1, day or 1)
            if day:
                end = start + datetime.timedelta(days=1)
            elif month:
                end = (start + datetime.timedelta(days=32)).replace(day=1)
            else:
                end = start.replace(year=start.year + 1)
            if settings.USE_TZ:
                for moment in (start, end):
                    timezone.make_aware(moment).astimezone(datetime.UTC)
        except (ValueError, OverflowError, TypeError) as exc:
            self._toolkit_ignore(
                request,
                names,
                _("The date drill-down was ignored: %(reason)s") % {"reason": error_reason(exc)},
            )

    def _toolkit_drop_failing(self, request: HttpRequest, result: Sequence[Any]) -> bool:
        """Try each active filter and each remaining lookup on its own; drop the failures.

        Building a filtered queryset raises for a value of the wrong type without
        touching the database, so trying costs no query for Django's own filters.
        """
        filter_specs, _has_filters, remaining, _duplicates, _active = result
        changed = False
        for spec in filter_specs:
            corrections = getattr(spec, "invalid_parameters", None)
            if corrections is not None:
                # A toolkit filter: it has validated (and warned) already.
                for name, keep in corrections.items():
                    changed |= self._toolkit_set(request, name, keep)
                continue
            if not spec.used_parameters:
                continue
            try:
                spec.queryset(request, self.root_queryset)
            except (IncorrectLookupParameters, ValidationError, ValueError) as exc:
                names = [p for p in spec.expected_parameters() if p and p in self.filter_params]
                changed |= self._toolkit_ignore(
                    request,
                    names,
                    _("The “%(title)s” filter was ignored: %(reason)s")
                    % {"title": spec.title, "reason": error_reason(exc)},
                )
        for name, value in remaining.items():
            try:
                self.root_queryset.filter(build_q_object_from_lookup_parameters({name: value}))
            except (SuspiciousOperation, ImproperlyConfigured):
                raise
            except FieldError:
                # An unknown field or an unsupported lookup: nothing the list filters by.
                changed |= self._toolkit_ignore(
                    request,
                    [name],
                    _("%(name)s is not a filter of this list; it was ignored.")
                    % {"name": shorten(name)},
                )
            except Exception as exc:
                # Django's own get_queryset() catches everything here too: a value of
                # the wrong type may raise nearly anything from a field's conversion.
                changed |= self._toolkit_ignore(
                    request,
                    [name],
                    _("The filter %(name)s was ignored: %(reason)s")
                    % {"name": shorten(name), "reason": error_reason(exc)},
                )
        return changed
