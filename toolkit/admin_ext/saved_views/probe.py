"""Trying a saved view's parameters on the changelist before it is saved or applied.

A view's query string may outlive what the changelist accepts (a removed filter, a
renamed field, a stale ordering). Each try builds the changelist's filters and queryset
for a copy of the request, and nothing more: its ChangeList class counts and fetches no
row, and the messages it would show stay in the try. A parameter that makes the try
fail is left out of the view, with a message, never a server error.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ORDER_VAR
from django.contrib.messages.storage.base import BaseStorage, Message
from django.core.exceptions import FieldError, SuspiciousOperation, ValidationError
from django.http import HttpRequest, QueryDict

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin
    from django.contrib.admin.views.main import ChangeList

__all__ = [
    "MAX_PARAMS_TRIED_ALONE",
    "ProbeChangeListMixin",
    "SavedViewParams",
    "is_probe",
    "rejects",
    "try_params",
]

#: A stale view with more parameters than this is not taken apart parameter by
#: parameter (each try builds the changelist's filters once).
MAX_PARAMS_TRIED_ALONE = 30

_PROBE_ATTR = "_toolkit_saved_view_probe"


@dataclass
class SavedViewParams:
    """The outcome of trying a query string on a changelist."""

    #: The parameters the changelist accepts (all of them when ``rejected`` is empty).
    params: QueryDict
    #: Names of the parameters left out.
    rejected: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected


def try_params(
    model_admin: ModelAdmin[Any], request: HttpRequest, params: QueryDict
) -> SavedViewParams:
    """Try ``params`` (already stripped of ignored parameters) on ``model_admin``'s
    changelist and say which it no longer accepts.

    One try when all is well. Otherwise each parameter is tried alone, and the ones
    that fail are left out; if the rest still fail together, nothing is kept.
    """
    if not rejects(model_admin, request, params):
        return SavedViewParams(params=params)
    keys = list(params.keys())
    if len(keys) > MAX_PARAMS_TRIED_ALONE:
        return SavedViewParams(params=QueryDict(), rejected=keys)
    kept = QueryDict(mutable=True)
    rejected = []
    for key in keys:
        alone = QueryDict(mutable=True)
        alone.setlist(key, params.getlist(key))
        if rejects(model_admin, request, alone):
            rejected.append(key)
        else:
            kept.setlist(key, params.getlist(key))
    if not rejected or (kept and rejects(model_admin, request, kept)):
        return SavedViewParams(params=QueryDict(), rejected=keys)
    return SavedViewParams(params=kept, rejected=rejected)


def rejects(model_admin: ModelAdmin[Any], request: HttpRequest, params: QueryDict) -> bool:
    """True when the changelist rejects ``params``: an exception while building its
    filters and queryset, a warning or error message from a filter or the search,
    or an ordering that no longer points at a sortable column."""
    probe = copy.copy(request)
    probe.GET = params  # type: ignore[assignment]
    probe.POST = QueryDict()
    probe.method = "GET"
    storage = _CollectedMessages(probe)
    probe._messages = storage  # type: ignore[attr-defined]
    setattr(probe, _PROBE_ATTR, True)
    try:
        cl = model_admin.get_changelist_instance(probe)
    except (
        IncorrectLookupParameters,
        SuspiciousOperation,
        FieldError,
        ValidationError,
        ValueError,
        TypeError,
        LookupError,
    ):
        return True
    if any(message.level >= messages.WARNING for message in storage):
        return True
    return _ordering_is_stale(cl, params.get(ORDER_VAR) or "")


def is_probe(request: HttpRequest) -> bool:
    """Whether ``request`` is a try of :func:`rejects`, whose changelist must put
    :class:`ProbeChangeListMixin` in front (the part ``SavedViewProbe`` does)."""
    return bool(getattr(request, _PROBE_ATTR, False))


class ProbeChangeListMixin:
    """Put in front of the changelist's class while a view is tried (:func:`is_probe`):
    checking a view builds the filters and the queryset, and must not count or fetch a
    million rows to do so."""

    def get_results(self, request: HttpRequest) -> None:
        self.result_count = 0
        self.full_result_count = None
        self.show_full_result_count = False
        self.show_admin_actions = False
        self.result_list = self.queryset.none()  # type: ignore[attr-defined]
        self.can_show_all = False
        self.multi_page = False
        self.paginator = None


class _CollectedMessages(BaseStorage):
    """Message storage of a probe request: messages stay in memory, so a filter that
    reports a bad value while a view is being checked tells the check, not the person
    (who sees the message once, from the changelist itself)."""

    def _get(self, *args: Any, **kwargs: Any) -> tuple[list[Message], bool]:
        return [], True

    def _store(
        self, messages: list[Message], response: Any, *args: Any, **kwargs: Any
    ) -> list[Message]:
        return []


def _ordering_is_stale(cl: ChangeList, ordering: str) -> bool:
    # Django skips an ordering index it cannot use without a word; a saved view
    # that silently lost its sort would mislead, so it counts as rejected here.
    for part in filter(None, ordering.split(".")):
        index = part.rpartition("-")[2]
        try:
            column = cl.list_display[int(index)]
            if not cl.get_ordering_field(column):
                return True
        except (ValueError, IndexError, AttributeError):
            return True
    return False
