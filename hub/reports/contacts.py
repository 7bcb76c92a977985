"""Where a recipient's e-mail address and language come from.

The hub's user model has neither, so:

- demo accounts carry theirs (hub/login/demo_accounts.py: ``<name>@example.org``, a language);
- with OIDC, the hub records the claims ``reports.email_claim`` and ``reports.language_claim``
  at each login in the identity attribute store (hub/login/claims.py, ``contact_claims``),
  which the scheduler reads like the datasets service reads policy attributes: a user who
  never logged in since has no address yet; a user name that is an e-mail address is used
  as one.

A plain address named in a schedule is its own contact, in the schedule's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..login import demo_accounts as demo
from ..login.claims import CONTACT_EMAIL, CONTACT_LANGUAGE, AttributeStore, contact_claims
from .schedules import EMAIL

LANGUAGES = ("fr", "en")
MAILTO = "mailto:"  # a plain address in a run's audience, never a hub user name


@dataclass(frozen=True)
class Contact:
    name: str  # the hub user, or the address itself
    email: str | None
    language: str


def supported_language(value: str | None) -> str | None:
    """'fr' or 'en' for a tag such as 'en-GB' or 'fr_FR', else None."""
    short = (value or "").strip().replace("_", "-").split("-")[0].lower()
    return short if short in LANGUAGES else None


class ContactBook:
    def __init__(self, default_language: str = "fr", demo_mode: bool = True,
                 store: AttributeStore | None = None, claims: dict[str, str] | None = None):
        self.default_language = default_language
        self.demo_mode = demo_mode
        self.store, self.claims = store, dict(claims or {})

    @classmethod
    def from_settings(cls, settings) -> ContactBook:
        return cls(settings.widgets.locale, settings.auth.mode == "demo",
                   AttributeStore.in_data_dir(settings.data_dir), contact_claims(settings))

    def _recorded(self, user: str) -> tuple[str | None, str | None]:
        if self.store is None or not self.claims:
            return None, None
        found = self.store.read(user, self.claims)
        first = {key: (values[0] if values else None) for key, values in found.items()}
        return first.get(CONTACT_EMAIL), first.get(CONTACT_LANGUAGE)

    def contact(self, target: str, language: str | None = None) -> Contact:
        """The contact of a hub user, or of a plain address written ``mailto:<address>``
        (as run audiences hold them); `language`: the schedule's, for plain addresses and
        users without a language of their own."""
        fallback = language or self.default_language
        if target.startswith(MAILTO):
            address = target.removeprefix(MAILTO)
            return Contact(address, address, fallback)
        account = demo.accounts_by_name().get(target) if self.demo_mode else None
        if account is not None:
            return Contact(target, account.email, account.language)
        email, spoken = self._recorded(target)
        if email is None and re.fullmatch(EMAIL, target):
            email = target  # OIDC user names are often the address
        return Contact(target, email, supported_language(spoken) or fallback)
