"""Managed services are back within seconds of a crash.

JupyterHub restarts a managed service when its spawner's poll finds the process gone, and
polls every ``Spawner.poll_interval`` (30 s, 10 % jitter): a crashed datasets service
answered 503 for 14 to 36 s (docs/performance.md). The service spawner
(``jupyterhub.services.service._ServiceSpawner``) is built without the hub's config, so
``c.Spawner.poll_interval`` never reaches it: :func:`poll_services_every` gives the hub a
subclass that polls every :data:`SERVICE_POLL_SECONDS` (a ``Popen.poll()``: no cost).
Workspaces keep ``Spawner.poll_interval``. jupyterhub_config.py calls it.
"""

from __future__ import annotations

SERVICE_POLL_SECONDS = 1


def poll_services_every(seconds: int = SERVICE_POLL_SECONDS) -> type:
    """Make JupyterHub's managed-service spawner poll every `seconds`; returns its class."""
    from jupyterhub.services import service
    from traitlets import Integer

    stock = getattr(service._ServiceSpawner, "agora_stock", service._ServiceSpawner)
    service._ServiceSpawner = type("_ServiceSpawner", (stock,), {
        "__doc__": stock.__doc__, "agora_stock": stock,
        "poll_interval": Integer(seconds, help="Agora: notice a crashed service at once")})
    return service._ServiceSpawner
