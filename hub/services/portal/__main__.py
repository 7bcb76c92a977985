"""`python -m hub.services.portal`: run the portal (started by the hub as a managed service).

Settings come from hub.config.settings (AGORA_* variables set by the hub's service definition),
never from the hub's own config file. Listens where the hub says (JUPYTERHUB_SERVICE_URL,
default 127.0.0.1:<services.portal_port>); stops at once on SIGINT or SIGTERM.
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

from .app import app_from_settings

log = logging.getLogger("agora.portal")


def listen_address(settings, environ) -> tuple[str, int]:
    return service_listen_address(settings, environ, settings.services.portal_port)


async def serve(settings) -> None:
    app = app_from_settings(settings, os.environ)
    host, port = listen_address(settings, os.environ)
    server = app.listen(port, host, xheaders=True)
    log.info("portal listening on http://%s:%d%s", host, port, app.settings["prefix"])
    await until_signalled()
    server.stop()


def main() -> int:
    try:
        settings = load_settings()
    except ConfigProblems as exc:
        print(f"portal: settings have problems:\n{exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.hub.log_level,
                        format="[%(levelname)1.1s %(asctime)s %(name)s] %(message)s")
    asyncio.run(serve(settings))
    exit_now(0)


if __name__ == "__main__":
    sys.exit(main())
