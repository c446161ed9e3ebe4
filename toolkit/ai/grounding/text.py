"""Sentences of a model's text: split, de-duplicated, and whole.

Small models repeat themselves ("a 1-person tent with two bedrooms" four times) and are
cut off at their token budget mid-sentence. These helpers find both, for any text.
"""

from __future__ import annotations

import re
from collections import Counter

__all__ = [
    "TERMINAL",
    "is_complete",
    "near_duplicate",
    "normalize",
    "repeated_phrase",
    "split_sentences",
]

#: What a finished sentence ends with (closing quotes and brackets may follow).
TERMINAL = re.compile(r"[.!?\u2026\u3002](?:[\"'\u201d\u2019)\]]*)\s*$")
_BOUNDARY = re.compile(
    r"(?<=[.!?\u2026])[\"'\u201d\u2019)\]]*\s+(?=[\"'\u201c\u2018(\[]?[A-Z0-9\u00c0-\u00dd])|\n+"
)
_WORDS = re.compile(r"\w+")
#: Words in a row that, seen twice, make a text repetitive.
PHRASE_WORDS = 4
#: Share of the words two sentences have in common above which they say the same.
NEAR_DUPLICATE = 0.7


def split_sentences(text: str) -> list[str]:
    """``text`` as sentences (and list items), stripped, empty ones left out."""
    parts = _BOUNDARY.split(text.strip())
    sentences = []
    for part in parts:
        part = part.strip().lstrip("-•* ").strip()
        if part:
            sentences.append(part)
    return sentences


def is_complete(sentence: str) -> bool:
    """Whether ``sentence`` ends as a sentence does, not cut off."""
    return bool(TERMINAL.search(sentence))


def normalize(text: str) -> str:
    """Lower-case words only: what two spellings of one sentence share."""
    return " ".join(_WORDS.findall(text.lower()))


def near_duplicate(sentence: str, others: list[str]) -> str | None:
    """The sentence of ``others`` that ``sentence`` repeats (the same words, one within
    the other, or most words in common), or ``None``."""
    mine = normalize(sentence)
    if not mine:
        return None
    my_words = set(mine.split())
    for other in others:
        theirs = normalize(other)
        if not theirs:
            continue
        if mine == theirs or mine in theirs or theirs in mine:
            return other
        their_words = set(theirs.split())
        if min(len(my_words), len(their_words)) >= PHRASE_WORDS:
            shared = len(my_words & their_words) / len(my_words | their_words)
            if shared >= NEAR_DUPLICATE:
                return other
    return None


def repeated_phrase(text: str, words: int = PHRASE_WORDS) -> str | None:
    """A sentence said twice, or a phrase of ``words`` words said twice (overlaps not
    counted), in ``text``; ``None`` when nothing repeats."""
    seen: list[str] = []
    for sentence in split_sentences(text):
        if normalize(sentence) and normalize(sentence) in (normalize(s) for s in seen):
            return sentence
        seen.append(sentence)
    tokens = _WORDS.findall(text.lower())
    last_start: dict[tuple[str, ...], int] = {}
    counts: Counter[tuple[str, ...]] = Counter()
    for start in range(len(tokens) - words + 1):
        gram = tuple(tokens[start : start + words])
        if gram in last_start and start - last_start[gram] < words:
            continue  # overlaps its previous occurrence ("very very very very very")
        last_start[gram] = start
        counts[gram] += 1
        if counts[gram] >= 2:
            return " ".join(gram)
    return None
