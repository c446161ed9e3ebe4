"""The text a person meets on a page: text nodes and the attributes read out or shown
(title, placeholder, alt, aria-label, a button's value), with where each was found."""

from __future__ import annotations

import re
from html.parser import HTMLParser

#: Elements whose content is not text a person reads (code, styles) or is a person's own
#: input (a textarea holds data, not labels).
SKIPPED = {"script", "style", "textarea"}
SHOWN_ATTRIBUTES = {"title", "placeholder", "alt", "aria-label", "aria-description"}
BUTTON_TYPES = {"submit", "button", "reset"}
_SPACE = re.compile(r"\s+")


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[tuple[str, str]] = []
        self.stack: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name in SHOWN_ATTRIBUTES & values.keys():
            self.texts.append((f"<{tag} {name}>", values[name]))
        if tag == "input" and values.get("type") in BUTTON_TYPES and "value" in values:
            self.texts.append((f"<input type={values['type']}>", values["value"]))
        if tag in SKIPPED:
            self.skipping += 1
        if tag not in {"input", "br", "hr", "img", "meta", "link", "col", "wbr", "source"}:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED and self.skipping:
            self.skipping -= 1
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        text = _SPACE.sub(" ", data).strip()
        if text and not self.skipping:
            self.texts.append(("/".join(self.stack[-3:]), text))


def visible_texts(html: str) -> list[tuple[str, str]]:
    """``(where, text)`` for every piece of text of ``html`` a person sees or hears."""
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector.texts
