"""The datasets service's tornado application.

:func:`make_app` wires the routes to explicit collaborators (registry, engine, identity, audit
folder, the per-caller ``quotas`` (default limits unless given), and the ``user_model`` seam,
see base.py), so tests build the real application with a
test user lookup. :func:`app_from_settings` builds the production one from hub.config.settings and the
JupyterHub service environment (JUPYTERHUB_API_TOKEN, JUPYTERHUB_API_URL,
JUPYTERHUB_SERVICE_PREFIX, OAuth client settings), read by HubOAuth itself.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from collections.abc import Mapping
from pathlib import Path

from jupyterhub.services.auth import HubOAuth, HubOAuthCallbackHandler
from tornado import web

from hub.pipeline.store import open_store
from hub.policy.pseudonym import PseudonymKeyError, key_from

from ..audit_log import FileAuditLog, log_from_settings
from ..quotas import Limits, Quotas
from ..read.engine import Engine
from ..read.registry import DatasetRegistry
from . import paths
from . import published_handlers as published
from .aggregate_handler import AggregateHandler
from .base import hub_user_model
from .export_handler import ExportHandler
from .handlers import (
    AuditHandler,
    IndexHandler,
    ListHandler,
    MetadataHandler,
    NotFoundHandler,
    RecordsHandler,
    UnknownDatasetPath,
)
from .identity import GroupProperties, Identity, identity_from_settings

access_log = logging.getLogger("agora.datasets.access")
log = logging.getLogger("agora.datasets")
ID = r"([^/]+)"


def log_request(handler: web.RequestHandler) -> None:
    """Access log without the query string (it may hold filters, or a token by mistake)."""
    status = handler.get_status()
    level = logging.INFO if status < 400 else logging.WARNING
    access_log.log(level, "%d %s %s %.1fms", status, handler.request.method,
                   handler.request.path, 1000 * handler.request.request_time())


class OAuthCallbackHandler(HubOAuthCallbackHandler):
    def initialize(self) -> None:
        self.hub_auth = self.settings["hub_auth"]


def published_routes(prefix: str) -> list:
    """The published descriptions, REGISTERED HERE: ``api/catalog.json`` and
    ``api/catalog.yaml`` (catalog.py), ``api/dcat.jsonld`` (dcat.py), ``api/harvest.csv`` and
    ``api/harvest.json`` (harvest.py) and ``api/openapi.json`` (openapi.py), whose handlers
    live in published_handlers.py. They derive from base.DatasetsHandler
    and list datasets from the caller's view, ``self.registry.view(self.caller)``."""
    return published.routes(prefix)


def routes(prefix: str) -> list:
    datasets = prefix + paths.DATASETS
    return [
        (prefix, IndexHandler),
        (prefix + "oauth_callback", OAuthCallbackHandler),
        (datasets, ListHandler),
        *published_routes(prefix),
        (prefix + paths.AUDIT, AuditHandler),
        (rf"{datasets}/{ID}", MetadataHandler),
        (rf"{datasets}/{ID}/records", RecordsHandler),
        (rf"{datasets}/{ID}/aggregate", AggregateHandler),
        (rf"{datasets}/{ID}/export\.([A-Za-z0-9]+)", ExportHandler),
        (rf"{datasets}/(.+)", UnknownDatasetPath),
    ]


def portal_token_page(service_prefix: str) -> str:
    """The portal's page on tokens (which scope to give a data-only token, and examples) for
    a service under `<base>services/<name>/`: `<base>services/portal/tokens`."""
    base = service_prefix.rstrip("/").rsplit("/", 2)[0]
    return f"{base}/services/portal/tokens"


def cookie_secret(environ: Mapping[str, str]) -> bytes:
    """The key signing HubOAuth's cookies (OAuth state, the browser's token): derived from
    the service's JUPYTERHUB_API_TOKEN, which every replica of the service shares, so a login
    begun on one replica ends on another; random without a token (one process only)."""
    token = environ.get("JUPYTERHUB_API_TOKEN", "")
    if not token:
        return os.urandom(32)
    return hmac.new(token.encode(), b"agora datasets service cookies", hashlib.sha256).digest()


def make_app(*, prefix: str, registry: DatasetRegistry, engine: Engine, identity: Identity,
             audit_dir: Path | None = None, user_model=hub_user_model,
             hub_auth: HubOAuth | None = None, token_page: str | None = None,
             quotas: Quotas | None = None, audit_log=None, cookie_key: bytes | None = None,
             **extra) -> web.Application:
    """`token_page`: where a 401 says to make a token (a path on this origin, or a URL);
    by default the portal's tokens page. `quotas`: the callers' fair-use limits (none given:
    the defaults). The audit log: `audit_log` (audit_log.py), else the files in `audit_dir`.
    `cookie_key`: the cookie secret (none given: random, this process only). `extra` holds
    other application settings, e.g. ``publishing`` (how the catalog describes itself,
    published_handlers.publishing)."""
    prefix = prefix if prefix.endswith("/") else prefix + "/"
    return web.Application(
        routes(prefix), prefix=prefix, registry=registry, engine=engine, identity=identity,
        audit_log=audit_log or FileAuditLog(Path(audit_dir)), user_model=user_model,
        hub_auth=hub_auth,
        token_page=token_page or portal_token_page(prefix),
        quotas=quotas if quotas is not None else Quotas(),
        cookie_secret=cookie_key or os.urandom(32), log_function=log_request,
        default_handler_class=NotFoundHandler, **extra)


def pseudonym_key(settings, environ: Mapping[str, str]) -> bytes:
    """The checked key, or b"" (then datasets whose column rules pseudonymise are not served)."""
    try:
        return key_from(environ, settings.data.pseudonym_key_env)
    except PseudonymKeyError as exc:
        if environ.get(exc.env):  # set but unusable (unset is logged per dataset needing it)
            log.error("%s", exc)
        return b""


def app_from_settings(settings, environ: Mapping[str, str]) -> web.Application:
    """The production application: HubOAuth; caller attributes from group properties (hub
    API) and from the hub's identity attribute store (identity.py)."""
    key = pseudonym_key(settings, environ)
    hub_auth = HubOAuth(cache_max_age=settings.services.auth_cache_seconds)
    groups = GroupProperties(hub_auth.api_url, environ.get("JUPYTERHUB_API_TOKEN", ""))
    registry = DatasetRegistry(settings.catalog_dir, open_store(settings, environ),
                               has_key=bool(key))
    return make_app(prefix=environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/datasets/"),
                    registry=registry, engine=Engine(key),
                    identity=identity_from_settings(settings, groups),
                    audit_log=log_from_settings(settings), hub_auth=hub_auth,
                    quotas=Quotas(Limits.from_settings(settings.services.datasets_quotas)),
                    cookie_key=cookie_secret(environ), publishing=settings.publishing)
