"""The reports scheduler built from the settings, in one place: the scheduler service and
`agora report` build the same object, so the command runs exactly what the service runs.

The scheduler's hub API token is fixed in ``<data_dir>/reports/scheduler.token`` (made once,
mode 600, read by jupyterhub_config.py through HubInputs): the service gets it from the hub
as JUPYTERHUB_API_TOKEN, and `agora report run` on the hub's machine reads the file, so it
needs the hub's account like every command that touches the data directory. Deleting the
file and restarting the hub changes it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from ..config.import_strings import load_class
from .book import ScheduleBook
from .contacts import ContactBook
from .executor import Archive, Executor
from .mail import Delivery
from .scheduler import ReportScheduler, Rules, log_progress
from .store import ReportStore, utc_now
from .tokens import HubAPI

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


def delivery_from_settings(settings, environ: Mapping[str, str]) -> Delivery:
    cls = load_class(settings.reports.delivery_class, "hub.reports.mail:Delivery",
                     "reports.delivery_class")
    return cls(settings.reports.smtp, environ)


def refused_hint(settings) -> str:
    groups = [*settings.reports.run_as_groups, *settings.reports.scheduler_groups]
    return (f"reports run only under the rights of members of {', '.join(groups)} "
            "(reports.run_as_groups, reports.scheduler_groups)")


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
    store = ReportStore(settings.reports_dir)
    archive = Archive(settings.reports_dir)
    executor = Executor(archive, settings.templates_dir, hub, datasets_url(settings),
                        r.renderer, r.run_timeout_seconds, r.cell_timeout_seconds, environ,
                        store.set_worker, refused_hint(settings))
    book = ScheduleBook(settings.schedules_dir, store, r.timezone, settings.templates_dir)
    return ReportScheduler(store=store, book=book, archive=archive, executor=executor, hub=hub,
                           delivery=delivery_from_settings(settings, environ),
                           contacts=ContactBook.from_settings(settings),
                           rules=Rules.from_settings(r), clock=clock, progress=progress)
