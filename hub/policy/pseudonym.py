"""Keyed pseudonyms: HMAC-SHA256 of a value's text with a secret key, as hex characters.

The one definition for the anonymise processor and the datasets service's column rules: the
same key and value give the same pseudonym on both paths. :func:`check_key` is the one key rule
(at least :data:`MIN_KEY_LENGTH` characters); there is no unkeyed fallback.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping

PSEUDONYM_LENGTH = 16
MIN_KEY_LENGTH = 16
KEY_SETTING = "data.pseudonym_key_env"


class PseudonymKeyError(ValueError):
    """The pseudonym key is unset or too short: refuse rather than hash with it."""

    def __init__(self, env: str, state: str):
        self.env = env
        self.problem = (f"the pseudonym key {env} {state}; refusing to pseudonymise (without a "
                        "long secret key, anyone can recompute pseudonyms by trying every value)")
        self.fix = (f"export {env} with a random secret of at least {MIN_KEY_LENGTH} characters "
                    f"(e.g. `openssl rand -hex 32`) and keep it; the variable is named by the "
                    f"setting {KEY_SETTING} (or an anonymise step's key_env)")
        super().__init__(f"{self.problem}. Fix: {self.fix}")


def check_key(secret: str | None, env: str) -> bytes:
    """The key's bytes; PseudonymKeyError if `secret` (read from variable `env`) is too short."""
    secret = secret or ""
    if len(secret) >= MIN_KEY_LENGTH:
        return secret.encode("utf-8")
    state = "is not set" if not secret else f"is shorter than {MIN_KEY_LENGTH} characters"
    raise PseudonymKeyError(env, state)


def key_from(environ: Mapping[str, str], env: str) -> bytes:
    """The checked key held by the environment variable `env`."""
    return check_key(environ.get(env), env)


def hashed_text(text: str | None, is_float: bool = False) -> str | None:
    """The text hashed for a value: a whole float as its integer ("1234.0" -> "1234"), NaN null."""
    if text is None or not is_float:
        return text
    number = float(text)
    if number != number:
        return None
    return str(int(number)) if number.is_integer() else text


def pseudonyms(texts: Iterable[str | None], key: bytes, length: int = PSEUDONYM_LENGTH,
               is_float: bool = False) -> list[str | None]:
    """The pseudonym of each value's text (None stays None); `is_float`: texts of floats."""
    if not key:
        raise ValueError("no pseudonym key given: refusing to hash without one")
    base = hmac.new(key, digestmod=hashlib.sha256)  # keyed state computed once, then copied
    return [_digest(base, hashed_text(text, is_float), length) for text in texts]


def _digest(base, text: str | None, length: int) -> str | None:
    if text is None:
        return None
    state = base.copy()
    state.update(text.encode("utf-8"))
    return state.hexdigest()[:length]


def pseudonym(value: str | None, key: bytes, length: int = PSEUDONYM_LENGTH) -> str | None:
    """The pseudonym of one text value."""
    return pseudonyms([value], key, length)[0]
