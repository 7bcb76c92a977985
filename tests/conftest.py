"""Fixtures every tier may use: a throwaway PostgreSQL (tests/postgres.py), and the URL of
Agora's shared state on each engine (None: the default SQLite files)."""

import pytest

from tests.postgres import PostgresCluster, missing_reason


@pytest.fixture(scope="session")
def postgres():
    """One PostgreSQL cluster for the test session (skipped, saying why, when absent)."""
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    cluster = PostgresCluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres):
    """The URL of a fresh PostgreSQL database."""
    return postgres.url(postgres.new_database())


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request):
    """hub.state_db_url on each engine: None (SQLite files in the data dir), then PostgreSQL."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("postgres_url")
