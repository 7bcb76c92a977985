"""Authenticators: built-in demo accounts (loopback only) and the OIDC provider's claims."""

from __future__ import annotations

import hmac
from urllib.parse import urlparse

from jupyterhub.auth import Authenticator
from oauthenticator.generic import GenericOAuthenticator
from tornado import web
from traitlets import Dict, Unicode

from ..config.settings import is_loopback
from .claims import AttributeStore, attributes_from_claims
from .demo_accounts import accounts_by_name


class DemoAuthenticator(Authenticator):
    """Log in as one of the demo accounts in hub/login/demo_accounts.py with the shared demo password.

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
    """GenericOAuthenticator that syncs groups and records claim attributes for the policy.

    Group membership comes from the provider (`manage_groups`): at every login the user's hub
    groups become exactly the values of the `groups_claim` claim, and
    `allowed_groups` / `admin_groups` are checked against them. The raw userinfo claims are
    kept in the encrypted auth state under ``auth_state["oauth_user"]`` (see `claims_of`).

    The claims named in `attribute_claims` are also recorded, normalised, in the hub-side
    attribute store (hub/login/claims.py) at every login and every auth refresh, so
    the datasets service can use them in row rules without reading auth state (which would
    expose the users' OAuth tokens to it). Each recording replaces the previous one.
    """

    groups_claim = Unicode(
        "groups", config=True,
        help="Userinfo claim listing the user's groups. Read as a plain key, so claim names "
        "containing dots (URLs, as some providers use) work; a single string is one group.")
    attribute_claims = Dict(
        key_trait=Unicode(), value_trait=Unicode(), config=True,
        help="Policy attributes from userinfo claims, {attribute: claim}; claim names are "
        "plain keys. Values must be a string, a number or a list of them.")
    attribute_store_dir = Unicode(
        "", config=True,
        help="Folder of the identity attribute store (hub/login/claims.py); empty: "
        "claim attributes are not recorded.")

    @property
    def attribute_store(self) -> AttributeStore | None:
        return AttributeStore(self.attribute_store_dir) if self.attribute_store_dir else None

    def record_attributes(self, name: str, auth_state: dict | None) -> bool:
        """Replace `name`'s recorded attributes with those of the claims in `auth_state`.

        Returns False only when older attributes may still be on disk (neither written nor
        removed): the caller must then refuse the login rather than serve stale rights.
        """
        store = self.attribute_store
        if store is None:
            return True
        attributes = attributes_from_claims(claims_of(auth_state), self.attribute_claims, name,
                                            self.log)
        try:
            if attributes:
                store.write(name, attributes, self.attribute_claims)
            else:
                store.delete(name)
            return True
        except OSError as exc:
            self.log.error("Cannot record the identity attributes of %s in %s: %s",
                           name, store.folder, exc)
        return self.forget_attributes(name, "they could not be recorded")  # none, not stale

    async def run_post_auth_hook(self, handler, auth_model):
        """After the allowed checks of a login: record the user's claim attributes."""
        auth_model = await super().run_post_auth_hook(handler, auth_model)
        if not self.record_attributes(auth_model["name"], auth_model.get("auth_state")):
            raise web.HTTPError(500, "Your access attributes could not be recorded. "
                                "Please try again later or contact the administrators.")
        return auth_model

    async def refresh_user(self, user, handler=None, **kwargs):
        """Fresh userinfo (every `auth_refresh_age` seconds) refreshes the attributes too. When
        the provider refuses the refresh (token revoked, account disabled), the attributes go:
        JupyterHub may keep serving the user's API tokens, never with the old rights."""
        refreshed = await super().refresh_user(user, handler, **kwargs)
        if refreshed is False and self.attribute_store is not None:
            self.forget_attributes(user.name, "its refresh failed")
            return False
        if isinstance(refreshed, dict) and self.user_auth_state_key in (
                refreshed.get("auth_state") or {}):
            if not self.record_attributes(user.name, refreshed["auth_state"]):
                return False  # needs a new login; stale attributes are not confirmed
        return refreshed

    def forget_attributes(self, name: str, why: str) -> bool:
        """Remove `name`'s recorded attributes; False (and logged) when they stay on disk."""
        try:
            self.attribute_store.delete(name)
            return True
        except OSError as exc:
            self.log.error("Cannot remove the identity attributes of %s (%s): %s", name, why, exc)
            return False

    def delete_user(self, user):
        """A deleted hub user's attributes go too (a later user of that name starts empty)."""
        super().delete_user(user)
        if self.attribute_store is not None:
            self.forget_attributes(user.name, "user deleted")

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
