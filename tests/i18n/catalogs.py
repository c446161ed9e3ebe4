"""Gettext catalogs in pure Python: read a ``.po``, write a ``.mo``, pseudo-translate.

The tests build their pseudo-locale from these, so a machine without GNU gettext runs
them too (``make messages`` needs it, as Django's ``makemessages`` does).
"""

from __future__ import annotations

import ast
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path

#: Placeholders and markup a translation must keep as they are: %(name)s, %s, %d, %%,
#: {name}, {}, HTML tags and entities.
PROTECTED = re.compile(
    r"%\([^)]+\)[-#0 +]*\d*(?:\.\d+)?[sdifrgeEx]|%[-#0 +]*\d*(?:\.\d+)?[sdifrgeEx%]"
    r"|\{[^{}\s]*\}|<[^>]+>|&#?\w+;"
)
OPEN, CLOSE = "⟦", "⟧"
_ACCENTS = str.maketrans("aceinorsuyACEINORSUYz", "áçéîñøŕšüýÁÇÉÎÑØŔŠÜÝž")


@dataclass
class Entry:
    msgid: str
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        base = self.msgid if self.msgid_plural is None else f"{self.msgid}\0{self.msgid_plural}"
        return base if self.msgctxt is None else f"{self.msgctxt}\x04{base}"


def read_po(path: Path) -> list[Entry]:
    """The entries of a ``.po`` file, the header (msgid "") first; obsolete ones left out."""
    entries: list[Entry] = []
    current: Entry | None = None
    last: tuple[str, int] | None = None
    flags: set[str] = set()
    references: list[str] = []

    def finish() -> None:
        nonlocal current
        if current is not None:
            entries.append(current)
        current = None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#,"):
            finish()
            flags = {f.strip() for f in line[2:].split(",")}
            continue
        if line.startswith("#:"):
            finish()
            references += line[2:].split()
            continue
        if line.startswith("#"):
            finish()
            continue
        if line.startswith('"'):
            assert current is not None and last is not None, f"{path}: stray string {raw!r}"
            text = ast.literal_eval(line)
            keyword, index = last
            if keyword == "msgstr":
                current.msgstr[index] += text
            else:
                setattr(current, keyword, (getattr(current, keyword) or "") + text)
            continue
        keyword, _, value = line.partition(" ")
        text = ast.literal_eval(value)
        if keyword == "msgctxt" or (
            keyword == "msgid" and (current is None or last is None or last[0] != "msgctxt")
        ):
            finish()
            current = Entry(msgid="", flags=flags, references=references)
            flags, references = set(), []
        assert current is not None
        if keyword.startswith("msgstr"):
            index = int(keyword[7:-1]) if "[" in keyword else 0
            while len(current.msgstr) <= index:
                current.msgstr.append("")
            current.msgstr[index] = text
            last = ("msgstr", index)
        else:
            setattr(current, keyword, text)
            last = (keyword, 0)
    finish()
    return entries


def write_mo(entries: list[Entry], path: Path) -> None:
    """A GNU ``.mo`` file of the translated entries (what ``msgfmt`` writes, unhashed)."""
    pairs = sorted(
        (entry.key.encode(), "\0".join(entry.msgstr).encode())
        for entry in entries
        if any(entry.msgstr) and "fuzzy" not in entry.flags
    )
    header_size = 7 * 4
    ids_at = header_size
    strs_at = ids_at + len(pairs) * 8
    data_at = strs_at + len(pairs) * 8
    ids_table, strs_table, blob = [], [], b""
    for key, _ in pairs:
        ids_table.append((len(key), data_at + len(blob)))
        blob += key + b"\0"
    for _, value in pairs:
        strs_table.append((len(value), data_at + len(blob)))
        blob += value + b"\0"
    out = struct.pack("<7I", 0x950412DE, 0, len(pairs), ids_at, strs_at, 0, 0)
    out += b"".join(struct.pack("<2I", *cell) for cell in ids_table)
    out += b"".join(struct.pack("<2I", *cell) for cell in strs_table)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out + blob)


def pseudo(text: str, open_: str = OPEN, close: str = CLOSE) -> str:
    """``text`` accented and bracketed, its placeholders and markup untouched."""
    pieces, at = [], 0
    for match in PROTECTED.finditer(text):
        pieces.append(text[at : match.start()].translate(_ACCENTS))
        pieces.append(match.group())
        at = match.end()
    pieces.append(text[at:].translate(_ACCENTS))
    return open_ + "".join(pieces) + close


def placeholders(text: str) -> list[str]:
    """The placeholders of a message, sorted (markup and entities left out)."""
    return sorted(m for m in PROTECTED.findall(text) if not m.startswith(("<", "&")) and m != "%%")


HEADER = "Content-Type: text/plain; charset=UTF-8\nPlural-Forms: nplurals=2; plural=(n != 1);\n"


def pseudo_catalog(source: Path, target: Path, open_: str = OPEN, close: str = CLOSE) -> int:
    """Write ``target`` (.mo): every message of ``source`` (.po) pseudo-translated.

    Returns the number of messages."""
    entries = [Entry(msgid="", msgstr=[HEADER])]
    for entry in read_po(source):
        if entry.msgid == "":
            continue
        if entry.msgid_plural is None:
            msgstr = [pseudo(entry.msgid, open_, close)]
        else:
            msgstr = [pseudo(entry.msgid, open_, close), pseudo(entry.msgid_plural, open_, close)]
        entries.append(Entry(entry.msgid, entry.msgid_plural, entry.msgctxt, msgstr=msgstr))
    write_mo(entries, target)
    return len(entries) - 1
