"""Cells as each file format stores them, made safe by one formula neutraliser.

A spreadsheet runs a text cell as a formula when its first significant character is
``=``, ``+``, ``-`` or ``@``. Excel and LibreOffice skip leading whitespace and control
characters to find that character, and read the full-width and small forms of the
signs (U+FF1D, U+FE62...) as the signs themselves; OWASP adds cells that start with a
tab or a carriage return. :func:`neutralise` answers all of these with a leading ``'``.

It must see a cell *as it will be stored*: XLSX cannot hold most control characters and
drops them, so ``"\\x01=HYPERLINK(...)"`` is stored as ``"=HYPERLINK(...)"``. Each
``*_cell`` function below first turns a value into what its format stores, then
neutralises that. Every file the import/export writes (exports, job results,
rejected rows, headers included) is written by a :class:`~.formats.Format`, which hands
every cell through one of them before it writes it: a format a project adds is made
safe the same way.
"""

from __future__ import annotations

import datetime
import importlib
import json
import unicodedata
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.utils import timezone

__all__ = [
    "FORMULA_PREFIXES",
    "FORMULA_SIGNS",
    "csv_cell",
    "csv_row",
    "json_cell",
    "neutralise",
    "text_cell",
    "unneutralise",
    "xlsx_cell",
]

#: Characters that make a spreadsheet read a cell starting with them as a formula
#: (OWASP's list). Tab and carriage return count only as the very first character.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

#: The signs a formula may start with, after skipped characters: ASCII, their
#: compatibility forms (full-width, small, superscript and subscript: Unicode's NFKC
#: maps them to the ASCII sign, and spreadsheets read them so) and the minus sign.
FORMULA_SIGNS = frozenset(
    "=+-@"
    "\uff1d\uff0b\uff0d\uff20"  # full-width = + - @
    "\ufe66\ufe62\ufe63\ufe6b"  # small = + - @
    "\u207c\u207a\u208c\u208a"  # superscript and subscript = +
    "\ufb29"  # Hebrew alternative plus sign
    "\u2212"  # minus sign
)

#: First characters that are always neutralised, whatever follows.
_ALWAYS = frozenset("\t\r")

#: Values written as numbers, dates or empty cells: never read as formulas.
_NOT_TEXT = (bool, int, float, Decimal, datetime.date, datetime.time)


def _skipped(char: str) -> bool:
    """Whether a spreadsheet skips ``char`` before the first significant character:
    whitespace, control and format characters (zero-width spaces, marks, BOM)."""
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf")


def neutralise(value: Any) -> Any:
    """``value`` made safe to open in a spreadsheet: text whose first significant
    character is a formula sign gets a leading ``'``; anything that is not text (a
    negative number) is unchanged."""
    if not isinstance(value, str) or not value:
        return value
    first = value[0]
    if first in FORMULA_SIGNS or first in _ALWAYS:
        return "'" + value
    if " " < first < "\x7f":  # the common case: printable ASCII that is not a sign
        return value
    for char in value:
        if not _skipped(char):
            return "'" + value if char in FORMULA_SIGNS else value
    return value


def unneutralise(value: Any) -> Any:
    """What :func:`neutralise` was given, for a cell it wrote: a leading ``'`` is
    dropped exactly when :func:`neutralise` would have added it, so an exported file
    imports back as it was exported and an apostrophe a person typed (``'quoted``)
    stays."""
    if isinstance(value, str) and value.startswith("'") and len(value) > 1:
        original = value[1:]
        if neutralise(original) == value:
            return original
    return value


def is_text(value: Any) -> bool:
    """Whether ``value`` is written as text (and so may need neutralising)."""
    return value is not None and not isinstance(value, _NOT_TEXT)


def text_cell(value: Any) -> str:
    """A value as text: dates in ISO format (aware ones in the current time zone)."""
    if value.__class__ is str:
        return str(value)
    if value is None:
        return ""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


def csv_cell(value: Any, safe: bool = True) -> str:
    """A cell as CSV stores it: text, neutralised when ``safe`` unless a number."""
    text = text_cell(value)
    return neutralise(text) if safe and is_text(value) else text


#: Classes ``csv.writer`` turns into the same text :func:`csv_cell` gives (``None`` into
#: an empty cell): they are handed to it as they are, which saves a call per cell.
_CSV_AS_IS = frozenset({int, float, Decimal, bool, type(None)})


def csv_row(row: Iterable[Any], safe: bool = True) -> list[Any]:
    """A row as ``csv.writer`` takes it: the :func:`csv_cell` of every value, computed
    only for values that need it (an export writes millions of cells)."""
    return [
        (neutralise(value) if safe else value)
        if value.__class__ is str
        else value
        if value.__class__ in _CSV_AS_IS
        else csv_cell(value, safe)
        for value in row
    ]


def json_cell(value: Any, safe: bool = True) -> str:
    """A cell as a JSON value: numbers (decimals exactly), booleans and null as such,
    anything else a string, neutralised when ``safe``."""
    if isinstance(value, Decimal) and value.is_finite():
        return str(value)
    if isinstance(value, (bool, int, float)) or value is None:
        return json.dumps(value)
    return json.dumps(csv_cell(value, safe), ensure_ascii=False)


def xlsx_cell(value: Any, safe: bool = True) -> Any:
    """A cell as openpyxl stores it: naive datetimes, numbers as numbers, text without
    the control characters XML cannot hold, then neutralised when ``safe``."""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.make_naive(value)
    if value is None or isinstance(value, _NOT_TEXT):
        return value
    illegal = importlib.import_module("openpyxl.cell.cell").ILLEGAL_CHARACTERS_RE
    text = illegal.sub("", value if isinstance(value, str) else str(value))
    return neutralise(text) if safe else text
