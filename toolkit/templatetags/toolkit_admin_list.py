"""``{% toolkit_result_list cl %}``: Django's ``{% result_list cl %}`` with the toolkit's
row renderer (:mod:`toolkit.admin_ext.rows`).

It renders the same ``change_list_results.html`` (an app's or a model's own first, as
Django's tag does) from the same context; only the rows are made faster, where
:func:`~toolkit.admin_ext.rows.renders_fast` allows.

It lives in the core app, which every project installs, because the changelist mixins
(which need no app of their own) render templates that load it.
"""

from __future__ import annotations

from typing import Any

from django import template

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
    # Imported when a page renders: the core app does not import the layers above it.
    from toolkit.admin_ext.rows import result_list

    return result_list(cl)
