"""How the client words what went wrong: sentences that name the endpoint, never its key.

The API key is read from the environment at each request, so it is also looked up at
each redaction: a key rotated while the site runs is redacted as well.
"""

from __future__ import annotations

import json
import re

import httpx

from toolkit.ai.endpoints import EndpointConfig

__all__ = ["error_detail", "excerpt", "redact", "safe_url", "sentence", "who"]

#: Characters of a body or an answer quoted in an error message, at most.
EXCERPT = 300


def who(endpoint: EndpointConfig) -> str:
    """How messages name the endpoint."""
    return f"LLM endpoint {endpoint.name!r}"


def redact(endpoint: EndpointConfig, text: str) -> str:
    """``text`` with the endpoint's API key replaced, in case a server echoes it."""
    key = endpoint.api_key()
    return text.replace(key, "[redacted]") if key else text


def excerpt(endpoint: EndpointConfig, text: str, limit: int = EXCERPT) -> str:
    """The start of ``text``, redacted, for a message or the log."""
    text = redact(endpoint, text)
    return text if len(text) <= limit else text[:limit] + "…"


def sentence(text: str) -> str:
    """``text`` ending like a sentence, so that more sentences can follow it."""
    text = text.rstrip()
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def safe_url(url: str) -> str:
    """``url`` without user info or query string, which may carry credentials."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "(invalid URL)"
    return str(parsed.copy_with(userinfo=b"", query=None, fragment=None))


def error_detail(endpoint: EndpointConfig, response: httpx.Response, content: bytes) -> str:
    """What an error body says, in a few words: the JSON error's message, the title of
    an HTML page (a proxy's), or the start of the text."""
    text = content.decode("utf-8", errors="replace")
    try:
        payload = json.loads(text)
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        error = payload.get("error", payload.get("detail", payload.get("message")))
        if isinstance(error, dict):
            error = error.get("message") or error
        if error:
            return excerpt(endpoint, " ".join(str(error).split()), 200)
    content_type = response.headers.get("content-type", "")
    if "html" in content_type or text.lstrip()[:1] == "<":
        title = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
        what = f"an HTML page ({' '.join(title.group(1).split())!r})" if title else "an HTML page"
        return excerpt(endpoint, f"{what}, probably from a proxy in front of the model", 200)
    return excerpt(endpoint, " ".join(text.split()), 200) or "(empty body)"
