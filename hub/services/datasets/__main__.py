"""`python -m hub.services.datasets`: run the datasets service (started by the hub).

Settings come from hub.config.settings (AGORA_CONFIG and AGORA_* variables set by the hub's service
definition, hub/configure.py), never from the hub's own config file. Listens where the hub
says (JUPYTERHUB_SERVICE_URL, default 127.0.0.1:<services.datasets_port>). On SIGINT or SIGTERM
it stops accepting requests and exits at once: queries still running in worker threads are
abandoned (they only read), so the hub's shutdown never waits on a long export.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys

from hub.config.loading import load_settings
from hub.config.problems import ConfigProblems
from hub.lifecycle import exit_now, until_signalled
from hub.services.listen import listen_address as service_listen_address

from .http.app import app_from_settings
from .read.registry import CatalogUnavailable

log = logging.getLogger("agora.datasets")


def listen_address(settings, environ) -> tuple[str, int]:
    return service_listen_address(settings, environ, settings.services.datasets_port)


def load_catalog_before_serving(registry) -> None:
    """Parse the recipes and check the snapshots now rather than in the first request (about
    2 s for 1,000); a broken catalog is logged here and answered 503 (fail closed) until it is
    fixed."""
    try:
        registry.prime()
    except CatalogUnavailable:
        pass


async def serve(settings) -> None:
    app = app_from_settings(settings, os.environ)
    load_catalog_before_serving(app.settings["registry"])
    host, port = listen_address(settings, os.environ)
    server = app.listen(port, host, xheaders=True)
    log.info("datasets service listening on http://%s:%d%s", host, port, app.settings["prefix"])
    await until_signalled()
    log.info("datasets service stopping")
    server.stop()
    app.settings["engine"].shutdown()


def main() -> int:
    try:
        settings = load_settings()
    except ConfigProblems as exc:
        print(f"datasets service: settings have problems:\n{exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.hub.log_level,
                        format="[%(levelname)1.1s %(asctime)s %(name)s] %(message)s")
    asyncio.run(serve(settings))
    exit_now(0)  # do not join worker threads still running an abandoned query


if __name__ == "__main__":
    sys.exit(main())
