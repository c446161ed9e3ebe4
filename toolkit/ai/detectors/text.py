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
            "source": SuspiciousText.source,
            "rule": rule,
            "value": evidence,
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))


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


class PromptInjection(TextCheck):
    """Text addressed to a model rather than to a person: orders to ignore its
    instructions, "you are an AI", "system prompt", chat role markers, asking it to flag
    nothing. Read case-blind, with compatibility forms folded (full-width letters) and
    invisible characters dropped, so "ig\\u200bnore" is "ignore"."""

    kind = "prompt_injection"
    severity = "critical"
    reason = "is addressed to a model (instructions, a role, a system prompt)."
    patterns: ClassVar[tuple[re.Pattern[str], ...]] = tuple(
        re.compile(pattern)
        for pattern in (
            # "ignore all previous instructions", "disregard the above rules"
            r"\b(?:ignore|disregard|forget|override|bypass|skip)\b[^.!?\n]{0,30}?"
            r"\b(?:previous|prior|above|earlier|preceding|foregoing|original|initial|system)\b"
            r"[^.!?\n]{0,20}?\b(?:instructions?|prompts?|rules|directions|guidelines|context"
            r"|messages?|constraints|directives|commands)\b",
            r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:all|any|every|your|these|those)"
            r"\s+(?:of\s+)?(?:your\s+|the\s+)?(?:instructions?|prompts?|directives)\b",
            # "you are an AI.", "you are now a helpful assistant that..."
            r"\byou\s+are\s+(?:now\s+|actually\s+|just\s+)?(?:an?\s+|the\s+)?(?:helpful\s+)?"
            r"(?:ai|a\.i\.|artificial intelligence|(?:large\s+)?language model|llm|chatbot"
            r"|chat bot|assistant|gpt|bot|model)\b(?=\s*(?:$|[.,;:!?)\-]|(?:model|assistant"
            r"|system|that|who|which|and|with|trained|designed|built|tasked|reading"
            r"|processing|reviewing|here|now|named|called)\b))",
            r"\bas an?\s+(?:ai|a\.i\.|(?:large\s+)?language model|llm)\s*(?:,|language model\b"
            r"|model\b|assistant\b)",
            r"\bsystem\s+prompt\b|\bsystem\s+(?:message|instructions?)\s*:",
            r"\b(?:dan|jailbreak)\s+mode\b|\bjailbr(?:eak|oken)\b",
            r"\bprompt\s+injection\b",
            r"<\|?\s*(?:im_start|im_end|system|endoftext|assistant)\s*\|?>|\[/?inst\]|<</?sys>>",
            r"(?:^|\s)#{2,}\s*(?:system|instructions?|response|assistant)\b",
            r"\bnew\s+(?:instructions?|task|prompt)\s*:",
            r"\b(?:dear|hey|hi|hello|attention|note to|message to)\s+(?:the\s+)?"
            r"(?:ai|a\.i\.|llm|(?:ai\s+|language\s+)model|chatbot|chat bot|assistant|gpt|bot)\b",
            r"\bif\s+you\s+are\s+an?\s+(?:ai|a\.i\.|llm|language model|chatbot|bot|automated"
            r"|assistant|model)\b",
            r"\bto\s+(?:the|any)\s+(?:ai|llm|language model|model|assistant|bot)\s+(?:reading"
            r"|processing|reviewing|analy[sz]ing|summari[sz]ing|checking)\b",
            r"\b(?:do\s+not|don't|never|must\s+not)\s+(?:flag|report\s+(?:any|anything|this"
            r"|anomal))",
            r"\b(?:mark|classify|rate|report|treat|consider|label)\s+(?:this|the)\s+(?:record"
            r"|product|item|entry|listing|row)\s+as\s+(?:clean|normal|ok|okay|valid|safe"
            r"|fine|correct|compliant)\b",
            r"\b(?:report|return|output|respond\s+with|reply\s+with|answer\s+with)\s+(?:no|zero"
            r"|an\s+empty|empty)\s+(?:anomal\w*|flags?|issues|findings|list|array)\b",
            r"[\"']?flags[\"']?\s*[:=]\s*\[\s*\]",
            r"\b(?:reveal|print|repeat|show|leak)\s+(?:me\s+)?(?:your\s+(?:system\s+)?"
            r"(?:prompt|instructions)|the\s+system\s+prompt)\b",
            r"\bpretend\s+(?:to\s+be|(?:that\s+)?you\s+are)\s+(?:an?\s+|the\s+)?(?:ai|llm"
            r"|language model|assistant|unfiltered|jailbroken|different|another)\b",
            r"\bfrom\s+now\s+on,?\s+you\s+(?:are|must|will\s+(?:act|respond|answer|reply"
            r"|ignore|only))\b",
            r"\b(?:act|acting|behave)\s+as\s+(?:an?\s+|the\s+)?(?:ai|llm|unfiltered|jailbroken"
            r"|administrator|admin|developer)\b",
            r"\byou\s+(?:must|will|shall)\s+(?:now\s+)?(?:obey|comply\s+with\s+(?:these|my"
            r"|the\s+following))\b",
        )
    )

    def find(self, text: str) -> str | None:
        folded = fold(text)
        for pattern in self.patterns:
            if match := pattern.search(folded):
                return excerpt(folded, match.start(), match.end())
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

    source: ClassVar[str] = "content"

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
