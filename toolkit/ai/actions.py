"""Pluggable AI actions: summaries, anomaly flags, the selection digest and proposals.

Each is an :class:`AIAction`: its name and description, the permission it needs, its
prompt template (and version), the JSON schema of its answer, and what becomes of a
valid answer (:meth:`AIAction.handle_answer`). Add one by subclassing and listing it on
the ModelAdmin::

    class SuggestDescription(ProposeFieldAction):
        name = "suggest_description"
        description = "Suggest a better description"
        proposal_field = "description"

    class ProductAdmin(AIActionsMixin, admin.ModelAdmin):
        ai_actions = [SummarizeAction, FlagAnomaliesAction, SuggestDescription]

:func:`register` makes an action findable by name (:func:`get_action`) from a job or
the command; the built-in ones are registered here.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any, ClassVar, TypeVar

from toolkit.ai.models import SEVERITY_RANK, Insight, ReviewStatus
from toolkit.ai.prompts import render_prompt
from toolkit.ai.sources import AISource, RecordPayload, dumps_data
from toolkit.exceptions import ToolkitConfigurationError

__all__ = [
    "AIAction",
    "FlagAnomaliesAction",
    "ProposeFieldAction",
    "SummarizeAction",
    "SummarizeSelectionAction",
    "get_action",
    "register",
    "registered_actions",
    "resolve_action",
]

# Answer sizes are bounded in the schemas: a server that turns the schema into a grammar
# (llama.cpp) then cannot ramble past MAX_TOKENS, which would cost a retry with twice the
# budget and, on a CPU model, minutes. llama.cpp spells a maxLength out as one grammar
# rule per character: it handles 1,000 and crashes on 1,500, so keep each under 1,000.
# The same caps apply again when an answer is stored, for servers that ignore them.
SUMMARY_MAX_CHARS = 400
REASON_MAX_CHARS = 160
FIELD_MAX_CHARS = 40
MAX_FLAGS = 3
DIGEST_MAX_CHARS = 1000
MAX_HIGHLIGHTS = 5
VALUE_MAX_CHARS = 800


class AIAction:
    """Base class of every AI action. Subclass it, set the class attributes, and override
    :meth:`handle_answer` for answers of another shape."""

    #: Stable identifier, stored on each insight ("summarize"); also the admin action's name.
    name: ClassVar[str] = ""
    #: What the admin's action menu says ("Summarize with AI").
    description: ClassVar[str] = ""
    #: The insight kind it produces ("summary", "anomalies", "digest", ...).
    kind: ClassVar[str] = ""
    #: The permission a person needs to run it.
    permission: ClassVar[str] = "toolkit.run_ai"
    #: Name of the user-message template (see :mod:`toolkit.ai.prompts`).
    prompt_template: ClassVar[str] = ""
    #: Name of the system-message template.
    system_template: ClassVar[str] = "system"
    #: Bump it when the prompt's meaning changes: cached answers are then not reused.
    prompt_version: ClassVar[str] = "1"
    #: JSON schema of the answer for one record (an object).
    schema: ClassVar[dict[str, Any]] = {}
    #: False for actions over a whole selection (the digest), run by ``run_digest``.
    per_record: ClassVar[bool] = True
    #: "insight" (shown as it is) or "proposal" (a field change a person reviews).
    result: ClassVar[str] = "insight"
    #: The field a proposal changes.
    proposal_field: ClassVar[str | None] = None
    #: Compute rule and statistics findings and pass them to the model as facts.
    uses_facts: ClassVar[bool] = False
    #: Completion tokens per request; ``None`` for the endpoint's ``MAX_TOKENS``. With
    #: several records per prompt the runner multiplies it by their number.
    max_tokens: ClassVar[int | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Each subclass gets its own copy, so editing a schema never leaks to a parent.
        cls.schema = copy.deepcopy(cls.schema)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    # -- what is asked -----------------------------------------------------------------

    def get_description(self) -> str:
        return str(self.description or self.name)

    def get_schema(self) -> dict[str, Any]:
        """The JSON schema of the answer for one record."""
        if not self.schema:
            raise ToolkitConfigurationError(f"{type(self).__name__} must define a `schema`.")
        return self.schema

    def get_batch_schema(self) -> dict[str, Any]:
        """The answer for several records in one prompt: ``{"records": [{"id": ..., ...}]}``."""
        item = copy.deepcopy(self.get_schema())
        item["properties"] = {"id": {"type": "string"}, **item.get("properties", {})}
        item["required"] = ["id", *[key for key in item.get("required", []) if key != "id"]]
        return {
            "type": "object",
            "properties": {"records": {"type": "array", "items": item}},
            "required": ["records"],
            "additionalProperties": False,
        }

    def get_context(
        self, payloads: Sequence[RecordPayload], source: AISource, batch: bool | None = None
    ) -> dict[str, Any]:
        """Template context of the user message. Override to add to it.

        ``batch``: the answer is the list form (:meth:`get_batch_schema`); by default
        when there are several records.
        """
        return {
            "action": self,
            "batch": len(payloads) > 1 if batch is None else batch,
            "fields": source.fields,
            "proposal_field": self.proposal_field,
            "records": [
                {
                    "id": payload.pk,
                    "id_json": dumps_data(payload.pk),
                    "json": payload.as_json(),
                    "facts_json": dumps_data(self.facts_for_prompt(payload.facts)),
                }
                for payload in payloads
            ],
        }

    def facts_for_prompt(self, facts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        keep = ("field", "severity", "reason", "source", "value", "median")
        return [{key: fact[key] for key in keep if key in fact} for fact in facts]

    def get_batch_messages(
        self, payloads: Sequence[RecordPayload], source: AISource, batch: bool | None = None
    ) -> list[dict[str, Any]]:
        """The chat messages for ``payloads`` (one or several records; ``batch`` as in
        :meth:`get_context`)."""
        context = self.get_context(payloads, source, batch)
        return [
            {"role": "system", "content": self.get_system_prompt(source)},
            {
                "role": "user",
                "content": self.render_template(self.prompt_template, source, context),
            },
        ]

    def render_template(self, name: str, source: AISource, context: dict[str, Any]) -> str:
        """Render prompt template ``name`` for the source's model (its own template
        first, see :mod:`toolkit.ai.prompts`), looked up once per source."""
        return render_prompt(name, source.model, context, templates=source.prompt_templates)

    def get_system_prompt(self, source: AISource) -> str:
        """The system message: the same for every record of a model, so it is rendered
        once per source. Its template sees the action and the model's names, never
        record content (which goes in the user message, between markers)."""
        cache = source.system_prompts
        key = (type(self), self.system_template)
        if key not in cache:
            cache[key] = self.render_template(
                self.system_template,
                source,
                {"action": self, "fields": source.fields, "proposal_field": self.proposal_field},
            )
        return str(cache[key])

    def get_messages(
        self,
        payload: RecordPayload,
        facts: list[dict[str, Any]] | None = None,
        source: AISource | None = None,
    ) -> list[dict[str, Any]]:
        """The chat messages for one record (``facts``: rule and statistics findings)."""
        if source is None:
            raise ToolkitConfigurationError("get_messages() needs the AISource.")
        if facts is not None:
            payload.facts = facts
        return self.get_batch_messages([payload], source)

    # -- what becomes of the answer ----------------------------------------------------

    def handle_answer(
        self, insight: Insight, answer: dict[str, Any], payload: RecordPayload | None = None
    ) -> None:
        """Fill the (unsaved) ``insight`` from a valid answer; the runner saves it.

        The default keeps the answer as ``data`` and its ``summary`` as ``text``.
        """
        insight.data = answer
        insight.text = str(answer.get("summary", ""))[:SUMMARY_MAX_CHARS]

    def handle_failure(self, insight: Insight, payload: RecordPayload | None = None) -> None:
        """Fill a failed ``insight`` (its ``error`` is set) with what stands without the
        model. Anomaly flags keep the rule and statistics findings here."""


class SummarizeAction(AIAction):
    """One or two sentences about each record."""

    name = "summarize"
    description = "Summarize with AI"
    kind = "summary"
    prompt_template = "summary"
    schema = {
        "type": "object",
        "properties": {"summary": {"type": "string", "maxLength": SUMMARY_MAX_CHARS}},
        "required": ["summary"],
        "additionalProperties": False,
    }


class FlagAnomaliesAction(AIAction):
    """Flags from the rules, the peer statistics and the model, with a summary.

    Rules and statistics are computed first, without the model, and sent to it as facts
    to explain. They are stored whatever the model does: when it fails, the insight is
    ``failed`` (so a re-run sends the record again) but keeps those flags and their
    severity, so they show and filter as usual.
    """

    name = "flag_anomalies"
    description = "Flag anomalies"
    kind = "anomalies"
    prompt_template = "anomalies"
    uses_facts = True
    #: The most a model's own flag may weigh: the model reads record text, which anyone
    #: who can write a review controls, so its flags never outrank the rules'.
    model_flag_max_severity: ClassVar[str] = "warning"
    schema = {
        "type": "object",
        "properties": {
            "summary": {"type": "string", "maxLength": SUMMARY_MAX_CHARS},
            "flags": {
                "type": "array",
                "maxItems": MAX_FLAGS,
                "items": {
                    "type": "object",
                    "properties": {
                        "field": {"type": "string", "maxLength": FIELD_MAX_CHARS},
                        "severity": {"type": "string", "enum": ["info", "warning", "critical"]},
                        "reason": {"type": "string", "maxLength": REASON_MAX_CHARS},
                    },
                    "required": ["field", "severity", "reason"],
                    "additionalProperties": False,
                },
            },
        },
        "required": ["summary", "flags"],
        "additionalProperties": False,
    }

    def handle_answer(
        self, insight: Insight, answer: dict[str, Any], payload: RecordPayload | None = None
    ) -> None:
        super().handle_answer(insight, answer, payload)
        facts = list(payload.facts) if payload is not None else []
        cap = SEVERITY_RANK[self.model_flag_max_severity]
        model_flags = []
        shown = {key.split(".")[0] for key in payload.data} if payload is not None else None
        for flag in (answer.get("flags") or [])[:MAX_FLAGS]:
            field = str(flag.get("field", ""))
            if shown is not None and field.split(".")[0] not in shown:
                # Small models invent fields ("severity", "color"); a flag must point
                # at data the model was actually shown.
                continue
            severity = flag.get("severity", "info")
            if SEVERITY_RANK.get(severity, 0) > cap:
                severity = self.model_flag_max_severity
            model_flags.append(
                {
                    "field": field[:FIELD_MAX_CHARS],
                    "severity": severity,
                    "reason": str(flag.get("reason", ""))[:REASON_MAX_CHARS],
                    "source": "model",
                }
            )
        insight.set_flags(facts + model_flags)

    def handle_failure(self, insight: Insight, payload: RecordPayload | None = None) -> None:
        insight.set_flags(list(payload.facts) if payload is not None else [])


class SummarizeSelectionAction(AIAction):
    """One report across the selected records, written by map-reduce: records are
    summarised in chunks that fit ``max_input_chars``, then the chunk reports combined."""

    name = "summarize_selection"
    description = "Summarize selection with AI"
    kind = "digest"
    prompt_template = "digest"
    #: Template that combines the reports of several chunks.
    combine_template: ClassVar[str] = "digest_combine"
    per_record = False
    schema = {
        "type": "object",
        "properties": {
            "summary": {"type": "string", "maxLength": DIGEST_MAX_CHARS},
            "highlights": {
                "type": "array",
                "maxItems": MAX_HIGHLIGHTS,
                "items": {"type": "string", "maxLength": REASON_MAX_CHARS},
            },
        },
        "required": ["summary", "highlights"],
        "additionalProperties": False,
    }

    def get_combine_messages(
        self, parts: Sequence[dict[str, Any]], total: int, source: AISource
    ) -> list[dict[str, Any]]:
        """Messages that combine chunk reports (``{"records": n, "answer": {...}}``)."""
        context = {
            "action": self,
            "total": total,
            "parts": [
                {"records": part["records"], "json": dumps_data(part["answer"])} for part in parts
            ],
        }
        return [
            {"role": "system", "content": self.get_system_prompt(source)},
            {
                "role": "user",
                "content": self.render_template(self.combine_template, source, context),
            },
        ]

    def get_chunk_messages(
        self, payloads: Sequence[RecordPayload], total: int, source: AISource
    ) -> list[dict[str, Any]]:
        context = {**self.get_context(payloads, source), "total": total}
        return [
            {"role": "system", "content": self.get_system_prompt(source)},
            {
                "role": "user",
                "content": self.render_template(self.prompt_template, source, context),
            },
        ]

    def handle_answer(
        self, insight: Insight, answer: dict[str, Any], payload: RecordPayload | None = None
    ) -> None:
        highlights = [
            str(item)[:REASON_MAX_CHARS]
            for item in (answer.get("highlights") or [])[:MAX_HIGHLIGHTS]
        ]
        insight.data = {**answer, "highlights": highlights}
        insight.text = str(answer.get("summary", ""))[:DIGEST_MAX_CHARS] + "".join(
            f"\n- {item}" for item in highlights
        )


class ProposeFieldAction(AIAction):
    """Base of actions that propose a new value for ``proposal_field``.

    The answer is stored as a proposal (``review_status = "proposed"``, ``data`` holds
    the field, the current and the proposed value); nothing is written to the record
    until a person applies it.
    """

    result = "proposal"
    prompt_template = "propose"
    kind = "proposal"
    schema = {
        "type": "object",
        "properties": {
            "value": {"type": "string", "maxLength": VALUE_MAX_CHARS},
            "reason": {"type": "string", "maxLength": REASON_MAX_CHARS},
        },
        "required": ["value", "reason"],
        "additionalProperties": False,
    }

    def handle_answer(
        self, insight: Insight, answer: dict[str, Any], payload: RecordPayload | None = None
    ) -> None:
        current = None
        if payload is not None and self.proposal_field:
            current = payload.data.get(self.proposal_field)
        insight.data = {
            "field": self.proposal_field,
            "value": str(answer.get("value", ""))[:VALUE_MAX_CHARS],
            "reason": str(answer.get("reason", ""))[:REASON_MAX_CHARS],
            "current": current,
        }
        insight.text = str(answer.get("reason", ""))[:SUMMARY_MAX_CHARS]
        insight.review_status = ReviewStatus.PROPOSED


# -- the registry ----------------------------------------------------------------------

_registry: dict[str, type[AIAction]] = {}

A = TypeVar("A", bound=type[AIAction])


def register(action_class: A) -> A:
    """Class decorator: make ``action_class`` findable by its ``name``."""
    name = action_class.name
    where = f"{action_class.__module__}.{action_class.__qualname__}"
    if not name:
        raise ToolkitConfigurationError(f"{where} needs a `name` to be registered.")
    existing = _registry.get(name)
    if existing is not None and existing is not action_class:
        existing_where = f"{existing.__module__}.{existing.__qualname__}"
        if existing_where != where:
            raise ToolkitConfigurationError(
                f"Two AI actions are named {name!r}: {existing_where} and {where}."
            )
    _registry[name] = action_class
    return action_class


def unregister(name: str) -> None:
    _registry.pop(name, None)


def registered_actions() -> dict[str, type[AIAction]]:
    return dict(_registry)


def get_action(name: str) -> AIAction:
    """A fresh instance of the action registered as ``name``."""
    try:
        return _registry[name]()
    except KeyError:
        known = ", ".join(sorted(_registry)) or "none"
        raise ToolkitConfigurationError(
            f"No AI action is named {name!r} (registered: {known})."
        ) from None


def resolve_action(action: str | AIAction | type[AIAction]) -> AIAction:
    """An action instance from a name, a class or an instance (as ``ai_actions`` lists)."""
    if isinstance(action, AIAction):
        return action
    if isinstance(action, type) and issubclass(action, AIAction):
        return action()
    if isinstance(action, str):
        return get_action(action)
    raise ToolkitConfigurationError(f"{action!r} is not an AI action.")


for _builtin in (SummarizeAction, FlagAnomaliesAction, SummarizeSelectionAction):
    register(_builtin)
