"""What every text check shares: :class:`TextCheck`, and how a text is read and shown.

:func:`fold` is how patterns read a text (compatibility forms folded, invisible
characters dropped, case-blind); :func:`excerpt` is how evidence is shown (short, with
invisible and control characters made visible).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, ClassVar

__all__ = ["CONTENT_SOURCE", "TextCheck", "excerpt", "fold"]

#: The ``source`` of the flags of text checks (beside "rule", "statistics", "model").
CONTENT_SOURCE = "content"
#: Characters of evidence shown on each side of what was found.
CONTEXT_CHARS = 24
#: The longest evidence a flag keeps.
EVIDENCE_MAX_CHARS = 90


class TextCheck:
    """One kind of suspicious content. Subclass it: set :attr:`kind`, :attr:`severity`
    and :attr:`reason`, and implement :meth:`find`."""

    #: The flag's ``kind`` ("markup").
    kind: ClassVar[str] = ""
    severity: ClassVar[str] = "warning"
    #: What the flag says, after the field's name.
    reason: ClassVar[str] = ""

    def find(self, text: str) -> str | None:
        """The evidence of suspicious content in ``text`` (a short excerpt), or ``None``."""
        raise NotImplementedError(f"{type(self).__name__} must implement find().")

    def flag(self, path: str, evidence: str, rule: str) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "field": path,
            "severity": self.severity,
            "reason": f"{path.replace('_', ' ')} {self.reason}",
            "source": CONTENT_SOURCE,
            "rule": rule,
            "value": evidence,
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))


_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """``text`` as the prompt-injection patterns read it: compatibility forms folded
    (NFKC), invisible characters dropped, runs of spaces made one, case-blind."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(char for char in text if unicodedata.category(char) != "Cf")
    return _SPACES.sub(" ", text).casefold()


def excerpt(text: str, start: int, end: int) -> str:
    """What was found between ``start`` and ``end``, with some context, invisible and
    control characters shown as ``\\uXXXX``."""
    begin = max(0, start - CONTEXT_CHARS)
    shown = text[begin : min(len(text), end + CONTEXT_CHARS)]
    visible = "".join(_visible(char) for char in shown)
    prefix = "…" if begin else ""
    suffix = "…" if end + CONTEXT_CHARS < len(text) else ""
    if len(visible) > EVIDENCE_MAX_CHARS:
        visible = visible[: EVIDENCE_MAX_CHARS - 1]
        suffix = "…"
    return f"{prefix}{visible}{suffix}"


def _visible(char: str) -> str:
    if char == "\n":
        return " "
    if unicodedata.category(char) in ("Cc", "Cf", "Co", "Cs"):
        return f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}"
    return char
