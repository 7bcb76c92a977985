"""hub/services/restart.py: JupyterHub's managed-service spawner polls every second."""

from __future__ import annotations

import inspect

from jupyterhub.services import service
from jupyterhub.spawner import Spawner

from hub.services.restart import SERVICE_POLL_SECONDS, poll_services_every


def test_service_spawners_poll_every_second_and_workspaces_do_not(monkeypatch):
    monkeypatch.setattr(service, "_ServiceSpawner", service._ServiceSpawner)
    stock = service._ServiceSpawner
    spawner_class = poll_services_every()
    assert service._ServiceSpawner is spawner_class and issubclass(spawner_class, stock)
    assert spawner_class(cmd=["true"]).poll_interval == SERVICE_POLL_SECONDS == 1
    assert poll_services_every(2).__bases__ == (stock,)  # twice: still one level
    assert Spawner().poll_interval == 30  # workspaces keep JupyterHub's own


def test_jupyterhub_still_builds_service_spawners_from_the_module_name():
    """What the hook relies on: Service.start looks `_ServiceSpawner` up when it runs, and
    restarts a crashed service from the spawner's poll callback."""
    source = inspect.getsource(service.Service.start)
    assert "self.spawner = _ServiceSpawner(" in source
    assert "add_poll_callback(self._proc_stopped)" in source
    assert "self.start()" in inspect.getsource(service.Service._proc_stopped)


def test_jupyterhub_config_runs_the_hook():
    from pathlib import Path

    text = (Path(__file__).parents[2] / "jupyterhub_config.py").read_text()
    assert "poll_services_every()" in text
