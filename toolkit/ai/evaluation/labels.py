"""The labels file: which records should get which kinds of flag.

A CSV file with a header row. The first column is named after a unique field of the
model (``sku``, ``id``) and holds its values; the second holds the kinds of flag the
record should get, ``;``-separated, empty for a clean record; further columns (a note,
the field) are ignored::

    sku,kinds
    ELC-CBL-000001,
    ELC-CBL-000002,price_outlier
    HOM-KIT-000003,negative_stock;markup

The seeder's own labels (``sku,anomaly,field,detail``) read the same way. Every problem
is reported with its line number, all of them at once, as a :class:`LabelFileError`.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models

from toolkit.exceptions import ToolkitError

__all__ = ["KIND_SEPARATOR", "Label", "LabelFileError", "Labels", "key_fields", "read_labels"]

#: What separates two kinds in the second column.
KIND_SEPARATOR = ";"
#: The most problems one error lists (the count of the others follows).
MAX_PROBLEMS = 10
#: Keys looked up per query.
KEYS_PER_QUERY = 500


class LabelFileError(ToolkitError, ValueError):
    """The labels cannot be scored as they are: ``problems`` lists ``(line, message)``
    pairs (line ``0``: the file as a whole), and the message all of them."""

    def __init__(self, problems: Iterable[tuple[int, str]]) -> None:
        self.problems = sorted(problems)
        shown = [
            f"line {line}: {text}" if line else text for line, text in self.problems[:MAX_PROBLEMS]
        ]
        if len(self.problems) > MAX_PROBLEMS:
            shown.append(f"... and {len(self.problems) - MAX_PROBLEMS} more.")
        super().__init__("\n".join(shown))


@dataclass(frozen=True)
class Label:
    """One line of the file."""

    line: int
    #: The value of the key column, as written.
    key: str
    kinds: frozenset[str]
    #: ``str(pk)`` of the record it names.
    pk: str = ""


@dataclass
class Labels:
    """The labels of a file, each naming one record of ``model``."""

    model: type[models.Model]
    #: The name of the key column: a unique field of the model.
    key_field: str
    #: The name of the kinds column.
    kinds_column: str
    labels: list[Label] = field(default_factory=list)

    @property
    def expected(self) -> dict[str, frozenset[str]]:
        """The kinds each record should get, by key."""
        return {label.key: label.kinds for label in self.labels}

    @property
    def kinds(self) -> set[str]:
        return {kind for label in self.labels for kind in label.kinds}

    def lines_of(self, kind: str) -> list[int]:
        """The lines that expect ``kind``."""
        return [label.line for label in self.labels if kind in label.kinds]


def key_fields(model: type[models.Model]) -> list[str]:
    """The fields a labels file may name records by: the primary key and every unique
    field."""
    names = [model._meta.pk.name] if model._meta.pk is not None else []
    for candidate in model._meta.concrete_fields:
        if candidate.unique and not candidate.is_relation and candidate.name not in names:
            names.append(candidate.name)
    return names


def read_labels(text: str, model: type[models.Model]) -> Labels:
    """The labels of ``text`` (the file, decoded), each with the primary key of the
    record it names; :class:`LabelFileError` lists every problem with its line."""
    # Strict: a stray quote is reported rather than read into a key.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        problem = f"this is not CSV that can be read ({exc})."
        raise LabelFileError([(reader.line_num, problem)]) from None
    rows = [(line, row) for line, row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise LabelFileError(
            [(0, f"the file is empty: write a header row first, e.g. '{_example(model)}'.")]
        )
    (header_line, header), body = rows[0], rows[1:]
    key_field = _key_field(model, header_line, header)
    labels = Labels(model, key_field.name, header[1].strip())
    problems: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for line, row in body:
        key = row[0].strip()
        if not key:
            problems.append((line, f"the first column ({key_field.name}) is empty."))
            continue
        if key in seen:
            problems.append((line, f"{key_field.name} {key!r} is also on line {seen[key]}."))
            continue
        seen[key] = line
        cell = row[1] if len(row) > 1 else ""
        kinds = frozenset(kind.strip() for kind in cell.split(KIND_SEPARATOR) if kind.strip())
        labels.labels.append(Label(line, key, kinds))
    if problems:
        raise LabelFileError(problems)
    labels.labels = _with_pks(labels, key_field)
    return labels


def _key_field(model: type[models.Model], line: int, header: list[str]) -> models.Field[Any, Any]:
    """The field the header's first column names, if it is unique."""
    name = header[0].strip()
    unique = key_fields(model)
    label = model._meta.label
    example = _example(model)
    try:
        key_field = model._meta.get_field(model._meta.pk.name if name == "pk" else name)
    except FieldDoesNotExist:
        close = difflib.get_close_matches(name, unique, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise LabelFileError(
            [
                (
                    line,
                    f"the header's first column is {name!r}, which is not a field of {label}. "
                    f"The first line must be a header whose first column names a unique "
                    f"field ({', '.join(unique)}), e.g. '{example}'.{hint}",
                )
            ]
        ) from None
    if key_field.name not in unique:
        raise LabelFileError(
            [
                (
                    line,
                    f"the key column {name!r} is not a unique field of {label}, so a value "
                    f"may name several records; name a unique one: {', '.join(unique)}.",
                )
            ]
        )
    if len(header) < 2 or not header[1].strip():
        raise LabelFileError(
            [
                (
                    line,
                    "the header needs a second column, for the kinds each record should get "
                    f"(';'-separated, empty for a clean record), e.g. '{example}'.",
                )
            ]
        )
    assert isinstance(key_field, models.Field)
    return key_field


def _with_pks(labels: Labels, key_field: models.Field[Any, Any]) -> list[Label]:
    """The labels with the primary key of the records they name."""
    problems: list[tuple[int, str]] = []
    by_value: dict[Any, Label] = {}
    for label in labels.labels:
        try:
            value = key_field.to_python(label.key)
        except ValidationError as exc:
            problems.append(
                (label.line, f"{label.key!r} is not a {key_field.name}: {exc.messages[0]}")
            )
            continue
        by_value[value] = label
    if problems:
        raise LabelFileError(problems)
    manager = labels.model._default_manager
    values = list(by_value)
    pks: dict[Any, Any] = {}
    for start in range(0, len(values), KEYS_PER_QUERY):
        chunk = values[start : start + KEYS_PER_QUERY]
        pks.update(
            manager.filter(**{f"{key_field.name}__in": chunk})
            .order_by()
            .values_list(key_field.name, "pk")
        )
    missing = [label for value, label in by_value.items() if value not in pks]
    if missing:
        label_name = labels.model._meta.label
        raise LabelFileError(
            (label.line, f"no {label_name} has {key_field.name} {label.key!r}.")
            for label in missing
        )
    return [
        Label(label.line, label.key, label.kinds, str(pks[value]))
        for value, label in by_value.items()
    ]


def _example(model: type[models.Model]) -> str:
    unique = key_fields(model)
    preferred = next((name for name in unique if name != model._meta.pk.name), unique[0])
    return f"{preferred},kinds"
