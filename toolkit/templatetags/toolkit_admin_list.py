"""``{% toolkit_result_list cl %}``: Django's ``{% result_list cl %}`` with the toolkit's
row renderer where the changelist has one.

It renders the same ``change_list_results.html`` (an app's or a model's own first, as
Django's tag does) from the same context. A changelist of
:class:`~toolkit.admin_ext.PerformanceMixin` makes that context itself
(``toolkit_result_list_context()``, whose rows are drawn faster by
``toolkit.admin_ext.changelist.rows``); any other changelist gets Django's own.

It lives in the core app, which every project installs, because the changelist mixins
(which need no app of their own) render templates that load it. Asking the changelist,
rather than importing the renderer, keeps the core app from importing the layer above it.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.admin.templatetags.admin_list import result_list

from toolkit.compat import inclusion_admin_node

register = template.Library()


@register.tag(name="toolkit_result_list")
def toolkit_result_list_tag(parser: Any, token: Any) -> Any:
    return inclusion_admin_node(
        "toolkit_result_list",
        parser,
        token,
        func=_result_list,
        template_name="change_list_results.html",
        takes_context=False,
    )


def _result_list(cl: Any) -> dict[str, Any]:
    context_of = getattr(cl, "toolkit_result_list_context", None)
    if callable(context_of):
        return dict(context_of())
    return dict(result_list(cl))
