"""``manage.py ai_summarize app_label.Model``: run an AI action over many records in batch.

What is sent comes from the model's registered ModelAdmin (its ``ai_fields``,
``ai_related``, ``ai_rules``... read by :meth:`AISource.from_admin`), exactly as the
admin actions send it, so a site declares it once. The command::

    manage.py ai_summarize catalog.Product --kind anomalies --filter status=active
    manage.py ai_summarize catalog.Product --ids 12 13 14 --force
    manage.py ai_summarize catalog.Product --dry-run

- walks the records in primary-key order, one batch at a time (a keyset: each batch
  costs the same on a million rows, and memory stays flat however many there are);
- skips records whose newest insight is ``ok`` for the same input, model and prompt
  version (``--force`` sends them anyway); a record whose newest insight failed is sent
  again, so a run that was interrupted or had failures is simply run again, and its exit
  status counts every record that still ends failed;
- with ``--user``, counts the records against that person's daily limit
  (``TOOLKIT_AI_DAILY_RECORD_LIMIT``), reserved before anything is sent, as the admin
  does; answered records stay counted, the others are given back at the end;
- shows a progress bar on a terminal and a log line every few seconds otherwise, and
  the totals (sent, cached, failed, tokens) at the end; exits with status 1 when any
  record failed, and 130 when interrupted;
- on Ctrl-C sends no further request, waits for the ones in flight and stores their
  answers (a second Ctrl-C stops at once); every record ends ``ok``, ``failed`` or is
  left for the next run, never half-written.

A selection action (``--action summarize_selection``) writes one digest over the
records instead, by map-reduce, and prints it.
"""

from __future__ import annotations

import argparse
import difflib
from typing import TYPE_CHECKING, Any, cast

from django.apps import apps
from django.contrib import admin
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models

from toolkit.ai.batch import (
    FAILED_STATUS,
    INTERRUPTED_STATUS,
    BatchPlan,
    Console,
    Interrupt,
    batch_for,
    first_records,
    selected_records,
)
from toolkit.exceptions import ToolkitConfigurationError

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

    from toolkit.ai.actions import AIAction
    from toolkit.ai.endpoints import EndpointConfig
    from toolkit.ai.sources import AISource

__all__ = ["FAILED_STATUS", "INTERRUPTED_STATUS", "Command", "Interrupt"]

KINDS = {"summary": "SummarizeAction", "anomalies": "FlagAnomaliesAction"}


def positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {number}")
    return number


class Command(BaseCommand):
    help = (
        "Run an AI action (summaries, anomaly flags or one of the ModelAdmin's ai_actions) "
        "over the records of a model, sending what its registered ModelAdmin "
        "declares in ai_fields. Records already done with the same input, model and "
        "prompt version are skipped unless --force; run it again after an interruption "
        "or failures to finish the rest."
    )

    #: Seconds between two progress lines when the output is not a terminal.
    log_interval = 5.0
    #: Distinct error messages listed at the end of a run with failures.
    errors_shown = 5

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "model", metavar="app_label.Model", help="The model, e.g. catalog.Product."
        )
        which = parser.add_mutually_exclusive_group()
        which.add_argument(
            "--kind",
            choices=sorted(KINDS),
            help="The built-in action to run: summary (the default) or anomalies.",
        )
        which.add_argument(
            "--action",
            metavar="NAME",
            help="Run this action of the ModelAdmin's ai_actions (or of the registry) by name.",
        )
        parser.add_argument(
            "--filter",
            dest="filters",
            action="append",
            default=[],
            metavar="FIELD=VALUE",
            help="Only records matching this lookup (any Django lookup: status=active, "
            "price__gte=10, category__name=Tools, tags__name__in=a,b). Repeat to combine.",
        )
        parser.add_argument(
            "--ids",
            nargs="+",
            default=[],
            metavar="ID",
            help="Only these primary keys (separated by spaces or commas).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Send records again even when their last answer is still up to date.",
        )
        parser.add_argument(
            "--limit", type=positive_int, metavar="N", help="Stop after N records (in id order)."
        )
        parser.add_argument(
            "--concurrency",
            type=positive_int,
            metavar="N",
            help="Requests in flight at once (default: the endpoint's CONCURRENCY).",
        )
        parser.add_argument(
            "--records-per-prompt",
            type=positive_int,
            default=1,
            metavar="K",
            help="Send K records per request (N/K requests; default 1).",
        )
        parser.add_argument(
            "--endpoint",
            metavar="NAME",
            help="The TOOLKIT_AI endpoint to use (default: the ModelAdmin's ai_endpoint, else "
            "'default').",
        )
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="Send on behalf of this person: the records count against their daily "
            "limit (TOOLKIT_AI_DAILY_RECORD_LIMIT) and the insights name them. Without it "
            "the run is the site's own, with no daily limit.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Send nothing: print what would be sent (fields, a sample) and an "
            "estimate of the tokens.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        model = self.get_model(options["model"])
        model_admin = self.get_model_admin(model)
        source = self.get_source(model_admin)
        action = self.get_action(model_admin, options["kind"], options["action"])
        queryset = self.get_queryset(model, options["filters"], options["ids"])
        endpoint = self.get_endpoint(model_admin, options["endpoint"])
        queryset, total = first_records(queryset, options["limit"])
        per_prompt: int = options["records_per_prompt"]
        plan = BatchPlan(
            action=action,
            source=source,
            queryset=queryset,
            endpoint=endpoint,
            total=total,
            # No more connections than requests: a short run opens only what it uses.
            concurrency=max(
                1, min(options["concurrency"] or endpoint.concurrency, -(-total // per_prompt))
            ),
            records_per_prompt=per_prompt,
            force=options["force"],
            user=self.get_user(options["user"]),
            scope={key: options[key] for key in ("filters", "ids", "limit") if options[key]},
        )
        console = Console(
            self.stdout,
            self.stderr,
            self.style,
            log_interval=self.log_interval,
            errors_shown=self.errors_shown,
        )
        batch = batch_for(plan, console)
        if options["dry_run"]:
            batch.dry_run()
        else:
            batch.run()

    # -- what to run on ---------------------------------------------------------------

    def get_model(self, label: str) -> type[models.Model]:
        try:
            return apps.get_model(label)
        except (LookupError, ValueError):
            known = [m._meta.label for m in apps.get_models()]
            close = difflib.get_close_matches(label, known, n=1) or difflib.get_close_matches(
                label.lower(), [k.lower() for k in known], n=1
            )
            hint = f" Did you mean {close[0]}?" if close else ""
            raise CommandError(
                f"No model {label!r}: name it as app_label.ModelName (e.g. catalog.Product).{hint}"
            ) from None

    def get_model_admin(self, model: type[models.Model]) -> ModelAdmin[Any]:
        """The ModelAdmin registered for ``model`` on the default admin site."""
        model_admin = admin.site._registry.get(model)
        if model_admin is None:
            raise CommandError(
                f"{model._meta.label} is not registered in the admin; the command sends "
                "what its ModelAdmin declares in ai_fields. Register it with ai_fields "
                "(and AIActionsMixin for the admin actions)."
            )
        return model_admin

    def get_source(self, model_admin: ModelAdmin[Any]) -> AISource:
        """What leaves the database: the ModelAdmin's ``get_ai_source()`` (``AIActionsMixin``)
        or, for any other ModelAdmin, its ``ai_*`` attributes."""
        from toolkit.ai.sources import AISource

        if not getattr(model_admin, "ai_fields", None):
            name = type(model_admin).__name__
            raise CommandError(
                f"{name} declares no ai_fields, so nothing of a "
                f"{model_admin.model._meta.verbose_name} may be sent to a model. Add "
                f'ai_fields = ["name", "description", ...] to {name} (dotted paths across '
                "relations are allowed): only those fields leave the database."
            )
        try:
            getter = getattr(model_admin, "get_ai_source", None)
            source = getter(None) if callable(getter) else AISource.from_admin(model_admin)
        except ToolkitConfigurationError as exc:
            raise CommandError(str(exc)) from exc
        return cast("AISource", source)

    def get_action(
        self, model_admin: ModelAdmin[Any], kind: str | None, name: str | None
    ) -> AIAction:
        """The action to run: ``--action NAME`` (one of the ModelAdmin's ``ai_actions``,
        else a registered one), else the ModelAdmin's action of ``--kind`` (summary by
        default), else the built-in action of that kind."""
        from toolkit.ai import actions

        try:
            getter = getattr(model_admin, "get_ai_actions", None)
            if callable(getter):
                declared: list[AIAction] = list(getter(None))
            else:
                entries = getattr(model_admin, "ai_actions", None) or []
                declared = [actions.resolve_action(entry) for entry in entries]
        except ToolkitConfigurationError as exc:
            raise CommandError(str(exc)) from exc
        if name is not None:
            for candidate in declared:
                if candidate.name == name:
                    return candidate
            try:
                return actions.get_action(name)
            except ToolkitConfigurationError:
                names = sorted({a.name for a in declared} | set(actions.registered_actions()))
                raise CommandError(
                    f"No AI action named {name!r}; there are: {', '.join(names)}."
                ) from None
        kind = kind or "summary"
        for candidate in declared:
            if candidate.kind == kind and candidate.per_record:
                return candidate
        action_class: type[AIAction] = getattr(actions, KINDS[kind])
        return action_class()

    def get_queryset(
        self, model: type[models.Model], filters: list[str], ids: list[str]
    ) -> models.QuerySet[Any]:
        """The records to run on: ``--filter`` lookups and ``--ids``, checked one by one."""
        return selected_records(model, filters, ids)

    def get_user(self, username: str | None) -> Any:
        """The person ``--user`` names (``None`` without it)."""
        if username is None:
            return None
        from django.contrib.auth import get_user_model

        model = get_user_model()
        user = model._default_manager.filter(**{model.USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"--user {username!r}: no such user; nothing was sent.")
        return user

    def get_endpoint(self, model_admin: ModelAdmin[Any], name: str | None) -> EndpointConfig:
        """``--endpoint``, else the ModelAdmin's ``get_ai_endpoint()``, else "default"."""
        from toolkit.ai.endpoints import DEFAULT_ENDPOINT, get_endpoint

        if name is None:
            getter = getattr(model_admin, "get_ai_endpoint", None)
            name = getter(None) if callable(getter) else getattr(model_admin, "ai_endpoint", None)
        try:
            return get_endpoint(name or DEFAULT_ENDPOINT)
        except ToolkitConfigurationError as exc:
            raise CommandError(str(exc)) from None
