"""`agora check` / `agora up` connect to the PostgreSQL databases of the settings: one clear
line (variable, key, cause without the password, fix) when one does not answer."""

from hub.config.loading import load_settings
from hub.config.runtime_checks import runtime_problems
from tests.support import free_port


def problems(environ):
    return [str(p) for p in runtime_problems(load_settings(None, environ=environ), environ)]


def test_reachable_databases_are_no_problem(postgres_url):
    environ = {"AGORA_HUB__DB_URL": postgres_url, "AGORA_HUB__STATE_DB_URL": postgres_url}
    assert problems(environ) == []


def test_a_database_that_does_not_answer_is_named_with_a_fix(postgres):
    closed = f"postgresql://agora:s3cret@127.0.0.1:{free_port()}/agora"
    missing = postgres.url("no_such_database")
    [down, absent] = problems({"AGORA_HUB__DB_URL": closed, "AGORA_HUB__STATE_DB_URL": missing})
    assert down.startswith("AGORA_HUB__DB_URL: hub.db_url: cannot connect to postgresql://agora:")
    assert "s3cret" not in down and "AGORA_HUB__DB_URL or the hub account's ~/.pgpass" in down
    assert absent.startswith("AGORA_HUB__STATE_DB_URL: hub.state_db_url: cannot connect")
    assert "no_such_database" in absent and "does not exist" in absent
