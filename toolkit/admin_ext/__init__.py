"""ModelAdmin mixins: search, filters, inlines, bulk actions, import/export.

Public names are re-exported here and listed in ``__all__``.
"""

from __future__ import annotations

__all__: list[str] = []
