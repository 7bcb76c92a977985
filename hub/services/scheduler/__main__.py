"""`python -m hub.services.scheduler`: the scheduler service (started by the hub).

Settings come from hub.config.settings (AGORA_* variables set by the hub's service
definition), never from the hub's config file. On SIGINT or SIGTERM: the API stops, report
runs in progress are stopped (and queued again for the next start), and the process exits
without waiting for a refresh still running in its thread (a refresh writes its snapshot
atomically, so an abandoned one leaves nothing half written).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading

from hub.cli.refresh_output import printer
from hub.config.loading import load_settings
from hub.config.problems import ConfigProblems
from hub.demo_data.bootstrap import demo_environment
from hub.lifecycle import exit_now
from hub.pipeline.schedule import runner_from_settings, scheduled
from hub.reports.service import build_scheduler
from hub.services.listen import listen_address as service_listen_address

from .app import app_from_settings

log = logging.getLogger("agora.scheduler")
REFRESH_POLL_SECONDS = 30.0


def listen_address(settings, environ) -> tuple[str, int]:
    return service_listen_address(settings, environ, settings.services.scheduler_port)


def start_refreshes(settings, stop: threading.Event) -> None:
    """The recipes' refresh schedules in a daemon thread, printing one line per step as
    `agora refresh --watch` does. A recipe with problems is not refreshed until it is
    fixed, the others are (the runner logs the problems once); reports go on."""
    runner = runner_from_settings(settings, progress=printer(), check=False)
    try:
        datasets = scheduled(runner)
        log.info("dataset refreshes: %d scheduled dataset(s) (%s)", len(datasets),
                 ", ".join(datasets) or "none")
    except ConfigProblems as exc:
        log.error("dataset refreshes wait for the catalog to be fixed:\n%s", exc)
    threading.Thread(target=runner.run, args=(stop, REFRESH_POLL_SECONDS), daemon=True,
                     name="agora-refresh-schedules").start()


async def serve(settings) -> None:
    scheduler = build_scheduler(settings)
    app = app_from_settings(settings, scheduler, os.environ)
    host, port = listen_address(settings, os.environ)
    server = app.listen(port, host, xheaders=True)
    log.info("scheduler service listening on http://%s:%d%s", host, port, app.settings["prefix"])
    stopping, refreshes_stop = asyncio.Event(), threading.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    start_refreshes(settings, refreshes_stop)
    reports = asyncio.create_task(scheduler.run_forever(stopping))
    schedules = scheduler.book.all()
    log.info("report schedules: %d (%s)", len(schedules), ", ".join(schedules) or "none")
    await stopping.wait()
    log.info("scheduler service stopping")
    server.stop()
    refreshes_stop.set()
    await reports


def main() -> int:
    try:
        settings = load_settings()
    except ConfigProblems as exc:
        print(f"scheduler service: settings have problems:\n{exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.hub.log_level,
                        format="[%(levelname)1.1s %(asctime)s %(name)s] %(message)s")
    demo_environment(settings, os.environ)  # demo mode: the demo sources' variables and key
    asyncio.run(serve(settings))
    exit_now(0)  # do not wait for a refresh thread still running


if __name__ == "__main__":
    sys.exit(main())
