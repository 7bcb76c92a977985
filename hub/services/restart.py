"""Managed services are back within seconds of a crash, and a crash loop is slowed down.

JupyterHub restarts a managed service when its spawner's poll finds the process gone, and
polls every ``Spawner.poll_interval`` (30 s, 10 % jitter): a crashed datasets service
answered 503 for 14 to 36 s (docs/performance.md). The service spawner
(``jupyterhub.services.service._ServiceSpawner``) is built without the hub's config, so
``c.Spawner.poll_interval`` never reaches it: :func:`poll_services_every` gives the hub a
subclass whose poll (a ``Popen.poll()``: no cost) comes every :data:`SERVICE_POLL_SECONDS`,
doubled for each restart within :data:`STEADY_SECONDS` of the previous start, up to
JupyterHub's 30 s (:class:`Backoff`): a service that cannot start does not take a core.
Workspaces keep ``Spawner.poll_interval``. jupyterhub_config.py calls it.
"""

from __future__ import annotations

import time

SERVICE_POLL_SECONDS = 1
MAX_POLL_SECONDS = 30  # JupyterHub's own interval: a crash loop is retried no faster
STEADY_SECONDS = 60  # a service that ran this long since its last start polls fast again


class Backoff:
    """The poll interval of each service's next start (called once per start)."""

    def __init__(self, fastest: int = SERVICE_POLL_SECONDS, clock=time.monotonic):
        self.fastest, self.clock = fastest, clock
        self.starts: dict[str, tuple[float, int]] = {}  # service -> (last start, interval)

    def interval(self, service: str) -> int:
        now = self.clock()
        last = self.starts.get(service)
        if last is None or now - last[0] >= STEADY_SECONDS:
            interval = self.fastest
        else:
            interval = min(MAX_POLL_SECONDS, 2 * last[1])
        self.starts[service] = (now, interval)
        return interval


def poll_services_every(seconds: int = SERVICE_POLL_SECONDS,
                        backoff: Backoff | None = None) -> type:
    """Make JupyterHub's managed-service spawner poll every `seconds` (with the backoff);
    returns the class now used."""
    from jupyterhub.services import service
    from traitlets import default

    stock = getattr(service._ServiceSpawner, "agora_stock", service._ServiceSpawner)
    backoff = backoff or Backoff(seconds)

    class PromptServiceSpawner(stock):
        agora_stock = stock

        @default("poll_interval")
        def _agora_poll_interval(self):
            return backoff.interval(self._service_name)

    service._ServiceSpawner = PromptServiceSpawner
    return PromptServiceSpawner
