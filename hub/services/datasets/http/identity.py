"""Who is calling: JupyterHub's own HubOAuth identifies the user; we add their attributes.

The user model comes from the hub (``GET {hub_api}/user`` with the caller's token, which
HubOAuth takes from ``Authorization: token ...`` or from its OAuth cookie after a browser
login) and carries ``name``, ``admin`` and ``groups`` (the 'identify' scopes).

Policy attributes (e.g. ``territories``) come from two sources, combined as a union of values
per attribute (hub/policy/caller.py, ``merge_attributes``):

- group *properties* (e.g. ``{"territories": ["99101"]}``), read with the service's own token
  from ``GET {hub_api}/groups/<name>`` (role scope ``read:groups``) and cached for
  :attr:`GroupProperties.ttl` seconds;
- identity-provider claims named in ``auth.attribute_claims`` (OIDC), which the hub records
  at each login and auth refresh in the attribute store (hub/login/claims.py, under
  the hub's data directory). The service reads the caller's file on each request (re-parsed
  only when it changed), so a new login takes effect at once. It does NOT read auth state:
  that would need ``admin:auth_state`` and expose the users' OAuth tokens to this service.
  Only attributes the current ``auth.attribute_claims`` still maps from the same claim are
  used; a corrupt file gives that user no claim attributes (logged with the file's path).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from urllib.parse import quote

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from hub.login.claims import AttributeStore, attribute_claims_in_use
from hub.policy.caller import Caller, caller_from_hub_model

log = logging.getLogger("agora.datasets.identity")


class GroupProperties:
    """Group properties from the hub API, cached; an unreadable group has no properties."""

    def __init__(self, api_url: str, api_token: str, ttl: float = 30.0):
        self.api_url = api_url.rstrip("/")
        self._token = api_token
        self.ttl = ttl
        self._cache: dict[str, tuple[float, dict]] = {}

    async def fetch(self, group: str) -> dict:
        request = HTTPRequest(f"{self.api_url}/groups/{quote(group, safe='')}",
                              headers={"Authorization": f"token {self._token}"},
                              request_timeout=10)
        try:
            response = await AsyncHTTPClient().fetch(request)
        except HTTPClientError as exc:  # 404: group gone; 403: role misconfigured
            log.warning("cannot read group %r from the hub: HTTP %s", group, exc.code)
            return {}
        except OSError as exc:
            log.warning("cannot reach the hub API for group %r: %s", group, exc)
            return {}
        return dict(json.loads(response.body).get("properties") or {})

    async def get(self, group: str) -> dict:
        cached = self._cache.get(group)
        if cached and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        properties = await self.fetch(group)
        self._cache[group] = (time.monotonic(), properties)
        return properties

    async def for_groups(self, groups) -> dict[str, dict]:
        return {group: await self.get(group) for group in sorted(groups)}


class Identity:
    """Turns a hub user model into a policy :class:`Caller`.

    `claim_attributes` is ``auth.attribute_claims`` ({attribute: claim}); `store` is where
    the hub records them. Without either, callers get group-property attributes only.
    """

    def __init__(self, groups: GroupProperties | None = None,
                 claim_attributes: Mapping[str, str] | None = None,
                 store: AttributeStore | None = None):
        self.groups = groups
        self.claim_attributes = dict(claim_attributes or {})
        self.store = store

    async def group_properties(self, user: Mapping) -> dict[str, dict]:
        if self.groups is None:
            return {}
        return await self.groups.for_groups(user.get("groups") or ())

    async def claims(self, user: Mapping) -> Mapping:
        """Claim attributes the hub recorded for this user ({} if none; fails closed)."""
        if self.store is None or not self.claim_attributes:
            return {}
        return self.store.read(user["name"], self.claim_attributes)

    async def caller(self, user: Mapping) -> Caller:
        return caller_from_hub_model(user, await self.group_properties(user),
                                     await self.claims(user), tuple(self.claim_attributes))


def identity_from_settings(settings, groups: GroupProperties) -> Identity:
    """The production Identity: hub group properties plus the hub's attribute store."""
    return Identity(groups, attribute_claims_in_use(settings),
                    AttributeStore.in_data_dir(settings.data_dir))


class StaticGroups(GroupProperties):
    """Group properties given in advance (tests, or a hub without the API)."""

    def __init__(self, properties: Mapping[str, Mapping]):
        super().__init__("http://unused", "", ttl=0)
        self.properties = {k: dict(v) for k, v in properties.items()}

    async def fetch(self, group: str) -> dict:
        return self.properties.get(group, {})
