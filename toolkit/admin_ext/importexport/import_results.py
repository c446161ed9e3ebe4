"""What validating one row of an import found: :class:`RowResult`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["RowResult"]


@dataclass
class RowResult:
    """One data row of an import: its number in the file, its cells (keyed by the
    file's headers), what it would do ("new", "update" or "unchanged"), and its errors
    keyed by the file's header ("__all__" for the row)."""

    number: int
    values: dict[str, Any]
    errors: dict[str, list[str]]
    action: str = ""
    instance: Any = None
    m2m: dict[str, list[Any]] | None = None

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def error_text(self) -> str:
        return "; ".join(
            f"{column}: {' '.join(messages_)}" if column != "__all__" else " ".join(messages_)
            for column, messages_ in self.errors.items()
        )

    @property
    def error_items(self) -> list[tuple[str, Any, str]]:
        """Each error as (column, the cell's value, message); column ``""`` for an error
        of the whole row."""
        return [
            ("", "", message)
            if column == "__all__"
            else (column, self.values.get(column, ""), message)
            for column, messages_ in self.errors.items()
            for message in messages_
        ]
