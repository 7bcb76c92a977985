"""hub/services/restart.py: JupyterHub's managed-service spawner polls every second, slower
when a service keeps crashing."""

from __future__ import annotations

import inspect
from pathlib import Path

from jupyterhub.services import service
from jupyterhub.spawner import Spawner

from hub.services.restart import MAX_POLL_SECONDS, Backoff, poll_services_every


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_service_spawners_poll_every_second_and_workspaces_do_not(monkeypatch):
    monkeypatch.setattr(service, "_ServiceSpawner", service._ServiceSpawner)
    stock = service._ServiceSpawner
    spawner_class = poll_services_every()
    assert service._ServiceSpawner is spawner_class and issubclass(spawner_class, stock)
    assert spawner_class(cmd=["true"], _service_name="datasets").poll_interval == 1
    assert poll_services_every().__bases__ == (stock,)  # twice: still one level
    assert Spawner().poll_interval == 30  # workspaces keep JupyterHub's own


def test_a_crash_loop_is_polled_ever_more_slowly_and_a_steady_service_fast_again():
    clock = Clock()
    backoff = Backoff(clock=clock)
    intervals = []
    for _ in range(8):  # crashes right after each start
        intervals.append(backoff.interval("datasets"))
        clock.now += intervals[-1] + 0.5
    assert intervals == [1, 2, 4, 8, 16, 30, 30, 30] and MAX_POLL_SECONDS == 30
    assert backoff.interval("portal") == 1  # per service
    clock.now += 3600  # ran for an hour, then crashed
    assert backoff.interval("datasets") == 1


def test_jupyterhub_still_builds_service_spawners_from_the_module_name():
    """What the hook relies on: Service.start looks `_ServiceSpawner` up when it runs, and
    restarts a crashed service from the spawner's poll callback."""
    source = inspect.getsource(service.Service.start)
    assert "self.spawner = _ServiceSpawner(" in source and "_service_name=self.name" in source
    assert "add_poll_callback(self._proc_stopped)" in source
    assert "self.start()" in inspect.getsource(service.Service._proc_stopped)


def test_jupyterhub_config_runs_the_hook():
    text = (Path(__file__).parents[2] / "jupyterhub_config.py").read_text()
    assert "poll_services_every()" in text
