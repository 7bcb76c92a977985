"""Fixtures shared by the unit tests."""

from .fake_datasets_service import fake_service  # noqa: F401 - re-exported as a fixture
from .widgets_fakes import fake_source, no_network  # noqa: F401 - re-exported as fixtures
