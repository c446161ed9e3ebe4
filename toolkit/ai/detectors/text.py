"""Suspicious content in text fields: markup, spreadsheet formulas, text addressed to a
model, control characters.

Each :class:`TextCheck` answers one question about one text and returns the evidence
(the part of the text that answered it, made visible) or ``None``. The checks aim at
what a person would call suspicious, not at every character that could be: a
description that starts with "- " is a list, "3 < 5" is arithmetic, "works with voice
assistants" is about a product, and none of them is flagged.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from django.db.models import Q

from toolkit.ai.detectors.base import CONTENT_SOURCE, TextCheck, excerpt
from toolkit.ai.detectors.injection import PromptInjection
from toolkit.ai.rules import SEVERITIES, RecordRule
from toolkit.exceptions import ToolkitConfigurationError

__all__ = [
    "DEFAULT_TEXT_CHECKS",
    "ControlCharacters",
    "Markup",
    "PromptInjection",
    "SpreadsheetFormula",
    "SuspiciousText",
    "TextCheck",
]

#: The elements :class:`Markup` knows by name.
_ELEMENTS = """
a abbr address applet area article aside audio b base bdi bdo big blink blockquote
body br button canvas caption center cite code col colgroup data dd del details dfn
dialog div dl dt em embed fieldset figcaption figure font footer form frame frameset
h1 h2 h3 h4 h5 h6 head header hr html i iframe img input ins kbd label legend li
link main map mark marquee math menu meta meter nav noscript object ol optgroup
option output p param picture pre progress q rp rt ruby s samp script section select
slot small source span strike strong style sub summary sup svg table tbody td
template textarea tfoot th thead time title tr track tt u ul var video wbr xml
"""


class Markup(TextCheck):
    """HTML (tags of HTML's elements, or any tag with attributes or a closing tag),
    comments and CDATA, escaped tags, ``javascript:`` links, Markdown links and images,
    BBCode and template tags."""

    kind = "markup"
    reason = "holds markup (HTML or links), which a page or a model may render."
    #: Elements of HTML, SVG and MathML a tag may open without attributes.
    elements: ClassVar[frozenset[str]] = frozenset(_ELEMENTS.split())
    tag: ClassVar[re.Pattern[str]] = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)((?:\s[^<>]*)?)/?>")
    patterns: ClassVar[tuple[re.Pattern[str], ...]] = (
        re.compile(r"<!--|<!\[CDATA\[|<!doctype", re.IGNORECASE),
        re.compile(r"&(?:lt|#0*60|#x0*3c);\s*/?\s*[a-z]", re.IGNORECASE),
        re.compile(r"\b(?:javascript|vbscript|livescript)\s*:|\bdata:\s*text/html", re.I),
        re.compile(r"!?\[[^\[\]\n]*\]\(\s*(?:[a-z][a-z0-9+.-]*:|/|www\.)[^)\s]*\)", re.I),
        re.compile(r"\[(?:url|img|iframe|link|color|size)(?:=[^\]]*)?\]", re.IGNORECASE),
        re.compile(r"\{\{.{0,200}?\}\}|\{%.{0,200}?%\}", re.DOTALL),
    )

    def find(self, text: str) -> str | None:
        if "<" in text:
            for tag in self.tag.finditer(text):
                closing, name, attributes = tag.groups()
                if closing or name.lower() in self.elements or "=" in attributes:
                    return excerpt(text, tag.start(), tag.end())
        for pattern in self.patterns:
            if match := pattern.search(text):
                return excerpt(text, match.start(), match.end())
        return None


class SpreadsheetFormula(TextCheck):
    """Text a spreadsheet would run as a formula: its first significant character (after
    whitespace and invisible characters, which spreadsheets skip) is ``=``, or ``@``,
    ``+`` or ``-`` before a function, a cell, a sum or a DDE pipe (the signs' full-width
    and small forms count); a tab or carriage return as the very first character (as
    OWASP advises); a call that reaches out (``HYPERLINK``, ``IMPORTXML``, ``cmd|``)
    anywhere."""

    kind = "formula"
    reason = "holds a spreadsheet formula, which runs when the value is exported and opened."
    #: After ``@``, ``+`` or ``-``: a function call, a cell reference in a formula, a
    #: sum, or a DDE command (``cmd|``).
    body: ClassVar[re.Pattern[str]] = re.compile(
        r"[A-Za-z_][\w.]*\(|\$?[A-Za-z]{1,3}\$?\d+\s*(?:[-+*/^&:,;)]|$)"
        r"|\d[\d.,]*\s*[-+*/^&]\s*[\w($]|[\w.]*\|"
    )
    anywhere: ClassVar[re.Pattern[str]] = re.compile(
        r"[=+@-](?:hyperlink|importxml|importdata|importhtml|importfeed|importrange"
        r"|webservice|image|cmd|dde|call|exec)\s*[(|]|\b(?:cmd|msexcel|powershell|mshta)\s*\|",
        re.IGNORECASE,
    )

    def find(self, text: str) -> str | None:
        if text[:1] in ("\t", "\r"):
            return excerpt(text, 0, 1)
        for index, char in enumerate(text):
            if char.isspace() or unicodedata.category(char) in ("Cc", "Cf"):
                continue
            sign = "-" if char == "\u2212" else unicodedata.normalize("NFKC", char)
            if sign == "=" or (sign in "@+-" and self.body.match(text, index + 1)):
                return excerpt(text, index, index + 1)
            break
        if match := self.anywhere.search(text):
            return excerpt(text, match.start(), match.end())
        return None


class ControlCharacters(TextCheck):
    """Control characters (but tab, line feed and carriage return), zero-width and
    bidirectional marks (which hide or reorder text on screen), and Unicode's tag
    characters (invisible ASCII, a known way to smuggle instructions to a model).
    Joiners, which emoji and several scripts need, are not flagged."""

    kind = "control_characters"
    reason = "holds control or invisible characters."
    invisible: ClassVar[frozenset[str]] = frozenset(
        "\u061c\u180e\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
        "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff\ufff9\ufffa\ufffb"
    )

    def find(self, text: str) -> str | None:
        for index, char in enumerate(text):
            if (
                (char < " " and char not in "\t\n\r")
                or "\x7f" <= char <= "\x9f"
                or char in self.invisible
                or "\U000e0000" <= char <= "\U000e007f"
            ):
                return excerpt(text, index, index + 1)
        return None


#: The checks :class:`SuspiciousText` runs unless told otherwise.
DEFAULT_TEXT_CHECKS: tuple[TextCheck, ...] = (
    Markup(),
    SpreadsheetFormula(),
    PromptInjection(),
    ControlCharacters(),
)


@dataclass(frozen=True, init=False)
class SuspiciousText(RecordRule):
    """Flags text fields (dotted paths, across relations too: ``reviews.text``) in which
    one of ``checks`` finds suspicious content: one flag per field and kind."""

    source: ClassVar[str] = CONTENT_SOURCE

    fields: tuple[str, ...] = ()
    checks: tuple[TextCheck, ...] = ()

    def __init__(
        self,
        fields: str | Sequence[str],
        *,
        name: str = "suspicious_text",
        checks: Iterable[TextCheck] | None = None,
    ) -> None:
        paths = (fields,) if isinstance(fields, str) else tuple(fields)
        chosen = tuple(DEFAULT_TEXT_CHECKS if checks is None else checks)
        if not paths:
            raise ToolkitConfigurationError(f"SuspiciousText {name!r}: name the text fields.")
        for check in chosen:
            if not isinstance(check, TextCheck) or not check.kind:
                raise ToolkitConfigurationError(
                    f"SuspiciousText {name!r}: {check!r} is not a TextCheck with a kind."
                )
            if check.severity not in SEVERITIES:
                raise ToolkitConfigurationError(
                    f"{type(check).__name__}: severity must be one of {', '.join(SEVERITIES)}."
                )
        super().__init__(name, Q(), reason="Suspicious content in text.")
        object.__setattr__(self, "fields", paths)
        object.__setattr__(self, "checks", chosen)

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(check.kind for check in self.checks)

    @property
    def reads(self) -> tuple[str, ...]:
        return self.fields

    def check(self, values: Mapping[str, Any]) -> list[dict[str, Any]]:
        flags = []
        for path in self.fields:
            text = values.get(path)
            if not isinstance(text, str) or not text:
                continue
            for check in self.checks:
                evidence = check.find(text)
                if evidence is not None:
                    flags.append(check.flag(path, evidence, self.name))
        return flags
