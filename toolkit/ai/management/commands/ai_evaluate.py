"""``manage.py ai_evaluate app_label.Model --labels FILE.csv``: score the stored anomaly
flags against labels.

::

    manage.py ai_summarize catalog.Product --kind anomalies --ids ...   # flag them first
    manage.py ai_evaluate catalog.Product --labels labels.csv
    manage.py ai_evaluate catalog.Product --labels labels.csv --any-kind --json report.json

The labels file (:mod:`toolkit.ai.evaluation.labels`): a header row, a unique field of
the model first (``sku``), then the kinds of flag each record should get
(``;``-separated, empty for a clean record). The flags scored are those of each
record's newest anomaly insight. The command prints, per kind, how many records were
labelled and found (recall), flagged and rightly (precision), and which were missed or
wrongly flagged; its last line reads ``recall=R precision=P``. ``--json FILE`` writes
the same with every key listed (``-``: to the output, before the last line).

A kind the toolkit cannot flag for this model (not one of its rules', statistics' or
the model's, and on none of the stored flags) is an error, with its lines: a typo
would otherwise score as a miss. With ``--any-kind`` such kinds are only reported, and
any flag counts as finding a labelled record: for labels written with other names.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.management.base import CommandError, CommandParser

from toolkit.ai.evaluation import Evaluation, LabelFileError, Labels, read_labels, score
from toolkit.ai.evaluation import stored_kinds as read_stored_kinds
from toolkit.ai.management.commands.ai_summarize import Command as SummarizeCommand

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin
    from django.db import models

__all__ = ["Command"]

#: Keys listed per kind in the table (the JSON lists all of them).
SHOWN_KEYS = 8


class Command(SummarizeCommand):
    help = (
        "Score the stored anomaly flags of a model's records against a labels file (CSV: "
        "a unique field, then the expected kinds, ';'-separated): precision and recall "
        "per kind, and the records missed or wrongly flagged."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "model", metavar="app_label.Model", help="The model, e.g. catalog.Product."
        )
        parser.add_argument(
            "--labels",
            required=True,
            metavar="FILE.csv",
            help="The labels: a header row, then a unique field's value and the expected "
            "kinds (';'-separated, empty for a clean record) on each line; UTF-8.",
        )
        parser.add_argument(
            "--any-kind",
            action="store_true",
            help="Any flag finds a labelled record, whatever its kind; kinds the toolkit "
            "does not know are reported rather than refused.",
        )
        parser.add_argument(
            "--json",
            metavar="FILE",
            help="Also write the scores, with every record missed or wrongly flagged, as "
            "JSON to FILE ('-': to the output instead of the table).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        model = self.get_model(options["model"])
        path = Path(options["labels"])
        try:
            labels = read_labels(self.read_text(path), model)
        except LabelFileError as exc:
            raise CommandError(f"{path}: {exc}") from None
        any_kind: bool = options["any_kind"]
        stored = read_stored_kinds(labels, self.insight_kind(model))
        unknown = self.unknown_kinds(model, labels, stored)
        if unknown and not any_kind:
            raise CommandError(
                f"{path}: kinds the toolkit does not flag for {model._meta.label}:\n"
                + self.describe_unknown(labels, unknown)
                + f"\nIt flags: {', '.join(sorted(self.known_kinds(model)))}. Fix the "
                "labels, or pass --any-kind to count any flag as a hit."
            )
        evaluation = score(labels.expected, stored, any_kind=any_kind)
        if unknown:
            self.stderr.write(
                "Kinds the toolkit does not flag (scored with --any-kind):\n"
                + self.describe_unknown(labels, unknown)
            )
        if evaluation.not_evaluated:
            count = len(evaluation.not_evaluated)
            self.stderr.write(
                self.style.WARNING(
                    f"{count} labelled record{'s have' if count != 1 else ' has'} no stored "
                    "anomaly flags and count as not flagged; run the anomaly action on them "
                    f"first (manage.py ai_summarize {model._meta.label} --kind anomalies)."
                )
            )
        destination = options["json"]
        if destination:
            self.write_json(destination, labels, evaluation)
        if destination != "-":
            self.write_table(labels, evaluation)
        self.stdout.write(f"recall={evaluation.recall:.3f} precision={evaluation.precision:.3f}")

    # -- input ------------------------------------------------------------------------

    def read_text(self, path: Path) -> str:
        """The labels file, decoded (UTF-8, with or without a byte order mark)."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read the labels file {path}: {exc.strerror}.") from None
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
            raise CommandError(
                f"{path}: line {line} is not UTF-8 (byte 0x{data[exc.start]:02x} at column "
                f"{column}). Save the file as UTF-8 (in a spreadsheet: CSV UTF-8)."
            ) from None

    def insight_kind(self, model: type[models.Model]) -> str:
        """The insight kind of the model's anomaly action ("anomalies")."""
        action = self.anomaly_action(model)
        return str(action.kind) if action is not None else "anomalies"

    def anomaly_action(self, model: type[models.Model]) -> Any:
        """The anomaly action of the model's ModelAdmin (or the built-in one), or
        ``None`` when the model has no ModelAdmin with ``ai_fields``."""
        model_admin = self.model_admin_or_none(model)
        if model_admin is None:
            return None
        try:
            return self.get_action(model_admin, "anomalies", None)
        except CommandError:
            return None

    def model_admin_or_none(self, model: type[models.Model]) -> ModelAdmin[Any] | None:
        try:
            model_admin = self.get_model_admin(model)
        except CommandError:
            return None
        return model_admin if getattr(model_admin, "ai_fields", None) else None

    # -- kinds ------------------------------------------------------------------------

    def known_kinds(self, model: type[models.Model]) -> set[str]:
        """The kinds the model's anomaly action can flag (its rules', statistics' and the
        model's), from its ModelAdmin; none without one."""
        model_admin = self.model_admin_or_none(model)
        action = self.anomaly_action(model)
        flag_kinds = getattr(action, "flag_kinds", None)
        if model_admin is None or not callable(flag_kinds):
            return set()
        return set(flag_kinds(self.get_source(model_admin)))

    def unknown_kinds(
        self, model: type[models.Model], labels: Labels, stored: dict[str, set[str] | None]
    ) -> list[str]:
        """The labels' kinds that no flag can have: not known for the model, and on no
        stored flag of the labelled records."""
        known = self.known_kinds(model)
        for kinds in stored.values():
            known |= kinds or set()
        return sorted(labels.kinds - known)

    def describe_unknown(self, labels: Labels, unknown: list[str]) -> str:
        lines = []
        for kind in unknown:
            where = labels.lines_of(kind)
            shown = ", ".join(str(line) for line in where[:SHOWN_KEYS])
            more = f" and {len(where) - SHOWN_KEYS} more" if len(where) > SHOWN_KEYS else ""
            lines.append(f"  {kind!r} on line{'s' if len(where) > 1 else ''} {shown}{more}")
        return "\n".join(lines)

    # -- output -----------------------------------------------------------------------

    def write_table(self, labels: Labels, evaluation: Evaluation) -> None:
        write = self.stdout.write
        mode = "any flag finds a record" if evaluation.any_kind else "by kind"
        write(
            f"{evaluation.records} labelled records of {labels.model._meta.label} "
            f"({evaluation.anomalous} with kinds, {evaluation.flagged} flagged); {mode}."
        )
        width = max([len("kind"), *(len(kind.kind) for kind in evaluation.kinds)])
        write(
            f"{'kind':<{width}}  {'labelled':>8}  {'found':>5}  {'recall':>6}  "
            f"{'flagged':>7}  {'right':>5}  {'precision':>9}"
        )
        for kind in evaluation.kinds:
            write(
                f"{kind.kind:<{width}}  {kind.expected:>8}  {kind.found:>5}  "
                f"{kind.recall:>6.3f}  {kind.flagged:>7}  {kind.correct:>5}  "
                f"{kind.precision:>9.3f}"
            )
        for kind in evaluation.kinds:
            for what, keys in (("missed", kind.missed), ("wrongly flagged", kind.wrong)):
                if keys:
                    more = f" (+{len(keys) - SHOWN_KEYS} more)" if len(keys) > SHOWN_KEYS else ""
                    write(f"{kind.kind} {what} ({len(keys)}): {', '.join(keys[:SHOWN_KEYS])}{more}")

    def write_json(self, destination: str, labels: Labels, evaluation: Evaluation) -> None:
        report = {
            "model": labels.model._meta.label,
            "key": labels.key_field,
            **evaluation.as_dict(),
        }
        text = json.dumps(report, indent=2, ensure_ascii=False)
        if destination == "-":
            self.stdout.write(text)
            return
        try:
            Path(destination).write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot write {destination}: {exc.strerror}.") from None
