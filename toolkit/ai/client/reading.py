"""Reading an answer off the wire, the same for both clients: what a read gives back
(:class:`Body`, or :class:`TooLarge`), the size limit (:class:`BodyReader`, fed the
chunks each client reads, blocking or with ``await``) and the transport a request goes
through (:func:`transport_for`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import overload

import httpx

__all__ = ["Body", "BodyReader", "TooLarge", "declared_size", "transport_for"]


@dataclass(frozen=True)
class Body:
    """A response read in full."""

    response: httpx.Response
    content: bytes


@dataclass(frozen=True)
class TooLarge:
    """A response abandoned for its size."""

    size: int
    #: True when the size is the response's Content-Length, not bytes read.
    announced: bool = False


class BodyReader:
    """A response's body, gathered from the chunks a client reads, up to ``limit`` bytes.

    Free of I/O: :class:`~toolkit.ai.client.Client` feeds it blocking reads and
    ``AsyncClient`` awaited ones, and the limit is kept the same way for both.
    """

    def __init__(self, response: httpx.Response, limit: int) -> None:
        self.response = response
        self.limit = limit
        self.size = 0
        self._chunks: list[bytes] = []
        announced = declared_size(response)
        self._too_large = TooLarge(announced, announced=True) if announced > limit else None

    @property
    def wanted(self) -> bool:
        """Whether reading (more of) the body is worth it: it is not known to be too large."""
        return self._too_large is None

    def feed(self, chunk: bytes) -> bool:
        """Take the next ``chunk``; ``False`` once the body is too large (stop reading)."""
        self.size += len(chunk)
        if self.size > self.limit:
            self._too_large = TooLarge(self.size)
            return False
        self._chunks.append(chunk)
        return True

    def reply(self) -> Body | TooLarge:
        """The body read in full, or why it was abandoned."""
        return self._too_large or Body(self.response, b"".join(self._chunks))


@overload
def transport_for(client: httpx.Client, url: httpx.URL) -> httpx.BaseTransport: ...
@overload
def transport_for(client: httpx.AsyncClient, url: httpx.URL) -> httpx.AsyncBaseTransport: ...
def transport_for(
    client: httpx.Client | httpx.AsyncClient, url: httpx.URL
) -> httpx.BaseTransport | httpx.AsyncBaseTransport:
    """The transport ``client`` sends a request for ``url`` through: its own, or the
    proxy the environment names for that URL.

    Requests go to it directly. ``Client.send`` adds what this client never uses
    (cookie persistence, auth flows, redirects, event hooks), and that cost a quarter of
    the CPU of a request, which at 150 in flight is what bounds a batch.
    """
    return client._transport_for_url(url)


def declared_size(response: httpx.Response) -> int:
    """The response's Content-Length, or 0 when it names none."""
    value = response.headers.get("content-length", "")
    return int(value) if value.isdigit() else 0
