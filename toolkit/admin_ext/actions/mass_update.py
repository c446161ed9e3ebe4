"""The mass update (``"mass_update"`` in ``actions``): tick fields, enter values, see
"N of M rows will change" with up to 20 of those rows, each chosen value before and
after (:mod:`~toolkit.admin_ext.actions.preview`), confirm.

Applied in one transaction (``queryset.update()`` unless the model has per-object
logic, see ``mass_update_per_object``), one LogEntry per changed row, or one summary
entry above ``mass_update_log_each_limit`` rows; above ``bulk_background_threshold``
rows, as a background job (:class:`~toolkit.admin_ext.actions.jobs.MassUpdateHandler`).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import model_ngettext
from django.contrib.admin.widgets import AutocompleteMixin
from django.db import router, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from toolkit.admin_ext.actions.apply import (
    FORM_PREFIX,
    apply_mass_update,
    model_overrides_save,
    plain_formfield,
)
from toolkit.admin_ext.actions.confirmation import ConfirmationMixin
from toolkit.admin_ext.actions.decorators import bulk_action
from toolkit.admin_ext.actions.jobs import MassUpdateHandler
from toolkit.admin_ext.actions.log import log_mass_update, user_pk
from toolkit.admin_ext.actions.preview import MassUpdatePreview, build_preview, mass_update_title
from toolkit.admin_ext.selection import (
    Selection,
    SelectionError,
    changelist_origin,
    count_upto,
)

__all__ = ["MassUpdateMixin"]


class MassUpdateMixin(ConfirmationMixin):
    """The mass update action, its page and its hooks. Part of
    :class:`~toolkit.admin_ext.actions.BulkActionsMixin`."""

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

    # -- hooks ---------------------------------------------------------------------

    def get_mass_update_fields(self, request: HttpRequest) -> list[str]:
        """Names of the fields the mass update form offers. See ``mass_update_fields``."""
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
        """Changed rows up to which each gets a LogEntry of its own. See
        ``mass_update_log_each_limit``."""
        return self.mass_update_log_each_limit

    def get_mass_update_form_class(
        self, request: HttpRequest, fields: Sequence[str]
    ) -> type[forms.ModelForm[Any]]:
        """The ModelForm that validates the values of ``fields`` (the admin's widgets,
        without the related-widget wrapper's edit, add and delete links). It is built
        again in the worker to validate a job's values with the same rules."""
        return forms.modelform_factory(
            self.model,
            fields=list(fields),
            formfield_callback=partial(plain_formfield, self, request=request),
        )

    def get_mass_update_values(
        self, request: HttpRequest, cleaned: dict[str, Any]
    ) -> dict[str, Any]:
        """The column values a mass update writes: the chosen ones by default. Add
        derived columns here when forcing ``UPDATE`` past a ``save()`` that sets them;
        they are written with the chosen values but never make a row count as changed
        (only the chosen fields do, in the preview and when applied)."""
        return dict(cleaned)

    # -- the action ------------------------------------------------------------------

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
        preview: MassUpdatePreview | None = None
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
            preview = build_preview(self, queryset, values, chosen)
        display_form = self.get_mass_update_form_class(request, candidates)(
            data=self.mass_update_display_data(request, form) if submitted else None,
            files=request.FILES if submitted else None,
            prefix=FORM_PREFIX,
            # Unticked fields are not submitted values: the browser must not demand them.
            use_required_attribute=False,
        )
        rows = []
        for name in candidates:
            bound = display_form[name]
            errors = form.errors.get(name) if form is not None and name in chosen else None
            rows.append(
                {
                    "name": name,
                    "field": bound,
                    "label": bound.label,
                    "value_id": bound.id_for_label,
                    "checked": name in chosen,
                    "errors": errors,
                }
            )
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

    def mass_update_display_data(
        self, request: HttpRequest, form: forms.ModelForm[Any] | None
    ) -> QueryDict:
        """The submitted data the page shows again, without the values an autocomplete
        box refused: Django's autocomplete widget looks a submitted key up in the
        database to render it, and a key that is not a number fails there (a 500
        instead of the field's error)."""
        data = request.POST.copy()
        if form is not None:
            for name in form.errors:
                if name in form.fields and isinstance(form.fields[name].widget, AutocompleteMixin):
                    data.pop(f"{FORM_PREFIX}-{name}", None)
        return data

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
        # Toggles pass the chosen values alone: add the admin's bookkeeping columns.
        chosen = {n: values[n] for n in fields if n in values}
        values = {**self.get_mass_update_values(request, chosen), **values}
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
                self.message_user(
                    request, _("%(reason)s Nothing was changed.") % {"reason": exc}, messages.ERROR
                )
                return None
            params = {
                "fields": fields,
                "data": data,
                "per_object": per_object,
                "log_each": log_each,
            }
            return self.start_mass_update_job(request, queryset, selection, params, values)
        using = router.db_for_write(self.model)
        with transaction.atomic(using=using):
            result = apply_mass_update(
                self,
                request,
                queryset,
                values,
                per_object=per_object,
                log_each=log_each,
                compare=fields,
            )
            if not log_each and result.done:
                log_mass_update(user_pk(request), self.model, result.done, fields)
        if result.done or result.failed:
            self.message_user(
                request,
                _("%(count)d %(items)s updated.")
                % {"count": result.done, "items": model_ngettext(opts, result.done)},
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                _("Nothing changed: every selected row already holds these values."),
                messages.INFO,
            )
        if result.failed:
            self.message_user(
                request,
                _("%(count)d left alone: %(reasons)s")
                % {"count": result.failed, "reasons": " ".join(result.errors)},
                messages.WARNING,
            )
        return None

    def start_mass_update_job(
        self,
        request: HttpRequest,
        queryset: QuerySet[Any],
        selection: Selection,
        params: dict[str, Any],
        values: dict[str, Any],
    ) -> HttpResponse:
        """Start the job of a large mass update, titled in words ("Mass update of 4,386
        products: Is active = yes") and remembering the changelist it came from (its
        filters too), and send the person to its progress page."""
        from toolkit.jobs.tasks import start_job

        fields = params["fields"]
        title = mass_update_title(self, queryset.order_by().count(), values, fields)
        job = start_job(
            MassUpdateHandler,
            user=request.user,
            model=self.model,
            target=selection.to_dict(),
            params=params,
            description=title,
            origin=changelist_origin(self, request),
        )
        self.message_user(
            request,
            _("The work runs in the background; this page shows its progress."),
            messages.INFO,
        )
        return HttpResponseRedirect(job.get_absolute_url())
