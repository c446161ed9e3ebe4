"""Models of the base app ``toolkit``.

The AI part keeps its model in :mod:`toolkit.ai.models`; it is imported here so Django
finds it in this app (label ``toolkit``, permission ``toolkit.run_ai``).
"""

from __future__ import annotations

from toolkit.ai.models import Insight

__all__ = ["Insight"]
