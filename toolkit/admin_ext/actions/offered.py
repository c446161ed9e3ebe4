"""The actions Django offers, where it offers them, and how each version spells them.

Django 5.2 keeps actions on the changelist only and describes each one as a tuple
``(func, name, description)``; Django 6.1 adds locations (the changelist and the change
form, :data:`ActionLocation`) and describes each one as an ``Action``. Everything in the
bulk actions that reads ``get_actions()`` goes through this module, so the difference is
handled once.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin import options as admin_options
from django.contrib.admin.utils import model_format_dict
from django.http import HttpRequest
from django.utils.text import capfirst

from toolkit.admin_ext.base import ToolkitAdminMixin
from toolkit.compat import get_actions_at

__all__ = [
    "CHANGE_FORM",
    "ROW",
    "ActionLocation",
    "OfferedActionsMixin",
    "action_description",
    "action_func",
    "make_action",
    "posted_action",
]

#: Django 6.1's ``ActionLocation`` (``None`` before: actions live on the changelist only,
#: and the mixins render change-form actions themselves).
ActionLocation: Any = getattr(admin_options, "ActionLocation", None)
#: Django 6.1's ``Action`` (``None`` before, where an action is a tuple).
DjangoAction: Any = getattr(admin_options, "Action", None)

#: Where an action is offered: on the changelist (and its rows) ...
ROW = "row"
#: ... or on an object's change form.
CHANGE_FORM = "change"


def action_func(entry: Any) -> Any:
    """The function of a ``get_actions()`` entry (a tuple before Django 6.1, an
    ``Action`` since)."""
    return entry[0] if isinstance(entry, tuple) else entry.func


def action_description(entry: Any, opts: Any) -> str:
    """The description of a ``get_actions()`` entry, with ``%(verbose_name_plural)s``
    filled in as Django does."""
    description = entry[2] if isinstance(entry, tuple) else entry.description
    return str(description) % model_format_dict(opts)


def make_action(func: Any, name: str, location: Any) -> Any:
    """A ``get_actions()`` entry for ``func`` in the form this Django version uses:
    how the mixin adds the actions it makes (toggles, its own delete)."""
    description = getattr(func, "short_description", capfirst(name.replace("_", " ")))
    if DjangoAction is None:
        return (func, name, description)
    return DjangoAction(
        func=func,
        name=name,
        description=description,
        plural_description=getattr(func, "plural_description", description),
        locations=getattr(func, "locations", [location]),
    )


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


class OfferedActionsMixin(ToolkitAdminMixin):
    """What the row, change-form and changelist parts of the bulk actions share: the
    actions the person is offered at a place, asked once a request."""

    def _actions_at(self, request: HttpRequest, where: str) -> dict[str, Any]:
        """``get_actions`` for the changelist (:data:`ROW`) or the change form
        (:data:`CHANGE_FORM`), once per request."""
        cache = request.__dict__.setdefault("_toolkit_object_actions", {})
        key = (id(self), where)
        if key not in cache:
            # Django 5.2 has no locations: the change list's actions declared with
            # bulk_action(on_change_form=True) serve on the change form too.
            location = None
            if ActionLocation is not None and where == CHANGE_FORM:
                location = ActionLocation.CHANGE_FORM
            cache[key] = get_actions_at(self, request, location)
        return cache[key]
