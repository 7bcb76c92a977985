"""How Agora's own long-running processes (its services, the report processes) wait for their
stop signal and leave.

- :func:`until_signalled`: returns at the first SIGINT or SIGTERM (JupyterHub stops a managed
  service with SIGINT, `agora up` with SIGTERM).
- :func:`exit_now`: flush what was written, then ``os._exit``: no teardown of pandas and the
  other heavy modules module by module (seconds at each stop of `agora up`), no join of a
  worker thread still running an abandoned query or refresh.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys


async def until_signalled() -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    await stopping.wait()


def exit_now(code: int) -> None:
    """Flush this process's output (stdout, stderr, logs), then exit with `code`. Files the
    caller wrote must be closed already."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed or broken: nothing more can be said
            pass
    os._exit(code)
