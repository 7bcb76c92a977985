"""The scheduler's calls to the hub API: a short-lived token per run, group members.

A run reads data only as its run-as user: :meth:`HubAPI.lease` asks the hub for a NEW token
of that user (``POST /hub/api/users/<name>/tokens``) that expires a little after the run's
timeout and carries ONE scope, ``access:services!service=datasets``; the run gets it as
``AGORA_TOKEN`` and the token is deleted when the run ends, however it ends. JupyterHub's
rule (6.1, apihandlers/users.py and scopes._check_token_scopes): the caller needs the
``tokens`` scope on that user (the scheduler's role holds ``tokens!group=<g>`` for the groups
of ``reports.run_as_groups`` and ``reports.scheduler_groups`` only), and the requested scopes
must be held by the USER, not by the caller. docs/decisions/0005-reports.md has the reasoning.

The scheduler's own token never reaches a run. Tokens are never logged.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

log = logging.getLogger("agora.reports.tokens")
RUN_SCOPES = ["access:services!service=datasets"]
EXPIRY_MARGIN_SECONDS = 120  # the run's timeout, plus the time to clean up after it


class HubError(Exception):
    """The hub refused or could not be reached; `permanent` when retrying cannot help."""

    def __init__(self, message: str, permanent: bool = False, status: int | None = None):
        super().__init__(message)
        self.permanent, self.status = permanent, status


class HubAPI:
    """The hub's REST API with the scheduler service's own token."""

    def __init__(self, api_url: str, token: str, timeout: float = 15):
        self.api_url = api_url.rstrip("/")
        self._token = token
        self.timeout = timeout

    async def call(self, method: str, path: str, body: dict | None = None) -> dict:
        request = HTTPRequest(f"{self.api_url}/{path}", method=method,
                              headers={"Authorization": f"token {self._token}",
                                       "Content-Type": "application/json"},
                              body=None if body is None else json.dumps(body),
                              request_timeout=self.timeout, allow_nonstandard_methods=True)
        try:
            response = await AsyncHTTPClient().fetch(request)
        except HTTPClientError as exc:
            raise HubError(f"the hub answered {exc.code} to {method} /hub/api/{path}",
                           permanent=exc.code in (403, 404), status=exc.code) from None
        except OSError as exc:
            raise HubError(f"cannot reach the hub API at {self.api_url} ({exc})") from None
        return json.loads(response.body) if response.body else {}

    async def ping(self) -> None:
        """Raise HubError unless the hub answers and knows this token (GET /hub/api/user)."""
        await self.call("GET", "user")

    async def members(self, group: str) -> list[str]:
        """The users of a hub group ([] for a group that does not exist)."""
        try:
            model = await self.call("GET", f"groups/{quote(group, safe='')}")
        except HubError as exc:
            if exc.status == 404:
                log.warning("recipient group %r does not exist in the hub", group)
                return []
            raise
        return sorted(model.get("users") or [])

    async def mint(self, user: str, seconds: int, note: str) -> tuple[str, str]:
        """(token id, token) of a new token of `user` limited to reading the datasets."""
        model = await self.call("POST", f"users/{quote(user, safe='')}/tokens",
                                {"note": note, "expires_in": int(seconds), "scopes": RUN_SCOPES})
        return model["id"], model["token"]

    async def revoke(self, user: str, token_id: str) -> None:
        try:
            await self.call("DELETE", f"users/{quote(user, safe='')}/tokens/"
                                      f"{quote(token_id, safe='')}")
        except HubError as exc:
            if exc.status != 404:  # 404: already gone (expired and cleaned up)
                log.warning("could not delete run token %s of %s: %s (it expires by itself)",
                            token_id, user, exc)

    @asynccontextmanager
    async def lease(self, user: str, run_seconds: int, note: str) -> AsyncIterator[str]:
        """A token of `user` for one run, deleted afterwards whatever happens."""
        token_id, token = await self.mint(user, run_seconds + EXPIRY_MARGIN_SECONDS, note)
        try:
            yield token
        finally:
            await self.revoke(user, token_id)
