"""Duplicate (``"duplicate_selected"`` in ``actions``): copies rows with their
many-to-many links, giving unique text fields a free value ("SKU-1" → "SKU-1-copy",
"SKU-1-copy-2"). Duplicating is row by row, so at most ``duplicate_max_rows`` go at once.
"""

from __future__ import annotations

import itertools
from typing import Any

from django.contrib import messages
from django.contrib.admin.utils import model_ngettext, quote
from django.db import IntegrityError, models, router, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.inspect import func_supports_parameter
from django.utils.translation import gettext_lazy as _

from toolkit.admin_ext.actions.decorators import bulk_action
from toolkit.admin_ext.actions.log import user_pk
from toolkit.admin_ext.actions.permissions import object_permissions_matter
from toolkit.admin_ext.base import ToolkitAdminMixin
from toolkit.admin_ext.links import reverse_if_routed

__all__ = ["DuplicateMixin"]


class DuplicateMixin(ToolkitAdminMixin):
    """The duplicate action and its hooks. Part of
    :class:`~toolkit.admin_ext.actions.BulkActionsMixin`."""

    #: At most this many rows are duplicated in one go (duplicating is per row).
    duplicate_max_rows: int = 100

    #: Appended to unique text values of a copy ("-copy", "-copy-2", ...).
    duplicate_suffix: str = "-copy"

    def get_duplicate_max_rows(self, request: HttpRequest) -> int:
        """Rows duplicated at most in one go; a larger selection copies nothing and
        says so. See ``duplicate_max_rows``."""
        return self.duplicate_max_rows

    def get_duplicate_suffix(self, request: HttpRequest) -> str:
        """What a copy's unique text values get appended. See ``duplicate_suffix``."""
        return self.duplicate_suffix

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
        limit = self.get_duplicate_max_rows(request)
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
            check = object_permissions_matter(self, "view", request) or object_permissions_matter(
                self, "change", request
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
        done = _("%(count)d %(items)s duplicated.") % {
            "count": len(copies),
            "items": model_ngettext(opts, len(copies)),
        }
        self.message_user(
            request,
            self.duplicates_message(request, done, [c for _o, c in copies]),
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

    def duplicates_message(
        self, request: HttpRequest, done: str, copies: list[models.Model]
    ) -> str:
        """The success message: ``done`` ("2 products duplicated.") and a link to the copy
        (its change page) or to the copies (the changelist filtered to their keys), when
        the person may view them on this site. Escaped: the copy's name is record text."""
        if not copies or not self.has_view_or_change_permission(request):
            return done
        opts = self.model._meta
        site = self.admin_site.name
        if len(copies) == 1:
            copy = copies[0]
            url = reverse_if_routed(
                f"{site}:{opts.app_label}_{opts.model_name}_change", [quote(copy.pk)]
            )
            if not url:
                return done
            return format_html(
                '{} <a href="{}">{}</a>',
                done,
                url,
                _("Open the copy “%(copy)s”") % {"copy": copy},
            )
        url = reverse_if_routed(f"{site}:{opts.app_label}_{opts.model_name}_changelist")
        if not url:
            return done
        keys = ",".join(str(copy.pk) for copy in copies)
        query = urlencode({f"{opts.pk.attname}__in": keys})
        return format_html('{} <a href="{}?{}">{}</a>', done, url, query, _("Show the copies"))

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
        # An override of free_unique_value() written before it took ``suffix`` keeps
        # working: it reads duplicate_suffix itself.
        extra = (
            {"suffix": self.get_duplicate_suffix(request)}
            if func_supports_parameter(self.free_unique_value, "suffix")
            else {}
        )
        for f in model._meta.concrete_fields:
            if f.primary_key or not f.unique:
                continue
            value = getattr(copy, f.attname)
            if isinstance(f, models.CharField) and value:
                free = self.free_unique_value(model, f, str(value), **extra)
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
        self,
        model: type[models.Model],
        f: models.CharField[Any, Any],
        value: str,
        *,
        suffix: str | None = None,
    ) -> str | None:
        """ "value-copy", else "value-copy-2", ... cut to the field's max_length.
        ``suffix`` is ``get_duplicate_suffix(request)`` (default: ``duplicate_suffix``)."""
        suffix = self.duplicate_suffix if suffix is None else suffix
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
