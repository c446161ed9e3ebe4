"""The base of every AI action: what it asks the model and what becomes of the answer.

An action is a name and a description, the permission it needs, its prompt templates
(and their version), the JSON schema of its answer, and :meth:`AIAction.handle_answer`.
How it runs over records is its :attr:`AIAction.run_class`: a
:class:`~toolkit.ai.runs.RecordRun` (one answer per record, the default) or a
:class:`~toolkit.ai.runs.DigestRun` (one answer for a whole selection).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from django.utils.functional import Promise

from toolkit.ai.models import Insight
from toolkit.ai.permissions import RUN_AI_PERMISSION
from toolkit.ai.prompts import render_prompt
from toolkit.ai.runs.base import Records, Run, RunOptions
from toolkit.ai.runs.facts import peer_statistics
from toolkit.ai.runs.records import RecordRun
from toolkit.ai.sources import AISource, RecordPayload, dumps_data
from toolkit.ai.statistics import PeerStatistics
from toolkit.exceptions import ToolkitConfigurationError

if TYPE_CHECKING:
    from django.contrib import admin

__all__ = ["AIAction"]

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
    description: ClassVar[str | Promise] = ""
    #: The insight kind it produces ("summary", "anomalies", "digest", ...).
    kind: ClassVar[str] = ""
    #: The permission a person needs to run it.
    permission: ClassVar[str] = RUN_AI_PERMISSION
    #: Name of the user-message template (see :mod:`toolkit.ai.prompts`).
    prompt_template: ClassVar[str] = ""
    #: Name of the system-message template.
    system_template: ClassVar[str] = "system"
    #: Bump it when the prompt's meaning changes: cached answers are then not reused.
    prompt_version: ClassVar[str] = "1"
    #: JSON schema of the answer for one record (an object).
    schema: ClassVar[dict[str, Any]] = {}
    #: How a run of the action goes: one answer per record (the default) or, for
    #: :class:`~toolkit.ai.runs.DigestRun`, one answer for the whole selection.
    run_class: ClassVar[type[Run]] = RecordRun
    #: "insight" (shown as it is) or "proposal" (a field change a person reviews), for
    #: people and code that read it; what differs is in :meth:`handle_answer` and
    #: :meth:`get_review_url`.
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

    @property
    def per_record(self) -> bool:
        """Whether the action answers for each record rather than for a whole selection
        (as its :attr:`run_class` says)."""
        return self.run_class.per_record

    # -- how it runs -------------------------------------------------------------------

    def new_run(self, source: AISource, records: Records, options: RunOptions | None = None) -> Run:
        """A run of this action over ``records``, ready to :meth:`~toolkit.ai.runs.Run.execute`.

        Override :attr:`run_class` (or this) for an action that runs another way.
        """
        return self.run_class(self, self.get_source(source), records, options or RunOptions())

    def get_source(self, source: AISource) -> AISource:
        """The source a run of this action reads: ``source`` itself. An action that adds
        rules or fields of its own (:class:`~toolkit.ai.actions.FlagAnomaliesAction`)
        returns a copy with them, so that every run, estimate and dry run sees them."""
        return source

    def get_statistics(self, source: AISource) -> PeerStatistics | None:
        """The peer statistics a run over ``source`` computes as facts (only for an action
        that :attr:`uses_facts`): the source's peer group and fields, if it has both."""
        return peer_statistics(source)

    def get_review_url(self, model_admin: admin.ModelAdmin[Any]) -> str | None:
        """Where a person reviews what a run stored, when the insights list would only
        show it (proposals wait there to be applied); ``None`` for none."""
        return None

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
        """Fill the (unsaved) ``insight`` from a valid answer; the run saves it.

        The default keeps the answer as ``data`` and its ``summary`` as ``text``.
        """
        insight.data = answer
        insight.text = str(answer.get("summary", ""))[:SUMMARY_MAX_CHARS]

    def handle_failure(self, insight: Insight, payload: RecordPayload | None = None) -> None:
        """Fill a failed ``insight`` (its ``error`` is set) with what stands without the
        model. Anomaly flags keep the rule and statistics findings here."""
