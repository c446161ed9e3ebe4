"""What leaves the database for the model: :class:`AISource` and its :class:`RecordPayload`.

The developer declares the fields (``ai_fields``, dotted paths across foreign keys), the
related rows (``ai_related``, capped per record), the rules and peer statistics; nothing
else is read or sent. A batch of records costs a constant number of queries whatever
its size: one for the fields (joins, never a query per row), one per relation whose
``__str__`` is sent, one per entry of ``ai_related`` (a window function keeps the newest
``limit`` rows of each record).

Values are cut to ``value_max_chars`` and, unless ``redact`` is off, e-mail addresses and
phone numbers in text are replaced by ``[email]`` and ``[phone]`` before anything is sent.
"""

from __future__ import annotations

import datetime
import decimal
import json
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import F, Window
from django.db.models.functions import RowNumber

from toolkit.ai.conf import conf
from toolkit.exceptions import ToolkitConfigurationError

if TYPE_CHECKING:
    from django.contrib import admin
    from django.http import HttpRequest

    from toolkit.ai.rules import Rule

__all__ = ["AISource", "RecordPayload", "Related", "dumps_data", "redact_text"]

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# A run of 9 to 15 digits with the separators phone numbers are written with; dates and
# prices have fewer digits or other separators.
PHONE = re.compile(r"(?<![\w.])\+?\(?\d[\d\s().-]{6,}\d(?![\w])")
_PHONE_DIGITS = (9, 15)

#: Records of one payload batch: fields, relations and rules are read per batch.
BATCH_SIZE = 200


def redact_text(text: str) -> str:
    """``text`` with e-mail addresses and phone numbers replaced by placeholders."""
    # Each pattern costs a scan of the text; most values hold no "@" and (in ASCII,
    # where counting digits is cheap) too few digits for a phone number.
    if "@" in text:
        text = EMAIL.sub("[email]", text)
    if text.isascii() and sum(map(text.count, "0123456789")) < _PHONE_DIGITS[0]:
        return text

    def phone(match: re.Match[str]) -> str:
        digits = sum(ch.isdigit() for ch in match.group())
        low, high = _PHONE_DIGITS
        return "[phone]" if low <= digits <= high else match.group()

    return PHONE.sub(phone, text)


def dumps_data(value: Any) -> str:
    """JSON for a prompt, safe inside ``<record>`` markers: ``<`` and ``>`` are escaped,
    so no text of a record can close the marker it sits in (as Django's json_script)."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@dataclass
class Related:
    """Rows of a to-many relation sent with each record, newest (by ``order_by``) first."""

    #: The relation's name on the model: a reverse foreign key ("reviews") or a
    #: many-to-many field ("tags").
    path: str
    #: Fields of the related rows to send.
    fields: list[str]
    #: Most rows per record.
    limit: int = 20
    #: Which rows come first (and are kept): a field name, "-" for descending.
    order_by: str | None = None
    #: Text values of the related rows are cut to this many characters.
    max_chars: int = 300


@dataclass
class RecordPayload:
    """One record as the model will see it."""

    #: ``str(pk)``: the id the model answers with and the insight stores.
    pk: str
    #: Field path -> JSON value (capped, redacted); related path -> list of dicts.
    data: dict[str, Any]
    #: Facts found before the model is asked (rule and statistics flags).
    facts: list[dict[str, Any]] = field(default_factory=list)
    #: The hash of what is sent for it (set by the runner; its answer is cached by it).
    input_hash: str = ""

    def as_json(self) -> str:
        return dumps_data(self.data)


@dataclass
class AISource:
    """How records of one model are turned into model input."""

    model: type[models.Model]
    fields: list[str]
    related: dict[str, Related] = field(default_factory=dict)
    rules: list[Rule] = field(default_factory=list)
    #: Field whose value groups a record's peers ("category"), for the statistics.
    peer_group: str | None = None
    #: Numeric fields compared with the peers' median ("price", "stock").
    peer_fields: list[str] = field(default_factory=list)
    redact: bool = True
    value_max_chars: int = 0
    max_input_chars: int = 0
    #: Rendered system prompts, by action: the same for every record of the model.
    system_prompts: dict[Any, str] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    #: Prompt templates chosen so far (see :func:`toolkit.ai.prompts.render_prompt`).
    prompt_templates: dict[Any, Any] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self.value_max_chars = self.value_max_chars or conf.AI_VALUE_MAX_CHARS
        self.max_input_chars = self.max_input_chars or conf.AI_MAX_INPUT_CHARS
        if not self.fields:
            raise ToolkitConfigurationError(
                f"No ai_fields for {self.model._meta.label}: declare which fields the model "
                "may see, e.g. ai_fields = ['name', 'category.name', 'price']."
            )
        self._columns = {path: self._column(path) for path in self.fields}
        for name, related in self.related.items():
            self._relation(name, related)

    # -- building --------------------------------------------------------------------

    @classmethod
    def from_admin(
        cls, model_admin: admin.ModelAdmin[Any], request: HttpRequest | None = None
    ) -> AISource:
        """The source a ModelAdmin declares (``ai_fields``, ``ai_related``, ``ai_rules``,
        ``ai_peer_group``, ``ai_peer_fields``, ``ai_redact``, ``ai_value_max_chars``,
        ``ai_max_input_chars``), through its ``get_ai_*`` hooks when it has them
        (``AIActionsMixin``) and plain attributes otherwise; an unset cap (``None``)
        falls back to its ``TOOLKIT_AI_*`` setting."""

        def option(name: str, default: Any) -> Any:
            getter = getattr(model_admin, f"get_{name}", None)
            value = getter(request) if callable(getter) else getattr(model_admin, name, default)
            return default if value is None else value

        related = option("ai_related", {})
        if isinstance(related, list | tuple):
            related = {item.path: item for item in related}
        return cls(
            model=model_admin.model,
            fields=list(option("ai_fields", [])),
            related=dict(related),
            rules=list(option("ai_rules", [])),
            peer_group=option("ai_peer_group", None) or None,
            peer_fields=list(option("ai_peer_fields", [])),
            redact=bool(option("ai_redact", True)),
            value_max_chars=int(option("ai_value_max_chars", 0)),
            max_input_chars=int(option("ai_max_input_chars", 0)),
        )

    @property
    def label(self) -> str:
        return str(self.model._meta.verbose_name)

    def _column(self, path: str) -> tuple[str, type[models.Model] | None]:
        """The ``values()`` lookup of a dotted path, and the related model when the path
        ends at a foreign key (sent as that object's ``__str__``)."""
        model: type[models.Model] = self.model
        parts = path.split(".")
        for index, part in enumerate(parts):
            try:
                model_field = model._meta.get_field(part)
            except Exception as exc:
                raise ToolkitConfigurationError(
                    f"ai_fields of {self.model._meta.label}: {path!r} names no field "
                    f"({part!r} is not a field of {model._meta.label})."
                ) from exc
            if model_field.many_to_many or model_field.one_to_many:
                raise ToolkitConfigurationError(
                    f"ai_fields of {self.model._meta.label}: {path!r} crosses the to-many "
                    f"relation {part!r}; send those rows with ai_related instead."
                )
            last = index == len(parts) - 1
            if model_field.is_relation:
                related_model = model_field.related_model
                assert isinstance(related_model, type)
                if last:
                    return "__".join(parts), related_model
                model = related_model
            elif not last:
                raise ToolkitConfigurationError(
                    f"ai_fields of {self.model._meta.label}: {path!r} goes through "
                    f"{part!r}, which is not a relation."
                )
        return "__".join(parts), None

    def _relation(self, name: str, related: Related) -> tuple[type[models.Model], str]:
        """The related model of an ``ai_related`` entry and the lookup back to ours."""
        try:
            relation = self.model._meta.get_field(related.path)
        except Exception as exc:
            raise ToolkitConfigurationError(
                f"ai_related of {self.model._meta.label}: {related.path!r} is not a relation."
            ) from exc
        if not (relation.one_to_many or relation.many_to_many or relation.one_to_one):
            raise ToolkitConfigurationError(
                f"ai_related of {self.model._meta.label}: {related.path!r} is not a to-many "
                "relation; name a foreign key's fields in ai_fields instead."
            )
        related_model = relation.related_model
        assert isinstance(related_model, type)
        # A reverse relation names the field on the other side; a forward many-to-many
        # is queried back through its related query name.
        rel: Any = relation
        back = rel.field.name if relation.auto_created else rel.related_query_name()
        return related_model, str(back)

    # -- reading ---------------------------------------------------------------------

    def payloads(
        self, records: Iterable[models.Model] | models.QuerySet[Any]
    ) -> list[RecordPayload]:
        """The payload of each record, in the order given, in a constant number of
        queries per :data:`BATCH_SIZE` records (the records themselves are not read
        again for their fields: only their primary keys are used)."""
        pks = [record.pk for record in records]
        result: list[RecordPayload] = []
        for start in range(0, len(pks), BATCH_SIZE):
            result += self._payload_batch(pks[start : start + BATCH_SIZE])
        return result

    def payloads_for_pks(self, pks: Sequence[Any]) -> list[RecordPayload]:
        result: list[RecordPayload] = []
        for start in range(0, len(pks), BATCH_SIZE):
            result += self._payload_batch(list(pks[start : start + BATCH_SIZE]))
        return result

    def _payload_batch(self, pks: list[Any]) -> list[RecordPayload]:
        if not pks:
            return []
        lookups = [lookup for lookup, _ in self._columns.values()]
        rows = {
            row["pk"]: row
            for row in self.model._default_manager.filter(pk__in=pks)
            .order_by()
            .values("pk", *lookups)
        }
        # Paths ending at a foreign key are sent as the object's __str__: one query per
        # such relation for the whole batch.
        labels: dict[str, dict[Any, str]] = {}
        for path, (lookup, related_model) in self._columns.items():
            if related_model is None:
                continue
            ids = {row[lookup] for row in rows.values() if row[lookup] is not None}
            # __str__ often names a parent ("Furniture > Tables"): join the related
            # model's own foreign keys, so that costs no query per object.
            forward = [
                f.name
                for f in related_model._meta.concrete_fields
                if f.is_relation and f.many_to_one
            ]
            queryset = related_model._default_manager.all()
            if forward:
                queryset = queryset.select_related(*forward)
            objects = queryset.in_bulk(ids) if ids else {}
            labels[path] = {pk: str(obj) for pk, obj in objects.items()}
        related_rows = {name: self._related_rows(rel, pks) for name, rel in self.related.items()}

        payloads = []
        for pk in pks:
            row = rows.get(pk)
            if row is None:
                continue  # deleted since it was selected
            data: dict[str, Any] = {}
            for path, (lookup, related_model) in self._columns.items():
                value = row[lookup]
                if related_model is not None and value is not None:
                    value = labels[path].get(value)
                data[path] = self.clean(value, self.value_max_chars)
            for name, per_record in related_rows.items():
                data[name] = per_record.get(pk, [])
            payloads.append(RecordPayload(pk=str(pk), data=data))
        return payloads

    def _related_rows(self, related: Related, pks: list[Any]) -> dict[Any, list[dict[str, Any]]]:
        related_model, back = self._relation(related.path, related)
        if related.order_by:
            name = related.order_by.lstrip("-")
            order = F(name).desc() if related.order_by.startswith("-") else F(name).asc()
        else:
            order = F("pk").desc()
        queryset = (
            related_model._default_manager.filter(**{f"{back}__in": pks})
            .annotate(
                _toolkit_owner=F(back),
                _toolkit_rank=Window(RowNumber(), partition_by=[F(back)], order_by=[order]),
            )
            .filter(_toolkit_rank__lte=related.limit)
            .order_by("_toolkit_owner", "_toolkit_rank")
            .values("_toolkit_owner", *related.fields)
        )
        grouped: dict[Any, list[dict[str, Any]]] = {}
        cap = min(related.max_chars, self.value_max_chars)
        for row in queryset:
            owner = row.pop("_toolkit_owner")
            grouped.setdefault(owner, []).append(
                {key: self.clean(value, cap) for key, value in row.items()}
            )
        return grouped

    def clean(self, value: Any, max_chars: int) -> Any:
        """A value as JSON: numbers stay numbers, text is capped and redacted."""
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, decimal.Decimal):
            return str(value)
        if isinstance(value, datetime.date | datetime.time):
            return value.isoformat()
        if isinstance(value, uuid.UUID):
            return str(value)
        text = str(value)
        if self.redact:
            text = redact_text(text)
        if len(text) > max_chars:
            text = text[: max(0, max_chars - 1)] + "…"
        return text
