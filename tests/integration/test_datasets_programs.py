"""Programs get program answers from the datasets service behind a REAL hub (`agora up`): a
JSON 401 for a client without a token, the hub login for a browser, private answers, and
after a crash a JSON 503 with Retry-After until the hub has restarted it, within seconds."""

from __future__ import annotations

import os
import signal
import time

import pytest
import requests

from tests.datasets_support import agora_on_workspace
from tests.support import admin_api_token, hub_api, token_made_by_admin

pytestmark = pytest.mark.integration
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
NOTICED_WITHIN = 3  # seconds from kill -9 to the hub's restart (JupyterHub's 30 s poll: 0-33)
BACK_WITHIN = 30  # ... to 200 again: the restart plus the service's start (5-9 s under load)
CRASH_NOTICED = "Service datasets exited with status -9"


@pytest.fixture(scope="module")
def agora(tmp_path_factory):
    with agora_on_workspace(tmp_path_factory.mktemp("programs-hub")) as running:
        yield running


@pytest.fixture(scope="module")
def admin_token(agora):
    return admin_api_token(agora, "programs tests", expires_in=900)


def service(agora, path, headers=None):
    return requests.get(f"{agora.url}services/datasets/{path}", headers=headers or {},
                        timeout=30, allow_redirects=False)


def test_curl_without_a_token_gets_a_json_401_saying_how(agora):
    for accept in ({}, {"Accept": "*/*"}, {"Accept": "application/json"}):
        response = service(agora, "api/datasets/incidents/export.csv", accept)
        assert response.status_code == 401, response.text[:300]
        assert response.headers["WWW-Authenticate"] == "token"
        assert response.headers["Cache-Control"] == "private, no-store"
        body = response.json()
        assert body["status"] == 401
        assert body["how"] == (f"send `Authorization: token <TOKEN>`; make a token at "
                               f"{agora.url}services/portal/tokens")


def test_a_browser_without_a_cookie_goes_to_the_hub_login(agora):
    response = service(agora, "api/datasets", {"Accept": BROWSER})
    assert response.status_code == 302
    assert "/agora/hub/api/oauth2/authorize" in response.headers["Location"]


def test_answers_are_private_to_their_caller(agora, admin_token):
    token = token_made_by_admin(agora, admin_token, "analyst")
    for path in ("api/datasets", "api/datasets/incidents/records", "api/dcat.jsonld",
                 "api/datasets/secret_hr"):
        response = service(agora, path, {"Authorization": f"token {token}"})
        assert response.status_code in (200, 404), path
        assert response.headers["Cache-Control"] == "private, no-store", path
        assert response.headers["Vary"].startswith("Authorization, Cookie"), path
    bad = service(agora, "api/datasets", {"Authorization": "token not-a-real-token"})
    assert bad.status_code == 403 and bad.json()["status"] == 403


def service_pid(agora, admin_token) -> int:
    response = hub_api(agora, admin_token, "services/datasets", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["pid"]


def test_a_crashed_service_answers_programs_in_json_and_is_back_in_seconds(agora, admin_token):
    token = token_made_by_admin(agora, admin_token, "analyst")
    program = {"Authorization": f"token {token}"}
    assert service(agora, "api/datasets", program).status_code == 200
    assert CRASH_NOTICED not in agora.log()
    os.kill(service_pid(agora, admin_token), signal.SIGKILL)
    killed, noticed, answers = time.monotonic(), None, []
    while time.monotonic() - killed < 60:
        response = service(agora, "api/datasets", program)
        answers.append(response)
        if noticed is None and CRASH_NOTICED in agora.log():
            noticed = time.monotonic() - killed
        if response.status_code == 200:
            break
        time.sleep(0.1)
    back_after = time.monotonic() - killed
    print(f"datasets service: crash noticed after {noticed:.1f} s, back after "
          f"{back_after:.1f} s")
    assert answers[-1].status_code == 200, agora.log()[-3000:]
    assert noticed < NOTICED_WITHIN and back_after < BACK_WITHIN
    down = [a for a in answers if a.status_code == 503]
    assert down, "no request fell in the restart"
    assert all(a.headers["Content-Type"].startswith("application/json") for a in down)
    assert all(int(a.headers["Retry-After"]) > 0 for a in down)
    assert down[0].json()["status"] == 503
