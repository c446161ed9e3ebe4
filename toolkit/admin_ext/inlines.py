"""Inlines for relations too long or too historical to edit on the parent's page.

``ReadOnlyTabularInline``
    History rows (stock movements, audit entries): shown, never added, changed or
    deleted from the parent's page, for superusers and view-only staff alike.

``PaginatedTabularInline``
    The newest ``per_page`` rows of a relation that may hold thousands, with a link to
    the related changelist filtered to the parent. The rows are limited in the
    formset's own queryset (one ``LIMIT`` query), the total is counted with a cap, and
    read-only rows render without per-cell widgets: a parent with 50,000 children
    costs what one with ``per_page`` children costs, and within 1.2x of one with 5
    (``bench/bench_inline.py``).

Both compose: ``class MovementInline(ReadOnlyTabularInline, PaginatedTabularInline)``.
:class:`PaginatedInlineChecks` checks ``per_page`` and ``count_limit`` (``toolkit.E032``)
beside the inline's own ``checks_class``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from html import escape
from typing import Any, ClassVar

from django.contrib import admin
from django.contrib.admin.checks import InlineModelAdminChecks
from django.contrib.admin.helpers import AdminReadonlyField
from django.contrib.admin.utils import flatten_fieldsets, quote
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe

from .base import DeclaredChecksMixin

__all__ = [
    "InlinePage",
    "PaginatedInlineChecks",
    "PaginatedInlineFormSet",
    "PaginatedTabularInline",
    "ReadOnlyRow",
    "ReadOnlyTabularInline",
]


class ReadOnlyTabularInline(admin.TabularInline):
    """A tabular inline nobody can add to, change or delete from.

    The permission methods answer ``False`` for everyone, superusers included, so
    Django's admin renders every field read-only, offers no blank rows and no delete
    boxes, and ignores whatever a tampered POST sends for these rows. Viewing still
    follows the usual view/change permission on the inline's model, so view-only staff
    see the rows too. To allow one of the three again, override its method.
    """

    extra = 0
    max_num = 0
    can_delete = False

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        # The rows are displayed from their instances, never from form fields, so the
        # formset's forms carry no model fields at all: nothing to build per row,
        # nothing a POST could change. (Django asks for the full form, with
        # fields=None, when it works out which fields to display; that call is left
        # alone.)
        kwargs.setdefault("fields", [])
        return super().get_formset(request, obj, **kwargs)

    # Deliberately not calling super(): these rows are history, whatever the person's
    # permissions on the model say.
    def has_add_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False


@dataclass(frozen=True)
class InlinePage:
    """What the template needs to say how much of the relation it shows."""

    #: Rows shown on the parent's page.
    shown: int
    #: Rows in the relation, or ``None`` when there are more than ``count_limit``.
    total: int | None
    #: The cap the count stopped at (``None``: counted exactly).
    count_limit: int | None
    #: The related changelist filtered to the parent, or ``None`` when the person may
    #: not see it (or the related model has no admin on this site).
    changelist_url: str | None

    @property
    def is_partial(self) -> bool:
        """True when some rows of the relation are not on the page."""
        return self.total is None or self.total > self.shown


@dataclass(frozen=True)
class ReadOnlyRow:
    """One row of the read-only table of a paginated inline."""

    original: models.Model
    #: One Django ``AdminReadonlyField`` per column, for templates that lay cells out
    #: themselves.
    cells: list[AdminReadonlyField]
    #: The row's ``<td>`` cells, built once in Python the way Django builds changelist
    #: rows (``items_for_result``); the stock template prints this.
    cells_html: SafeString
    #: The row's hidden primary key and parent key inputs, so that a POST of the
    #: parent's form matches the rows it was shown.
    hidden_fields: SafeString
    change_url: str | None
    view_on_site_url: str | None


class PaginatedInlineFormSet(BaseInlineFormSet):
    """An inline formset over the first ``per_page`` rows of its queryset.

    ``BaseInlineFormSet.__init__`` filters the queryset it is given by the parent, so
    the inline cannot hand it a sliced queryset (a slice cannot be filtered). The slice
    is taken here instead, after the filter and after Django has made the ordering
    total, and cached: rendering and a POST alike evaluate one ``LIMIT per_page`` query,
    and a POST only matches submitted primary keys against those rows.
    """

    #: Rows shown; set from ``PaginatedTabularInline.get_per_page()``.
    per_page: int = 10
    #: Counting stops after this many rows; set from ``get_count_limit()``.
    count_limit: int | None = 1000
    #: Unfiltered related changelist URL, or ``None``; set by the inline.
    changelist_url: str | None = None
    #: The inline and the request this formset class was built for (by
    #: ``PaginatedTabularInline.get_formset``), for the read-only rows.
    admin_inline: admin.options.InlineModelAdmin[Any, Any] | None = None
    admin_request: HttpRequest | None = None

    def get_queryset(self) -> models.QuerySet[Any]:
        if not hasattr(self, "_queryset"):
            queryset = super().get_queryset()
            self._queryset = queryset[: self.per_page]
        return self._queryset

    @cached_property
    def page(self) -> InlinePage:
        """How many rows are shown, how many exist, and where to see them all.

        A page that is not full needs no count at all; otherwise the count runs over at
        most ``count_limit + 1`` rows of the parent (an index range scan on a foreign
        key index), never over the whole relation.
        """
        shown = len(self.get_queryset())
        relation = self.queryset  # filtered to the parent, not sliced
        assert relation is not None
        total: int | None
        if shown < self.per_page:
            total = shown
        elif self.count_limit is None:
            total = relation.order_by().count()
        else:
            counted = relation.order_by()[: self.count_limit + 1].count()
            total = None if counted > self.count_limit else counted
        url = None
        if self.changelist_url and self.instance.pk is not None:
            target = self.fk.target_field
            lookup = f"{self.fk.name}__{target.name}__exact"
            value = getattr(self.instance, target.attname)
            url = f"{self.changelist_url}?{urlencode({lookup: value})}"
        return InlinePage(
            shown=shown, total=total, count_limit=self.count_limit, changelist_url=url
        )

    @cached_property
    def readonly_rows(self) -> list[ReadOnlyRow]:
        """The shown rows, prepared for the read-only table.

        Used when the person may not add, change or delete rows. Each cell is Django's
        own ``AdminReadonlyField`` (same formatting, links and escaping as the stock
        tabular inline), but its label and help text are looked up once per column
        rather than once per row, and the hidden primary and parent keys are written
        directly instead of through the widget templates: this keeps a row cheap
        enough that showing ``per_page`` rows costs little more than showing five.
        """
        inline, request = self.admin_inline, self.admin_request
        if inline is None or request is None:
            raise ImproperlyConfigured(
                "PaginatedInlineFormSet.readonly_rows needs the formset class built by "
                "PaginatedTabularInline.get_formset()."
            )
        parent = self.instance if self.instance.pk is not None else None
        names = [
            name
            for name in flatten_fieldsets(inline.get_fieldsets(request, parent))
            if name != self.fk.name
        ]
        empty_form = self.empty_form
        columns = [
            AdminReadonlyField(empty_form, name, is_first=(i == 0), model_admin=inline)
            for i, name in enumerate(names)
        ]
        model = self.model
        assert model is not None
        opts = model._meta
        pk_name = opts.pk.name
        fk_value = getattr(self.instance, self.fk.target_field.attname)
        show_change_link = inline.show_change_link and inline.has_registered_model
        site = inline.admin_site.name
        rows = []
        for form, original in zip(self.initial_forms, self.get_queryset(), strict=False):
            cells = []
            for column in columns:
                cell = copy.copy(column)
                cell.form = form
                cells.append(cell)
            change_url = None
            if show_change_link:
                change_url = reverse(
                    f"{site}:{opts.app_label}_{opts.model_name}_change",
                    args=[quote(original.pk)],
                    current_app=site,
                )
            rows.append(
                ReadOnlyRow(
                    original=original,
                    cells=cells,
                    cells_html=_cells_html(cells),
                    hidden_fields=_hidden_inputs(
                        form, ((pk_name, original.pk), (self.fk.name, fk_value))
                    ),
                    change_url=change_url,
                    view_on_site_url=inline.get_view_on_site_url(original),
                )
            )
        return rows


class PaginatedInlineChecks(InlineModelAdminChecks):
    """The checks of ``per_page`` and ``count_limit`` (``toolkit.E032``); the
    ``mixin_checks_class`` of :class:`PaginatedTabularInline`."""

    # Django (and its stubs) name the argument admin_obj in BaseModelAdminChecks and
    # inline_obj in InlineModelAdminChecks: no name satisfies both.
    def check(self, inline_obj: Any, **kwargs: Any) -> list[checks.CheckMessage]:  # type: ignore[override]
        return [*super().check(inline_obj, **kwargs), *self._check_inline_page(inline_obj)]

    def _check_inline_page(self, inline_obj: Any) -> list[checks.CheckMessage]:
        errors: list[checks.CheckMessage] = []
        name = type(inline_obj).__name__
        per_page = inline_obj.per_page
        if not _is_positive_int(per_page):
            errors.append(
                checks.Error(
                    f"{name}.per_page must be a positive integer, not {per_page!r}.",
                    hint="Set per_page to the number of rows to show, e.g. 10.",
                    obj=type(inline_obj),
                    id="toolkit.E032",
                )
            )
        count_limit = inline_obj.count_limit
        if count_limit is not None and not _is_positive_int(count_limit):
            errors.append(
                checks.Error(
                    f"{name}.count_limit must be a positive integer or None, not {count_limit!r}.",
                    hint="Use a cap such as 1000 (the page then says 'more than 1,000'), "
                    "or None to count every row.",
                    obj=type(inline_obj),
                    id="toolkit.E032",
                )
            )
        return errors


class PaginatedTabularInline(DeclaredChecksMixin, admin.TabularInline):
    """A tabular inline that shows only the first rows of a long relation.

    Rows come in the inline's ``ordering`` (else the model's ``Meta.ordering``, else
    newest primary key first), so ``ordering = ["-timestamp", "-id"]`` shows the newest.
    Below the rows, the template says how many there are and links to the related
    model's changelist filtered to this parent, when the person may view it.

    Editing the shown rows follows the usual permissions, with Django's own tabular
    template. People who may not add, change or delete rows (view-only staff, or
    everyone when combined with ``ReadOnlyTabularInline`` for history) get a read-only
    table built without per-cell widgets, so ``per_page`` rows cost about as much as a
    handful.
    """

    mixin_checks_class: ClassVar[type | None] = PaginatedInlineChecks

    #: Rows shown on the parent's page (the related changelist has the rest).
    per_page: int = 10
    #: Count at most this many rows (then say "more than N"); ``None`` counts exactly.
    count_limit: int | None = 1000

    extra = 0
    formset = PaginatedInlineFormSet
    template = "toolkit/admin_ext/edit_inline/paginated_tabular.html"

    def get_per_page(self, request: HttpRequest, obj: models.Model | None = None) -> int:
        """Rows to show for this parent; override to show more to some people."""
        return self.per_page

    def get_count_limit(self, request: HttpRequest, obj: models.Model | None = None) -> int | None:
        """The count's cap; ``None`` counts every row (fine on small relations only)."""
        return self.count_limit

    def get_ordering(self, request: HttpRequest) -> Any:
        """Which rows come first: ``ordering``, else ``Meta.ordering``, else newest pk."""
        return super().get_ordering(request) or self.model._meta.ordering or ["-pk"]

    def get_changelist_url(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> str | None:
        """The related changelist's URL (unfiltered), or ``None`` to show no link.

        ``None`` when the related model has no admin on this site or the person may
        neither view nor change it; the page then says how many rows there are, without
        a link that would answer 403.
        """
        site = self.admin_site
        if not site.is_registered(self.model):
            return None
        model_admin = site.get_model_admin(self.model)
        if not model_admin.has_view_or_change_permission(request):
            return None
        opts = self.model._meta
        try:
            return reverse(
                f"{site.name}:{opts.app_label}_{opts.model_name}_changelist",
                current_app=site.name,
            )
        except NoReverseMatch:
            return None

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset_class: Any = super().get_formset(request, obj, **kwargs)
        formset_class.per_page = self.get_per_page(request, obj)
        formset_class.count_limit = self.get_count_limit(request, obj)
        formset_class.changelist_url = self.get_changelist_url(request, obj)
        formset_class.admin_inline = self
        formset_class.admin_request = request
        return formset_class


def _cells_html(cells: list[AdminReadonlyField]) -> SafeString:
    html = []
    for cell in cells:
        css = "field-" + escape(str(cell.field["name"]))
        if cell.field["is_hidden"]:
            css += " hidden"
        # contents() escapes the value (or keeps Django's own safe HTML, e.g. links).
        html.append(f'<td class="{css}"><p>{cell.contents()}</p></td>')
    return mark_safe("".join(html))  # built from escaped parts


def _hidden_inputs(form: Any, values: tuple[tuple[str, Any], ...]) -> SafeString:
    # format_html() per row and input costs more than the rest of the row; the same
    # escaping with the standard library keeps a read-only row cheap.
    html = []
    for name, value in values:
        prefixed = form.add_prefix(name)
        auto_id = form.auto_id
        id_attr = ""
        if auto_id:
            id_attr = f' id="{escape(auto_id % prefixed if "%s" in auto_id else prefixed)}"'
        value = escape("" if value is None else str(value))
        html.append(f'<input type="hidden" name="{escape(prefixed)}" value="{value}"{id_attr}>')
    return mark_safe("".join(html))  # every part is escaped above


def _is_positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0
