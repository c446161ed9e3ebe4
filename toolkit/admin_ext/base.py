"""The base of every toolkit ModelAdmin mixin: one ``changelist_view``, one
``get_changelist``, one ``checks_class``.

A mixin declares what it adds instead of overriding these:

- ``changelist_parts``: :class:`~toolkit.admin_ext.parts.ChangeListPart` classes, run by
  :meth:`ToolkitAdminMixin.changelist_view` and :meth:`ToolkitAdminMixin.get_changelist`
  (see :mod:`toolkit.admin_ext.parts` for the steps);
- ``mixin_checks_class``: its system checks, a subclass of Django's ``ModelAdminChecks``
  whose ``check(admin_obj, **kwargs)`` returns ``[*super().check(admin_obj, **kwargs),
  *its own]``. An admin's ``checks_class`` is the declared ones in front of the
  ``checks_class`` it would otherwise have (Django's, a site's own, or one the admin sets
  itself), and ``ModelAdmin.check()`` runs them all as Django runs its own:
  ``self.checks_class().check(self)``.

Both are collected over the MRO, as a form collects its declared fields: each class's
own attribute counts, outermost class first, each part or checks class once.

The ``checks_class`` is composed once per admin class and given to each admin as it is
made (:class:`DeclaredChecksMixin`), not when the class is made: a hook of ours running
while the class is made (``__init_subclass__``) would be the frame that Django's own
class-creation warnings point at (``list_select_related = True``), instead of the line
of the project's admin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib.admin.views.main import ChangeList
from django.http import HttpRequest, HttpResponse

from .parts import ChangeListPart, ChangeListParts, compose_changelist

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

    _ModelAdminBase = ModelAdmin[Any]
else:
    _ModelAdminBase = object

__all__ = [
    "DeclaredChecksMixin",
    "ToolkitAdminMixin",
    "compose_checks_class",
    "declared_changelist_parts",
]

#: Set on a composed checks class: the class it was composed on.
_COMPOSED_ON = "toolkit_composed_on"


def _collected(cls: type, attribute: str) -> list[Any]:
    """Each class's own ``attribute`` over ``cls``'s MRO, outermost first, each once."""
    found: list[Any] = []
    for klass in cls.__mro__:
        value = vars(klass).get(attribute)
        if value is None:
            continue
        for item in value if isinstance(value, list | tuple) else [value]:
            if item not in found:
                found.append(item)
    return found


def _own_checks_class(cls: type) -> type | None:
    """The ``checks_class`` ``cls`` would have without the toolkit's: the nearest one set
    in its MRO, a composed one standing for the class it was composed on."""
    for klass in cls.__mro__:
        if "checks_class" in vars(klass):
            found = vars(klass)["checks_class"]
            if not isinstance(found, type):
                return None
            composed_on = vars(found).get(_COMPOSED_ON)
            return composed_on if isinstance(composed_on, type) else found
    return None


_composed_checks: dict[tuple[type, type], type | None] = {}


def compose_checks_class(cls: type) -> type | None:
    """The ``checks_class`` of admin class ``cls``: every ``mixin_checks_class`` declared
    over its MRO in front of its own (:func:`_own_checks_class`); made once for each
    class and own checks class. ``None`` when ``cls`` is no admin or declares no checks.
    """
    own = _own_checks_class(cls)
    if own is None:
        return None
    key = (cls, own)
    if key not in _composed_checks:
        _composed_checks[key] = _compose_checks_class(cls, own)
    return _composed_checks[key]


def _compose_checks_class(cls: type, own: type) -> type | None:
    declared = [c for c in _collected(cls, "mixin_checks_class") if not issubclass(own, c)]
    # A checks class that another one extends runs through it.
    declared = [c for c in declared if not any(o is not c and issubclass(o, c) for o in declared)]
    if not declared:
        return None
    return type(
        f"{cls.__name__}Checks",
        (*declared, own),
        {
            "__module__": cls.__module__,
            "__doc__": f"The checks of {cls.__qualname__}: "
            + ", ".join(c.__name__ for c in (*declared, own))
            + ".",
            _COMPOSED_ON: own,
        },
    )


class DeclaredChecksMixin:
    """Give each admin (a ModelAdmin or an inline) the ``checks_class`` composed of the
    ``mixin_checks_class`` of its bases and of its own; see :func:`compose_checks_class`."""

    #: This mixin's system checks: a subclass of Django's ``ModelAdminChecks`` (of
    #: ``InlineModelAdminChecks`` for an inline) that adds its own to
    #: ``super().check(admin_obj, **kwargs)``. Give its methods names of its own: the
    #: declared classes and Django's are one class in the end.
    mixin_checks_class: ClassVar[type | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        composed = compose_checks_class(type(self))
        if composed is not None:
            # On the admin, as Django's check() reads it: self.checks_class().
            setattr(self, "checks_class", composed)  # noqa: B010 (a class variable of Django's)


def declared_changelist_parts(cls: type) -> list[type[ChangeListPart]]:
    """The part classes listed in ``changelist_parts`` over ``cls``'s MRO, outermost
    first, each once."""
    return _collected(cls, "changelist_parts")


class ToolkitAdminMixin(DeclaredChecksMixin, _ModelAdminBase):
    """The base of every toolkit ModelAdmin mixin: the changelist's view and ChangeList
    class built from the parts its mixins declare, and its checks from theirs.

    A ModelAdmin of a project may override ``changelist_view``, ``get_changelist`` and
    set ``checks_class`` as with Django's: calling ``super()``, it gets the toolkit's
    parts; its ``checks_class`` runs beside the toolkit's checks.
    """

    #: :class:`~toolkit.admin_ext.parts.ChangeListPart` classes this mixin adds to the
    #: changelist page (collected over the MRO: list only the mixin's own).
    changelist_parts: ClassVar[ChangeListParts] = ()

    def get_changelist_parts(self, request: HttpRequest) -> list[ChangeListPart]:
        """The parts of this request's changelist, made for it: every class of
        ``changelist_parts`` over the MRO, outermost mixin first. Override to add or
        leave out a part for some requests."""
        return [part(self, request) for part in declared_changelist_parts(type(self))]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        parts = self.get_changelist_parts(request)
        for part in parts:
            part.prepare()
        for part in parts:
            answer = part.answer()
            if answer is not None:
                return answer
        response = super().changelist_view(request, extra_context)
        for part in reversed(parts):
            response = part.finish(response)
        return response

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        mixins = [
            mixin
            for part in self.get_changelist_parts(request)
            if (mixin := part.get_changelist_mixin()) is not None
        ]
        return compose_changelist(super().get_changelist(request, **kwargs), mixins)
