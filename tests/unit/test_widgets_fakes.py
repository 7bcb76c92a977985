"""The widget tests' fake data source takes the arguments of the functions it replaces.

The fake once accepted an `order=` that `widgets.aggregate` never had (it takes `order_by=`):
every unit test passed while KPICard.of(bucket=...), BarChart.of(limit=...) and
FilterPanel.of on a text column raised TypeError against the real service (seen in Voilà,
tests/browser/test_voila_widgets.py).
"""

from __future__ import annotations

import inspect

import pytest

import widgets

from .widgets_fakes import FakeSource


def parameters(function) -> list[str]:
    return [name for name in inspect.signature(function).parameters if name != "url"]


@pytest.mark.parametrize("name", ["aggregate", "records", "read", "describe"])
def test_the_fake_takes_the_real_functions_arguments(name):
    assert parameters(getattr(FakeSource(), name)) == parameters(getattr(widgets, name))
