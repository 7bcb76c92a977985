"""Policy attributes taken from identity-provider claims, and the hub-side store that keeps them.

The hub (``hub.login.authenticators.AgoraOIDCAuthenticator``) writes; the datasets service
reads. This module is the one place that knows the format, so neither side parses the other's
files by hand.

- :func:`attributes_from_claims` picks exactly the configured claims out of a userinfo
  response (``auth.attribute_claims``: ``{attribute: claim}``) and normalises each to a sorted
  list of distinct strings. A claim may be a string, a number or a list of strings/numbers;
  anything else (objects, nested lists, booleans, too many or too long values) is rejected:
  the attribute is left out (which grants no rows) and the *reason* is reported, never the
  value, since claims are personal data.
- :class:`AttributeStore` keeps one small JSON file per hub user under
  ``<hub.data_dir>/identity-attributes/`` (folder mode 700, files 600). A file is always
  replaced as a whole (temporary file + ``os.replace``), so a reader sees the old or the new
  attributes, never a mix, and an attribute the provider no longer sends is gone after the
  next login. File names are derived from a hash of the user name, so no user name (even one
  such as ``../../x`` coming from a claim) can point outside the folder; the file also names
  its user and a mismatch is treated as corrupt.

File format (version 1)::

    {"version": 1, "user": "amartin", "recorded_at": "2026-11-28T17:40:00+00:00",
     "attributes": {"territories": ["99101"]},
     "claims": {"territories": "insee_codes"}}

``claims`` records which claim each attribute came from, so a reader can ignore values
recorded under a mapping the administrator has since changed (see :meth:`AttributeStore.read`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger("agora.identity_attributes")

FORMAT_VERSION = 1
FOLDER = "identity-attributes"
MAX_VALUES = 10_000  # a regional official may hold thousands of communes; more is a mistake
MAX_VALUE_LENGTH = 256
MAX_CACHED_USERS = 10_000
_SLUG = re.compile(r"[^a-z0-9_-]+")


def attribute_claims_in_use(settings) -> dict[str, str]:
    """auth.attribute_claims where they apply: OIDC logins (demo accounts carry no claims), so
    records left by an earlier OIDC run never apply to demo accounts of the same name."""
    return dict(settings.auth.attribute_claims) if settings.auth.mode == "oidc" else {}


CONTACT_EMAIL, CONTACT_LANGUAGE = "contact.email", "contact.language"


def contact_claims(settings) -> dict[str, str]:
    """The claims recorded for report delivery (oidc mode): e-mail address and language.
    Their attribute names hold a dot, which no policy attribute may (IDENTIFIER), so they can
    never be read by a row rule, and the datasets service never asks for them."""
    if settings.auth.mode != "oidc":
        return {}
    return {CONTACT_EMAIL: settings.reports.email_claim,
            CONTACT_LANGUAGE: settings.reports.language_claim}


def recorded_claims(settings) -> dict[str, str]:
    """Everything the hub records at login: policy attributes and contact claims."""
    return {**attribute_claims_in_use(settings), **contact_claims(settings)}


class AttributeStoreError(ValueError):
    """A store file that cannot be trusted (unreadable, not JSON, wrong shape or user)."""


def _value(item) -> str | None:
    """One claim value as text, or None when its type is not accepted."""
    if isinstance(item, bool):  # bool is an int subclass: True must not become "True"
        return None
    if isinstance(item, str):
        return item.strip()
    if isinstance(item, int):
        return str(item)
    if isinstance(item, float) and math.isfinite(item):
        return str(int(item)) if item.is_integer() else str(item)
    return None


def normalise_claim(value) -> tuple[list[str] | None, str]:
    """A claim's values as a sorted list of distinct non-empty strings, or (None, reason)."""
    items = value if isinstance(value, (list, tuple)) else [value]
    if len(items) > MAX_VALUES:
        return None, f"more than {MAX_VALUES} values"
    values = set()
    for item in items:
        try:
            text = _value(item)
        except ValueError:  # an int beyond Python's int-to-text digit limit
            return None, "a number too large"
        if text is None:
            return None, f"a {type(item).__name__} where a string or a number was expected"
        if len(text) > MAX_VALUE_LENGTH:
            return None, f"a value longer than {MAX_VALUE_LENGTH} characters"
        if text:
            values.add(text)
    return sorted(values), ""


def attributes_from_claims(claims: Mapping, mapping: Mapping[str, str], user: str = "?",
                           logger: logging.Logger | logging.LoggerAdapter = log,
                           ) -> dict[str, list[str]]:
    """``{attribute: values}`` for every mapped claim present and valid in `claims`.

    A missing claim gives no attribute; an invalid one gives no attribute and a warning on
    `logger` that names the user, the claim and what is wrong with it, but not its value.
    """
    attributes = {}
    for attribute, claim in mapping.items():
        if claims.get(claim) is None:
            continue
        values, problem = normalise_claim(claims[claim])
        if values is None:
            logger.warning("Claim %r of %s refused as attribute %r: %s; the user gets no %r "
                           "values from the identity provider", claim, user, attribute,
                           problem, attribute)
            continue
        attributes[attribute] = values
    return attributes


def file_name(user: str) -> str:
    """A file name for `user` that stays inside the folder: readable prefix + SHA-256."""
    digest = hashlib.sha256(user.encode("utf-8")).hexdigest()
    slug = _SLUG.sub("_", user.lower())[:40].strip("_-") or "user"
    return f"{slug}-{digest}.json"


class AttributeStore:
    """One JSON file per hub user, written by the hub, read by the datasets service."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._cache: dict[str, tuple] = {}  # user -> (stat key, attributes, claims) or error
        self._reported: dict[str, AttributeStoreError] = {}

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> AttributeStore:
        return cls(Path(data_dir) / FOLDER)

    def path_for(self, user: str) -> Path:
        return self.folder / file_name(user)

    # --- hub side -----------------------------------------------------------------------------

    def write(self, user: str, attributes: Mapping[str, list[str]],
              claims: Mapping[str, str]) -> Path:
        """Replace `user`'s attributes (all of them: nothing is merged with the old file)."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        record = {"version": FORMAT_VERSION, "user": user,
                  "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
                  "attributes": {k: list(v) for k, v in sorted(attributes.items())},
                  "claims": {k: claims[k] for k in sorted(attributes)}}
        path = self.path_for(user)
        descriptor, temporary = tempfile.mkstemp(dir=self.folder, prefix=".tmp-")  # mode 600
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(record, handle, ensure_ascii=False)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return path

    def delete(self, user: str) -> None:
        self.path_for(user).unlink(missing_ok=True)

    # --- service side -------------------------------------------------------------------------

    def load(self, user: str) -> tuple[dict[str, list[str]], dict[str, str]]:
        """(attributes, claims) recorded for `user`; ({}, {}) without a file.

        Raises AttributeStoreError for a file that cannot be trusted. A file is parsed again
        only when it changes (other inode, size or mtime), so this is cheap per request.
        """
        path = self.path_for(user)
        try:
            stat = path.stat()
        except FileNotFoundError:
            self._cache.pop(user, None)
            return {}, {}
        except OSError as exc:
            raise AttributeStoreError(f"{path}: cannot read it ({exc.strerror})") from None
        key = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        cached = self._cache.get(user)
        if cached is None or cached[0] != key:
            if len(self._cache) >= MAX_CACHED_USERS:
                self._cache.clear()
            try:
                cached = (key, *self._parse(path, user))
            except AttributeStoreError as exc:
                cached = (key, exc)
            self._cache[user] = cached
        if isinstance(cached[1], AttributeStoreError):
            raise cached[1]
        return cached[1], cached[2]

    @staticmethod
    def _parse(path: Path, user: str) -> tuple[dict[str, list[str]], dict[str, str]]:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise AttributeStoreError(f"{path}: not a readable JSON file ({exc})") from None
        if not isinstance(record, dict) or record.get("version") != FORMAT_VERSION:
            raise AttributeStoreError(f"{path}: not a version {FORMAT_VERSION} attribute record")
        if record.get("user") != user:
            raise AttributeStoreError(f"{path}: recorded for another user name")
        attributes, claims = record.get("attributes"), record.get("claims")
        if not (isinstance(attributes, dict) and isinstance(claims, dict)
                and all(isinstance(v, list) and all(isinstance(x, str) for x in v)
                        for v in attributes.values())
                and all(isinstance(v, str) for v in claims.values())):
            raise AttributeStoreError(f"{path}: attributes are not lists of strings")
        return attributes, claims

    def read(self, user: str, mapping: Mapping[str, str]) -> dict[str, list[str]]:
        """The attributes of `user` that the current `mapping` still derives from the same claim.

        Fails closed: a corrupt file gives no attributes (and an error naming the file), and an
        attribute no longer mapped, or mapped from another claim since it was recorded, is
        ignored until the user's next login records it afresh.
        """
        if not mapping:
            return {}
        try:
            attributes, claims = self.load(user)
        except AttributeStoreError as exc:
            if self._reported.get(user) is not exc:  # once per version of the file
                self._reported[user] = exc
                log.error("identity attributes of %s ignored, the user gets no claim "
                          "attributes: %s", user, exc)
            return {}
        return {name: values for name, values in attributes.items()
                if name in mapping and claims.get(name) == mapping[name]}
