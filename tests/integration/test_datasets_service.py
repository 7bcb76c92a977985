"""The datasets service behind a REAL hub: `agora up`, HubOAuth tokens and cookies, group
properties read with the service's own least-privilege token, clean stop within 10 s."""

from __future__ import annotations

import io
import time

import pyarrow.parquet as pq
import pytest
import requests

from tests.datasets_support import agora_on_workspace
from tests.support import admin_api_token, login_form, token_made_by_admin

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def agora(tmp_path_factory):
    with agora_on_workspace(tmp_path_factory.mktemp("datasets-hub"), stop_within=10) as running:
        yield running


@pytest.fixture(scope="module")
def admin_token(agora):
    return admin_api_token(agora, "datasets tests", expires_in=900)


def service(agora, path, token=None, **params):
    headers = {"Authorization": f"token {token}"} if token else {}
    return requests.get(f"{agora.url}services/datasets/{path}", headers=headers,
                        params=params, timeout=30, allow_redirects=False)


def test_user_tokens_see_what_the_policy_says(agora, admin_token):
    analyst = service(agora, "api/datasets", token_made_by_admin(agora, admin_token, "analyst"))
    assert analyst.status_code == 200, agora.log()[-3000:]
    assert [d["id"] for d in analyst.json()["datasets"]] == ["incidents", "stations"]
    official = token_made_by_admin(agora, admin_token, "elu-rivemont")
    assert [d["id"] for d in service(agora, "api/datasets", official).json()["datasets"]] == [
        "incidents"]
    assert service(agora, "api/datasets/stations", official).status_code == 404


def test_official_records_hold_only_their_commune(agora, admin_token):
    """Territories come from the hub's group properties (read with the service's token)."""
    token = token_made_by_admin(agora, admin_token, "elu-rivemont")
    body = service(agora, "api/datasets/incidents/records", token, limit=1000).json()
    assert {r["commune_code"] for r in body["records"]} == {"99101"}
    assert len(body["records"]) == 10 and "nir" not in body["columns"]
    assert body["next"] is None
    export = service(agora, "api/datasets/incidents/export.parquet", token)
    assert export.status_code == 200
    table = pq.read_table(io.BytesIO(export.content))
    assert set(table.column("commune_code").to_pylist()) == {"99101"}


def test_expired_garbage_and_unscoped_tokens_are_refused(agora, admin_token):
    expired = token_made_by_admin(agora, admin_token, "analyst", expires_in=1)
    time.sleep(2)
    assert service(agora, "api/datasets", expired).status_code in (401, 403)
    assert service(agora, "api/datasets", "not-a-real-token").status_code in (401, 403)
    # a token of the same user that was not granted access to this service
    unscoped = token_made_by_admin(agora, admin_token, "analyst",
                                   scopes=["read:users:activity!user"])
    response = service(agora, "api/datasets", unscoped)
    assert response.status_code == 403 and "datasets" not in response.text


def test_no_credentials_redirects_a_browser_to_hub_login(agora):
    response = requests.get(f"{agora.url}services/datasets/api/datasets", timeout=30,
                            headers={"Accept": "text/html,*/*;q=0.8"}, allow_redirects=False)
    assert response.status_code == 302
    assert "/agora/hub/api/oauth2/authorize" in response.headers["Location"]
    program = service(agora, "api/datasets")  # no text/html (test_datasets_programs.py)
    assert program.status_code == 401 and "Authorization: token" in program.json()["how"]


def test_browser_cookie_after_form_login(agora):
    session = requests.Session()
    login_form(session, agora.url, "elu-rivemont", "demo")
    url = f"{agora.url}services/datasets/api/datasets/incidents/records"
    response = session.get(url, params={"limit": 100}, timeout=30,  # a page load: OAuth dance
                           headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 200, response.text[:500]
    assert "/services/datasets/" in response.url
    assert {r["commune_code"] for r in response.json()["records"]} == {"99101"}
    # then the service's own cookie serves the page's scripts (Accept: */*) as well
    again = session.get(url, params={"limit": 1}, timeout=30, allow_redirects=False)
    assert again.status_code == 200 and again.headers["Cache-Control"] == "private, no-store"


def test_audit_log_written_by_the_service(agora, admin_token):
    token = token_made_by_admin(agora, admin_token, "analyst")
    service(agora, "api/datasets/incidents/records", token, limit=3)
    found = service(agora, "api/audit", admin_token, user="analyst").json()
    assert any(e["action"] == "records" and e["rows"] == 3 for e in found)
    assert service(agora, "api/audit", token).status_code == 403
    for path in (agora.data_dir / "audit").glob("*.jsonl"):
        assert token not in path.read_text() and admin_token not in path.read_text()
