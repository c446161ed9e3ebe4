"""The names of the records insights are about, for a page of the insights list.

``str()`` of each record, fetched in one query per kind of record on the page (not one
per row), and set on each insight as :data:`RECORD_NAME_ATTR`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError

from toolkit.ai.models import Insight

__all__ = ["RECORD_NAME_ATTR", "attach_record_names"]

#: Attribute of an insight holding its record's name (None: the record is gone).
RECORD_NAME_ATTR = "_toolkit_record_name"


def attach_record_names(site: admin.AdminSite, insights: list[Insight]) -> None:
    """Set each insight's record name (``str()`` of the record, or None when it no longer
    exists) on the insight, fetching the records of each model in one query.

    A record's ``__str__`` may read a relation (a category's parent): the related
    admin's ``list_select_related`` joins it, as the changelist of that model does.
    """
    wanted: dict[int, dict[Any, list[Insight]]] = defaultdict(lambda: defaultdict(list))
    for insight in insights:
        if not insight.object_id:
            continue
        setattr(insight, RECORD_NAME_ATTR, None)
        model = insight.content_type.model_class()
        if model is None:
            continue
        try:
            key = model._meta.pk.to_python(insight.object_id)
        except (ValidationError, ValueError, TypeError):
            continue
        wanted[insight.content_type_id][key].append(insight)
    for by_key in wanted.values():
        first = next(iter(by_key.values()))[0]
        model = first.content_type.model_class()
        assert model is not None  # keys were only collected for known models
        queryset = model._base_manager.all()
        related_admin = site._registry.get(model)
        select_related = related_admin.list_select_related if related_admin is not None else False
        if select_related is True:
            queryset = queryset.select_related()
        elif isinstance(select_related, list | tuple) and select_related:
            queryset = queryset.select_related(*select_related)
        for key, record in queryset.in_bulk(list(by_key)).items():
            for insight in by_key.get(key, ()):
                setattr(insight, RECORD_NAME_ATTR, str(record))
