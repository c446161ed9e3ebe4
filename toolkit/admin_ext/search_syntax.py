"""The changelist search language: words, "quoted phrases", -negation and qualifiers.

Pure Python (no Django), so the rules below are unit-tested on their own and the
admin mixin in :mod:`toolkit.admin_ext.search` only turns parsed terms into queries.

Rules, in the order they apply to each whitespace-separated token:

- ``"..."`` is a phrase: spaces inside it do not split terms, ``\\"`` is a literal quote.
  A quote opens a phrase only at the start of a token, after a leading ``-`` or right
  after a qualifier (``supplier:"acme corp"``); elsewhere it is an ordinary character, so
  ``12"`` (inches) is a word. An opening quote with no closing one is a problem
  (``unclosed_quote``) and the rest of the text after it is not used.
- A leading ``-`` negates the term (``-refurbished``, ``-"usb c"``, ``-sku:X1``); a lone
  ``-`` is an ordinary word.
- ``name:value`` where ``name`` looks like an identifier (a letter or ``_``, then letters,
  digits or ``_``) is a qualifier. ``name:>=value`` (and ``>``, ``<``, ``<=``, ``=``)
  compares. A name that is not declared is a problem (``unknown_qualifier``) rather than a
  word, because a typo such as ``suplier:acme`` must not silently search for that text.
  Text that merely contains a colon still works: ``10:30`` (starts with a digit) and
  ``https://...`` (value starts with ``//``) are words, and any text in quotes
  (``"foo:bar"``) is a phrase.
- ``name>=value`` (an operator without the colon) is a qualifier only when ``name`` is
  declared; otherwise ``a>b`` is an ordinary word.
- A declared qualifier with nothing after it (``sku:`` or ``sku:""``) is a problem
  (``empty_value``).

Qualifier names match case-insensitively. Apostrophes are ordinary characters, so
``O'Brien`` is one word; phrases use double quotes only.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

#: Comparison operators a qualifier accepts, longest first so ``>=`` wins over ``>``.
OPERATORS = (">=", "<=", ">", "<", "=")

_OPERATOR = "|".join(re.escape(op) for op in OPERATORS)
# ``name:``, ``name:>=`` or ``name>=`` at the start of a token; the rest is the value.
_QUALIFIER_RE = re.compile(rf"^([^\W\d]\w*)(?::({_OPERATOR})?|({_OPERATOR}))(.*)$", re.DOTALL)
# What may precede an opening quote inside a token: "-", "name:", "name:>=", "name>=".
_QUOTE_MAY_OPEN_AFTER_RE = re.compile(rf"^-?(?:[^\W\d]\w*(?::(?:{_OPERATOR})?|(?:{_OPERATOR})))?$")

UNCLOSED_QUOTE = "unclosed_quote"
UNKNOWN_QUALIFIER = "unknown_qualifier"
EMPTY_VALUE = "empty_value"


@dataclass(frozen=True)
class TextTerm:
    """A word or phrase matched against the admin's search fields."""

    value: str
    raw: str
    negated: bool = False
    phrase: bool = False


@dataclass(frozen=True)
class QualifiedTerm:
    """``name:value`` or ``name<op>value``; ``operator`` is one of :data:`OPERATORS`."""

    name: str
    operator: str
    value: str
    raw: str
    negated: bool = False


Term = TextTerm | QualifiedTerm


@dataclass(frozen=True)
class SyntaxProblem:
    """Text that could not be understood; ``raw`` is exactly what the person typed."""

    code: str
    raw: str
    name: str = ""


@dataclass(frozen=True)
class ParsedSearch:
    terms: tuple[Term, ...] = ()
    problems: tuple[SyntaxProblem, ...] = ()


@dataclass
class _Token:
    raw: str
    # (text, quoted) pieces in order; quotes removed from quoted pieces.
    parts: list[tuple[str, bool]] = field(default_factory=list)
    unclosed: bool = False

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.parts)


def tokenize(text: str) -> list[_Token]:
    """Split ``text`` into tokens, keeping track of which pieces were quoted."""
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        token = _Token(raw="")
        plain: list[str] = []
        while i < n and not text[i].isspace():
            char = text[i]
            if char == '"' and _QUOTE_MAY_OPEN_AFTER_RE.match(_unquoted_prefix(token, plain)):
                if plain:
                    token.parts.append(("".join(plain), False))
                    plain = []
                i, phrase, closed = _read_quoted(text, i + 1)
                token.parts.append((phrase, True))
                if not closed:
                    token.unclosed = True
                    break
                continue
            plain.append(char)
            i += 1
        if plain:
            token.parts.append(("".join(plain), False))
        token.raw = text[start:i]
        tokens.append(token)
    return tokens


def _unquoted_prefix(token: _Token, plain: list[str]) -> str:
    """The token so far, or a marker that never matches once a quote was seen."""
    if any(quoted for _, quoted in token.parts):
        return "\x00"
    return token.text + "".join(plain)


def _read_quoted(text: str, i: int) -> tuple[int, str, bool]:
    """Read a phrase starting after its opening quote: (next index, phrase, closed)."""
    chars: list[str] = []
    n = len(text)
    while i < n:
        char = text[i]
        if char == "\\" and i + 1 < n and text[i + 1] in '"\\':
            chars.append(text[i + 1])
            i += 2
            continue
        if char == '"':
            return i + 1, "".join(chars), True
        chars.append(char)
        i += 1
    return i, "".join(chars), False


def parse(text: str, qualifiers: Collection[str] = ()) -> ParsedSearch:
    """Parse a search box's text. ``qualifiers`` are the declared qualifier names.

    Returned qualifier terms carry the declared spelling of their name. Problems never
    stop parsing: every other term is still returned, so the caller filters by them.
    """
    by_lower = {name.lower(): name for name in qualifiers}
    terms: list[Term] = []
    problems: list[SyntaxProblem] = []
    for token in tokenize(text):
        if token.unclosed:
            problems.append(SyntaxProblem(UNCLOSED_QUOTE, token.raw))
            continue
        parts = list(token.parts)
        negated = False
        first, first_quoted = parts[0]
        if not first_quoted and first.startswith("-") and (len(first) > 1 or len(parts) > 1):
            negated = True
            parts[0] = (first[1:], False)
            if not parts[0][0]:
                parts.pop(0)
        term_or_problem = _qualified(token.raw, parts, negated, by_lower)
        if isinstance(term_or_problem, SyntaxProblem):
            problems.append(term_or_problem)
            continue
        if term_or_problem is not None:
            terms.append(term_or_problem)
            continue
        value = "".join(text for text, _ in parts)
        if value:
            phrase = any(quoted for _, quoted in parts)
            terms.append(TextTerm(value, token.raw, negated=negated, phrase=phrase))
    return ParsedSearch(tuple(terms), tuple(problems))


def _qualified(
    raw: str, parts: list[tuple[str, bool]], negated: bool, by_lower: dict[str, str]
) -> QualifiedTerm | SyntaxProblem | None:
    """The qualifier term a token spells, a problem, or None for an ordinary word."""
    if not parts or parts[0][1]:
        return None
    match = _QUALIFIER_RE.match(parts[0][0])
    if match is None:
        return None
    name, colon_operator, bare_operator, rest = match.groups()
    value = rest + "".join(text for text, _ in parts[1:])
    declared = by_lower.get(name.lower())
    if declared is None:
        if bare_operator is not None or (len(parts) == 1 and rest.startswith("//")):
            return None
        return SyntaxProblem(UNKNOWN_QUALIFIER, raw, name=name)
    if not value.strip():
        return SyntaxProblem(EMPTY_VALUE, raw, name=declared)
    operator = colon_operator or bare_operator or "="
    return QualifiedTerm(declared, operator, value, raw, negated=negated)
