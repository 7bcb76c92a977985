"""The reports scheduler built from the settings, in one place: the scheduler service and
`agora report` build the same object, so the command runs exactly what the service runs.

The scheduler's hub API token is fixed in ``<data_dir>/reports/scheduler.token`` (made once,
mode 600, read by jupyterhub_config.py through HubInputs): the service gets it from the hub
as JUPYTERHUB_API_TOKEN, and `agora report run` on the hub's machine reads the file, so it
needs the hub's account like every command that touches the data directory. Deleting the
file and restarting the hub changes it.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from collections.abc import Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote, urlencode

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from ..config.import_strings import load_class
from .archive import open_archive
from .book import ScheduleBook
from .contacts import ContactBook
from .dask_executor import DaskExecutor
from .executor import Archive, Executor
from .mail import Delivery, plain_message
from .scheduler import ReportScheduler, Rules, log_progress
from .store import ReportStore, utc_now
from .tokens import HubAPI, HubError

log = logging.getLogger("agora.reports.service")

TOKEN_FILE = "scheduler.token"


def service_token(reports_dir: Path, create: bool = True) -> str | None:
    """The scheduler service's API token (made on first use when `create`)."""
    path = Path(reports_dir) / TOKEN_FILE
    if path.exists():
        return path.read_text().strip()
    if not create:
        return None
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def hub_api_url(settings) -> str:
    return f"http://127.0.0.1:{settings.hub.hub_port}{settings.hub.base_url}hub/api"


def datasets_url(settings) -> str:
    """The datasets service straight on loopback (what a report's widgets call)."""
    return (f"http://127.0.0.1:{settings.services.datasets_port}{settings.hub.base_url}"
            "services/datasets/")


def public_datasets_url(settings) -> str:
    """The datasets service through the hub's proxy (what a Dask worker elsewhere reaches)."""
    return f"{settings.hub.public_origin}{settings.hub.base_url}services/datasets/"


def delivery_from_settings(settings, environ: Mapping[str, str]) -> Delivery:
    cls = load_class(settings.reports.delivery_class, "hub.reports.mail:Delivery",
                     "reports.delivery_class")
    return cls(settings.reports.smtp, environ)


def refused_hint(settings) -> str:
    groups = [*settings.reports.run_as_groups, *settings.reports.scheduler_groups]
    return (f"reports run only under the rights of members of {', '.join(groups)} "
            "(reports.run_as_groups, reports.scheduler_groups)")


def executor_from_settings(settings, archive: Archive, hub, environ: Mapping[str, str],
                           store: ReportStore) -> Executor:
    """Local worker processes, or one Dask task per run when ``batch.dask_scheduler`` is set
    (its workers reach the datasets service through the hub's public URL)."""
    r, address = settings.reports, settings.batch.dask_scheduler
    common = dict(archive=archive, templates_dir=settings.templates_dir, tokens=hub,
                  renderer=r.renderer, run_timeout=r.run_timeout_seconds,
                  cell_timeout=r.cell_timeout_seconds, base_environ=environ,
                  on_worker=store.set_worker, refused=refused_hint(settings))
    if not address:
        return Executor(datasets_url=datasets_url(settings), **common)
    return DaskExecutor(datasets_url=public_datasets_url(settings), scheduler_address=address,
                        **common)


def build_scheduler(settings, hub=None, environ: Mapping[str, str] | None = None,
                    clock=utc_now, progress=log_progress) -> ReportScheduler:
    """`hub`: what mints tokens and lists group members (default: the hub API with the
    scheduler's token from the environment, else from its file)."""
    environ = dict(os.environ if environ is None else environ)
    r = settings.reports
    if hub is None:
        token = environ.get("JUPYTERHUB_API_TOKEN") or service_token(settings.reports_dir,
                                                                      create=False)
        hub = HubAPI(environ.get("JUPYTERHUB_API_URL") or hub_api_url(settings), token or "")
    store = ReportStore.from_settings(settings)
    archive = open_archive(settings, environ)
    executor = executor_from_settings(settings, archive, hub, environ, store)
    book = ScheduleBook(settings.schedules_dir, store, r.timezone, settings.templates_dir)
    delivery, contacts = delivery_from_settings(settings, environ), ContactBook.from_settings(settings)
    return ReportScheduler(store=store, book=book, archive=archive, executor=executor, hub=hub,
                           delivery=delivery, contacts=contacts, rules=Rules.from_settings(r),
                           clock=clock, progress=progress,
                           alerts=alert_delivery(settings, hub, delivery, contacts))


def alert_delivery(settings, hub: HubAPI, delivery: Delivery, contacts: ContactBook):
    """hub/alerts' delivery with the scheduler's parts: group members and a short-lived
    token of each recipient from the hub, the datasets service asked with that token,
    SMTP. A recipient the scheduler may not mint a token for is never told (fail closed)."""
    from ..alerts.delivery import AlertDelivery, Recipient
    from ..alerts.episodes import EpisodeStore
    from ..pipeline.recipe import load_recipe

    def rule_of(dataset: str, name: str):
        try:
            recipe = load_recipe(settings.catalog_dir / f"{dataset}.yaml")
        except Exception:  # a recipe gone or broken: its rules are not judged either
            return None
        return next((rule for rule in recipe.alerts if rule.name == name), None)

    async def members(groups, users):
        names = set(users)
        for group in groups:
            names.update(await hub.members(group))
        return [Recipient(c.name, c.email, c.language)
                for c in (contacts.contact(name) for name in sorted(names))]

    @asynccontextmanager
    async def rights(recipient):
        try:
            lease = hub.lease(recipient.name, 60, "alert rights check")
            token = await lease.__aenter__()
        except HubError as exc:
            if not exc.permanent:
                raise
            log.warning("alerts not sent to %s: no token may be made for them (%s); add their "
                        "group to reports.run_as_groups", recipient.name, exc)
            yield nothing_visible
            return
        try:
            yield lambda dataset, column, value: sees_row(datasets_url(settings), token,
                                                          dataset, column, value)
        finally:
            await lease.__aexit__(None, None, None)

    def send(recipient, subject: str, body: str) -> None:
        if delivery.enabled:
            delivery.send(plain_message(delivery.sender, recipient.email, subject, body))

    return AlertDelivery(EpisodeStore.from_settings(settings), rule_of, members,
                         rights, send, portal_url=settings.hub.public_origin
                         + settings.hub.base_url + "services/portal/")


async def nothing_visible(dataset: str, column: str, value: str) -> bool:
    return False


async def sees_row(datasets: str, token: str, dataset: str, column: str, value: str) -> bool:
    """Whether the datasets service gives this token a row of `dataset` whose `column` is
    `value` (its rights applied: row rules, hidden columns, no access at all)."""
    query = urlencode({"where": f"{column}:eq:{value}", "select": column, "limit": 1})
    request = HTTPRequest(f"{datasets}api/datasets/{quote(dataset, safe='')}/records?{query}",
                          headers={"Authorization": f"token {token}"}, request_timeout=30)
    try:
        response = await AsyncHTTPClient().fetch(request)
    except HTTPClientError as exc:
        if exc.code in (400, 403, 404):  # a hidden column, or not theirs: not visible
            return False
        raise
    return bool(json.loads(response.body).get("records"))
