"""Who is calling: JupyterHub's own HubOAuth identifies the user; we add group properties.

The user model comes from the hub (``GET {hub_api}/user`` with the caller's token, which
HubOAuth takes from ``Authorization: token ...`` or from its OAuth cookie after a browser
login) and carries ``name``, ``admin`` and ``groups`` (the 'identify' scopes). Group
*properties* (e.g. ``{"territories": ["99101"]}``) are read with the service's own token from
``GET {hub_api}/groups/<name>`` (role scope ``read:groups``) and cached for
:attr:`GroupProperties.ttl` seconds.

Identity-provider claims (auth_state) are not read yet: :meth:`Identity.claims` is the hook
(it would need ``admin:auth_state``, which this service deliberately does not hold).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from urllib.parse import quote

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

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
    """Turns a hub user model into a policy :class:`Caller`."""

    def __init__(self, groups: GroupProperties | None = None,
                 claim_attributes: tuple[str, ...] = ()):
        self.groups = groups
        self.claim_attributes = claim_attributes

    async def group_properties(self, user: Mapping) -> dict[str, dict]:
        if self.groups is None:
            return {}
        return await self.groups.for_groups(user.get("groups") or ())

    async def claims(self, user: Mapping) -> Mapping:
        """Identity-provider claims for row rules: not read yet (hook, see module doc)."""
        return {}

    async def caller(self, user: Mapping) -> Caller:
        return caller_from_hub_model(user, await self.group_properties(user),
                                     await self.claims(user), self.claim_attributes)


class StaticGroups(GroupProperties):
    """Group properties given in advance (tests, or a hub without the API)."""

    def __init__(self, properties: Mapping[str, Mapping]):
        super().__init__("http://unused", "", ttl=0)
        self.properties = {k: dict(v) for k, v in properties.items()}

    async def fetch(self, group: str) -> dict:
        return self.properties.get(group, {})
