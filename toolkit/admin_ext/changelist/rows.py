"""The changelist's result rows: Django's markup, with per-column work done once a page.

Django's ``items_for_result`` works out, for every cell of every row, what its column
is: it asks the ModelAdmin for the empty-value text, resolves the column's name to a
field (``_get_non_gfk_field``, ``get_field``...), decides whether the column links to
the change form, builds its CSS classes, and for a boolean looks up the icon's static
URL. None of that depends on the row. On a page of 100 rows and 12 columns it is
1,200 times the same answers, and half the page's CPU time.

:func:`result_rows` renders the same cells (byte for byte: ``tests/admin_ext/
test_rows.py`` holds it to Django's own output, on each supported Django version) from
a plan of the columns made once a page: a plain model field is read with ``getattr``,
anything else (a callable, a ModelAdmin method, a property, ``a__b``) goes through
Django's ``lookup_field`` per row as before, and every value is still shown by Django's
``display_for_field`` / ``display_for_value``. Cells that cannot differ for the same
value (a boolean's icon) are rendered once per value.

It renders the pages of a :class:`~toolkit.admin_ext.PerformanceMixin` changelist
without a ``list_editable`` formset, on the Django versions its tests check
(:data:`VERIFIED_DJANGO`); otherwise Django's own ``results()`` does. A ModelAdmin opts
out with ``fast_result_rows = False`` (or ``get_fast_result_rows(request)``).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import django
from django.contrib.admin import utils as admin_utils
from django.contrib.admin.templatetags import admin_list
from django.contrib.admin.templatetags.admin_list import (
    ResultList,
    result_headers,
    result_hidden_fields,
    results,
)
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import (
    FieldIsAForeignKeyColumnName,
    display_for_field,
    display_for_value,
    get_fields_from_path,
    lookup_field,
)
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

__all__ = ["VERIFIED_DJANGO", "renders_fast", "result_list", "result_rows"]

# Django's own helpers for what a column is called and which field a name is, private
# to the admin but the same on every version in VERIFIED_DJANGO.
_coerce_field_name: Callable[[Any, int], str] = admin_list._coerce_field_name  # type: ignore[attr-defined]
_get_non_gfk_field: Callable[[Any, str], Any] = admin_utils._get_non_gfk_field  # type: ignore[attr-defined]

#: Django versions whose ``items_for_result`` the renderer reproduces (checked by its
#: tests on each); elsewhere Django renders the rows itself.
VERIFIED_DJANGO = frozenset({(5, 2), (6, 1)})
_DJANGO = django.VERSION[:2]
# Two details of items_for_result differ between 5.2 and 6.1: on 6.1 a column named
# "a__b" is displayed as the field it ends at, and blank text is no longer turned into "".
_FOLLOWS_RELATIONS = _DJANGO >= (6, 1)


@dataclass
class _Column:
    """What a column's cells share on a page."""

    name: Any
    classes: list[str]
    link: bool
    #: "th" for the first linked column, else "td" (as Django decides it).
    tag: str
    #: The model field the name is (read with getattr), or None: lookup_field per row.
    model_field: models.Field[Any, Any] | None
    #: For a name across relations, the field it ends at (Django 6.1), if any.
    terminal: models.Field[Any, Any] | None = None
    #: Rendered cells by value, for a column whose cell depends on nothing else.
    cells: dict[Any, SafeString] = field(default_factory=dict)


def renders_fast(cl: Any) -> bool:
    """Whether :func:`result_rows` renders ``cl``'s rows (else Django's ``results``):
    a :class:`~toolkit.admin_ext.PerformanceMixin` changelist whose ModelAdmin's
    ``get_fast_result_rows()`` says so, without a formset, on a verified Django."""
    return (
        _DJANGO in VERIFIED_DJANGO
        and not getattr(cl, "formset", None)
        and getattr(cl, "fast_result_rows", False) is True
    )


def result_list(cl: Any) -> dict[str, Any]:
    """The context of Django's ``{% result_list %}`` tag, with the rows of
    :func:`result_rows` where :func:`renders_fast` says so."""
    headers = list(result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": list(result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": list(result_rows(cl) if renders_fast(cl) else results(cl)),
    }


def result_rows(cl: Any) -> Iterator[ResultList]:
    """The rows of ``cl.result_list`` as Django's ``results(cl)`` gives them (a
    ``ResultList`` of cell HTML each), for a changelist without a formset."""
    columns = _plan(cl)
    page = _Page(cl)
    for result in cl.result_list:
        yield ResultList(None, [_cell(page, column, result) for column in columns])


class _Page:
    """What every row of one page shares."""

    def __init__(self, cl: Any) -> None:
        self.cl = cl
        self.model_admin = cl.model_admin
        self.empty = self.model_admin.get_empty_value_display()
        self.pk_attname = cl.lookup_opts.pk.attname
        self.preserved = {"preserved_filters": cl.preserved_filters, "opts": cl.opts}
        self._filters_suffix: str | None = None

    def with_preserved_filters(self, url: str) -> str:
        """Django's ``add_preserved_filters`` of a row's change URL.

        On a filtered list Django resolves every row's URL to learn that it is not the
        changelist's, then appends the same query string to each: here it is worked out
        for the first row and appended to the others (a change URL carries no query or
        fragment of its own; one that does goes through Django's function)."""
        if "?" in url or "#" in url:
            return str(add_preserved_filters(self.preserved, url))
        if self._filters_suffix is None:
            full = str(add_preserved_filters(self.preserved, url))
            if not full.startswith(url):
                return full
            self._filters_suffix = full[len(url) :]
        return url + self._filters_suffix


def _plan(cl: Any) -> list[_Column]:
    """Each column's share of Django's per-cell decisions, made once."""
    opts = cl.model._meta
    columns = []
    first = True
    for index, name in enumerate(cl.list_display):
        if cl.list_display_links is None:
            link = False
        elif first and not cl.list_display_links:
            link = True
        else:
            link = name in cl.list_display_links
        tag = "td"
        if link:
            tag = "th" if first else "td"
            first = False
        plain: models.Field[Any, Any] | None = None
        if isinstance(name, str):
            try:
                plain = _get_non_gfk_field(opts, name)
            except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
                plain = None
        terminal = None
        if _FOLLOWS_RELATIONS and plain is None and isinstance(name, str) and LOOKUP_SEP in name:
            try:
                terminal = get_fields_from_path(cl.model, name)[-1]
            except FieldDoesNotExist:
                terminal = None  # e.g. __str__
        columns.append(
            _Column(
                name=name,
                classes=[f"field-{_coerce_field_name(name, index)}"],
                link=link,
                tag=tag,
                model_field=plain,
                terminal=terminal,
            )
        )
    return columns


def _cell(page: _Page, column: _Column, result: models.Model) -> SafeString:
    """One cell, as Django's ``items_for_result`` writes it."""
    classes = column.classes
    try:
        if column.model_field is not None:
            f: Any = column.model_field
            attr: Any = None
            value = getattr(result, column.name)
        else:
            f, attr, value = lookup_field(column.name, result, page.model_admin)
    except ObjectDoesNotExist:
        result_repr: Any = page.empty
    else:
        empty_value_display = getattr(attr, "empty_value_display", page.empty)
        if _FOLLOWS_RELATIONS:
            if f is None and column.terminal is not None:
                f = column.terminal
        elif isinstance(value, str) and value.strip() == "":
            value = ""
        if f is None or f.auto_created:
            if column.name == "action_checkbox":
                classes = ["action-checkbox"]
            boolean = getattr(attr, "boolean", False)
            if isinstance(attr, property) and hasattr(attr, "fget"):
                boolean = getattr(attr.fget, "boolean", False)
            if boolean and _is_icon_value(value) and not column.link:
                key = ("value", value, empty_value_display)
                return _once(
                    column, classes, key, display_for_value, value, empty_value_display, boolean
                )
            result_repr = display_for_value(value, empty_value_display, boolean)
            if isinstance(value, datetime.date | datetime.time):
                classes = [*classes, "nowrap"]
        else:
            if isinstance(f, models.DateField | models.TimeField | models.ForeignKey):
                classes = [*classes, "nowrap"]
            if isinstance(f.remote_field, models.ManyToOneRel):
                shown = value if _FOLLOWS_RELATIONS else getattr(result, f.name)
                result_repr = empty_value_display if shown is None else shown
            elif isinstance(f, models.BooleanField) and _is_icon_value(value) and not column.link:
                key = ("field", value, empty_value_display)
                return _once(column, classes, key, display_for_field, value, f, empty_value_display)
            else:
                result_repr = display_for_field(
                    value, f, empty_value_display, avoid_link=column.link
                )
    row_class = f' class="{" ".join(classes)}"'
    if not column.link:
        return SafeString(f"<td{row_class}>{conditional_escape(result_repr)}</td>")
    # Display a link to the result's change view if the URL exists, else the text.
    cl = page.cl
    try:
        url = cl.url_for_result(result)
    except NoReverseMatch:
        link_or_text: str = conditional_escape(result_repr)
    else:
        url = conditional_escape(page.with_preserved_filters(url))
        popup = ""
        if cl.is_popup:
            # The pk (or to_field) for JavaScript's popup opener.
            value = result.serializable_value(str(cl.to_field) if cl.to_field else page.pk_attname)
            popup = f' data-popup-opener="{conditional_escape(value)}"'
        link_or_text = f'<a href="{url}"{popup}>{conditional_escape(result_repr)}</a>'
    tag = column.tag
    return SafeString(f"<{tag}{row_class}>{link_or_text}</{tag}>")


def _is_icon_value(value: Any) -> bool:
    # Not ``value in (True, False, None)``: 1 == True, but its icon's alt text is "1".
    return value is True or value is False or value is None


def _once(
    column: _Column, classes: list[str], key: Any, display: Callable[..., Any], *args: Any
) -> SafeString:
    """The cell for ``key`` in ``column``: ``display(*args)``, rendered the first time
    (a boolean's icon costs a static-file URL lookup each time otherwise)."""
    cell = column.cells.get(key)
    if cell is None:
        row_class = f' class="{" ".join(classes)}"'
        cell = SafeString(f"<td{row_class}>{conditional_escape(display(*args))}</td>")
        column.cells[key] = cell
    return cell
