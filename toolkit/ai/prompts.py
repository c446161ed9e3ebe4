"""Prompts are Django templates, looked up per model first, and versioned.

An action whose ``prompt_template`` is ``"summary"`` renders the first of::

    toolkit/ai/<app_label>/<model_name>/summary.txt     (a site's own, per model)
    toolkit/ai/summary.txt                              (the toolkit's default)

and the system prompt the same way from ``"system"``. Record content reaches a template
only as JSON (``record.json``, ``record.facts_json``) with ``<`` and ``>`` escaped, to be
placed between ``<record>`` markers; the system prompt says such content is data, not
instructions. The templates render with autoescaping off (``{% autoescape off %}``): the
output is a prompt, not HTML.

Change a template's meaning and bump the action's ``prompt_version``: the version is
part of the input hash, so records are sent again rather than served from the cache.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import models
from django.template.loader import select_template

__all__ = ["hash_json", "render_prompt", "template_names"]


def template_names(name: str, model: type[models.Model] | None) -> list[str]:
    """Templates tried for prompt ``name``, the model's own first."""
    names = []
    if model is not None:
        opts = model._meta
        names.append(f"toolkit/ai/{opts.app_label}/{opts.model_name}/{name}.txt")
    names.append(f"toolkit/ai/{name}.txt")
    return names


def render_prompt(
    name: str,
    model: type[models.Model] | None,
    context: Mapping[str, Any],
    *,
    templates: dict[Any, Any] | None = None,
) -> str:
    """Render prompt ``name`` for ``model`` (see :func:`template_names`).

    ``templates`` caches the template chosen for each (name, model): an
    :class:`~toolkit.ai.sources.AISource` keeps one for its run, so a thousand records
    look their template up once. Each lookup that misses the model's own template
    raises and catches ``TemplateDoesNotExist``, which cost a quarter of rendering.
    """
    base: dict[str, Any] = {}
    if model is not None:
        base = {
            "model_name": str(model._meta.verbose_name),
            "model_name_plural": str(model._meta.verbose_name_plural),
        }
    key = (name, model)
    template = templates.get(key) if templates is not None else None
    if template is None:
        template = select_template(template_names(name, model))
        if templates is not None:
            templates[key] = template
    return str(template.render({**base, **context})).strip()


def hash_json(value: Any) -> str:
    """sha256 of ``value`` as canonical JSON."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def messages_text(messages: Sequence[Mapping[str, Any]]) -> str:
    """The messages as one text (what ``TOOLKIT_AI_STORE_PROMPTS`` keeps)."""
    return "\n\n".join(f"[{m.get('role')}]\n{m.get('content')}" for m in messages)


def messages_chars(messages: Sequence[Mapping[str, Any]]) -> int:
    return sum(len(str(m.get("content") or "")) for m in messages)
