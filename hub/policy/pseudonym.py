"""Keyed pseudonyms: HMAC-SHA256 with a secret key, shortened to 16 hex characters.

The same value and key always give the same pseudonym (joins and counts still work); without
the key nobody can recompute or reverse it. There is no unkeyed fallback.
"""

from __future__ import annotations

import hashlib
import hmac

PSEUDONYM_LENGTH = 16


class MissingKeyError(RuntimeError):
    """No pseudonym key is configured: refuse rather than hash without a key."""


def pseudonym(value: str | None, key: bytes) -> str | None:
    if value is None:
        return None
    if not key:
        raise MissingKeyError("no pseudonym key configured")
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:PSEUDONYM_LENGTH]
