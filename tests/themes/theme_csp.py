"""The demo's Content-Security-Policy, loosened as far as a theme's own templates need."""

from __future__ import annotations

from typing import Any


def allow_inline_code(policy: dict[str, Any] | None, frames: bool = False) -> dict[str, Any] | None:
    """``policy`` with inline scripts and styles allowed (and, with ``frames``, frames of
    the same origin): the themes write both into their templates without a nonce.
    ``None`` (a Django without built-in CSP) stays ``None``."""
    if policy is None:
        return None
    from django.utils.csp import CSP

    loosened = {
        **policy,
        "script-src": [CSP.SELF, CSP.UNSAFE_INLINE],
        "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    }
    if frames:
        loosened["frame-ancestors"] = [CSP.SELF]
        loosened["frame-src"] = [CSP.SELF]
    return loosened
