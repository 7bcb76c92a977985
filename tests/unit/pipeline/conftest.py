"""Fixtures shared by the pipeline glue tests (recipe, refresh, schedule)."""

from .glue_support import fakes, workspace  # noqa: F401 - re-exported as fixtures
