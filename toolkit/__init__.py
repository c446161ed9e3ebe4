"""django-toolkit: make the Django admin a real internal-tools platform.

Add ``"toolkit"`` to ``INSTALLED_APPS``; the parts live in sub-packages:
``toolkit.admin_ext`` (ModelAdmin mixins), ``toolkit.jobs`` (background jobs) and
``toolkit.ai`` (LLM insights).
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
