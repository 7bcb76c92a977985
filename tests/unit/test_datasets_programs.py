"""Programs get program answers: the real datasets app (base.py's refusal, headers, ETags).

A client that does not ask for HTML (curl, pandas, GDAL, rdflib) gets a JSON 401 saying how
to send a token; a browser goes to the hub login (a real HubOAuth, only its user lookup is
replaced: nobody is logged in). Every answer is marked as one caller's (`Cache-Control`,
`Vary`), errors and 304s too.
"""

from __future__ import annotations

import pytest
import requests
from jupyterhub.services.auth import HubOAuth

from hub.login import demo_accounts as demo
from hub.services.datasets import audit
from hub.services.datasets.http.app import make_app
from hub.services.datasets.http.identity import Identity, StaticGroups
from hub.services.datasets.read.engine import Engine
from hub.services.datasets.read.registry import DatasetRegistry
from tests.datasets_support import KEY, build_workspace
from tests.unit.test_datasets_service import PREFIX, Server, get, seam_user_model

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
PER_CALLER = ("api/datasets", "api/datasets/incidents", "api/datasets/incidents/records",
              "api/datasets/incidents/aggregate", "api/datasets/incidents/export.csv",
              "api/catalog.json", "api/catalog.yaml", "api/dcat.jsonld", "api/openapi.json",
              "api/datasets/secret_hr", "api/datasets/incidents/records?limit=x", "nowhere")


def hub_oauth() -> HubOAuth:
    """A real HubOAuth (login URL, state cookie) for a hub that is never called."""
    return HubOAuth(api_token="service-token", api_url="http://127.0.0.1:9/agora/hub/api",
                    hub_prefix="/agora/hub/", oauth_client_id="service-datasets",
                    oauth_redirect_uri="http://127.0.0.1/agora/services/datasets/oauth_callback")


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    ws = build_workspace(tmp_path_factory.mktemp("programs"))
    groups = StaticGroups({name: g["properties"] for name, g in demo.load_groups().items()})
    app = make_app(prefix=PREFIX, registry=DatasetRegistry(ws.catalog_dir, ws.store, has_key=True,
                                                           check_every=0),
                   engine=Engine(KEY.encode()), identity=Identity(groups),
                   audit_dir=audit.audit_dir(ws.data_dir), user_model=seam_user_model,
                   hub_auth=hub_oauth())
    server = Server(app).start()
    yield server
    server.stop()


def anonymous(service, path, accept=None, method="GET"):
    headers = {"Accept": accept} if accept else {}
    return requests.request(method, service.url + path, headers=headers, timeout=30,
                            allow_redirects=False)


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "text/csv",
                                    "application/ld+json, application/rdf+xml;q=0.8"])
@pytest.mark.parametrize("path", ["api/datasets", "api/datasets/incidents/export.parquet",
                                  "api/dcat.jsonld", "api/catalog.yaml"])
def test_a_program_without_credentials_gets_a_json_401(service, path, accept):
    response = anonymous(service, path, accept)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "token"
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["status"] == 401 and body["error"] == "authentication required"
    assert body["how"] == ("send `Authorization: token <TOKEN>`; make a token at "
                           f"http://127.0.0.1:{service.port}/agora/services/portal/tokens")


def test_a_browser_without_credentials_goes_to_the_hub_login(service):
    response = anonymous(service, "api/datasets", BROWSER)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/agora/hub/api/oauth2/authorize?")
    assert "state=" in response.headers["Location"]
    assert response.headers["Cache-Control"] == "private, no-store"
    assert anonymous(service, "api/datasets", BROWSER, "HEAD").status_code == 302


def test_a_browser_download_with_the_hubs_cookie_goes_to_the_login_too(service):
    """A download link asks for */*, but carries the hub's session cookie: the OAuth dance
    gives it this service's cookie and brings it back to the file."""
    response = requests.get(service.url + "api/datasets/incidents/export.csv", timeout=30,
                            headers={"Accept": "*/*"}, allow_redirects=False,
                            cookies={"jupyterhub-session-id": "a-browser-session"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/agora/hub/api/oauth2/authorize?")


def test_a_post_asking_for_html_still_gets_the_401(service):
    assert anonymous(service, "api/datasets", BROWSER, "POST").status_code == 401


@pytest.mark.parametrize("token", ["not-a-real-token", ""])
def test_a_bad_token_is_a_json_403_saying_how(service, token):
    response = requests.get(service.url + "api/datasets", timeout=30, allow_redirects=False,
                            headers={"Authorization": f"token {token}", "Accept": BROWSER})
    assert response.status_code == 403
    body = response.json()
    assert body["error"] == "invalid, expired or insufficient token" and body["status"] == 403
    assert "Authorization: token <TOKEN>" in body["how"]
    assert "not-a-real-token" not in response.text  # never echoed
    assert response.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("path", PER_CALLER)
def test_every_answer_is_marked_as_one_callers(service, path):
    response = get(service, path)
    assert response.status_code in (200, 400, 404), path
    assert response.headers["Cache-Control"] == "private, no-store", path
    assert response.headers["Vary"].startswith("Authorization, Cookie"), path


def test_refusals_are_marked_too(service):
    for response in (anonymous(service, "api/datasets"), get(service, "api/datasets", None)):
        assert response.headers["Cache-Control"] == "private, no-store"
        assert response.headers["Vary"] == "Authorization, Cookie"


def test_the_catalog_varies_on_encoding_as_well(service):
    response = get(service, "api/catalog.json")
    assert response.headers["Vary"] == "Authorization, Cookie, Accept-Encoding"


def test_a_client_revalidating_its_own_copy_gets_a_marked_304(service):
    first = get(service, "api/datasets/incidents/records")
    etag = first.headers["ETag"]
    again = requests.get(service.url + "api/datasets/incidents/records", timeout=30,
                         headers={"Authorization": "token t", "X-Test-User": "analyst",
                                  "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["Cache-Control"] == "private, no-store"
    assert again.headers["Vary"] == "Authorization, Cookie"
    other = requests.get(service.url + "api/datasets/incidents/records", timeout=30,
                         headers={"Authorization": "token t", "X-Test-User": "elu-rivemont",
                                  "If-None-Match": etag})
    assert other.status_code == 200  # another caller's rows: another body, another ETag


def test_a_streamed_export_names_its_snapshot_not_an_etag(service):
    export = get(service, "api/datasets/incidents/export.csv")
    assert export.status_code == 200 and "ETag" not in export.headers
    assert export.headers["Agora-Snapshot-Version"]
