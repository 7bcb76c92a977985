"""The notebook side of the datasets service: where it is, who you are, and reading from it.

Everything here takes the token from the environment at the moment of each request, and
nowhere else: ``AGORA_TOKEN`` first (set by the scheduler for a report run under a recipient's
rights), then ``JUPYTERHUB_API_TOKEN`` (set by JupyterHub in every workspace). The token is sent
as ``Authorization: token ...`` and is never stored in an object, a catalog, a file or an error
message, so a saved catalog or a shared notebook cannot leak it.

The service URL: ``AGORA_DATASETS_URL`` (set by the hub for every workspace), else built from
JupyterHub's public URL variables (``JUPYTERHUB_PUBLIC_HUB_URL``, or ``JUPYTERHUB_HOST`` plus
``JUPYTERHUB_BASE_URL``) and the service name ``datasets``.

The token is only ever sent under that URL, or under one passed explicitly to
``catalog(url=...)`` in this process: a catalog file is data anyone can write, and an entry
pointing elsewhere must not make a reader send their token to a stranger's server.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
from intake.readers.readers import BaseReader

TOKEN_VARIABLES = ("AGORA_TOKEN", "JUPYTERHUB_API_TOKEN")
URL_VARIABLE = "AGORA_DATASETS_URL"
SERVICE_NAME = "datasets"
TIMEOUT = (10, 600)  # seconds: connect, read (a large export can take a while)
_trusted: set[str] = set()  # service URLs given explicitly in this process (memory only)
_session: requests.Session | None = None


class AgoraError(RuntimeError):
    """The datasets service could not be reached, or refused or failed a request."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


def token_from_env(environ: Mapping[str, str] | None = None) -> str:
    """The caller's token, read now from the environment (AGORA_TOKEN, JUPYTERHUB_API_TOKEN)."""
    environ = os.environ if environ is None else environ
    for name in TOKEN_VARIABLES:
        if environ.get(name):
            return environ[name]
    raise AgoraError("no token in the environment: run this in an Agora workspace, or set "
                     "AGORA_TOKEN to a JupyterHub API token (hub Token page)")


def _slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def service_url(environ: Mapping[str, str] | None = None) -> str:
    """The datasets service's base URL (ends with '/'), from the environment."""
    environ = os.environ if environ is None else environ
    if environ.get(URL_VARIABLE):
        return _slash(environ[URL_VARIABLE])
    suffix = f"services/{SERVICE_NAME}/"
    public_hub = environ.get("JUPYTERHUB_PUBLIC_HUB_URL", "")
    if public_hub:  # https://agora.example.org/<base_url>hub/
        base = _slash(public_hub)
        return (base[:-4] if base.endswith("/hub/") else base) + suffix
    host = environ.get("JUPYTERHUB_HOST", "")
    if host.startswith(("http://", "https://")):
        return host.rstrip("/") + _slash(environ.get("JUPYTERHUB_BASE_URL") or "/") + suffix
    raise AgoraError(f"cannot tell where the datasets service is: set {URL_VARIABLE} "
                     "(the hub sets it in Agora workspaces) or pass url=")


def trust(url: str) -> str:
    """Allow sending the token under `url` (a service URL the user gave) in this process."""
    url = _slash(url)
    _trusted.add(url)
    return url


def _under(url: str, base: str) -> bool:
    """Same scheme and host, path inside base's, no dot segment (`../` to another server)."""
    target, root = urlsplit(url), urlsplit(base)
    dots = {".", ".."} & set(unquote(target.path).split("/"))
    return (not dots and target.path.startswith(root.path)
            and (target.scheme.lower(), target.netloc.lower()) ==
            (root.scheme.lower(), root.netloc.lower()))


def check_destination(url: str, environ: Mapping[str, str] | None = None) -> None:
    """Refuse (AgoraError) to send the token anywhere but the datasets service."""
    if any(_under(url, base) for base in _trusted):
        return
    try:
        configured = service_url(environ)
    except AgoraError:
        configured = None
    if configured is None or not _under(url, configured):
        where = f"{urlsplit(url).scheme}://{urlsplit(url).netloc}"
        raise AgoraError(f"refusing to send your token to {where}: it is not the Agora "
                         f"datasets service ({configured or 'set ' + URL_VARIABLE}). Was "
                         "this catalog made for another Agora? Use catalog(url=...) to "
                         "trust a service explicitly.")


def _error_message(response: requests.Response) -> str:
    try:
        body = response.json()
        message = (body.get("error") or body.get("message")) if isinstance(body, dict) else None
    except ValueError:
        message = None
    hints = {401: "no token was sent", 403: "your token was refused (expired? log in again)",
             404: "no such dataset for you"}
    return message or hints.get(response.status_code, response.reason or "request failed")


def _http() -> requests.Session:
    """One connection pool per process (a dashboard's widgets make several requests each:
    a new connection each time cost ~2 ms per request, bench/widgets.py). It keeps no
    cookie, so nothing but the token read at each request can say who is asking."""
    global _session
    if _session is None:
        _session = requests.Session()
        _session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    return _session


def get(url: str, params: Any = None, environ: Mapping[str, str] | None = None,
        stream: bool = False) -> requests.Response:
    """GET with the environment's token; raise AgoraError (without the token) unless 2xx."""
    check_destination(url, environ)
    headers = {"Authorization": f"token {token_from_env(environ)}"}
    try:
        response = _http().get(url, params=params, headers=headers, timeout=TIMEOUT,
                               stream=stream)
    except requests.RequestException as exc:
        raise AgoraError(f"cannot reach the datasets service at {url}: "
                         f"{type(exc).__name__}") from None
    if not response.ok:
        raise AgoraError(f"{response.status_code} {_error_message(response)} ({url})",
                         response.status_code)
    return response


def frame_from_parquet(body: bytes, columns: Sequence[str] | None = None):
    """A DataFrame from Parquet bytes, or a GeoDataFrame when they are GeoParquet."""
    import pyarrow.parquet as pq

    metadata = pq.read_schema(io.BytesIO(body)).metadata or {}
    columns = list(columns) if columns else None
    if b"geo" in metadata:
        import geopandas

        return geopandas.read_parquet(io.BytesIO(body), columns=columns)
    import pandas as pd

    return pd.read_parquet(io.BytesIO(body), columns=columns)


class AgoraParquetReader(BaseReader):
    """Read one Agora dataset from the datasets service's Parquet export.

    The catalog entry holds only the export URL; the token is read from the environment
    (AGORA_TOKEN, else JUPYTERHUB_API_TOKEN) each time :meth:`read` runs, so the entry can be
    saved or shared safely. GeoParquet comes back as a ``geopandas.GeoDataFrame``.

    ``read(columns=[...])`` keeps only those columns.
    """

    imports = {"requests", "pyarrow", "pandas"}
    output_instance = "pandas:DataFrame"

    def _read(self, url: str, columns: Sequence[str] | None = None, **_ignored):
        from .lineage import record as record_lineage

        response = get(url)
        frame = frame_from_parquet(response.content, columns)
        record_lineage(unquote(urlsplit(url).path.rstrip("/").split("/")[-2]),
                       response.headers.get("Agora-Snapshot-Version"))
        return frame
