"""Names the model gives (a supplier, a category, a tag) must exist before they are used.

:func:`ground_name` looks a value up on the related model the qualifier ends on: the
exact name (case-insensitively), then a single name containing it, then the related
model's own admin search (``get_search_results`` of the admin registered for it, with
the person's request), as its autocomplete would find it. A value found nowhere, or
matching several names where the qualifier needs one, is not used: the caller lists it
as "not understood".
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .fields import AskField

__all__ = ["ground_name"]

#: Names read to decide a value is ambiguous.
_CANDIDATES = 2


def ground_name(
    ask_field: AskField, value: str, request: HttpRequest, admin_site: Any = None
) -> str | None:
    """The name to search ``ask_field`` for when the model said ``value``; ``None`` when
    no such name exists (or it is ambiguous where the qualifier matches one exactly)."""
    model, name = ask_field.related_model, ask_field.related_field
    if model is None or not name:
        return value
    rows = model._default_manager.all()
    if rows.filter(**{f"{name}__iexact": value}).exists():
        return value
    names = list(
        rows.filter(**{f"{name}__icontains": value}).values_list(name, flat=True)[:_CANDIDATES]
    )
    if len(names) == 1:
        return str(names[0])
    if names:
        # Several names contain it: a qualifier that contains the value finds them all
        # (as typed, "supplier:acme" does); one that needs an exact name cannot.
        return value if ask_field.path.endswith("icontains") else None
    found = _admin_search(model, name, value, request, admin_site)
    return found


def _admin_search(
    model: Any, name: str, value: str, request: HttpRequest, admin_site: Any
) -> str | None:
    """The one name the related model's admin search finds for ``value``, if the person
    may view that model there."""
    if admin_site is None:
        return None
    related_admin = admin_site._registry.get(model)
    if related_admin is None or not related_admin.get_search_fields(request):
        return None
    if not related_admin.has_view_permission(request):
        return None
    queryset = related_admin.get_queryset(request)
    found, _duplicates = related_admin.get_search_results(request, queryset, value)
    names = list(found.order_by().values_list(name, flat=True).distinct()[:_CANDIDATES])
    return str(names[0]) if len(names) == 1 else None
