"""System checks of :class:`~toolkit.ai.admin.AIActionsMixin` options.

:class:`AIActionsChecks` is the mixin's ``mixin_checks_class``: it joins the admin's
``checks_class`` (see :mod:`toolkit.admin_ext.base`), so it runs for every registered
admin using the mixin, beside the checks of the ``checks_class`` the admin would
otherwise have (a site's own, the other mixins'). An admin with empty ``ai_fields`` has
AI off and is not checked.

=============  ==========================================================================
toolkit.E100   ``ai_fields`` is not a list of names
toolkit.E101   an ``ai_fields`` entry is not a field or a path across foreign keys
toolkit.E102   a bad ``ai_related`` entry
toolkit.E103   an ``ai_rules`` entry is not a ``Rule``, or flags a missing field
toolkit.E104   ``ai_peer_group`` is not a field
toolkit.E105   an ``ai_peer_fields`` entry is not a numeric field
toolkit.W100   ``ai_peer_fields`` without ``ai_peer_group``
toolkit.E106   an ``ai_actions`` entry is not an ``AIAction``
toolkit.E107   a bad ``ai_background_threshold``
toolkit.E108   a proposal action's ``proposal_field`` is not an editable field
toolkit.E109   two ``ai_actions`` share a name
toolkit.E110   ``toolkit.jobs`` is not installed
toolkit.E111   ``ai_value_max_chars`` or ``ai_max_input_chars`` is not a positive integer
toolkit.E112   an action's own options are wrong (a ``FlagAnomaliesAction``'s
               ``text_fields``, ``peer_fields`` or ``peer_scales``), as its runs would say
=============  ==========================================================================
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.apps import apps
from django.contrib.admin.checks import ModelAdminChecks
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from toolkit.ai.actions import AIAction, resolve_action
from toolkit.ai.rules import Rule
from toolkit.exceptions import ToolkitConfigurationError, ToolkitError

__all__ = ["AIActionsChecks"]

_NUMERIC_FIELDS = (models.IntegerField, models.DecimalField, models.FloatField)


class AIActionsChecks(ModelAdminChecks):
    """The checks of one ``AIActionsMixin`` admin's ``ai_*`` options, after Django's own
    (``ModelAdminChecks``): ``AIActionsChecks().check(admin_obj)``."""

    def check(self, admin_obj: Any, **kwargs: Any) -> list[checks.CheckMessage]:
        return [*super().check(admin_obj, **kwargs), *self._check_ai_options(admin_obj)]

    def _check_ai_options(self, admin_obj: Any) -> list[checks.CheckMessage]:
        fields = admin_obj.ai_fields
        if isinstance(fields, list | tuple) and not fields:
            return []  # AI is off for this admin: its other options are not used.
        return [
            *self._check_ai_fields(admin_obj),
            *self._check_ai_related(admin_obj),
            *self._check_ai_rules(admin_obj),
            *self._check_ai_peers(admin_obj),
            *self._check_ai_actions(admin_obj),
            *self._check_ai_background_threshold(admin_obj),
            *self._check_ai_value_caps(admin_obj),
            *self._check_ai_jobs_installed(admin_obj),
        ]

    # -- what is sent --------------------------------------------------------------------

    def _check_ai_fields(self, obj: Any) -> Iterator[checks.CheckMessage]:
        fields, model = obj.ai_fields, obj.model
        if isinstance(fields, str) or not isinstance(fields, list | tuple):
            yield _error(
                obj,
                f"{_where(obj)}.ai_fields must be a list of field names, not {fields!r}.",
                "List the fields the model may see, e.g. ai_fields = ['name', 'description'].",
                "toolkit.E100",
            )
            return
        for name in fields:
            if not isinstance(name, str) or resolve_path(model, name) is None:
                yield _error(
                    obj,
                    f"{_where(obj)}.ai_fields names {name!r}, which is not a field of "
                    f"{model._meta.label} (or a path across its foreign keys).",
                    "Use field names, or 'relation.field' across foreign keys.",
                    "toolkit.E101",
                )

    def _check_ai_related(self, obj: Any) -> Iterator[checks.CheckMessage]:
        related, model, where = obj.ai_related, obj.model, _where(obj)
        if isinstance(related, dict):
            specs = list(related.values())
        elif isinstance(related, list | tuple):
            specs = list(related)
        else:
            yield _error(
                obj,
                f"{where}.ai_related must be a dict (or list) of Related, not {related!r}.",
                "Write ai_related = {'reviews': Related('reviews', fields=['rating', 'text'])}.",
                "toolkit.E102",
            )
            return
        for spec in specs:
            name = getattr(spec, "path", None)
            relation = None
            if isinstance(name, str):
                try:
                    relation = model._meta.get_field(name)
                except FieldDoesNotExist:
                    relation = None
            if relation is None or not (relation.one_to_many or relation.many_to_many):
                yield _error(
                    obj,
                    f"{where}.ai_related holds {spec!r}, whose path is not a reverse foreign "
                    f"key or many-to-many relation of {model._meta.label}.",
                    "Use Related('reviews', fields=[...]) with the relation's name.",
                    "toolkit.E102",
                )
                continue
            other = relation.related_model
            spec_fields = getattr(spec, "fields", None)
            if not isinstance(spec_fields, list | tuple) or not spec_fields:
                yield _error(
                    obj,
                    f"{where}.ai_related[{name!r}] must list the fields to send.",
                    "Write Related('reviews', fields=['rating', 'text'], limit=20).",
                    "toolkit.E102",
                )
                continue
            for field_name in spec_fields:
                if not isinstance(field_name, str) or resolve_path(other, field_name) is None:
                    yield _error(
                        obj,
                        f"{where}.ai_related[{name!r}] names {field_name!r}, which is not a "
                        f"field of {other._meta.label}.",
                        "List fields of the related model.",
                        "toolkit.E102",
                    )

    def _check_ai_value_caps(self, obj: Any) -> Iterator[checks.CheckMessage]:
        for name in ("ai_value_max_chars", "ai_max_input_chars"):
            value = getattr(obj, name, None)
            if value is None or (_is_int(value) and value > 0):
                continue
            yield _error(
                obj,
                f"{_where(obj)}.{name} must be a positive integer or None, not {value!r}.",
                f"Set a number of characters, or None for TOOLKIT_{name[3:].upper()}.",
                "toolkit.E111",
            )

    # -- what is found before the model is asked ------------------------------------------

    def _check_ai_rules(self, obj: Any) -> Iterator[checks.CheckMessage]:
        model, where = obj.model, _where(obj)
        for rule in obj.ai_rules or ():
            if not isinstance(rule, Rule):
                yield _error(
                    obj,
                    f"{where}.ai_rules holds {rule!r}, which is not a Rule.",
                    "Write Rule('negative stock', Q(stock__lt=0), field='stock').",
                    "toolkit.E103",
                )
            elif rule.field and resolve_path(model, str(rule.field)) is None:
                yield _error(
                    obj,
                    f"{where}.ai_rules: the rule {rule.name!r} flags {rule.field!r}, which is "
                    f"not a field of {model._meta.label}.",
                    "Name the field the rule is about.",
                    "toolkit.E103",
                )

    def _check_ai_peers(self, obj: Any) -> Iterator[checks.CheckMessage]:
        model, where = obj.model, _where(obj)
        group = obj.ai_peer_group
        if group is not None and (not isinstance(group, str) or resolve_path(model, group) is None):
            yield _error(
                obj,
                f"{where}.ai_peer_group is {group!r}, which is not a field of {model._meta.label}.",
                "Name the field that groups peers, e.g. 'category', or None.",
                "toolkit.E104",
            )
        peer_fields = obj.ai_peer_fields
        if isinstance(peer_fields, str) or not isinstance(peer_fields, list | tuple):
            yield _error(
                obj,
                f"{where}.ai_peer_fields must be a list of numeric field names.",
                "Write ai_peer_fields = ['price', 'stock'].",
                "toolkit.E105",
            )
            return
        for name in peer_fields:
            field = resolve_path(model, name) if isinstance(name, str) else None
            if field is None or not isinstance(field, _NUMERIC_FIELDS) or field.is_relation:
                yield _error(
                    obj,
                    f"{where}.ai_peer_fields names {name!r}, which is not a numeric field of "
                    f"{model._meta.label}.",
                    "Peer statistics compare numbers: list integer, decimal or float fields.",
                    "toolkit.E105",
                )
        if peer_fields and group is None:
            yield checks.Warning(
                f"{where}.ai_peer_fields is set but ai_peer_group is None: every record "
                "is compared with the whole table.",
                hint="Set ai_peer_group (e.g. 'category') to compare like with like.",
                obj=obj,
                id="toolkit.W100",
            )

    # -- the actions and where they run -------------------------------------------------

    def _check_ai_actions(self, obj: Any) -> Iterator[checks.CheckMessage]:
        model, where = obj.model, _where(obj)
        names: list[str] = []
        for entry in obj.ai_actions or ():
            try:
                action = resolve_action(entry)
            except (KeyError, LookupError, ToolkitError, TypeError):
                action = None
            if not isinstance(action, AIAction):
                yield _error(
                    obj,
                    f"{where}.ai_actions holds {entry!r}, which is not an AIAction (a "
                    "subclass, an instance or a registered name).",
                    "List AIAction subclasses, e.g. ai_actions = [SummarizeAction].",
                    "toolkit.E106",
                )
                continue
            names.append(action.name)
            yield from self._check_ai_action_options(obj, action)
            if action.result != "proposal":
                continue
            try:
                field = model._meta.get_field(action.proposal_field or "")
            except FieldDoesNotExist:
                field = None
            if field is None or not getattr(field, "editable", False) or field.is_relation:
                yield _error(
                    obj,
                    f"{where}.ai_actions: {type(action).__name__} proposes values for "
                    f"{action.proposal_field!r}, which is not an editable field of "
                    f"{model._meta.label}.",
                    "Set proposal_field to an editable, non-relation field of the model.",
                    "toolkit.E108",
                )
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            yield _error(
                obj,
                f"{where}.ai_actions lists actions with the same name: {', '.join(duplicates)}.",
                "Give each AIAction subclass its own `name`.",
                "toolkit.E109",
            )

    def _check_ai_action_options(self, obj: Any, action: AIAction) -> Iterator[checks.CheckMessage]:
        """What a run of ``action`` would refuse, said at start-up instead: the source the
        action builds (its own rules, text and peer fields) and its peer statistics."""
        try:
            source = obj.get_ai_source()
        except Exception:  # a bad ai_* option, which its own check reports
            return
        try:
            source = action.get_source(source)
            if action.uses_facts:
                action.get_statistics(source)
        except ToolkitConfigurationError as error:
            yield _error(
                obj,
                f"{_where(obj)}.ai_actions: the options of {type(action).__name__} are "
                f"wrong: {error}",
                "Fix the options the action is built with (FlagAnomaliesAction("
                "text_fields=..., peer_fields=..., peer_scales=...)).",
                "toolkit.E112",
            )

    def _check_ai_background_threshold(self, obj: Any) -> Iterator[checks.CheckMessage]:
        threshold = obj.ai_background_threshold
        if threshold is not None and not (_is_int(threshold) and threshold >= 0):
            yield _error(
                obj,
                f"{_where(obj)}.ai_background_threshold must be a non-negative integer or "
                f"None, not {threshold!r}.",
                "Set a number of records (0 runs every AI action as a background job).",
                "toolkit.E107",
            )

    def _check_ai_jobs_installed(self, obj: Any) -> Iterator[checks.CheckMessage]:
        if not apps.is_installed("toolkit.jobs"):
            yield _error(
                obj,
                f"{_where(obj)} uses AIActionsMixin, which runs large selections as background "
                "jobs, but 'toolkit.jobs' is not installed.",
                "Add 'toolkit.jobs' to INSTALLED_APPS and run migrate.",
                "toolkit.E110",
            )


def resolve_path(model: type[models.Model], dotted: str) -> models.Field[Any, Any] | None:
    """The field a path across forward relations names ("supplier.name"), or ``None``."""
    parts = dotted.split(".")
    current = model
    for index, part in enumerate(parts):
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        last = index == len(parts) - 1
        if last:
            return field if getattr(field, "concrete", False) else None  # type: ignore[return-value,unused-ignore]
        if not (field.many_to_one or field.one_to_one) or field.related_model is None:
            return None
        current = field.related_model
    return None


def _where(obj: Any) -> str:
    return f"{type(obj).__module__}.{type(obj).__qualname__}"


def _error(obj: Any, msg: str, hint: str, id: str) -> checks.Error:
    return checks.Error(msg, hint=hint, obj=obj, id=id)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
