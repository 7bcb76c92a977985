"""The portal's way to reports: the scheduler service's API, called with the VISITOR's token.

Like the datasets service (datasets_client.py), the scheduler is reached straight on
loopback with the visitor's OAuth token, which may carry ``access:services!service=scheduler``
(hub/configure.py, the portal's ``oauth_client_allowed_scopes``): the scheduler applies its
own rules to that user (who may schedule, which PDF they may download), never the portal's.

Answers: JSON (or the PDF's bytes); a refusal the visitor should read is
:class:`SchedulerRefused` with the service's message; anything else (down, 5xx) is
:class:`SchedulerUnavailable`.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import quote

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

log = logging.getLogger("agora.portal")
TIMEOUT = 30


class SchedulerUnavailable(Exception):
    """The scheduler service did not answer usefully."""


class SchedulerRefused(Exception):
    """A 4xx answer: `message` is the service's words, `problems` its list (key, message, fix)."""

    def __init__(self, status: int, message: str, problems: list | None = None):
        super().__init__(message)
        self.status, self.message, self.problems = status, message, problems or []


class SchedulerClient:
    def __init__(self, url: str):
        self.url = url if url.endswith("/") else url + "/"

    async def call(self, method: str, path: str, token: str, body: dict | None = None,
                   raw: bool = False):
        request = HTTPRequest(self.url + path, method=method, request_timeout=TIMEOUT,
                              headers={"Authorization": f"token {token}",
                                       "Content-Type": "application/json"},
                              body=None if body is None else json.dumps(body),
                              follow_redirects=False)
        try:
            response = await AsyncHTTPClient().fetch(request)
        except HTTPClientError as exc:
            if exc.code and 400 <= exc.code < 500 and exc.response is not None:
                answer = _json(exc.response.body) or {}
                raise SchedulerRefused(exc.code, answer.get("error") or exc.message,
                                       answer.get("problems")) from None
            log.warning("scheduler service answered HTTP %s for %s", exc.code, path)
            raise SchedulerUnavailable(path) from None
        except OSError as exc:
            log.warning("cannot reach the scheduler service for %s: %s", path, exc)
            raise SchedulerUnavailable(path) from None
        return response.body if raw else _json(response.body)

    async def runs(self, token: str) -> list[dict]:
        return list((await self.call("GET", "api/runs", token) or {}).get("runs") or [])

    async def schedules(self, token: str) -> tuple[list[dict], bool]:
        """(the visitor's schedules, whether they may make one)."""
        answer = await self.call("GET", "api/schedules", token) or {}
        return list(answer.get("schedules") or []), bool(answer.get("may_schedule"))

    async def templates(self, token: str) -> list[str]:
        return list((await self.call("GET", "api/templates", token) or {}).get("templates") or [])

    async def create(self, token: str, schedule: dict) -> dict:
        return await self.call("POST", "api/schedules", token, schedule)

    async def change(self, token: str, name: str, changes: dict) -> dict:
        return await self.call("PATCH", f"api/schedules/{quote(name, safe='')}", token, changes)

    async def run_now(self, token: str, name: str) -> dict:
        return await self.call("POST", f"api/schedules/{quote(name, safe='')}/runs", token, {})

    async def pdf(self, token: str, run_id: int) -> bytes:
        return await self.call("GET", f"api/runs/{int(run_id)}/pdf", token, raw=True)


def _json(body: bytes):
    try:
        return json.loads(body)
    except ValueError:
        return None
