"""Fixtures of the deploy tier: the chart rendered once, the hub pod's effective config once."""

import pytest

from .chart import agora_values, chart_dir, render
from .hub_pod import effective_config


@pytest.fixture(scope="session")
def chart():
    return chart_dir()


@pytest.fixture(scope="session")
def objects(chart):
    return render(agora_values())


@pytest.fixture(scope="session")
def hub_config(objects, tmp_path_factory):
    return effective_config(objects, tmp_path_factory.mktemp("hub-pod"))
