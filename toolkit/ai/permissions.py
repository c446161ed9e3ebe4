"""The AI app's permissions, by name: what actions ask for and who reads insights.

Apart from the models so that modules imported while apps load (the actions) can name
them. The permissions belong to the app ``toolkit_ai``; before the models moved there they
were ``toolkit.*``, and :func:`permission_name` still reads those names.
"""

from __future__ import annotations

__all__ = ["RUN_AI_PERMISSION", "VIEW_INSIGHT_PERMISSION", "permission_name"]


#: The permission to run AI actions (the default of ``AIAction.permission``).
RUN_AI_PERMISSION = "toolkit_ai.run_ai"
#: The permission to read insights without running AI actions.
VIEW_INSIGHT_PERMISSION = "toolkit_ai.view_insight"

#: The app label the AI models had before they moved to ``toolkit_ai``.
_OLD_LABEL = "toolkit."
_OLD_CODENAMES = frozenset(
    f"{verb}_{model}"
    for verb in ("add", "change", "delete", "view")
    for model in ("insight", "aiusage", "aireservation")
) | {"run_ai"}


def permission_name(permission: str) -> str:
    """``permission`` under the AI app's label: a name from before the models moved
    (``"toolkit.run_ai"``, as an ``AIAction`` subclass of a site may still declare) is
    read as ``"toolkit_ai.run_ai"``; any other name is returned as it is."""
    if permission.startswith(_OLD_LABEL) and permission[len(_OLD_LABEL) :] in _OLD_CODENAMES:
        return "toolkit_ai." + permission[len(_OLD_LABEL) :]
    return permission
