"""One real Agora and one spawned workspace per demo user, shared by every notebook test of
this package (the getting-started notebook and the demo notebooks): starting Agora and
spawning costs more than running a notebook, so it is done once."""

from __future__ import annotations

import pytest

from tests.support import reachable_temp_folder, running_agora, spawned_sessions, workspaces_for

from .notebook_runs import USERS, Policy


@pytest.fixture(scope="package")
def agora():
    """`agora up` with its defaults, in a folder any account can traverse; the official and
    the partner are granted a workspace (spawner.workspace_users) to run their notebooks."""
    folder = reachable_temp_folder("agora-notebooks-") / "agora"
    with running_agora(folder, workspaces_for("elu-rivemont", "partner")) as running:
        yield running


@pytest.fixture(scope="package")
def sessions(agora):
    """{user: logged-in session}; every workspace spawned side by side, once."""
    return spawned_sessions(agora.url, USERS)


@pytest.fixture(scope="package")
def oracle(agora):
    return Policy(agora, USERS)
