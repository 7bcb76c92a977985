"""The JSON object a service's API request carries, or a 4xx saying what is wrong with it."""

from __future__ import annotations

import json

from tornado import web


def json_object(body: bytes, limit: int, too_large: str = "request too large") -> dict:
    """`body` read as a JSON object ({} when empty): 413 beyond `limit` bytes, 400 otherwise."""
    if len(body) > limit:
        raise web.HTTPError(413, too_large)
    try:
        value = json.loads(body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise web.HTTPError(400, f"the request is not JSON ({exc})") from None
    if not isinstance(value, dict):
        raise web.HTTPError(400, "the request must be a JSON object")
    return value
