"""What an admin action acts on, as data another process can evaluate again.

An action receives a queryset, which cannot cross into a background worker, and
Django's "select all N rows" (``select_across=1``) posts no primary keys at all. A
:class:`Selection` keeps what the person chose instead: the admin site and model, the
changelist's query string (search, filters, ordering, exactly as the changelist read
it) and either "everything matching" (``select_across``) or the ticked primary keys::

    selection = Selection.from_action(self, request, queryset)
    job = start_job(MyHandler, user=request.user, model=self.model,
                    target=selection.to_dict())

:meth:`Selection.get_queryset` rebuilds the changelist's queryset for a user through
the ModelAdmin's own ChangeList (its ``get_queryset``, search and filters), then keeps
the ticked rows. Rows deleted or changed so that they no longer match since the person
chose them simply drop out; :meth:`Selection.missing` says how many.

:class:`ChangelistJobHandler` is a job handler whose target is a selection, and
:func:`start_changelist_job` starts one from an action.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.sites import all_sites
from django.contrib.messages.storage.base import BaseStorage, Message
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, QueryDict
from django.urls import NoReverseMatch, get_resolver, reverse

from toolkit.admin_ext.parts import compose_changelist
from toolkit.exceptions import ToolkitError
from toolkit.jobs.handlers import JobHandler, json_value

if TYPE_CHECKING:
    from django.contrib.admin.views.main import ChangeList
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from toolkit.jobs.models import Job

__all__ = [
    "ChangelistJobHandler",
    "ResultlessChangeListMixin",
    "Selection",
    "SelectionError",
    "changelist_params",
    "count_upto",
    "start_changelist_job",
]

#: The field of a confirmation page that carries its selection, signed
#: (:meth:`~toolkit.admin_ext.BulkActionsMixin.sign_selection`).
SELECTION_FIELD = "_selection"

#: Most primary keys a selection stores. A changelist page shows at most
#: ``list_max_show_all`` rows (200 by default), so a person ticks no more than that;
#: anything larger is "select all" and stored as the query alone.
MAX_SELECTION_PKS = 10_000


def count_upto(queryset: QuerySet[Any], limit: int) -> int:
    """``min(queryset.count(), limit + 1)``, without counting past ``limit + 1`` rows:
    enough to tell "small enough for this request" from "a job" on a million rows."""
    return queryset.order_by()[: limit + 1].count()


class SelectionError(ToolkitError):
    """A selection cannot be evaluated: its admin site or model is gone, the person may
    no longer see the changelist, or its filters are no longer valid. The message is a
    sentence for the person."""


def changelist_params(request: HttpRequest) -> QueryDict:
    """The changelist query string of an action's request.

    Django's action form posts to the changelist URL with its query string, so the
    search, filters and ordering the person saw are ``request.GET``; the change form
    carries them as ``_changelist_filters`` instead (preserved filters).
    """
    params = request.GET.copy()
    preserved = params.pop("_changelist_filters", None)
    if preserved and not params:
        return QueryDict(preserved[-1], mutable=True)
    return params


def changelist_origin(modeladmin: admin.ModelAdmin[Any], request: HttpRequest) -> str:
    """The changelist URL an action was run from, with its search and filters: where
    the job it starts links back to ("Back to the products list")."""
    opts = modeladmin.model._meta
    try:
        url = reverse(f"{modeladmin.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist")
    except NoReverseMatch:  # an admin whose URLs are not routed
        return ""
    query = changelist_params(request).urlencode()
    return f"{url}?{query}" if query else url


class _CollectingStorage(BaseStorage):
    """Message storage for the rebuilt request: the changelist's warnings (a bad query
    string) are kept, for :class:`SelectionError`, instead of failing for lack of a
    session."""

    def _get(self, *args: Any, **kwargs: Any) -> tuple[list[Message], bool]:
        return [], True

    def _store(self, messages: list[Message], response: Any, *args: Any, **kwargs: Any) -> list:
        return []


class ResultlessChangeListMixin:
    """A ChangeList's result fetching left out: rebuilding a selection, or running an
    action, needs the queryset the changelist would show, not a count and a page of it."""

    def get_results(self, request: HttpRequest) -> None:
        self.result_count = 0
        self.full_result_count = None
        self.result_list = self.queryset.none()  # type: ignore[attr-defined]
        self.can_show_all = False
        self.multi_page = False
        self.paginator = None


def without_results(changelist_class: type[ChangeList]) -> type[ChangeList]:
    """``changelist_class`` with :class:`ResultlessChangeListMixin` in front (made once)."""
    return compose_changelist(changelist_class, [ResultlessChangeListMixin])


@dataclass
class Selection:
    """The rows an admin action was asked to act on, as JSON-able data.

    Build one with :meth:`from_action`, store :meth:`to_dict` (a job's ``target``),
    read it back with :meth:`from_dict`, and evaluate it with :meth:`get_queryset`.
    """

    #: ``AdminSite.name`` of the site the action ran on.
    site: str
    #: ``app_label.model_name`` of the changelist's model.
    model: str
    #: The changelist's query string (search, filters, ordering), URL-encoded.
    query: str = ""
    #: "All rows matching the query" rather than the ticked ones.
    select_across: bool = False
    #: The ticked primary keys as strings (empty with ``select_across``).
    pks: list[str] = field(default_factory=list)

    # -- building --------------------------------------------------------------------

    @classmethod
    def from_action(
        cls, modeladmin: admin.ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[Any]
    ) -> Selection:
        """The selection an action received.

        With ``select_across`` posted (Django's "Select all N"), the selection is the
        changelist query alone; otherwise the primary keys of ``queryset`` (which
        Django has already narrowed to the ticked rows), at most
        :data:`MAX_SELECTION_PKS` of them.
        """
        select_across = request.POST.get("select_across") in {"1", "True", "true", "on"}
        pks: list[str] = []
        if not select_across:
            values = list(queryset.order_by().values_list("pk", flat=True)[: MAX_SELECTION_PKS + 1])
            if len(values) > MAX_SELECTION_PKS:
                raise SelectionError(
                    f"At most {MAX_SELECTION_PKS} rows can be ticked one by one; use "
                    "“Select all” on a filtered list instead."
                )
            pks = [str(json_value(pk)) for pk in dict.fromkeys(values)]
        return cls(
            site=modeladmin.admin_site.name,
            model=modeladmin.model._meta.label_lower,
            query=changelist_params(request).urlencode(),
            select_across=select_across,
            pks=pks,
        )

    @classmethod
    def for_objects(cls, modeladmin: admin.ModelAdmin[Any], objs: list[Model]) -> Selection:
        """A selection of given objects (a row or change-form action)."""
        return cls(
            site=modeladmin.admin_site.name,
            model=modeladmin.model._meta.label_lower,
            pks=[str(obj.pk) for obj in objs],
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "model": self.model,
            "query": self.query,
            "select_across": self.select_across,
            "pks": list(self.pks),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Selection:
        """Read a stored selection back; raises :class:`SelectionError` for anything
        that is not one (a hand-edited job)."""
        try:
            pks = data.get("pks") or []
            if not isinstance(pks, list):
                raise TypeError("pks")
            return cls(
                site=str(data["site"]),
                model=str(data["model"]),
                query=str(data.get("query") or ""),
                select_across=bool(data.get("select_across")),
                pks=[str(pk) for pk in pks],
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise SelectionError("This job does not describe a selection of rows.") from exc

    # -- evaluating ------------------------------------------------------------------

    @property
    def params(self) -> QueryDict:
        return QueryDict(self.query)

    def get_modeladmin(self) -> admin.ModelAdmin[Any]:
        """The ModelAdmin of the selection's site and model, in any process.

        Every AdminSite registers itself in ``django.contrib.admin.sites.all_sites``
        when created; sites not created by the admin modules (which the admin app
        imports at start-up) are found by importing the project's URLconf.
        """
        from django.apps import apps

        try:
            model = apps.get_model(self.model)
        except (LookupError, ValueError) as exc:
            raise SelectionError(f"The model {self.model!r} no longer exists.") from exc
        for attempt in range(2):
            for site in list(all_sites):
                if site.name == self.site and site.is_registered(model):
                    return site.get_model_admin(model)
            if attempt == 0:
                # A worker process loads no URLconf, and a site created in urls.py
                # (rather than an admin module) exists only once it is imported.
                get_resolver().url_patterns  # noqa: B018
        raise SelectionError(
            f"No admin site named {self.site!r} has {model._meta.verbose_name_plural} "
            "registered any more."
        )

    def build_request(self, modeladmin: admin.ModelAdmin[Any], user: Any) -> HttpRequest:
        """A GET request for the changelist as ``user`` saw it."""
        opts = modeladmin.model._meta
        try:
            path = reverse(
                f"{modeladmin.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist"
            )
        except NoReverseMatch:
            path = "/"
        # A plain HttpRequest, not django.test's RequestFactory (test code, at run time):
        # what the changelist reads of a request is its method, path, query and user.
        request = HttpRequest()
        request.method = "GET"
        request.path = request.path_info = path
        request.GET = QueryDict(self.query)
        request.META = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": self.query}
        request.user = user
        request._messages = _CollectingStorage(request)  # type: ignore[attr-defined]
        return request

    def get_changelist_queryset(self, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Any]:
        """Every row of the changelist's query for ``user``, ignoring the ticked pks."""
        modeladmin = self.get_modeladmin()
        request = self.build_request(modeladmin, user)
        if not modeladmin.has_view_or_change_permission(request):
            raise PermissionDenied(
                f"You may no longer see {modeladmin.model._meta.verbose_name_plural}."
            )
        # A shallow copy whose ChangeList skips counting and fetching a page: the rest
        # (get_queryset, search, filters, facets, ordering) is the changelist's own code.
        probe = copy.copy(modeladmin)
        changelist_class = modeladmin.get_changelist(request)
        probe.get_changelist = lambda request, **kwargs: without_results(changelist_class)  # type: ignore[method-assign]
        try:
            changelist = probe.get_changelist_instance(request)
        except IncorrectLookupParameters as exc:
            raise SelectionError(
                "The list's filters are no longer valid; open the list again and choose "
                "the rows anew."
            ) from exc
        errors = [m for m in request._messages._queued_messages if m.level >= 40]  # type: ignore[attr-defined]
        if errors:
            raise SelectionError(str(errors[0].message))
        return changelist.queryset

    def get_queryset(self, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Any]:
        """The selected rows, re-evaluated now for ``user``.

        The changelist's queryset as ``user`` would see it with the stored query
        string, narrowed to the ticked primary keys unless ``select_across``. Ticked
        rows that were deleted, or no longer match the filters, are left out (see
        :meth:`missing`). Raises :class:`SelectionError` or ``PermissionDenied``.
        """
        queryset = self.get_changelist_queryset(user)
        if not self.select_across:
            queryset = queryset.filter(pk__in=self.pks)
        return queryset

    def missing(self, found: int) -> int:
        """How many ticked rows dropped out, given that ``found`` were found (always 0
        for "select all", which has no list to compare with)."""
        if self.select_across:
            return 0
        return max(0, len(self.pks) - found)


class ChangelistJobHandler(JobHandler):
    """A job handler whose target is a :class:`Selection` (``Selection.to_dict()``).

    Every chunk re-evaluates the selection as ``job.started_by``, through the
    ModelAdmin's changelist, so a person who loses the permission mid-job stops the
    job instead of acting beyond their rights. Subclass it, set ``name``, write
    ``process_chunk``; start it with :func:`start_changelist_job`.
    """

    max_target_pks = MAX_SELECTION_PKS

    def get_selection(self, job: Job) -> Selection:
        return Selection.from_dict(job.target or {})

    def get_queryset(self, job: Job) -> QuerySet[Any]:
        return self.get_selection(job).get_queryset(self.get_user(job))

    def get_user(self, job: Job) -> Any:
        """Whose rights the job runs with: the person who started it."""
        from django.contrib.auth.models import AnonymousUser

        user = job.started_by
        return user if user is not None else AnonymousUser()

    def get_result_message(self, job: Job) -> str:
        message = super().get_result_message(job)
        try:
            missing = self.get_selection(job).missing(job.total or 0)
        except SelectionError:
            missing = 0
        if missing:
            message += (
                f" {missing} of the selected rows had been deleted or no longer matched "
                "the list's filters, and were left alone."
            )
        return message


def start_changelist_job(
    handler: str | type[JobHandler] | JobHandler,
    modeladmin: admin.ModelAdmin[Any],
    request: HttpRequest,
    queryset: QuerySet[Any],
    params: dict[str, Any] | None = None,
    *,
    selection: Selection | None = None,
    description: str = "",
) -> Job:
    """Start a :class:`ChangelistJobHandler` job on what an action received; return it.

    The action then redirects to ``job.get_absolute_url()``, the progress page::

        @admin.action(description="Reprice selected products", permissions=["change"])
        def reprice(self, request, queryset):
            job = start_changelist_job(RepriceHandler, self, request, queryset,
                                       {"factor": "1.1"})
            return redirect(job.get_absolute_url())
    """
    from toolkit.jobs.tasks import start_job

    selection = selection or Selection.from_action(modeladmin, request, queryset)
    return start_job(
        handler,
        user=request.user,
        model=modeladmin.model,
        target=selection.to_dict(),
        params=params or {},
        description=description,
        origin=changelist_origin(modeladmin, request),
    )
