"""Bulk actions that stay safe on a million rows: :class:`BulkActionsMixin`.

- **Mass update** (``"mass_update"`` in ``actions``): tick fields, enter values, see
  "N of M rows will change", confirm. Applied in one transaction (``queryset.update()``
  unless the model has per-object logic), one LogEntry per changed row, or one summary
  entry above ``mass_update_log_each_limit`` rows.
- **Toggles** for boolean fields (``toggle_fields = ["is_active"]``): "Set Is active on
  selected products" and "Clear ...", logged like a mass update.
- **Duplicate** (``"duplicate_selected"``): copies rows with their many-to-many links,
  giving unique text fields a free value ("SKU-1" → "SKU-1-copy", "SKU-1-copy-2").
- **Delete** keeps Django's ``delete_selected`` flow for what its page can list (its
  template, ``get_deleted_objects()``, ``post=yes``, ``delete_queryset()``) and replaces
  its page above ``delete_list_max_objects`` rows: the cascade counted per model (related
  rows up to ``delete_summary_count_limit``, "more than 10,000" above), with the same
  handful of fields posted whatever the number of rows (Django's posts one per row and
  fails past ``DATA_UPLOAD_MAX_NUMBER_FIELDS``). See :mod:`toolkit.admin_ext.deletion`.
- **Row actions** (``row_actions = ["duplicate_selected", "toggle_is_active"]``): a
  button per changelist row, see :mod:`toolkit.admin_ext.row_actions`.

An action's POST skips the changelist's page of results and its counts, which it would
never show (the action's page or a redirect follows): on a million rows they are most
of the wait.

Selections above ``bulk_background_threshold`` rows run as background jobs
(:mod:`toolkit.jobs`) and the action redirects to the job's progress page; without
``toolkit.jobs`` installed (and no threshold set) every selection runs in the request,
as Django's own actions do. Confirmation pages carry the selection as one signed field
(``_selection``), bound to the person and the action, so "Select all 1,000,000" posts no
primary keys at any step.

Every changelist action leaves a LogEntry, the toolkit's and the site's own alike: an
action that finishes its work (returns ``None``, a redirect or a file) without writing
one gets one summary entry, "Ran “Discontinue selected products” on 3 selected
products" (or "on all 1,234 products matching status__exact=active", counted up to
``action_log_count_limit``). A confirmation page is not logged (its own POST is); an
action that warns is not; one that logs on its own terms declares ``log_entry = False``
(``bulk_action(..., log_entry=False)``), as the toolkit's mass update, toggles,
duplicate, delete and exports do. Row and change-form actions share the rule
(:class:`~toolkit.admin_ext.bulk_jobs.ActionLogWatch`), logging on the object instead.

Every action declares ``allowed_permissions``: Django then neither offers it nor runs a
forged POST of it ("No action selected.") to someone without the permission. On Django
6.1 the duplicate and toggle actions are also offered on the change form (Django's
action locations); row and object actions check ``has_<perm>_permission(request, obj)``
per row when the ModelAdmin overrides it.

::

    from toolkit.admin_ext.actions import BulkActionsMixin

    @admin.register(Product)
    class ProductAdmin(BulkActionsMixin, admin.ModelAdmin):
        actions = ["mass_update", "duplicate_selected"]
        mass_update_fields = ["price", "status", "category", "is_active"]
        toggle_fields = ["is_active"]
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin import options as admin_options
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.utils import model_ngettext
from django.contrib.admin.views.main import ALL_VAR, ORDER_VAR, PAGE_VAR
from django.core import checks, signing
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import IntegrityError, models, router, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from toolkit.admin_ext import deletion
from toolkit.admin_ext.bulk_jobs import (
    FORM_PREFIX,
    ActionLogWatch,
    MassUpdateHandler,
    apply_mass_update,
    log_mass_update,
    log_summary,
    model_overrides_save,
    object_permissions_matter,
    user_pk,
)
from toolkit.admin_ext.cascade import DeletionSummary, deletion_summary, rows_noun
from toolkit.admin_ext.permissions import cascade_perms_needed
from toolkit.admin_ext.row_actions import ROW, ObjectAction, RowActionsMixin, action_description
from toolkit.admin_ext.selection import (
    SELECTION_FIELD,
    Selection,
    SelectionError,
    changelist_params,
    count_upto,
    start_changelist_job,
    without_results,
)
from toolkit.query_input import drop_unusable_parameters

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

    _ModelAdminBase = ModelAdmin[Any]
else:
    _ModelAdminBase = object

__all__ = ["BulkActionsMixin", "DeletionSummary", "bulk_action", "count_upto", "deletion_summary"]

#: Django 6.1's ``ActionLocation`` (``None`` before: actions live on the changelist only).
ActionLocation = getattr(admin_options, "ActionLocation", None)
_Action = getattr(admin_options, "Action", None)

_SIGNING_SALT = "toolkit.admin_ext.actions.selection"
#: A confirmation page older than this is refused (the person starts again).
SELECTION_MAX_AGE = 60 * 60 * 12

#: ``bulk_background_threshold`` where the ModelAdmin sets none and ``toolkit.jobs`` is
#: installed.
DEFAULT_BACKGROUND_THRESHOLD = 1000


def bulk_action(
    *,
    permissions: Sequence[str],
    description: Any,
    on_change_form: bool = False,
    row_label: Any = None,
    log_entry: bool = True,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``@admin.action`` that can also be offered on the change form.

    ``on_change_form=True`` uses Django's change-form location where it has one (6.1+);
    on Django 5.2 :class:`~toolkit.admin_ext.row_actions.RowActionsMixin` renders the
    action on the change form itself. ``row_label`` is the action's label on a row or
    change-form button (default: ``description``). ``log_entry=False`` says the action
    writes its own LogEntries (perhaps later, from a background job), so the mixin's
    safety net writes none for it (see :meth:`BulkActionsMixin.response_action`).
    """
    kwargs: dict[str, Any] = {"permissions": list(permissions), "description": description}
    if on_change_form and ActionLocation is not None:
        kwargs["location"] = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]
    decorate = admin.action(**kwargs)

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        func = decorate(func)
        func.toolkit_on_change_form = on_change_form  # type: ignore[attr-defined]
        if not log_entry:
            func.log_entry = False  # type: ignore[attr-defined]
        if row_label is not None:
            func.row_label = row_label  # type: ignore[attr-defined]
        return func

    return decorator


def posted_action(request: HttpRequest) -> str:
    """The name of the changelist action a POST runs ("" when it runs none): the
    ``action`` of the form whose button was pressed (``index``), as Django picks it."""
    if request.method != "POST" or "action" not in request.POST or "_save" in request.POST:
        return ""
    try:
        index = int(request.POST.get("index", 0))
    except ValueError:
        index = 0
    names = request.POST.getlist("action")
    return names[index] if 0 <= index < len(names) else names[0]


# -- the mixin ---------------------------------------------------------------------------


class BulkActionsMixin(RowActionsMixin, _ModelAdminBase):
    """ModelAdmin mixin: mass update, toggles, duplicate, and a delete that scales.

    Put it before ``admin.ModelAdmin``; list ``"mass_update"`` and
    ``"duplicate_selected"`` in ``actions`` to offer them. Django's ``delete_selected``
    is replaced by the mixin's own wherever the site offers it: Django's flow and page
    for what a page can list, a summary above (:mod:`toolkit.admin_ext.deletion`).
    ``row_actions`` puts actions on every row
    (:class:`~toolkit.admin_ext.row_actions.RowActionsMixin`):
    ``row_actions = ["duplicate_selected", "toggle_is_active"]``.
    """

    #: Above this many selected rows an action runs as a background job and redirects
    #: to its progress page; at or below it, in the request. ``None``: 1,000 where
    #: ``toolkit.jobs`` is installed; without it, every selection runs in the request,
    #: as Django's own actions do. A number needs ``toolkit.jobs`` (``toolkit.E063``).
    bulk_background_threshold: int | None = None

    #: Fields a mass update may set; ``None``: every editable, concrete, non-unique
    #: field that is not the primary key or a many-to-many.
    mass_update_fields: Sequence[str] | None = None

    #: Run the model's ``save()`` (with ``full_clean()`` of the changed fields) row by
    #: row; ``None``: do so when the model overrides ``save()``, else one ``UPDATE``.
    #: ``False`` forces ``UPDATE`` (set the model's derived fields in
    #: ``get_mass_update_values()`` then).
    mass_update_per_object: bool | None = None

    #: Up to this many changed rows, one LogEntry per row; above, one summary entry.
    mass_update_log_each_limit: int = 1000

    #: Boolean fields that get "Set"/"Clear" actions.
    toggle_fields: Sequence[str] = ()

    #: At most this many rows are duplicated in one go (duplicating is per row).
    duplicate_max_rows: int = 100

    #: Appended to unique text values of a copy ("-copy", "-copy-2", ...).
    duplicate_suffix: str = "-copy"

    #: The delete confirmation counts related rows up to this many per relation and
    #: shows "more than N" above (exact counts of millions of rows take seconds);
    #: ``None`` counts them all. The selected rows are always counted exactly.
    delete_summary_count_limit: int | None = 10_000

    #: A deletion whose selection and cascade hold at most this many rows in all (and
    #: whose selection runs in the request) is confirmed on Django's own page, which
    #: lists every object; above, on the summary, which counts them per model. ``0``:
    #: always the summary.
    delete_list_max_objects: int = 1000

    #: A changelist action that finishes without writing a LogEntry gets one summary
    #: entry; for "Select all" it counts the matching rows up to this many ("more than
    #: 10,000 products") rather than counting a million.
    action_log_count_limit: int = 10_000

    #: Check ``has_change/delete_permission(request, obj)`` for every row; ``None``:
    #: when the ModelAdmin overrides the method (so the answer may depend on the row).
    bulk_object_permissions: bool | None = None

    # -- hooks ---------------------------------------------------------------------

    def get_bulk_background_threshold(self, request: HttpRequest) -> int | None:
        """Rows above which an action becomes a background job; ``None``: never (every
        selection runs in the request). See ``bulk_background_threshold``."""
        if self.bulk_background_threshold is not None:
            return self.bulk_background_threshold
        return DEFAULT_BACKGROUND_THRESHOLD if apps.is_installed("toolkit.jobs") else None

    def get_delete_list_max_objects(self, request: HttpRequest) -> int:
        """Rows (selection and cascade) up to which a deletion is confirmed on Django's
        own page. See ``delete_list_max_objects``."""
        return self.delete_list_max_objects

    def get_mass_update_fields(self, request: HttpRequest) -> list[str]:
        """Names of the fields the mass update form offers."""
        if self.mass_update_fields is not None:
            return list(self.mass_update_fields)
        readonly = set(self.get_readonly_fields(request))
        return [
            f.name
            for f in self.model._meta.concrete_fields
            if f.editable
            and not f.primary_key
            and not f.unique
            and f.name not in readonly
            and not getattr(f, "auto_now", False)
            and not getattr(f, "auto_now_add", False)
        ]

    def get_mass_update_per_object(self, request: HttpRequest) -> bool:
        """Whether a mass update saves row by row (see ``mass_update_per_object``)."""
        if self.mass_update_per_object is not None:
            return bool(self.mass_update_per_object)
        return model_overrides_save(self.model)

    def get_mass_update_log_each_limit(self, request: HttpRequest) -> int:
        return self.mass_update_log_each_limit

    def get_mass_update_form_class(
        self, request: HttpRequest, fields: Sequence[str]
    ) -> type[forms.ModelForm[Any]]:
        """The ModelForm that validates the values of ``fields`` (admin widgets). It is
        built again in the worker to validate a job's values with the same rules."""
        from functools import partial

        return forms.modelform_factory(
            self.model,
            fields=list(fields),
            formfield_callback=partial(self.formfield_for_dbfield, request=request),
        )

    def get_mass_update_values(
        self, request: HttpRequest, cleaned: dict[str, Any]
    ) -> dict[str, Any]:
        """The column values a mass update writes: the chosen ones by default. Add
        derived columns here when forcing ``UPDATE`` past a ``save()`` that sets them."""
        return dict(cleaned)

    def get_toggle_fields(self, request: HttpRequest) -> list[str]:
        return list(self.toggle_fields)

    def resolve_object_action(
        self, request: HttpRequest, name: str, obj: models.Model
    ) -> ObjectAction | None:
        """``"toggle_<field>"`` in ``row_actions`` is the toggle that flips ``obj``'s
        value: "Set" where it is off, "Clear" where it is on."""
        field = name.removeprefix("toggle_")
        if name != field and field in self.get_toggle_fields(request):
            name = f"toggle_{field}_{'off' if getattr(obj, field) else 'on'}"
        return super().resolve_object_action(request, name, obj)

    # -- system checks ---------------------------------------------------------------

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = list(super().check(**kwargs))
        where = f"{type(self).__module__}.{type(self).__qualname__}"
        model = self.model
        for name in self.mass_update_fields or ():
            try:
                f = model._meta.get_field(name)
            except FieldDoesNotExist:
                f = None
            if f is None or not getattr(f, "concrete", False) or f.many_to_many or f.primary_key:
                errors.append(
                    checks.Error(
                        f"{where}.mass_update_fields names {name!r}, which is not a column of "
                        f"{model._meta.label} that a mass update can set.",
                        hint="List concrete, non-primary-key, non-many-to-many field names.",
                        obj=self,
                        id="toolkit.E060",
                    )
                )
        for name in self.toggle_fields:
            try:
                f = model._meta.get_field(name)
            except FieldDoesNotExist:
                f = None
            if not isinstance(f, models.BooleanField):
                errors.append(
                    checks.Error(
                        f"{where}.toggle_fields names {name!r}, which is not a BooleanField "
                        f"of {model._meta.label}.",
                        hint="Toggle actions set and clear boolean fields only.",
                        obj=self,
                        id="toolkit.E061",
                    )
                )
        for attr in (
            "bulk_background_threshold",
            "mass_update_log_each_limit",
            "duplicate_max_rows",
            "delete_summary_count_limit",
            "action_log_count_limit",
        ):
            value = getattr(self, attr)
            if value is None and attr in (
                "bulk_background_threshold",
                "delete_summary_count_limit",
            ):
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                errors.append(
                    checks.Error(
                        f"{where}.{attr} must be a positive integer, not {value!r}.",
                        hint=f"Set {attr} to a number of rows, e.g. 1000.",
                        obj=self,
                        id="toolkit.E062",
                    )
                )
        value = self.delete_list_max_objects
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            errors.append(
                checks.Error(
                    f"{where}.delete_list_max_objects must be a non-negative integer, "
                    f"not {value!r}.",
                    hint="Set it to a number of rows, e.g. 1000 (0: always the summary).",
                    obj=self,
                    id="toolkit.E062",
                )
            )
        # Only a threshold the admin sets asks for jobs: left at None, a site without
        # toolkit.jobs runs every selection in the request, as Django's actions do.
        if self.bulk_background_threshold is not None and not apps.is_installed("toolkit.jobs"):
            errors.append(
                checks.Error(
                    f"{where}.bulk_background_threshold sends selections above "
                    f"{self.bulk_background_threshold!r} rows to background jobs, but "
                    "'toolkit.jobs' is not installed.",
                    hint="Add 'toolkit.jobs' to INSTALLED_APPS and run migrate, or leave "
                    "bulk_background_threshold at None to run every selection in the "
                    "request.",
                    obj=self,
                    id="toolkit.E063",
                )
            )
        if (
            self.mass_update_per_object is False
            and model_overrides_save(model)
            and type(self).get_mass_update_values is BulkActionsMixin.get_mass_update_values
        ):
            errors.append(
                checks.Warning(
                    f"{where}.mass_update_per_object is False, so mass updates skip "
                    f"{model._meta.label}.save(), which the model overrides.",
                    hint="Write the columns save() would set in get_mass_update_values(), "
                    "or leave mass_update_per_object at None.",
                    obj=self,
                    id="toolkit.W060",
                )
            )
        return errors

    # -- wiring into Django's actions ------------------------------------------------

    def get_actions(  # type: ignore[override,unused-ignore]
        self, request: HttpRequest, action_location: Any = None
    ) -> dict[str, Any]:
        if ActionLocation is not None:
            location = action_location or ActionLocation.CHANGE_LIST
            actions = super().get_actions(request, action_location=location)  # type: ignore[call-arg,unused-ignore]
        else:
            location = None
            actions = super().get_actions(request)
        if self.actions is None or "_popup" in request.GET:
            return actions
        current = actions.get("delete_selected")
        if current is not None and self._action_func(current) is django_delete_selected:
            actions["delete_selected"] = self._make_action(
                type(self).delete_selected, "delete_selected", location
            )
        if self.has_change_permission(request):
            for name in self.get_toggle_fields(request):
                for value in (True, False):
                    func = self._toggle_action(name, value)
                    actions[func.__name__] = self._make_action(func, func.__name__, location)
        return actions

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        drop_unusable_parameters(request, self.model)
        refused = self.refused_action(request)
        if refused:
            # Offered no action, Django ignores such a POST and shows the list; a
            # forged or outdated form deserves a sentence that nothing happened.
            self.message_user(
                request,
                _("You may not run “%(action)s” on these rows; nothing was changed.")
                % {"action": refused},
                messages.ERROR,
            )
            return HttpResponseRedirect(request.get_full_path())
        return super().changelist_view(request, extra_context)

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> Any:
        changelist_class = super().get_changelist(request, **kwargs)
        if self.is_action_post(request):
            # An action's POST ends in the action's own page or a redirect: the page of
            # results and its counts (a COUNT of a million rows, twice) are never shown,
            # so they are not fetched. The queryset, search and filters are built as ever.
            return without_results(changelist_class)
        return changelist_class

    def is_action_post(self, request: HttpRequest) -> bool:
        """Whether the changelist request runs an action (and so renders no list)."""
        post = request.POST if request.method == "POST" else None
        return (
            post is not None
            and "_save" not in post
            and ("index" in post or helpers.ACTION_CHECKBOX_NAME in post)
            and bool(self._actions_at(request, ROW))
        )

    def refused_action(self, request: HttpRequest) -> str:
        """The name of the action a POST asks for, when the person may run no action
        at all. Where the person is offered some, Django answers an action outside them
        itself ("No action selected."); with none offered it would ignore the POST and
        show the list as if it had run."""
        name = posted_action(request)
        if not name:
            return ""
        return "" if self._actions_at(request, ROW) else name

    # -- every action leaves a LogEntry ---------------------------------------------------

    def response_action(  # type: ignore[override,unused-ignore]
        self, request: HttpRequest, queryset: QuerySet[Any], *args: Any, **kwargs: Any
    ) -> HttpResponseBase | None:
        """Run the changelist action as Django does, then make sure the run left a
        LogEntry: one summary entry naming the action and the rows, written when the
        action finished its work without writing one itself
        (:class:`~toolkit.admin_ext.bulk_jobs.ActionLogWatch` has the rule, shared with
        row and change-form actions). Not logged: a refused or empty POST (Django
        answers ``None``), an action that answers with a page (a confirmation: its own
        POST is logged), one that warned or failed, one declaring ``log_entry = False``.
        """
        location = kwargs.get("action_location", args[0] if args else None)
        if ActionLocation is not None and location not in (None, ActionLocation.CHANGE_LIST):
            # The change form's actions are object actions, logged by run_object_action.
            return super().response_action(request, queryset, *args, **kwargs)
        name = posted_action(request)
        entry = self._actions_at(request, ROW).get(name) if name else None
        if entry is None:
            return super().response_action(request, queryset, *args, **kwargs)
        watch = ActionLogWatch(request, self._action_func(entry))
        scope = None if watch.logs_itself else self.action_log_scope(request, queryset)
        started = timezone.now()
        response = super().response_action(request, queryset, *args, **kwargs)
        if response is not None and scope is not None and watch.needs_entry(response):
            label = action_description(entry, self.opts)
            job = self._job_started(request, started) if 300 <= response.status_code < 400 else None
            self.log_action_run(request, label, scope, job)
        return response

    def action_log_scope(self, request: HttpRequest, queryset: QuerySet[Any]) -> str:
        """What a changelist action is about to act on, in words, for its LogEntry.

        Taken before the action runs (it may change which rows match). Ticked rows are
        counted from the POST, without a query; "Select all" counts the matching rows up
        to ``action_log_count_limit`` ("more than 10,000 ...") and names the search and
        filters, never loading a row.
        """
        opts = self.model._meta
        select_across = request.POST.get("select_across", "") not in ("", "0", "False", "false")
        if not select_across:
            count = len(set(request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)))
            return f"{count} selected {rows_noun(self.model, count)}"
        limit = self.get_action_log_count_limit(request)
        count = count_upto(queryset, limit)
        counted = (
            f"more than {limit:,} {opts.verbose_name_plural}"
            if count > limit
            else f"all {count:,} {rows_noun(self.model, count)}"
        )
        params = changelist_params(request)
        for name in (ORDER_VAR, PAGE_VAR, ALL_VAR):
            params.pop(name, None)
        filters = ", ".join(f"{key}={value}" for key, values in params.lists() for value in values)
        return f"{counted} matching {filters}" if filters else counted

    def get_action_log_count_limit(self, request: HttpRequest) -> int:
        """Rows counted, at most, to name a select-across run in its LogEntry."""
        return self.action_log_count_limit

    def log_action_run(
        self, request: HttpRequest, label: str, scope: str, job: int | None = None
    ) -> Any:
        """Write the one LogEntry of a changelist action that logged nothing itself.

        ``label`` is the action's description, ``scope`` its rows in words
        (:meth:`action_log_scope`), ``job`` the background job it started, if any.
        Override to log differently (e.g. one entry per row for small selections).
        """
        message = f"Ran “{label}” on {scope}."
        if job is not None:
            message += f" It continues as background job #{job}."
        return log_summary(user_pk(request), self.model, f"Ran “{label}” on {scope}", message)

    def _job_started(self, request: HttpRequest, since: Any) -> int | None:
        """The background job the person started since ``since``, if any."""
        if not apps.is_installed("toolkit.jobs"):
            return None
        from toolkit.jobs.models import Job

        started = Job.objects.filter(started_by_id=request.user.pk, created_at__gte=since)
        pk: int | None = started.order_by("-pk").values_list("pk", flat=True).first()
        return pk

    @staticmethod
    def _action_func(entry: Any) -> Any:
        return entry[0] if isinstance(entry, tuple) else entry.func

    def _make_action(self, func: Any, name: str, location: Any) -> Any:
        description = getattr(func, "short_description", capfirst(name.replace("_", " ")))
        if _Action is None:
            return (func, name, description)
        return _Action(
            func=func,
            name=name,
            description=description,
            plural_description=getattr(func, "plural_description", description),
            locations=getattr(func, "locations", [location]),
        )

    def _toggle_action(self, name: str, value: bool) -> Callable[..., Any]:
        label = self.model._meta.get_field(name).verbose_name
        verb = "Set" if value else "Clear"

        def toggle(
            modeladmin: BulkActionsMixin, request: HttpRequest, queryset: QuerySet[Any]
        ) -> Any:
            return modeladmin.run_mass_update(
                request,
                queryset,
                {name: value},
                data={f"{FORM_PREFIX}-{name}": ["on"]} if value else {},
            )

        toggle.__name__ = f"toggle_{name}_{'on' if value else 'off'}"
        return bulk_action(
            permissions=["change"],
            description=f"{verb} “{label}” on selected %(verbose_name_plural)s",
            on_change_form=True,
            log_entry=False,
            row_label=f"{verb} “{label}”",
        )(toggle)

    # -- selections across requests ---------------------------------------------------

    def sign_selection(self, request: HttpRequest, action: str, selection: Selection) -> str:
        """The selection as one signed field, bound to the person and the action."""
        return signing.dumps(
            {"s": selection.to_dict(), "u": str(request.user.pk), "a": action},
            salt=_SIGNING_SALT,
            compress=True,
        )

    def unsign_selection(self, request: HttpRequest, action: str) -> Selection | None:
        """The selection of a confirmation page, or ``None`` if it is missing, forged,
        expired, another person's, or another action's (the caller says so)."""
        token = request.POST.get(SELECTION_FIELD, "")
        try:
            data = signing.loads(token, salt=_SIGNING_SALT, max_age=SELECTION_MAX_AGE)
            selection = Selection.from_dict(data["s"])
        except (signing.BadSignature, SelectionError, KeyError, TypeError):
            return None
        if data.get("u") != str(request.user.pk) or data.get("a") != action:
            return None
        if (
            selection.site != self.admin_site.name
            or selection.model != self.model._meta.label_lower
        ):
            return None
        return selection

    def get_action_selection(
        self, request: HttpRequest, action: str, queryset: QuerySet[Any]
    ) -> tuple[Selection, QuerySet[Any]] | None:
        """The selection an action works on, and its rows now.

        On a confirmation page's POST it is the signed selection (re-evaluated for the
        person: rows deleted meanwhile drop out); on the first POST, what Django passed.
        Returns ``None`` after telling the person when the signed one is unusable.
        """
        if SELECTION_FIELD not in request.POST:
            try:
                return Selection.from_action(self, request, queryset), queryset
            except SelectionError as exc:
                self.message_user(request, f"{exc} Nothing was changed.", messages.ERROR)
                return None
        selection = self.unsign_selection(request, action)
        if selection is None:
            self.message_user(
                request,
                _(
                    "This confirmation page is no longer valid; nothing was changed. "
                    "Select the rows again."
                ),
                messages.ERROR,
            )
            return None
        try:
            return selection, selection.get_queryset(request.user)
        except (SelectionError, PermissionDenied) as exc:
            self.message_user(request, f"{exc} Nothing was changed.", messages.ERROR)
            return None

    def selection_context(
        self, request: HttpRequest, action: str, selection: Selection
    ) -> dict[str, Any]:
        """Hidden fields of a confirmation page: always the same six, whatever N is.

        Django routes the POST to the action when it carries ``_selected_action`` and
        no ``index``; ``select_across=1`` makes it pass the changelist's queryset, which
        the signed selection then narrows.
        """
        return {
            "action_name": action,
            "selection_token": self.sign_selection(request, action, selection),
            "selection_field": SELECTION_FIELD,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "placeholder_pk": selection.pks[0] if selection.pks else "all",
        }

    def base_context(self, request: HttpRequest, title: str) -> dict[str, Any]:
        opts = self.model._meta
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "subtitle": None,
            # The breadcrumbs' last crumb is the title (the include asks for this first).
            "current": None,
            "opts": opts,
            "app_label": opts.app_label,
            "media": self.media + forms.Media(css={"all": ["toolkit/admin_ext/actions.css"]}),
            "changelist_query": changelist_params(request).urlencode(),
        }

    def start_job_response(
        self,
        request: HttpRequest,
        handler: Any,
        queryset: QuerySet[Any],
        selection: Selection,
        params: dict[str, Any],
        description: str,
    ) -> HttpResponse:
        job = start_changelist_job(
            handler, self, request, queryset, params, selection=selection, description=description
        )
        self.message_user(
            request,
            _("The work runs in the background; this page shows its progress."),
            messages.INFO,
        )
        return HttpResponseRedirect(job.get_absolute_url())

    # -- mass update ------------------------------------------------------------------

    @bulk_action(
        permissions=["change"],
        description=_("Update a field of selected %(verbose_name_plural)s"),
        log_entry=False,
        row_label=_("Update…"),
    )
    def mass_update(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
        """Intermediate page: tick fields, enter values, preview the count, apply."""
        found = self.get_action_selection(request, "mass_update", queryset)
        if found is None:
            return None
        selection, queryset = found
        candidates = self.get_mass_update_fields(request)
        chosen = [name for name in request.POST.getlist("_field") if name in candidates]
        submitted = "_preview" in request.POST or "_apply" in request.POST
        form = None
        field_error = ""
        if submitted:
            if not chosen:
                field_error = str(_("Tick at least one field to change."))
            else:
                form = self.get_mass_update_form_class(request, chosen)(
                    data=request.POST, files=request.FILES, prefix=FORM_PREFIX
                )
        preview: dict[str, int] | None = None
        if form is not None and form.is_valid():
            values = self.get_mass_update_values(request, {n: form.cleaned_data[n] for n in chosen})
            if "_apply" in request.POST:
                data = {
                    key: request.POST.getlist(key)
                    for key in request.POST
                    if key.startswith(f"{FORM_PREFIX}-")
                }
                return self.run_mass_update(
                    request, queryset, values, data=data, selection=selection, fields=chosen
                )
            total = queryset.order_by().count()
            preview = {"total": total, "changing": queryset.order_by().exclude(**values).count()}
        display_form = self.get_mass_update_form_class(request, candidates)(
            data=request.POST if submitted else None,
            files=request.FILES if submitted else None,
            prefix=FORM_PREFIX,
            # Unticked fields are not submitted values: the browser must not demand them.
            use_required_attribute=False,
        )
        rows = []
        for name in candidates:
            bound = display_form[name]
            errors = form.errors.get(name) if form is not None and name in chosen else None
            rows.append({"name": name, "field": bound, "checked": name in chosen, "errors": errors})
        opts = self.model._meta
        context = {
            **self.base_context(request, str(_("Update selected %s") % opts.verbose_name_plural)),
            **self.selection_context(request, "mass_update", selection),
            "rows": rows,
            "field_error": field_error,
            "preview": preview,
            "select_across": selection.select_across,
            "selected_count": None if selection.select_across else len(selection.pks),
            "form_media": display_form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "toolkit/admin_ext/actions/mass_update.html", context)

    def run_mass_update(
        self,
        request: HttpRequest,
        queryset: QuerySet[Any],
        values: dict[str, Any],
        *,
        data: dict[str, list[str]],
        selection: Selection | None = None,
        fields: Sequence[str] | None = None,
    ) -> HttpResponse | None:
        """Apply ``values`` to ``queryset``: here when small, as a job when large.

        ``data`` is the submitted form data of the fields, which a job validates again
        in the worker (its values must be JSON).
        """
        fields = list(fields if fields is not None else values)
        threshold = self.get_bulk_background_threshold(request)
        log_each = count_upto(queryset, self.get_mass_update_log_each_limit(request)) <= (
            self.get_mass_update_log_each_limit(request)
        )
        per_object = self.get_mass_update_per_object(request)
        opts = self.model._meta
        if threshold is not None and count_upto(queryset, threshold) > threshold:
            try:
                selection = selection or Selection.from_action(self, request, queryset)
            except SelectionError as exc:
                self.message_user(request, f"{exc} Nothing was changed.", messages.ERROR)
                return None
            params = {
                "fields": fields,
                "data": data,
                "per_object": per_object,
                "log_each": log_each,
            }
            return self.start_job_response(
                request,
                MassUpdateHandler,
                queryset,
                selection,
                params,
                f"Mass update of {opts.verbose_name_plural}: {', '.join(fields)}",
            )
        using = router.db_for_write(self.model)
        with transaction.atomic(using=using):
            result = apply_mass_update(
                self, request, queryset, values, per_object=per_object, log_each=log_each
            )
            if not log_each and result.done:
                log_mass_update(user_pk(request), self.model, result.done, fields)
        self.message_user(
            request,
            _("%(count)d %(items)s updated.")
            % {"count": result.done, "items": model_ngettext(opts, result.done)},
            messages.SUCCESS,
        )
        if result.failed:
            self.message_user(
                request,
                _("%(count)d left alone: %(reasons)s")
                % {"count": result.failed, "reasons": " ".join(result.errors)},
                messages.WARNING,
            )
        return None

    # -- duplicate --------------------------------------------------------------------

    @bulk_action(
        permissions=["add"],
        description=_("Duplicate selected %(verbose_name_plural)s"),
        on_change_form=True,
        log_entry=False,
        row_label=_("Duplicate"),
    )
    def duplicate_selected(
        self, request: HttpRequest, queryset: QuerySet[Any]
    ) -> HttpResponse | None:
        """Copy each selected row (and its many-to-many links) with free unique values."""
        limit = self.duplicate_max_rows
        objs = list(queryset.order_by("pk")[: limit + 1])
        if len(objs) > limit:
            self.message_user(
                request,
                _("At most %(limit)d rows can be duplicated at once; nothing was copied.")
                % {"limit": limit},
                messages.ERROR,
            )
            return None
        from django.contrib.admin.models import ADDITION, LogEntry

        copies = []
        refused = 0
        using = router.db_for_write(self.model)
        with transaction.atomic(using=using):
            check = object_permissions_matter(self, "view") or object_permissions_matter(
                self, "change"
            )
            for obj in objs:
                if check and not self.has_view_or_change_permission(request, obj):
                    refused += 1
                    continue
                copy = self.duplicate_object(request, obj)
                if copy is None:
                    refused += 1
                    continue
                copies.append((obj, copy))
            for original, copy in copies:
                LogEntry.objects.log_actions(
                    user_pk(request),
                    [copy],
                    ADDITION,
                    f"Duplicated from “{original}” (#{original.pk}).",
                )
        opts = self.model._meta
        self.message_user(
            request,
            _("%(count)d %(items)s duplicated.")
            % {"count": len(copies), "items": model_ngettext(opts, len(copies))},
            messages.SUCCESS,
        )
        if refused:
            self.message_user(
                request,
                _("%(count)d could not be duplicated (no free unique value, or not permitted).")
                % {"count": refused},
                messages.WARNING,
            )
        return None

    def duplicate_object(self, request: HttpRequest, obj: models.Model) -> models.Model | None:
        """Save a copy of ``obj`` with free values for its unique fields and the same
        many-to-many links; ``None`` when no free value fits."""
        model = type(obj)
        m2m = {
            f.name: list(getattr(obj, f.name).all())
            for f in model._meta.many_to_many
            if f.remote_field.through is not None and f.remote_field.through._meta.auto_created
        }
        copy = model._base_manager.get(pk=obj.pk)
        copy.pk = None
        copy._state.adding = True
        for f in model._meta.concrete_fields:
            if f.primary_key or not f.unique:
                continue
            value = getattr(copy, f.attname)
            if isinstance(f, models.CharField) and value:
                free = self.free_unique_value(model, f, str(value))
                if free is None:
                    return None
                setattr(copy, f.attname, free)
            elif f.null:
                setattr(copy, f.attname, None)
            else:
                return None
        try:
            with transaction.atomic(using=router.db_for_write(model)):
                copy.save()
                for name, related in m2m.items():
                    getattr(copy, name).set(related)
        except IntegrityError:
            return None
        return copy

    def free_unique_value(
        self, model: type[models.Model], f: models.CharField[Any, Any], value: str
    ) -> str | None:
        """ "value-copy", else "value-copy-2", ... cut to the field's max_length."""
        suffix = self.duplicate_suffix
        taken_probe = f"{value[: max(0, (f.max_length or 255) - len(suffix) - 6)]}"
        taken = set(
            model._base_manager.filter(**{f"{f.name}__startswith": taken_probe}).values_list(
                f.name, flat=True
            )
        )
        for n in itertools.count(1):
            tail = suffix if n == 1 else f"{suffix}-{n}"
            max_length = f.max_length or 255
            if len(tail) >= max_length:
                return None
            candidate = value[: max_length - len(tail)] + tail
            if candidate not in taken:
                return candidate
            if n > 10_000:
                return None
        return None  # pragma: no cover - the loop returns

    # -- delete -----------------------------------------------------------------------

    @bulk_action(
        permissions=["delete"],
        description=_("Delete selected %(verbose_name_plural)s"),
        log_entry=False,
        row_label=_("Delete…"),
    )
    def delete_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
        """Django's confirmation and deletion for what its page can list; above
        ``delete_list_max_objects`` rows, cascade counts and a job past the threshold
        (:func:`toolkit.admin_ext.deletion.delete_selected`)."""
        return deletion.delete_selected(self, request, queryset)

    def cascade_perms_needed(self, request: HttpRequest, summary: DeletionSummary) -> set[str]:
        """Names of the models in the cascade the person may not delete, as Django
        checks them: through the admin of each model registered on this site."""
        return cascade_perms_needed(self, request, summary)
