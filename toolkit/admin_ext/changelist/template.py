"""The toolkit's changelist template, on top of whichever template Django would render.

Django picks a changelist's template from ``change_list_template`` or else from
``admin/<app>/<model>/change_list.html``, ``admin/<app>/change_list.html`` and
``admin/change_list.html``; projects override those per model and per app. If a mixin
set ``change_list_template`` to its own template, every such override would be silently
ignored. So no mixin sets it: each changelist part that adds something to the page calls
:func:`use_toolkit_change_list` on the response of ``changelist_view``, which keeps the
template Django chose as the *parent* of ``toolkit/admin_ext/change_list.html``. That
template adds to the parent's blocks (calling ``{{ block.super }}``), and leaves alone a
block that the parent's own templates override (e.g. a per-model ``result_list``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.template import TemplateDoesNotExist
from django.template.loader import select_template
from django.template.loader_tags import BlockNode, ExtendsNode
from django.template.response import TemplateResponse

__all__ = ["TOOLKIT_CHANGE_LIST", "use_toolkit_change_list"]

#: The template every toolkit mixin renders its changelist additions with.
TOOLKIT_CHANGE_LIST = "toolkit/admin_ext/change_list.html"

#: Django's own changelist template: blocks defined here are not "overridden".
DJANGO_CHANGE_LIST = "admin/change_list.html"

#: Context variables ``toolkit/admin_ext/change_list.html`` reads. Each mixin fills its
#: own; the rest are ``None``, so that rendering never looks up a missing variable
#: (Django logs each such lookup, and a project's tests may assert there are none).
CONTEXT_DEFAULTS: dict[str, Any] = {
    "toolkit_parent_change_list": None,
    "toolkit_parent_blocks": (),
    "toolkit_saved_views": None,
    "toolkit_totals": None,
    "toolkit_import_url": None,
    "toolkit_pagination": None,
}

#: How many ``{% extends %}`` to follow looking for the toolkit's template.
MAX_DEPTH = 10


def use_toolkit_change_list(response: Any) -> None:
    """Render ``response`` (a changelist) with the toolkit's template on top of its own.

    Idempotent: each mixin may call it. A template of the admin's own that already
    extends the toolkit's (the README's way of building on it) is rendered as it is.
    """
    if not isinstance(response, TemplateResponse) or not isinstance(response.context_data, dict):
        return
    context = response.context_data
    for name, value in CONTEXT_DEFAULTS.items():
        context.setdefault(name, value)
    if context["toolkit_parent_change_list"] is not None or response.template_name in (
        TOOLKIT_CHANGE_LIST,
        [TOOLKIT_CHANGE_LIST],
    ):
        return
    names = response.template_name
    if isinstance(names, str):
        parent = select_template([names])
    elif isinstance(names, list | tuple):
        parent = select_template(list(names))
    else:
        return  # a Template object: Django renders it as it is

    chain = _extends_chain(parent)
    if TOOLKIT_CHANGE_LIST in chain.names:
        return
    context["toolkit_parent_change_list"] = parent
    context["toolkit_parent_blocks"] = chain.blocks
    response.template_name = TOOLKIT_CHANGE_LIST


class _Chain:
    def __init__(self) -> None:
        self.names: list[str] = []
        #: Blocks defined by the templates above Django's own changelist template.
        self.blocks: set[str] = set()


def _extends_chain(template: Any) -> _Chain:
    """Follow ``template``'s ``{% extends "..." %}`` (constant names only)."""
    chain = _Chain()
    current = getattr(template, "template", template)
    for _depth in range(MAX_DEPTH):
        name = getattr(getattr(current, "origin", None), "template_name", None)
        if isinstance(name, str):
            chain.names.append(name)
        if name in (DJANGO_CHANGE_LIST, TOOLKIT_CHANGE_LIST):
            break
        chain.blocks.update(node.name for node in current.nodelist.get_nodes_by_type(BlockNode))
        parent_name = _constant_parent(current.nodelist)
        if parent_name is None:
            break
        try:
            current = current.engine.get_template(parent_name)
        except TemplateDoesNotExist:
            break
    return chain


def _constant_parent(nodelist: Sequence[Any]) -> str | None:
    for node in nodelist:
        if isinstance(node, ExtendsNode):
            parent = node.parent_name
            value = getattr(parent, "var", None)
            if isinstance(value, str) and not getattr(parent, "filters", None):
                return str(value)
            return None
    return None
