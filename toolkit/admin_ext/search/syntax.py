"""The changelist search language: Django's words and phrases, plus -exclusions and the
admin's own qualifiers.

Stock first: the text is split exactly as ``ModelAdmin.get_search_results`` splits it
(Django's ``smart_split``), and a piece means what it means there unless it is one of
the toolkit's operators below. So ``'usb c'`` and ``"usb c"`` are phrases, ``it's Bob's``
is the one piece stock Django makes of it, and ``Re:``, ``ISBN:978…``, ``10:30``, a MAC
or IPv6 address are words. :mod:`.query` only turns the parsed terms into queries.

The toolkit's operators, applied to each piece:

- A leading ``-`` followed by a letter or a quote excludes the rest (``-refurbished``,
  ``-"usb c"``, ``-sku:X1``). ``-5`` is a negative number and a lone ``-`` a word, as in
  stock Django.
- ``name:value`` where ``name`` is one of the admin's declared qualifiers (matched
  case-insensitively) filters by that qualifier; ``name:>=value`` (``>``, ``<``,
  ``<=``, ``=``) and ``name>=value`` compare. A quoted value may hold spaces
  (``supplier:"acme corp"``). A declared qualifier with nothing after it (``sku:``,
  ``sku:""``) is a problem (``empty_value``).
- Any other ``name:value`` or ``name>=value`` is searched as the word it is. When
  ``name`` is close to a declared qualifier (``prce>=500``), the parse also reports
  ``unknown_qualifier`` with the suggestion, so the person learns of the typo.
- A double quote that opens a piece (or a qualifier's value) and is never closed is a
  problem (``unclosed_quote``) and that piece is not used; the other pieces still are.
  An apostrophe is never a problem: ``'90s`` and ``rock 'n roll`` are words.

Repeated terms are kept once: searching ``daniel daniel`` is searching ``daniel``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from django.utils.text import smart_split, unescape_string_literal

#: Comparison operators a qualifier accepts, longest first so ``>=`` wins over ``>``.
OPERATORS = (">=", "<=", ">", "<", "=")

_OPERATOR = "|".join(re.escape(op) for op in OPERATORS)
# ``name:``, ``name:>=`` or ``name>=`` at the start of a piece; the rest is the value.
_QUALIFIER_RE = re.compile(rf"^([^\W\d]\w*)(?::({_OPERATOR})?|({_OPERATOR}))(.*)$", re.DOTALL)
# A double-quoted phrase with its closing quote, as smart_split reads one.
_CLOSED_PHRASE_RE = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
#: How close a mistyped name must be to a declared qualifier to be suggested.
SUGGESTION_CUTOFF = 0.6

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
    """Text that could not be used as typed; ``raw`` is exactly what the person typed.

    ``unclosed_quote`` and ``empty_value`` pieces are left out of the search;
    ``unknown_qualifier`` pieces are searched as words, and ``suggestion`` names the
    declared qualifier the person probably meant.
    """

    code: str
    raw: str
    name: str = ""
    suggestion: str = ""


@dataclass(frozen=True)
class ParsedSearch:
    terms: tuple[Term, ...] = ()
    problems: tuple[SyntaxProblem, ...] = ()


def split(text: str) -> list[str]:
    """The pieces of ``text``, exactly as Django's admin search splits it."""
    return list(smart_split(text))


def parse(text: str, qualifiers: Collection[str] = ()) -> ParsedSearch:
    """Parse a search box's text. ``qualifiers`` are the declared qualifier names.

    Returned qualifier terms carry the declared spelling of their name. Problems never
    stop parsing: every other term is still returned, so the caller filters by them.
    """
    by_lower = {name.lower(): name for name in qualifiers}
    terms: dict[Term, None] = {}
    problems: dict[SyntaxProblem, None] = {}
    for piece in split(text):
        term, problem = _read(piece, by_lower)
        if term is not None:
            terms.setdefault(term)
        if problem is not None:
            problems.setdefault(problem)
    return ParsedSearch(tuple(terms), tuple(problems))


def _read(piece: str, by_lower: dict[str, str]) -> tuple[Term | None, SyntaxProblem | None]:
    """The term a piece spells (None when it is left out) and its problem, if any."""
    negated = len(piece) > 1 and piece[0] == "-" and (piece[1].isalpha() or piece[1] in "\"'")
    core = piece[1:] if negated else piece
    if _unclosed(core):
        return None, SyntaxProblem(UNCLOSED_QUOTE, piece)
    phrase = _phrase(core)
    if phrase is not None:
        if not phrase.strip():
            return None, None
        return TextTerm(phrase, piece, negated=negated, phrase=True), None
    match = _QUALIFIER_RE.match(core)
    if match is None:
        return TextTerm(core, piece, negated=negated), None
    name, colon_operator, bare_operator, value = match.groups()
    declared = by_lower.get(name.lower())
    if declared is None:
        word = TextTerm(core, piece, negated=negated)
        suggestion = _closest(name.lower(), list(by_lower.values())) if value else None
        if suggestion is None:
            return word, None
        return word, SyntaxProblem(UNKNOWN_QUALIFIER, piece, name=name, suggestion=suggestion)
    if _unclosed(value):
        return None, SyntaxProblem(UNCLOSED_QUOTE, piece, name=declared)
    unquoted = _phrase(value)
    if unquoted is not None:
        value = unquoted
    if not value.strip():
        return None, SyntaxProblem(EMPTY_VALUE, piece, name=declared)
    operator = colon_operator or bare_operator or "="
    return QualifiedTerm(declared, operator, value, piece, negated=negated), None


def _phrase(text: str) -> str | None:
    """The phrase inside ``text`` when stock Django reads it as one (it starts and ends
    with the same quote), unescaped as Django does; None otherwise."""
    if not text or text[0] not in "\"'" or text[0] != text[-1]:
        return None
    return unescape_string_literal(text)


def _unclosed(text: str) -> bool:
    """Whether ``text`` opens a double-quoted phrase that it never closes."""
    return text.startswith('"') and _CLOSED_PHRASE_RE.match(text) is None


def _closest(name: str, choices: Sequence[str]) -> str | None:
    by_lower = {choice.lower(): choice for choice in choices}
    close = difflib.get_close_matches(name, sorted(by_lower), n=1, cutoff=SUGGESTION_CUTOFF)
    return by_lower[close[0]] if close else None
