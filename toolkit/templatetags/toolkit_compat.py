"""Template tags for what differs between the supported Django versions.

Reusable apps cannot rely on a context processor, so templates ask here::

    {% load toolkit_compat %}{% list_breadcrumbs as as_list %}

The values come from :mod:`toolkit.compat`, read at render time.
"""

from __future__ import annotations

from django import template

from toolkit import compat

register = template.Library()


@register.simple_tag
def list_breadcrumbs() -> bool:
    """Whether the admin draws breadcrumbs as an ``<ol>`` of ``<li>`` (Django 6.1+) rather
    than a ``<div>`` of links joined by ``&rsaquo;`` (Django 5.2). ``toolkit/_breadcrumbs.html``
    renders the one the running admin's CSS styles."""
    return compat.HAS_LIST_BREADCRUMBS
