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

    Group membership comes from the provider (`manage_groups`); the raw user info is kept in
    the encrypted auth state so services can read attributes such as territories.
    """
