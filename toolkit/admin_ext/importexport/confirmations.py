"""Single-use confirmations of an import.

The preview's "Import" button posts a confirmation made for one person and the exact
bytes they previewed (an HMAC of the upload's token, their user id and the file's
SHA-256). Confirming spends it: a browser refresh or the back button re-posting the
form, a double click, finds it spent and is shown the result of the import that ran,
instead of importing again.

Spending is recorded twice: in the person's session (where the result is kept), and
with ``cache.add()``, which is atomic, so that two requests racing with the same
confirmation (a double click) import once. The cache must be shared by every process
of the site (Redis, Memcached, the database cache) for that second guard to hold
across processes; the session alone stops every sequential replay.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.cache import cache
from django.utils.crypto import constant_time_compare, salted_hmac

__all__ = [
    "claim",
    "confirmation_token",
    "file_digest",
    "is_claimed",
    "is_valid_confirmation",
    "release",
]

_SALT = "toolkit.admin_ext.importexport.confirmation"
#: How long a spent confirmation is remembered by the cache (the session keeps it too).
CLAIM_SECONDS = 7 * 24 * 3600


def file_digest(file: Any) -> str:
    """The SHA-256 of a binary file, read a megabyte at a time."""
    digest = hashlib.sha256()
    for block in iter(lambda: file.read(1024 * 1024), b""):
        digest.update(block)
    return digest.hexdigest()


def confirmation_token(token: str, user_pk: Any, sha256: str) -> str:
    """The confirmation of upload ``token`` for one person and one file's content."""
    return salted_hmac(_SALT, f"{token}|{user_pk}|{sha256}", algorithm="sha256").hexdigest()


def is_valid_confirmation(posted: str, token: str, user_pk: Any, sha256: str) -> bool:
    return constant_time_compare(posted, confirmation_token(token, user_pk, sha256))


def _key(token: str) -> str:
    return f"toolkit:import-confirmed:{token}"


def claim(token: str) -> bool:
    """Spend the confirmation of upload ``token``; ``False`` when it was spent already."""
    return bool(cache.add(_key(token), 1, CLAIM_SECONDS))


def is_claimed(token: str) -> bool:
    """Whether the confirmation of upload ``token`` is spent (its import may still run)."""
    return cache.get(_key(token)) is not None


def release(token: str) -> None:
    """Give a confirmation back when its import failed before it could finish, so that
    the person can confirm again instead of being told it was done."""
    cache.delete(_key(token))
