"""Fixtures shared by the unit tests."""

import os

import pytest

from .fake_datasets_service import fake_service  # noqa: F401 - re-exported as a fixture
from .widgets_fakes import fake_source, no_network  # noqa: F401 - re-exported as fixtures


@pytest.fixture(autouse=True)
def environment_restored():
    """Undo what a test's in-process `agora` command left in os.environ (demo mode sets the
    demo sources' variables there, as in a real `agora` process): a later test in the same
    process, e.g. the demo data every test Agora copies, must not inherit a removed folder."""
    before = dict(os.environ)
    yield
    if dict(os.environ) != before:
        os.environ.clear()
        os.environ.update(before)


@pytest.fixture(autouse=True)
def lineage_forgotten():
    """Each test starts with an empty list of what `widgets` read in this process."""
    from widgets.lineage import forget

    forget()
    yield
