"""The AI features of the admin: :class:`AIActionsMixin` and :class:`InsightAdmin`.

``AIActionsMixin`` puts the AI actions a ModelAdmin lists in ``ai_actions`` into its
changelist ("Summarize with AI", "Flag anomalies", "Summarize selection", and any action
of a site's own), shows the newest insight of each row in a column (a severity badge and
a short summary, loaded for the whole page in one query), filters the list by severity,
and adds a panel to the change form with the record's latest insights, their flags with
evidence, their provenance and a re-run button. Proposed field changes
(:class:`~toolkit.ai.actions.ProposeFieldAction`) are reviewed side by side and applied or
rejected per record; a selection digest has a result page and exports::

    from toolkit.ai.admin import AIActionsMixin
    from toolkit.ai.rules import Rule
    from toolkit.ai.sources import Related

    @admin.register(Product)
    class ProductAdmin(AIActionsMixin, admin.ModelAdmin):
        ai_fields = ["name", "description", "price", "cost", "stock", "category.name"]
        ai_related = {"reviews": Related("reviews", fields=["rating", "text"], limit=20)}
        ai_rules = [Rule("negative_stock", Q(stock__lt=0), field="stock", severity="critical")]
        ai_peer_group = "category"
        ai_peer_fields = ["price"]

Who sees what: the actions, the re-run button and the proposal review need the action's
permission (``toolkit.run_ai`` by default) and the view permission on the model; without
them the actions are neither offered nor run when posted. The column, the filter and the
panel are shown to people who may run AI actions or view insights
(``toolkit.view_insight``). Applying a proposal needs the change permission and goes
through the ModelAdmin's form.

Selections of up to ``ai_background_threshold`` records (``TOOLKIT_AI_BACKGROUND_THRESHOLD``
when ``None``) run in the request with bounded concurrency and a short timeout; larger
ones become a background job (:func:`toolkit.ai.handlers.start_ai_job`) and the action
redirects to its progress page. Every text that comes from a record or a model is
escaped where it is shown; the pages carry no inline script or style.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin import options as admin_options
from django.contrib.admin.utils import construct_change_message, quote, unquote
from django.contrib.contenttypes.models import ContentType
from django.core import checks
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models, router, transaction
from django.db.models import QuerySet
from django.db.models.functions import Cast
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.loader import select_template
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from toolkit.admin_ext.actions import count_upto
from toolkit.admin_ext.links import reverse_if_routed
from toolkit.admin_ext.selection import Selection, SelectionError
from toolkit.ai.actions import (
    AIAction,
    FlagAnomaliesAction,
    SummarizeAction,
    SummarizeSelectionAction,
    get_action,
    resolve_action,
)
from toolkit.ai.endpoints import DEFAULT_ENDPOINT, get_endpoint
from toolkit.ai.models import SEVERITY_RANK, Insight, InsightStatus, ReviewStatus
from toolkit.ai.runner import check_limits, run_action, run_digest
from toolkit.compat import get_actions_at
from toolkit.conf import conf
from toolkit.exceptions import AIError, AILimitExceeded, ToolkitError
from toolkit.query_input import QueryInputMixin

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

    _ModelAdminBase = ModelAdmin[Any]
else:
    _ModelAdminBase = object

__all__ = [
    "AIActionsMixin",
    "AISeverityFilter",
    "InsightAdmin",
    "digest_scope",
    "latest_insights",
]

logger = logging.getLogger("toolkit.ai")

#: Django 6.1's action objects (``None`` before, where actions are tuples).
_Action = getattr(admin_options, "Action", None)

#: Name prefix of the admin actions made from ``ai_actions`` ("ai_summary").
ACTION_PREFIX = "ai_"
#: Kinds whose newest insight the changelist column shows: the summary's text and the
#: anomaly run's severity.
COLUMN_KINDS = (SummarizeAction.kind, FlagAnomaliesAction.kind)
#: Attribute of a changelist row holding its newest insights by kind (set for the page).
ROW_INSIGHTS_ATTR = "_toolkit_ai_insights"
#: Characters of a summary shown in the changelist column.
COLUMN_SUMMARY_CHARS = 120
#: Severity classes the templates may put in a class attribute (never a stored value).
SEVERITY_CLASSES = {"critical": "critical", "warning": "warning", "info": "info", "": "none"}
#: Proposals shown on one review page (the newest; the rest after these are reviewed).
PROPOSALS_PER_PAGE = 100
#: An in-request run may wait this long (seconds) for one answer: a slow endpoint then
#: fails the record with a sentence instead of holding the page.
REQUEST_TIMEOUT = 10.0


# -- queries -------------------------------------------------------------------------------


def latest_insights(
    objects: Sequence[models.Model], kinds: Sequence[str] | None = None
) -> dict[str, dict[str, Insight]]:
    """The newest insight of each kind for each of ``objects``, in one query.

    Returns ``{str(pk): {kind: insight}}``; records without insights are absent. A failed
    insight counts (an anomaly run whose model failed still holds the rule and statistics
    flags). Used for a changelist page and a change form alike.
    """
    if not objects:
        return {}
    content_type = ContentType.objects.get_for_model(type(objects[0]), for_concrete_model=False)
    candidates = Insight.objects.filter(content_type=content_type)
    if kinds is not None:
        candidates = candidates.filter(kind__in=list(kinds))
    newest = Insight.objects.filter(
        content_type_id=models.OuterRef("content_type_id"),
        object_id=models.OuterRef("object_id"),
        kind=models.OuterRef("kind"),
    ).order_by("-created_at", "-pk")
    rows = (
        candidates.filter(object_id__in=[str(obj.pk) for obj in objects])
        .filter(pk=models.Subquery(newest.values("pk")[:1]))
        .select_related("requested_by")
    )
    found: dict[str, dict[str, Insight]] = {}
    for insight in rows:
        found.setdefault(insight.object_id, {})[insight.kind] = insight
    return found


def _object_id_as_pk(model: type[models.Model]) -> Any:
    """``Insight.object_id`` as the type of ``model``'s primary key, for ``pk__in``."""
    pk: Any = model._meta.pk
    while pk is not None and pk.is_relation:
        pk = pk.target_field
    if isinstance(pk, models.AutoField | models.BigAutoField | models.IntegerField):
        return Cast("object_id", output_field=models.BigIntegerField())
    if isinstance(pk, models.UUIDField):
        return Cast("object_id", output_field=models.UUIDField())
    return models.F("object_id")


# -- the severity filter -----------------------------------------------------------------


class AISeverityFilter(admin.SimpleListFilter):
    """Rows by the severity of their newest anomaly check ("Flag anomalies")."""

    title = gettext_lazy("AI flags")
    parameter_name = "ai_severity"

    #: The insight kind whose newest insight per record decides.
    kind = FlagAnomaliesAction.kind

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("critical", _("Critical")),
            ("warning", _("Warning")),
            ("info", _("Info")),
            ("clean", _("No flags")),
            ("unchecked", _("Not checked")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any] | None:
        value = self.value()
        if value is None:
            return queryset
        model = queryset.model
        checked = Insight.objects.for_model(model).filter(kind=self.kind)
        if value == "unchecked":
            return queryset.exclude(pk__in=checked.values(pk_value=_object_id_as_pk(model)))
        newest = checked.filter(
            object_id=models.OuterRef("object_id"),
        ).order_by("-created_at", "-pk")
        latest = checked.filter(pk=models.Subquery(newest.values("pk")[:1]))
        if value == "clean":
            latest = latest.filter(severity_rank=0, status=InsightStatus.OK)
        elif value in SEVERITY_RANK and value:
            latest = latest.filter(max_severity=value)
        else:
            return queryset  # an unknown value: Django's own filters ignore them too
        return queryset.filter(pk__in=latest.values(pk_value=_object_id_as_pk(model)))


# -- the mixin -----------------------------------------------------------------------------


class AIActionsMixin(_ModelAdminBase):
    """ModelAdmin mixin: AI actions, an insight column, a severity filter, a change-form
    panel and the review of proposed changes. Put it before ``admin.ModelAdmin``."""

    #: Fields sent to the model: names, or paths across foreign keys ("category.name").
    #: Nothing else leaves the database. Empty (the default): the mixin adds nothing to
    #: the admin (no action, column, filter or panel), so that it can be added to an
    #: admin that works today and changes nothing until it is told what to send.
    ai_fields: Sequence[str] = ()
    #: Related rows sent with each record, capped:
    #: ``{"reviews": Related("reviews", fields=["rating", "text"], limit=20)}``.
    ai_related: dict[str, Any] = {}
    #: Rules evaluated in the database; their findings are flags of their own and facts
    #: given to the model (``toolkit.ai.rules.Rule``).
    ai_rules: Sequence[Any] = ()
    #: The field whose value groups a record's peers for statistics ("category").
    ai_peer_group: str | None = None
    #: Numeric fields compared with the peers' (robust z-score); empty: none.
    ai_peer_fields: Sequence[str] = ()
    #: Replace e-mail addresses and phone numbers in sent values with placeholders.
    ai_redact: bool = True
    #: The AI actions offered: AIAction subclasses, instances, or registered names.
    ai_actions: Sequence[type[AIAction] | AIAction | str] = (
        SummarizeAction,
        FlagAnomaliesAction,
        SummarizeSelectionAction,
    )
    #: Selections above this many records run as a background job; ``None``:
    #: ``TOOLKIT_AI_BACKGROUND_THRESHOLD``. 0 sends every run to a job.
    ai_background_threshold: int | None = None
    #: The ``TOOLKIT_AI`` endpoint the actions use; ``None``: "default".
    ai_endpoint: str | None = None
    #: Add the insight column to ``list_display`` (after the existing columns).
    ai_list_column: bool = True
    #: Add the severity filter to ``list_filter``.
    ai_list_filter: bool = True

    # -- hooks -----------------------------------------------------------------------

    def get_ai_fields(self, request: HttpRequest | None = None) -> list[str]:
        """The fields sent for this request (``ai_fields``)."""
        return list(self.ai_fields)

    def get_ai_related(self, request: HttpRequest | None = None) -> dict[str, Any]:
        return dict(self.ai_related)

    def get_ai_rules(self, request: HttpRequest | None = None) -> list[Any]:
        return list(self.ai_rules)

    def get_ai_peer_group(self, request: HttpRequest | None = None) -> str | None:
        return self.ai_peer_group

    def get_ai_peer_fields(self, request: HttpRequest | None = None) -> list[str]:
        return list(self.ai_peer_fields)

    def get_ai_redact(self, request: HttpRequest | None = None) -> bool:
        return bool(self.ai_redact)

    def get_ai_actions(self, request: HttpRequest | None = None) -> list[AIAction]:
        """The actions offered, as instances (names and classes are resolved)."""
        return [_as_action(entry) for entry in self.ai_actions]

    def get_ai_background_threshold(self, request: HttpRequest) -> int:
        """Records above which a run becomes a background job."""
        if self.ai_background_threshold is not None:
            return int(self.ai_background_threshold)
        return conf.AI_BACKGROUND_THRESHOLD

    def get_ai_endpoint(self, request: HttpRequest | None = None) -> str | None:
        return self.ai_endpoint

    def get_ai_source(self, request: HttpRequest | None = None) -> Any:
        """What leaves the database, built from the ``ai_*`` attributes."""
        from toolkit.ai.sources import AISource

        return AISource.from_admin(self, request)

    def ai_configured(self) -> bool:
        """Whether this admin class may offer AI at all: it names fields to send, or
        decides them per request. Its AI URLs and stylesheet exist only then."""
        return bool(self.ai_fields) or (
            type(self).get_ai_fields is not AIActionsMixin.get_ai_fields
        )

    def ai_enabled(self, request: HttpRequest | None = None) -> bool:
        """Whether this admin offers AI to ``request``: it names fields to send
        (``ai_fields``)."""
        return self.ai_configured() and bool(self.get_ai_fields(request))

    def has_ai_permission(
        self, request: HttpRequest, action: AIAction | None = None, obj: Any = None
    ) -> bool:
        """Whether the person may run ``action`` (any AI action when ``None``): AI is on
        for this admin, its permission (``toolkit.run_ai``) and the view permission on
        the model."""
        if not self.ai_enabled(request):
            return False
        user = request.user
        permission = action.permission if action is not None else "toolkit.run_ai"
        return bool(user.has_perm(permission)) and self.has_view_or_change_permission(request, obj)

    def has_ai_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Whether the person sees insights (column, filter, panel): AI is on for this
        admin, and they may run AI actions or view insights, and view the record."""
        if not self.ai_enabled(request):
            return False
        user = request.user
        allowed = user.has_perm("toolkit.run_ai") or user.has_perm("toolkit.view_insight")
        return bool(allowed) and self.has_view_or_change_permission(request, obj)

    # -- system checks -----------------------------------------------------------------

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = list(super().check(**kwargs))
        errors.extend(_check_ai_options(self))
        return errors

    # -- actions -----------------------------------------------------------------------

    def get_actions(  # type: ignore[override,unused-ignore]
        self, request: HttpRequest, action_location: Any = None
    ) -> dict[str, Any]:
        """The admin's actions plus the AI actions the person may run (change list
        only). The admins after this mixin may override ``get_actions()`` with
        Django 6.1's signature or the older ``get_actions(self, request)``."""
        actions = get_actions_at(super(), request, action_location)
        location = getattr(admin_options, "ActionLocation", None)
        if location is not None and action_location not in (None, location.CHANGE_LIST):
            return actions
        if self.actions is None or admin_options.IS_POPUP_VAR in request.GET:
            return actions
        for action in self.get_ai_actions(request):
            if self.has_ai_permission(request, action):
                name = ACTION_PREFIX + action.name
                actions[name] = self._ai_admin_action(action, name)
        return actions

    def _ai_admin_action(self, action: AIAction, name: str) -> Any:
        def run(modeladmin: AIActionsMixin, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
            return modeladmin.run_ai_action(request, queryset, action)

        run.__name__ = name
        description = action.get_description()
        if _Action is None:
            return (run, name, description)
        location = admin_options.ActionLocation.CHANGE_LIST  # type: ignore[attr-defined,unused-ignore]
        return _Action(
            func=run,
            name=name,
            description=description,
            plural_description=description,
            locations=[location],
        )

    def find_ai_action(self, request: HttpRequest, name: str) -> AIAction | None:
        """The offered action called ``name``, if the person may run it."""
        for action in self.get_ai_actions(request):
            if action.name == name and self.has_ai_permission(request, action):
                return action
        return None

    def run_ai_action(
        self,
        request: HttpRequest,
        queryset: QuerySet[Any],
        action: AIAction,
        *,
        force: bool = False,
        selection: Selection | None = None,
    ) -> HttpResponse | None:
        """Run ``action`` on ``queryset``: here when small, as a background job when
        larger than the threshold. Returns a redirect (job page, digest, proposals) or
        ``None`` (back to the list with a message)."""
        if not self.has_ai_permission(request, action):
            raise PermissionDenied
        try:
            get_endpoint(self.get_ai_endpoint(request) or DEFAULT_ENDPOINT)
        except ToolkitError as exc:
            self.message_user(request, f"{exc} Nothing was sent.", messages.ERROR)
            return None
        threshold = self.get_ai_background_threshold(request)
        size = count_upto(queryset, max(threshold, conf.AI_MAX_RECORDS))
        if size > conf.AI_MAX_RECORDS:
            size = queryset.order_by().count()  # the limit's message says how many
        if size == 0:
            self.message_user(request, _("No records selected."), messages.WARNING)
            return None
        try:
            check_limits(request.user, size)
        except AILimitExceeded as exc:
            self.message_user(request, f"{exc} Nothing was sent.", messages.ERROR)
            return None
        if size > threshold:
            return self._start_ai_job(request, queryset, action, force, selection)
        try:
            return self._run_in_request(request, queryset, action, force)
        except AILimitExceeded as exc:
            self.message_user(request, f"{exc} Nothing was sent.", messages.ERROR)
        except (AIError, ToolkitError) as exc:
            self.message_user(request, _("The AI run failed: %s") % exc, messages.ERROR)
        return None

    def _start_ai_job(
        self,
        request: HttpRequest,
        queryset: QuerySet[Any],
        action: AIAction,
        force: bool,
        selection: Selection | None,
    ) -> HttpResponse | None:
        from toolkit.ai.handlers import start_ai_job

        try:
            selection = selection or Selection.from_action(self, request, queryset)
            job = start_ai_job(
                request,
                self,
                action,
                queryset,
                force=force,
                endpoint=self.get_ai_endpoint(request),
                selection=selection,
                scope=None if action.per_record else digest_scope(request, queryset),
            )
        except (SelectionError, AILimitExceeded) as exc:
            self.message_user(request, f"{exc} Nothing was sent.", messages.ERROR)
            return None
        self.message_user(
            request,
            _("“%(action)s” runs in the background; this page shows its progress.")
            % {"action": action.get_description()},
            messages.INFO,
        )
        return HttpResponseRedirect(job.get_absolute_url())

    def _request_endpoint(self, request: HttpRequest) -> Any:
        """The endpoint for a run inside the request: one short attempt per record."""
        endpoint = get_endpoint(self.get_ai_endpoint(request) or DEFAULT_ENDPOINT)
        return dataclasses.replace(
            endpoint, timeout=min(endpoint.timeout, REQUEST_TIMEOUT), max_retries=0
        )

    def _run_in_request(
        self, request: HttpRequest, queryset: QuerySet[Any], action: AIAction, force: bool
    ) -> HttpResponse | None:
        source = self.get_ai_source(request)
        endpoint = self._request_endpoint(request)
        if not action.per_record:
            scope = digest_scope(request, queryset)
            insight = run_digest(
                action, source, queryset, user=request.user, scope=scope, endpoint=endpoint
            )
            if not insight.is_ok:
                self.message_user(
                    request, _("The digest failed: %s") % insight.error, messages.ERROR
                )
            page = reverse_if_routed("admin:toolkit_insight_digest", [insight.pk])
            if page:
                return HttpResponseRedirect(page)
            if insight.is_ok:
                self.message_user(request, insight.text, messages.INFO)
            return None
        report = run_action(
            action, source, queryset, user=request.user, force=force, endpoint=endpoint
        )
        self.message_user(
            request,
            _(
                "%(action)s: %(sent)d %(items)s sent, %(cached)d unchanged since the last "
                "run, %(failed)d failed (tokens: %(tin)d in, %(tout)d out)."
            )
            % {
                "action": action.get_description(),
                "sent": report.sent,
                "items": ngettext("record", "records", report.sent),
                "cached": report.cached,
                "failed": report.failed,
                "tin": report.tokens_in,
                "tout": report.tokens_out,
            },
            messages.WARNING if report.failed else messages.SUCCESS,
        )
        for error in report.errors[:3]:
            self.message_user(request, error, messages.ERROR)
        proposals_url = self.get_ai_proposals_url()
        if action.result == "proposal" and (report.sent or report.cached) and proposals_url:
            self.message_user(
                request,
                format_html(
                    '{} <a href="{}">{}</a>',
                    _("Proposed changes wait for a review."),
                    proposals_url,
                    _("Review them"),
                ),
                messages.INFO,
            )
        return None

    # -- the changelist column and filter ------------------------------------------------

    def get_list_filter(self, request: HttpRequest) -> Any:
        filters = super().get_list_filter(request)
        if self.ai_list_filter and self.has_ai_view_permission(request):
            # A new list only when a filter is added: otherwise the admin's own value,
            # untouched (a tuple stays a tuple).
            return [*filters, AISeverityFilter]
        return filters

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        changelist = super().get_changelist_instance(request)
        if self.ai_list_column and self.has_ai_view_permission(request):
            # Added to the page's columns only (not to get_list_display()): an export of
            # the list's columns gets no HTML badge and no query per row.
            changelist.list_display = [*changelist.list_display, "ai_insight"]
            # The page's rows, fetched now (the template iterates the same cached list),
            # get their newest insights in one query instead of one per row.
            rows = list(changelist.result_list)
            found = latest_insights(rows, COLUMN_KINDS)
            for row in rows:
                setattr(row, ROW_INSIGHTS_ATTR, found.get(str(row.pk), {}))
        return changelist

    @admin.display(description=gettext_lazy("AI insight"))
    def ai_insight(self, obj: models.Model) -> str:
        """A severity badge and the start of the newest summary (escaped)."""
        found = getattr(obj, ROW_INSIGHTS_ATTR, None)
        if found is None:
            found = latest_insights([obj], COLUMN_KINDS).get(str(obj.pk), {})
        summary = found.get(SummarizeAction.kind)
        anomalies = found.get(FlagAnomaliesAction.kind)
        parts = []
        if anomalies is not None:
            severity = anomalies.max_severity or ""
            count = len(anomalies.flags or [])
            label = severity.capitalize() if severity else _("No flags")
            parts.append(
                format_html(
                    '<span class="toolkit-ai-badge toolkit-ai-{}" title="{}">{}</span>',
                    SEVERITY_CLASSES.get(severity, "none"),
                    ngettext("%(count)d flag", "%(count)d flags", count) % {"count": count},
                    label,
                )
            )
        if summary is not None:
            text = summary.text if summary.is_ok else _("Summary failed")
            parts.append(
                format_html(
                    '<span class="toolkit-ai-summary">{}</span>',
                    Truncator(text).chars(COLUMN_SUMMARY_CHARS),
                )
            )
        if not parts:
            return self.get_empty_value_display()
        return format_html(" ".join(["{}"] * len(parts)), *parts)

    @property
    def media(self) -> forms.Media:
        if not self.ai_configured():
            return super().media
        return super().media + forms.Media(css={"all": ["toolkit/ai/ai.css"]})

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        if (
            isinstance(response, TemplateResponse)
            and response.context_data is not None
            and self.has_ai_permission(request)
            and any(a.result == "proposal" for a in self.get_ai_actions(request))
            and self.get_ai_proposals_url()
        ):
            pending = self.pending_proposals(request).count()
            response.context_data.update(
                {
                    "toolkit_ai_parent_template": select_template(
                        _template_names(response.template_name)
                    ),
                    "toolkit_ai_proposals_url": self.get_ai_proposals_url(),
                    "toolkit_ai_proposals_pending": pending,
                }
            )
            response.template_name = "toolkit/ai/change_list.html"
        return response

    # -- the change form panel ---------------------------------------------------------

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        response = super().render_change_form(request, context, add, change, form_url, obj)
        if (
            obj is not None
            and isinstance(response, TemplateResponse)
            and response.context_data is not None
            and self.has_ai_view_permission(request, obj)
        ):
            response.context_data.update(self.ai_panel_context(request, obj))
            response.context_data["toolkit_ai_parent_template"] = select_template(
                _template_names(response.template_name)
            )
            response.template_name = "toolkit/ai/change_form.html"
        return response

    def ai_panel_context(self, request: HttpRequest, obj: models.Model) -> dict[str, Any]:
        """What the change form's AI panel shows: the newest insight of each kind with
        its flags and provenance, and the actions the person may re-run."""
        found = latest_insights([obj]).get(str(obj.pk), {})
        order = {a.kind: i for i, a in enumerate(self.get_ai_actions(request))}
        insights = sorted(found.values(), key=lambda i: (order.get(i.kind, 99), i.kind))
        rerun_url = self._ai_url("rerun", obj.pk)
        rerun = [
            a
            for a in self.get_ai_actions(request)
            if rerun_url and a.per_record and self.has_ai_permission(request, a, obj)
        ]
        pending = [i for i in insights if i.review_status == ReviewStatus.PROPOSED]
        content_type = ContentType.objects.get_for_model(self.model, for_concrete_model=False)
        history_url = reverse_if_routed("admin:toolkit_insight_changelist")
        if history_url:
            history_url += (
                f"?content_type__id__exact={content_type.pk}&object_id={quote(str(obj.pk))}"
            )
        return {
            "toolkit_ai_panel": {
                "insights": [_insight_view(i) for i in insights],
                "rerun_actions": [(a.name, a.get_description()) for a in rerun],
                "rerun_url": rerun_url,
                "proposals_url": self.get_ai_proposals_url() if pending else "",
                "history_url": history_url,
            }
        }

    # -- URLs and views ----------------------------------------------------------------

    def get_ai_proposals_url(self) -> str:
        """Where a person reviews this model's pending proposals (also the result page
        of a background job of a proposal action); ``""`` when this admin's URLs are
        not routed."""
        return self._ai_url("proposals")

    def _ai_url(self, name: str, *args: Any) -> str:
        opts = self.model._meta
        return reverse_if_routed(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_ai_{name}",
            [quote(str(a)) for a in args],
        )

    def get_urls(self) -> list[URLPattern]:
        if not self.ai_configured():
            return list(super().get_urls())
        opts = self.model._meta
        prefix = f"{opts.app_label}_{opts.model_name}_ai"
        wrap = self.admin_site.admin_view
        return [
            path("ai/proposals/", wrap(self.ai_proposals_view), name=f"{prefix}_proposals"),
            path(
                "ai/proposals/<int:insight_id>/",
                wrap(self.ai_review_view),
                name=f"{prefix}_review",
            ),
            path("<path:object_id>/ai/rerun/", wrap(self.ai_rerun_view), name=f"{prefix}_rerun"),
            *super().get_urls(),
        ]

    def ai_rerun_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The change form's re-run button: POST, CSRF-checked, the action's permission."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(_("No such record."))
        action = self.find_ai_action(request, request.POST.get("action", ""))
        if action is None or not action.per_record:
            raise PermissionDenied
        if not self.has_ai_permission(request, action, obj):
            raise PermissionDenied
        opts = self.model._meta
        change_url = reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
            args=[quote(str(obj.pk))],
        )
        queryset = self.get_queryset(request).filter(pk=obj.pk)
        selection = Selection.for_objects(self, [obj])
        response = self.run_ai_action(request, queryset, action, force=True, selection=selection)
        return response or HttpResponseRedirect(change_url)

    def pending_proposals(self, request: HttpRequest) -> QuerySet[Insight]:
        """Proposals about this model that wait for a review, newest first."""
        return (
            Insight.objects.for_model(self.model)
            .filter(review_status=ReviewStatus.PROPOSED, status=InsightStatus.OK)
            .exclude(object_id="")
            .order_by("-created_at", "-pk")
        )

    def proposal_field(self, insight: Insight) -> str | None:
        """The field an insight proposes a value for (its action's ``proposal_field``)."""
        try:
            action = get_action(insight.action)
        except (KeyError, LookupError, ToolkitError):
            action = None
        field = getattr(action, "proposal_field", None) or (insight.data or {}).get("field")
        return str(field) if field else None

    def proposed_value(self, insight: Insight) -> str:
        """The proposed value: the answer's ``value`` (or the insight's text)."""
        data = insight.data or {}
        for key in ("value", "proposal", "proposed"):
            if isinstance(data.get(key), str):
                return str(data[key])
        return insight.text

    def ai_proposals_view(self, request: HttpRequest) -> HttpResponse:
        """Pending proposals side by side with the current values."""
        if not self.has_ai_permission(request):
            raise PermissionDenied
        waiting = self.pending_proposals(request)
        total = waiting.count()
        pending = list(waiting[:PROPOSALS_PER_PAGE])
        pks = [i.object_id for i in pending]
        queryset = self.get_queryset(request)
        objects = {str(o.pk): o for o in queryset.filter(pk__in=pks)} if pks else {}
        rows = []
        for insight in pending:
            obj = objects.get(insight.object_id)
            field = self.proposal_field(insight)
            if obj is None or field is None:
                continue
            try:
                label = capfirst(str(self.model._meta.get_field(field).verbose_name))
            except FieldDoesNotExist:
                continue
            rows.append(
                {
                    "insight": insight,
                    "object": obj,
                    "field": field,
                    "label": label,
                    "current": str(getattr(obj, field, "") or ""),
                    "proposed": self.proposed_value(insight),
                    "reason": str((insight.data or {}).get("reason") or ""),
                    "review_url": self._ai_url("review", insight.pk),
                    "change_url": reverse(
                        f"{self.admin_site.name}:{self.model._meta.app_label}_"
                        f"{self.model._meta.model_name}_change",
                        args=[quote(str(obj.pk))],
                    ),
                    "can_apply": self.has_change_permission(request, obj),
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Review AI proposals for %s") % self.model._meta.verbose_name_plural,
            "subtitle": None,
            "opts": self.model._meta,
            "app_label": self.model._meta.app_label,
            "rows": rows,
            "total": total,
            "more": max(0, total - len(pending)),
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "toolkit/ai/proposals.html", context)

    def ai_review_view(self, request: HttpRequest, insight_id: int) -> HttpResponse:
        """Apply or reject one proposal (POST). Applying validates the value with the
        ModelAdmin's form for that field, saves through ``save_model`` and logs."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_ai_permission(request):
            raise PermissionDenied
        back = self.get_ai_proposals_url()
        insight = self.pending_proposals(request).filter(pk=insight_id).first()
        if insight is None:
            self.message_user(
                request,
                _("That proposal was already reviewed or no longer exists; nothing changed."),
                messages.WARNING,
            )
            return HttpResponseRedirect(back)
        obj = self.get_object(request, insight.object_id)
        field = self.proposal_field(insight)
        if obj is None or field is None:
            self.message_user(
                request, _("The record of that proposal is gone; nothing changed."), messages.ERROR
            )
            return HttpResponseRedirect(back)
        decision = request.POST.get("decision")
        if decision == "reject":
            Insight.objects.filter(pk=insight.pk, review_status=ReviewStatus.PROPOSED).update(
                review_status=ReviewStatus.REJECTED
            )
            self.message_user(request, _("Proposal for “%s” rejected.") % obj, messages.SUCCESS)
            return HttpResponseRedirect(back)
        if decision != "apply":
            self.message_user(request, _("Choose Apply or Reject."), messages.ERROR)
            return HttpResponseRedirect(back)
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        error = self.apply_proposal(request, obj, field, self.proposed_value(insight), insight)
        if error:
            self.message_user(
                request,
                _("“%(obj)s” was left unchanged: %(error)s") % {"obj": obj, "error": error},
                messages.ERROR,
            )
        else:
            self.message_user(
                request, _("The proposal was applied to “%s”.") % obj, messages.SUCCESS
            )
        return HttpResponseRedirect(back)

    def apply_proposal(
        self, request: HttpRequest, obj: models.Model, field: str, value: str, insight: Insight
    ) -> str:
        """Validate ``value`` for ``field`` with the ModelAdmin's form and save it with a
        LogEntry; returns the validation errors as a sentence ("" when applied)."""
        if field not in _form_fields(self, request, obj):
            return _("the form of this page does not offer “%s”.") % field
        form_class = self.get_form(request, obj, change=True, fields=[field])
        form = form_class(data={field: value}, instance=obj)
        if not form.is_valid():
            return " ".join(
                f"{name}: {' '.join(str(m) for m in msgs)}" for name, msgs in form.errors.items()
            )
        with transaction.atomic(using=router.db_for_write(self.model)):
            claimed = Insight.objects.filter(
                pk=insight.pk, review_status=ReviewStatus.PROPOSED
            ).update(review_status=ReviewStatus.APPLIED)
            if not claimed:
                return _("someone reviewed it meanwhile.")
            new_object = self.save_form(request, form, change=True)
            self.save_model(request, new_object, form, change=True)
            message = construct_change_message(form, [], False)  # type: ignore[arg-type,unused-ignore]
            self.log_change(request, new_object, message)
        return ""


def _form_fields(modeladmin: Any, request: HttpRequest, obj: Any) -> set[str]:
    """Fields the ModelAdmin's change form lets this person edit."""
    readonly = set(modeladmin.get_readonly_fields(request, obj))
    fields = set(modeladmin.get_fields(request, obj))
    return fields - readonly


#: Changelist parameters that choose a page or an order, not rows.
_NOT_FILTERS = {"o", "p", "cursor", "all", "_changelist_filters", "_to_field", "_popup", "e"}


def digest_scope(request: HttpRequest, queryset: QuerySet[Any]) -> dict[str, Any]:
    """What a digest covers, for its page: the search, the filters and the selection."""
    from toolkit.admin_ext.selection import changelist_params

    params = changelist_params(request)
    select_across = request.POST.get("select_across") in {"1", "True", "true", "on"}
    filters = {
        key: ", ".join(params.getlist(key))
        for key in sorted(params)
        if key not in _NOT_FILTERS and key != "q"
    }
    scope: dict[str, Any] = {
        "selection": "every record matching the list" if select_across else "ticked records",
    }
    if params.get("q"):
        scope["search"] = params["q"]
    if filters:
        scope["filters"] = filters
    return scope


def _template_names(name: Any) -> list[str]:
    if isinstance(name, str):
        return [name]
    return [n for n in name if isinstance(n, str)]


def _as_action(entry: Any) -> AIAction:
    return resolve_action(entry)


def _insight_view(insight: Insight) -> dict[str, Any]:
    """An insight for the templates: flags with a safe severity class."""
    flags = []
    for flag in insight.flags or []:
        if not isinstance(flag, dict):
            continue
        severity = str(flag.get("severity") or "")
        flags.append(
            {
                "field": flag.get("field", ""),
                "severity": severity,
                "severity_class": SEVERITY_CLASSES.get(severity, "none"),
                "reason": flag.get("reason", ""),
                "source": flag.get("source", ""),
                "value": flag.get("value", ""),
                "median": flag.get("median"),
                "score": flag.get("score"),
            }
        )
    return {
        "insight": insight,
        "flags": flags,
        "severity_class": SEVERITY_CLASSES.get(insight.max_severity or "", "none"),
    }


# -- checks ------------------------------------------------------------------------------


def _resolve_path(model: type[models.Model], dotted: str) -> models.Field[Any, Any] | None:
    """The field a path across forward relations names ("supplier.name"), or ``None``."""
    parts = dotted.split(".")
    current = model
    for index, part in enumerate(parts):
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        last = index == len(parts) - 1
        if last:
            return field if getattr(field, "concrete", False) else None  # type: ignore[return-value,unused-ignore]
        if not (field.many_to_one or field.one_to_one) or field.related_model is None:
            return None
        current = field.related_model
    return None


def _check_ai_options(modeladmin: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    where = f"{type(modeladmin).__module__}.{type(modeladmin).__qualname__}"
    model = modeladmin.model

    def error(msg: str, hint: str, id: str) -> None:
        errors.append(checks.Error(msg, hint=hint, obj=modeladmin, id=id))

    fields = modeladmin.ai_fields
    if isinstance(fields, list | tuple) and not fields:
        return errors  # AI is off for this admin: its other options are not used.
    if isinstance(fields, str) or not isinstance(fields, list | tuple):
        error(
            f"{where}.ai_fields must be a list of field names, not {fields!r}.",
            "List the fields the model may see, e.g. ai_fields = ['name', 'description'].",
            "toolkit.E100",
        )
    else:
        for name in fields:
            if not isinstance(name, str) or _resolve_path(model, name) is None:
                error(
                    f"{where}.ai_fields names {name!r}, which is not a field of "
                    f"{model._meta.label} (or a path across its foreign keys).",
                    "Use field names, or 'relation.field' across foreign keys.",
                    "toolkit.E101",
                )
    related = modeladmin.ai_related
    if isinstance(related, dict):
        specs = list(related.values())
    elif isinstance(related, list | tuple):
        specs = list(related)
    else:
        specs = None
    if specs is None:
        error(
            f"{where}.ai_related must be a dict (or list) of Related, not {related!r}.",
            "Write ai_related = {'reviews': Related('reviews', fields=['rating', 'text'])}.",
            "toolkit.E102",
        )
    for spec in specs or ():
        name = getattr(spec, "path", None)
        relation = None
        if isinstance(name, str):
            try:
                relation = model._meta.get_field(name)
            except FieldDoesNotExist:
                relation = None
        if relation is None or not (relation.one_to_many or relation.many_to_many):
            error(
                f"{where}.ai_related holds {spec!r}, whose path is not a reverse foreign "
                f"key or many-to-many relation of {model._meta.label}.",
                "Use Related('reviews', fields=[...]) with the relation's name.",
                "toolkit.E102",
            )
            continue
        other = relation.related_model
        spec_fields = getattr(spec, "fields", None)
        if not isinstance(spec_fields, list | tuple) or not spec_fields:
            error(
                f"{where}.ai_related[{name!r}] must list the fields to send.",
                "Write Related('reviews', fields=['rating', 'text'], limit=20).",
                "toolkit.E102",
            )
            continue
        for field_name in spec_fields:
            if not isinstance(field_name, str) or _resolve_path(other, field_name) is None:
                error(
                    f"{where}.ai_related[{name!r}] names {field_name!r}, which is not a "
                    f"field of {other._meta.label}.",
                    "List fields of the related model.",
                    "toolkit.E102",
                )
    from toolkit.ai.rules import Rule

    for rule in modeladmin.ai_rules or ():
        if not isinstance(rule, Rule):
            error(
                f"{where}.ai_rules holds {rule!r}, which is not a Rule.",
                "Write Rule('negative stock', Q(stock__lt=0), field='stock').",
                "toolkit.E103",
            )
        elif rule.field and _resolve_path(model, str(rule.field)) is None:
            error(
                f"{where}.ai_rules: the rule {rule.name!r} flags {rule.field!r}, which is not "
                f"a field of {model._meta.label}.",
                "Name the field the rule is about.",
                "toolkit.E103",
            )
    group = modeladmin.ai_peer_group
    if group is not None and (not isinstance(group, str) or _resolve_path(model, group) is None):
        error(
            f"{where}.ai_peer_group is {group!r}, which is not a field of {model._meta.label}.",
            "Name the field that groups peers, e.g. 'category', or None.",
            "toolkit.E104",
        )
    numeric = (models.IntegerField, models.DecimalField, models.FloatField)
    peer_fields = modeladmin.ai_peer_fields
    if isinstance(peer_fields, str) or not isinstance(peer_fields, list | tuple):
        error(
            f"{where}.ai_peer_fields must be a list of numeric field names.",
            "Write ai_peer_fields = ['price', 'stock'].",
            "toolkit.E105",
        )
    else:
        for name in peer_fields:
            field = _resolve_path(model, name) if isinstance(name, str) else None
            if field is None or not isinstance(field, numeric) or field.is_relation:
                error(
                    f"{where}.ai_peer_fields names {name!r}, which is not a numeric field of "
                    f"{model._meta.label}.",
                    "Peer statistics compare numbers: list integer, decimal or float fields.",
                    "toolkit.E105",
                )
        if peer_fields and group is None:
            errors.append(
                checks.Warning(
                    f"{where}.ai_peer_fields is set but ai_peer_group is None: every record "
                    "is compared with the whole table.",
                    hint="Set ai_peer_group (e.g. 'category') to compare like with like.",
                    obj=modeladmin,
                    id="toolkit.W100",
                )
            )
    names: list[str] = []
    for entry in modeladmin.ai_actions or ():
        try:
            action = _as_action(entry)
        except (KeyError, LookupError, ToolkitError, TypeError):
            action = None
        if not isinstance(action, AIAction):
            error(
                f"{where}.ai_actions holds {entry!r}, which is not an AIAction (a subclass, "
                "an instance or a registered name).",
                "List AIAction subclasses, e.g. ai_actions = [SummarizeAction].",
                "toolkit.E106",
            )
            continue
        names.append(action.name)
        if action.result == "proposal":
            field = None
            try:
                field = model._meta.get_field(action.proposal_field or "")
            except FieldDoesNotExist:
                field = None
            if field is None or not getattr(field, "editable", False) or field.is_relation:
                error(
                    f"{where}.ai_actions: {type(action).__name__} proposes values for "
                    f"{action.proposal_field!r}, which is not an editable field of "
                    f"{model._meta.label}.",
                    "Set proposal_field to an editable, non-relation field of the model.",
                    "toolkit.E108",
                )
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        error(
            f"{where}.ai_actions lists actions with the same name: {', '.join(duplicates)}.",
            "Give each AIAction subclass its own `name`.",
            "toolkit.E109",
        )
    threshold = modeladmin.ai_background_threshold
    if threshold is not None and (
        isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0
    ):
        error(
            f"{where}.ai_background_threshold must be a non-negative integer or None, not "
            f"{threshold!r}.",
            "Set a number of records (0 runs every AI action as a background job).",
            "toolkit.E107",
        )
    if not apps.is_installed("toolkit.jobs"):
        error(
            f"{where} uses AIActionsMixin, which runs large selections as background jobs, "
            "but 'toolkit.jobs' is not installed.",
            "Add 'toolkit.jobs' to INSTALLED_APPS and run migrate.",
            "toolkit.E110",
        )
    return errors


# -- the insight admin ---------------------------------------------------------------------


class InsightAdmin(QueryInputMixin, admin.ModelAdmin):
    """Every insight, read-only: browse and filter by model, kind, status, severity,
    review and endpoint. A person sees the insights of the models they may view; a
    digest has a result page and exports as Markdown or CSV."""

    list_display = [
        "created_at",
        "kind",
        "content_type",
        "record",
        "severity_badge",
        "status",
        "review_status",
        "short_text",
        "requested_by",
    ]
    list_filter = [
        "kind",
        "status",
        "max_severity",
        "review_status",
        ("content_type", admin.RelatedOnlyFieldListFilter),
        "endpoint",
        "model",
    ]
    list_select_related = ["content_type", "requested_by"]
    search_fields = ["text", "object_id", "action"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    change_form_template = "toolkit/ai/insight_change_form.html"
    fieldsets = [
        (None, {"fields": ["kind", "action", "status", "record", "text", "error"]}),
        (gettext_lazy("Flags"), {"fields": ["max_severity", "flags_table", "review_status"]}),
        (
            gettext_lazy("Provenance"),
            {
                "fields": [
                    "endpoint",
                    "model",
                    "prompt_version",
                    "tokens_in",
                    "tokens_out",
                    "latency_ms",
                    "requested_by",
                    "job_link",
                    "created_at",
                ]
            },
        ),
        (
            gettext_lazy("Details"),
            {
                "classes": ["collapse"],
                "fields": ["data", "scope", "record_count", "input_hash", "prompt_hash", "prompt"],
            },
        ),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Every shown field: insights are made by AI runs, never edited by hand.
        return [str(name) for _, options in self.fieldsets for name in options["fields"]]

    # -- who sees what -----------------------------------------------------------------

    def _can_read(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(
            user.is_active
            and user.is_staff
            and (user.has_perm("toolkit.view_insight") or user.has_perm("toolkit.run_ai"))
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._can_read(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not self._can_read(request):
            return False
        return obj is None or obj.content_type_id in self.visible_content_types(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def visible_content_types(self, request: HttpRequest) -> set[int]:
        """Models whose insights the person may read: those whose admin on this site
        they may view (an insight repeats what its record says)."""
        cached = getattr(request, "_toolkit_ai_visible_types", None)
        if cached is not None:
            return set(cached)
        visible = set()
        for model, model_admin in self.admin_site._registry.items():
            if model_admin.has_view_or_change_permission(request):
                visible.add(ContentType.objects.get_for_model(model, for_concrete_model=False).pk)
        request._toolkit_ai_visible_types = visible  # type: ignore[attr-defined]
        return visible

    def get_queryset(self, request: HttpRequest) -> QuerySet[Insight]:
        return (
            super()
            .get_queryset(request)
            .filter(content_type__in=self.visible_content_types(request))
        )

    # -- columns -----------------------------------------------------------------------

    @admin.display(description=gettext_lazy("record"))
    def record(self, insight: Insight) -> str:
        """The record, linked to its admin page when this site has one."""
        if not insight.object_id:
            return _("%(count)d records (digest)") % {"count": insight.record_count}
        label = f"{insight.content_type.model} #{insight.object_id}"
        model = insight.content_type.model_class()
        if model is None or not self.admin_site.is_registered(model):
            return label
        opts = model._meta
        url = reverse_if_routed(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
            [quote(insight.object_id)],
        )
        if not url:
            return label
        return format_html('<a href="{}">{}</a>', url, label)

    @admin.display(description=gettext_lazy("severity"), ordering="severity_rank")
    def severity_badge(self, insight: Insight) -> str:
        severity = insight.max_severity or ""
        if not severity:
            return self.get_empty_value_display()
        return format_html(
            '<span class="toolkit-ai-badge toolkit-ai-{}">{}</span>',
            SEVERITY_CLASSES.get(severity, "none"),
            severity.capitalize(),
        )

    @admin.display(description=gettext_lazy("job"))
    def job_link(self, insight: Insight) -> str:
        """The background job that produced the insight, linked to its page."""
        if insight.job_id is None:
            return self.get_empty_value_display()
        url = reverse_if_routed(f"{self.admin_site.name}:toolkit_jobs_job_change", [insight.job_id])
        if not url:
            return f"#{insight.job_id}"
        return format_html('<a href="{}">#{}</a>', url, insight.job_id)

    @admin.display(description=gettext_lazy("text"))
    def short_text(self, insight: Insight) -> str:
        return Truncator(insight.text or insight.error).chars(COLUMN_SUMMARY_CHARS)

    @admin.display(description=gettext_lazy("flags"))
    def flags_table(self, insight: Insight) -> str:
        from django.template.loader import render_to_string

        return render_to_string("toolkit/ai/flags.html", {"flags": _insight_view(insight)["flags"]})

    @property
    def media(self) -> forms.Media:
        return super().media + forms.Media(css={"all": ["toolkit/ai/ai.css"]})

    # -- digest page and export ----------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("<int:insight_id>/digest/", wrap(self.digest_view), name="toolkit_insight_digest"),
            path(
                "<int:insight_id>/digest/export/",
                wrap(self.digest_export_view),
                name="toolkit_insight_digest_export",
            ),
            *super().get_urls(),
        ]

    def get_digest(self, request: HttpRequest, insight_id: int) -> Insight:
        insight = (
            self.get_queryset(request)
            .filter(pk=insight_id, kind="digest")
            .select_related("requested_by", "content_type")
            .first()
        )
        if insight is None or not self.has_view_permission(request, insight):
            raise Http404(_("No such digest."))
        return insight

    def digest_view(self, request: HttpRequest, insight_id: int) -> HttpResponse:
        """The digest: its text, the counts and the filters it covered."""
        insight = self.get_digest(request, insight_id)
        model = insight.content_type.model_class()
        context = {
            **self.admin_site.each_context(request),
            "title": _("AI digest"),
            "subtitle": None,
            "opts": self.model._meta,
            "app_label": self.model._meta.app_label,
            "insight": insight,
            "target_opts": model._meta if model is not None else None,
            "scope_items": _scope_items(insight.scope),
            "export_url": reverse(
                f"{self.admin_site.name}:toolkit_insight_digest_export", args=[insight.pk]
            ),
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "toolkit/ai/digest.html", context)

    def digest_export_view(self, request: HttpRequest, insight_id: int) -> HttpResponse:
        """The digest as a Markdown (``?format=md``) or CSV (``?format=csv``) download."""
        insight = self.get_digest(request, insight_id)
        fmt = request.GET.get("format", "md")
        if fmt == "csv":
            from toolkit.admin_ext.importexport.formats import CSVRows

            data = insight.data if isinstance(insight.data, dict) else {}
            rows: list[list[Any]] = [
                ["section", "key", "value"],
                ["digest", "records", insight.record_count],
                ["digest", "created", insight.created_at.isoformat()],
                ["digest", "model", insight.model],
                *(["scope", key, value] for key, value in _scope_items(insight.scope)),
                ["digest", "summary", str(data.get("summary", insight.text))],
                *(["point", "", point] for point in _digest_points(insight)),
            ]
            # Every cell neutralised as CSV stores it: the digest repeats what records
            # and the model wrote, and is opened in spreadsheets.
            response = HttpResponse(CSVRows().render(rows), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = content_disposition_header(
                True, f"digest-{insight.pk}.csv"
            )
            return response
        if fmt != "md":
            raise Http404(_("Unknown export format."))
        model = insight.content_type.model_class()
        noun = model._meta.verbose_name_plural if model is not None else "records"
        lines = [
            f"# AI digest of {insight.record_count} {noun}",
            "",
            f"- created: {insight.created_at.isoformat()}",
            f"- model: {insight.model} ({insight.endpoint}), prompt version "
            f"{insight.prompt_version}",
        ]
        for key, value in _scope_items(insight.scope):
            lines.append(f"- {key}: {value}")
        lines += ["", insight.text or insight.error]
        response = HttpResponse(
            "\n".join(lines) + "\n", content_type="text/markdown; charset=utf-8"
        )
        response["Content-Disposition"] = content_disposition_header(
            True, f"digest-{insight.pk}.md"
        )
        return response


def _scope_items(scope: Any) -> list[tuple[str, str]]:
    """The filters a digest covered, as (name, value) pairs of plain text."""
    if not isinstance(scope, dict):
        return []
    items = []
    for key, value in scope.items():
        if isinstance(value, dict):
            value = "; ".join(f"{k} = {v}" for k, v in value.items())
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        items.append((str(key), str(value)))
    return items


def _digest_points(insight: Insight) -> list[str]:
    """Bullet points of a digest's answer, when the model gave some."""
    data = insight.data if isinstance(insight.data, dict) else {}
    for key in ("points", "highlights", "themes", "issues"):
        value = data.get(key)
        if isinstance(value, list):
            return [str(v) if not isinstance(v, dict) else json.dumps(v) for v in value]
    return []
