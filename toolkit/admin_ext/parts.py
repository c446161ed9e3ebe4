"""Parts of the changelist page: what a toolkit mixin adds to ``changelist_view`` and to
the ChangeList class, declared instead of overridden.

Django's changelist is one view (``ModelAdmin.changelist_view``) and one class (the
``ChangeList`` that ``get_changelist`` returns). A toolkit mixin does not override
either: it lists :class:`ChangeListPart` classes in ``changelist_parts``, and
:class:`~toolkit.admin_ext.base.ToolkitAdminMixin` defines the view and
``get_changelist`` once, running every part of the admin at fixed steps:

1. ``prepare()``, outermost mixin first, before anything reads the query string (leave
   out parameters no database can take, say that the page answers bad input);
2. ``answer()``: the first part that returns a response answers the request instead of
   the list (a refused action's redirect);
3. ``get_changelist_mixin()``: each part's ChangeList mixin goes in front of the admin's
   own ChangeList class, outermost mixin's first (:func:`compose_changelist`);
4. ``finish()``, innermost mixin first (as ``super()`` calls unwound): each part adds to
   Django's response (context, media, the toolkit's template).

A part class listed by several mixins runs once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, TypeAlias, cast

from django.contrib.admin.views.main import ChangeList
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from toolkit.query_input import drop_unusable_parameters

__all__ = ["ChangeListPart", "ChangeListParts", "DropUnusableParameters", "compose_changelist"]


class ChangeListPart:
    """One mixin's share of the changelist page, made for one request.

    Override the steps the part needs; list the class in the mixin's
    ``changelist_parts``. ``model_admin`` is the admin whose changelist it is.
    """

    #: A ChangeList mixin to put in front of the admin's ChangeList class, on every
    #: request; override ``get_changelist_mixin()`` to decide per request.
    changelist_mixin: ClassVar[type | None] = None

    def __init__(self, model_admin: Any, request: HttpRequest) -> None:
        self.model_admin = model_admin
        self.request = request

    def prepare(self) -> None:
        """Change the request before the changelist reads it (``request.GET``)."""

    def answer(self) -> HttpResponse | None:
        """A response that replaces the list, or ``None`` (the default) to go on."""
        return None

    def get_changelist_mixin(self) -> type | None:
        """The ChangeList mixin of this request (``changelist_mixin``), or ``None``."""
        return self.changelist_mixin

    def finish(self, response: HttpResponse) -> HttpResponse:
        """Django's response, changed or replaced.

        By default a changelist page (a ``TemplateResponse`` whose context holds ``cl``)
        goes through :meth:`update_page`; what an action answers (its own page, a
        redirect) passes unchanged.
        """
        context = getattr(response, "context_data", None)
        if (
            isinstance(response, TemplateResponse)
            and isinstance(context, dict)
            and context.get("cl") is not None
        ):
            self.update_page(response, context)
        return response

    def update_page(self, response: TemplateResponse, context: dict[str, Any]) -> None:
        """Add to the changelist page: ``context`` is the response's context, whose
        ``cl`` is the ChangeList. A part whose additions need the toolkit's template
        calls ``use_toolkit_change_list(response)`` (idempotent)."""


#: The type of a mixin's ``changelist_parts``.
ChangeListParts: TypeAlias = Sequence[type[ChangeListPart]]


class DropUnusableParameters(ChangeListPart):
    """Leave out of the query string what no database can take, with a message each
    (:func:`toolkit.query_input.drop_unusable_parameters`)."""

    def prepare(self) -> None:
        drop_unusable_parameters(self.request, self.model_admin.model)


_composed: dict[tuple[type[ChangeList], tuple[type, ...]], type[ChangeList]] = {}


def compose_changelist(
    changelist_class: type[ChangeList], mixins: Iterable[type]
) -> type[ChangeList]:
    """``changelist_class`` with ``mixins`` in front, in their order; made once for each
    combination and then reused.

    ``changelist_class`` is whatever the admin's own ``get_changelist()`` returns, a
    project's ChangeList included. A mixin it already has is left out, so a ChangeList
    built on the toolkit's is used as it is. The class is named as the one it extends, so
    that its ``repr()`` and the name a project's code or tests see stay what they were.
    """
    wanted = tuple(dict.fromkeys(m for m in mixins if not issubclass(changelist_class, m)))
    if not wanted:
        return changelist_class
    key = (changelist_class, wanted)
    composed = _composed.get(key)
    if composed is None:
        made = type(
            changelist_class.__name__,
            (*wanted, changelist_class),
            {
                "__module__": changelist_class.__module__,
                "__qualname__": changelist_class.__qualname__,
                "__doc__": changelist_class.__doc__,
            },
        )
        composed = _composed.setdefault(key, cast(type[ChangeList], made))
    return composed
