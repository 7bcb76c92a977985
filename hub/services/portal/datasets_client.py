"""The portal's only way to data: the datasets service, called with the VISITOR's token.

The portal's OAuth client may ask for ``access:services!service=datasets`` on the visitor's
behalf (hub/configure.py, ``oauth_client_allowed_scopes``), so the token JupyterHub gives it
after login also opens the datasets service, with the visitor's own rights: the service applies
the policy to that user, never to the portal. The portal has no token of its own that can read
data.

Every answer the service does not give as JSON 200 becomes one of two exceptions: an unknown
or forbidden dataset is :class:`DatasetNotFound` (the service answers both alike), anything
else (service down, 5xx, an expired token) :class:`DatasetsUnavailable`.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import quote

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

log = logging.getLogger("agora.portal")
TIMEOUT = 20


class DatasetsUnavailable(Exception):
    """The datasets service did not answer usefully (down, error, refused token)."""


class DatasetNotFound(Exception):
    """Unknown, forbidden, unserved or malformed dataset id: one answer for all."""


class DatasetsClient:
    """GET the datasets service's JSON API at `url` (its base, ending with '/')."""

    def __init__(self, url: str):
        self.url = url if url.endswith("/") else url + "/"

    async def get(self, path: str, token: str) -> dict:
        request = HTTPRequest(self.url + path, headers={"Authorization": f"token {token}",
                                                        "Accept": "application/json"},
                              request_timeout=TIMEOUT, follow_redirects=False)
        try:
            response = await AsyncHTTPClient().fetch(request)
        except HTTPClientError as exc:
            if exc.code == 404:
                raise DatasetNotFound(path) from None
            log.warning("datasets service answered HTTP %s for %s", exc.code, path)
            raise DatasetsUnavailable(path) from None
        except OSError as exc:
            log.warning("cannot reach the datasets service for %s: %s", path, exc)
            raise DatasetsUnavailable(path) from None
        try:
            return json.loads(response.body)
        except ValueError:
            raise DatasetsUnavailable(path) from None

    async def datasets(self, token: str) -> list[dict]:
        """The visitor's readable datasets (``GET api/datasets``)."""
        return list((await self.get("api/datasets", token)).get("datasets") or [])

    async def dataset(self, dataset_id: str, token: str) -> dict:
        """One dataset's metadata as the visitor may see it (``GET api/datasets/{id}``)."""
        return await self.get(f"api/datasets/{quote(dataset_id, safe='')}", token)
