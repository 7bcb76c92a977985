"""HTTP GET for every network connector: one place for timeouts, status checks and messages.

A failure always becomes a :class:`SourceError` naming the source and the cause (status and the
server's own error message when it sent one, timeout, refused connection, truncated body).
Secrets travel in headers only, so the URLs quoted in messages and details are safe to log.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import urlsplit

import requests

from ..interfaces import ByteBudget, SourceError

USER_AGENT = "agora-pipeline/0.1 (+https://github.com/agora)"
MAX_ERROR_TEXT = 300
MAX_ERROR_BODY = 64 << 10  # of an error answer, enough for its message
CHUNK_BYTES = 1 << 20


def http_get(
    url: str,
    *,
    source: str,
    timeout: float,
    budget: ByteBudget | None,
    params: Mapping[str, object] | None = None,
    headers: Mapping[str, str] | None = None,
) -> bytes:
    """Return the body of a successful GET, or raise SourceError explaining why not.

    The body counts against the source's `budget` (``SourceContext.budget``, shared by all its
    pages): it is refused when its Content-Length, or the bytes received so far, go past it.
    None only for requests that are not the source's data. An error answer is read only as
    far as its message.
    """
    sent_headers = {"User-Agent": USER_AGENT, **(headers or {})}
    try:
        with requests.get(url, params=params, headers=sent_headers, timeout=timeout,
                          stream=True) as response:
            if response.status_code >= 400:
                body = next(response.iter_content(MAX_ERROR_BODY), b"")
            else:
                body = _read_body(response, source, budget)
    except requests.Timeout:
        raise SourceError(f"{source}: no answer from {url} within {timeout:g} s (timeout)") from None
    except requests.RequestException as exc:
        raise SourceError(f"{source}: download from {url} failed: {_first_line(exc)}") from None
    if response.status_code >= 400:
        where = "" if source == url else f"{url} "
        raise SourceError(
            f"{source}: {where}answered HTTP {response.status_code} {response.reason}"
            f"{_server_message(body)}"
        )
    return body


def _read_body(response: requests.Response, source: str, budget: ByteBudget | None) -> bytes:
    if budget is None or budget.limit is None:
        return response.content
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit():
        budget.expect(int(declared), source)
    chunks = []
    for chunk in response.iter_content(CHUNK_BYTES):  # decompressed, when the server gzips
        budget.take(len(chunk), source)
        chunks.append(chunk)
    return b"".join(chunks)


def http_get_json(url: str, **kwargs) -> tuple[object, bytes]:
    """GET and decode JSON; return (document, raw bytes) so callers can fingerprint the bytes."""
    body = http_get(url, **kwargs)
    return decode_json(body, source=kwargs["source"], what=url), body


def decode_json(body: bytes, *, source: str, what: str) -> object:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(f"{source}: {what} is not valid JSON ({exc})") from None


def same_host(url: str, base_url: str) -> bool:
    """True when `url` is on the host of `base_url` (API keys are only sent there)."""
    a, b = urlsplit(url), urlsplit(base_url)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def _server_message(body: bytes) -> str:
    """The error text a server put in its body: JSON `message`/`error.message`, else the text."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        text = body.decode("utf-8", errors="replace").strip()
        return f": {text[:MAX_ERROR_TEXT]}" if text and not text.startswith("<") else ""
    message = _json_message(document)
    return f": {message[:MAX_ERROR_TEXT]}" if message else ""


def _json_message(document: object) -> str:
    if not isinstance(document, dict):
        return ""
    error = document.get("error")
    if isinstance(error, dict):  # CKAN: {"success": false, "error": {"message": ..., "__type": ...}}
        return str(error.get("message") or error.get("__type") or "")
    return str(document.get("message") or error or "")  # Opendatasoft: {"message": ...}


def _first_line(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:MAX_ERROR_TEXT]
