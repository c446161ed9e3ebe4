"""Saved changelist views: a person's named search, filters and ordering.

``SavedViewsMixin`` adds a menu above the changelist listing the person's own views and
those shared with their groups, with a small "Save current view" form, and five URLs
under the ModelAdmin's own (see :mod:`.views`). The changelist page itself costs no
query for the menu: its panel is fetched when the menu is opened (:mod:`.menu`).

A view stores a query string, never paging or popup parameters. Before a view is saved
and again before it is applied, its parameters are tried on the changelist (filters and
queryset built, nothing counted or fetched): a parameter the changelist no longer
accepts (a removed filter, a renamed field, a stale ordering) becomes a message and is
left out, never a server error (:mod:`.probe`).

The ``SavedView`` model lives in the ``toolkit.admin_ext`` app (system check
``toolkit.E030``).

One module per concern:

===========  ========================================================================
``views``    :class:`SavedViewsMixin`: its URLs, the five views, the changelist's menu
``options``  ``SavedViewsOptionsMixin``: who gets saved views, which views, which
             parameters a view never keeps (the hooks)
``checks``   ``SavedViewsChecks``: ``toolkit.E030``
``probe``    trying a view's parameters on the changelist (:class:`SavedViewParams`)
``menu``     the closed menu on the changelist page and the panel it opens
``forms``    ``SavedViewForm``: the name and the group of a view being saved
===========  ========================================================================

:class:`SavedViewsMixin` is re-exported by :mod:`toolkit.admin_ext`.
"""

from __future__ import annotations

from .options import DEFAULT_IGNORED_PARAMS
from .probe import SavedViewParams
from .views import SavedViewsMixin

__all__ = ["DEFAULT_IGNORED_PARAMS", "SavedViewParams", "SavedViewsMixin"]
