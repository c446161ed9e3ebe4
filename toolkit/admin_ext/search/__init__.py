"""Qualified search for changelists: ``supplier:acme price>=10 "usb c" -refurbished``.

:class:`SearchMixin` replaces the term matching of ``ModelAdmin.get_search_results``,
keeping stock Django's meaning for everything stock Django accepts:

- words and phrases (``"usb c"`` or ``'usb c'``) match ``search_fields`` exactly as in
  Django (``^``, ``=``, ``@`` prefixes and explicit lookups included): AND between
  terms, OR across fields, and over a to-many relation every word on the same related
  row; a row is listed once, through ``EXISTS``, so the changelist never needs
  ``DISTINCT``;
- ``search_qualifiers`` map a name the person types to a lookup path; a bare field path
  on a number or date also accepts ``>``, ``>=``, ``<``, ``<=`` and ``=``;
- ``-`` excludes a word, phrase or qualifier;
- on PostgreSQL, ``search_fulltext_fields`` switches free terms to full-text search,
  ranked by relevance when the person did not pick an ordering and the matches are
  few enough to rank quickly (``search_fulltext_rank_max_rows``). The index, the stored
  vector column and their migration operations are in :mod:`toolkit.admin_ext.fulltext`.

Anything the search cannot use (an unclosed quote, ``price>abc``, a text too long to
search) becomes one warning message naming the term, and the list is still filtered by
every other term and filter.

One module per concern:

==============  ===================================================================
``options``     :class:`SearchMixin`: its options, their hooks, ``get_search_results``
``syntax``      the text typed in the box, as terms and problems
``query``       the terms applied to a queryset: qualifiers, words, full text
``fields``      words against ``search_fields``, as stock Django matches them
``qualifiers``  what a ``name:value`` term means, as a condition
``paths``       lookup paths resolved on a model (the multi-select filter uses it too)
``limits``      ``SearchLimits``: the length and the number of terms a search may have
``messages``    the warnings about terms left out of the search
``help_text``   the text under the search box
``checks``      ``SearchChecks``: ``toolkit.E010``-``E015``, ``W010``, ``W011``
==============  ===================================================================

:class:`SearchMixin` is re-exported by :mod:`toolkit.admin_ext`; :class:`SearchChecks`, its
``mixin_checks_class``, may be subclassed; the other names here are for the toolkit's own
modules.
"""

from __future__ import annotations

from .checks import SearchChecks
from .options import SearchMixin

__all__ = ["SearchChecks", "SearchMixin"]
