"""Authenticators: built-in demo accounts (loopback only) and the OIDC provider's claims."""

from __future__ import annotations

import hmac
from urllib.parse import urlparse

from jupyterhub.auth import Authenticator
from oauthenticator.generic import GenericOAuthenticator
from traitlets import Unicode

from .demo import accounts_by_name
from .settings import is_loopback


class DemoAuthenticator(Authenticator):
    """Log in as one of the demo accounts in hub/demo.py with the shared demo password.

    Refuses every login when the hub's public URL is not on a loopback address, even if the
    settings check was bypassed: demo passwords are public knowledge.
    """

    demo_password = Unicode(config=True, help="Password of every demo account.")

    def _hub_is_loopback(self) -> bool:
        bind_url = getattr(self.parent, "bind_url", "") or "http://127.0.0.1/"
        return is_loopback(urlparse(bind_url).hostname or "")

    async def authenticate(self, handler, data):
        if not self._hub_is_loopback():
            self.log.error("Demo login refused: the hub is not bound to a loopback address")
            return None
        username = (data or {}).get("username", "").strip().lower()
        password = (data or {}).get("password", "")
        account = accounts_by_name().get(username)
        if account is None or not self.demo_password:
            return None
        if not hmac.compare_digest(password.encode(), self.demo_password.encode()):
            return None
        return {"name": account.name, "admin": account.admin}


class AgoraOIDCAuthenticator(GenericOAuthenticator):
    """GenericOAuthenticator whose auth state keeps the claims policy rules may use.

    Group membership comes from the provider (`manage_groups`): at every login the user's hub
    groups become exactly the values of the `groups_claim` claim, and
    `allowed_groups` / `admin_groups` are checked against them. The raw userinfo claims are
    kept in the encrypted auth state under ``auth_state["oauth_user"]`` (see `claims_of`) so
    services can read attributes such as territories.
    """

    groups_claim = Unicode(
        "groups", config=True,
        help="Userinfo claim listing the user's groups. Read as a plain key, so claim names "
        "containing dots (URLs, as some providers use) work; a single string is one group.")

    async def get_user_groups(self, auth_state: dict) -> set[str]:
        claims = claims_of(auth_state)
        value = claims.get(self.groups_claim)
        if value is None:
            self.log.warning("No %r claim in the userinfo of %s; the user gets no groups",
                             self.groups_claim, claims.get("sub", "?"))
            return set()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple, set)):
            self.log.error("Claim %r is neither a list nor a string: %r", self.groups_claim, value)
            return set()
        return {str(group).strip() for group in value if str(group).strip()}


def claims_of(auth_state: dict | None) -> dict:
    """The provider's userinfo claims stored in an OIDC user's auth state ({} if none)."""
    claims = (auth_state or {}).get(AgoraOIDCAuthenticator.user_auth_state_key)
    return claims if isinstance(claims, dict) else {}
