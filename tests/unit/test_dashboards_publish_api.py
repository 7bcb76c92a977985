"""The publish API (hub/services/dashboards/api.py) in-process, with JupyterHub's own auth.

The handlers run in a tornado application on a loopback port with the service's REAL identity
provider (ServiceIdentityProvider, JupyterHub's HubOAuth code: token first, `_token_authenticated`,
access scopes); only HubOAuth's two calls to the hub are replaced at their seam: the token
``tok-<name>`` is the demo user <name> (groups from the demo accounts) with the given scopes,
and the test cookie ``agora-test-session=<name>`` is a logged-in browser. The real hub path is
covered by tests/browser/test_dashboards.py.
"""

from __future__ import annotations

import json

import pytest
import requests
import tornado.web
from jupyterhub.services.auth import HubOAuth

from hub.login import demo_accounts as demo
from hub.services.dashboards.access import ServiceIdentityProvider
from hub.services.dashboards.api import api_handlers
from hub.services.dashboards.publications import PublicationStore
from tests.unit.test_portal import Threaded

PREFIX = "/agora/services/dashboards/"
ACCESS = "access:services!service=dashboards"
USERS = {a.name: {"kind": "user", "name": a.name, "groups": list(a.groups)}
         for a in demo.ACCOUNTS}
NO_ACCESS = "tok-analyst-no-scope"  # the analyst's token without access to this service
KERNEL = "kernel-"  # + name: the OAuth token a dashboard kernel holds for its viewer


class StandInHubAuth(HubOAuth):
    """HubOAuth with the hub's answers made up (see the module docstring)."""

    async def user_for_token(self, token, use_cache=True, session_id="", *, sync=True):
        if token == NO_ACCESS:
            return {**USERS["analyst"], "scopes": ["read:users:name!user=analyst"]}
        if token.startswith(KERNEL) and token.removeprefix(KERNEL) in USERS:
            return {**USERS[token.removeprefix(KERNEL)],
                    "scopes": [ACCESS, "access:services!service=datasets"]}
        name = token.removeprefix("tok-")  # a workspace's token
        return {**USERS[name], "scopes": [ACCESS, f"access:servers!server={name}/"]} \
            if name in USERS else None

    async def _get_user_cookie(self, handler):
        name = handler.get_cookie("agora-test-session")
        return {**USERS[name], "scopes": [ACCESS]} if name in USERS else None


def notebook(source="print('bonjour')") -> dict:
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "id": "a", "metadata": {}, "source": source,
         "execution_count": 3, "outputs": [{"output_type": "stream", "name": "stdout",
                                            "text": "secret output"}]}]}


@pytest.fixture
def service(tmp_path):
    hub_auth = StandInHubAuth(api_token="service-token", api_url="http://127.0.0.1:9/hub/api",
                              oauth_client_id="service-dashboards", base_url=PREFIX,
                              access_scopes={ACCESS})
    app = tornado.web.Application(
        api_handlers(PREFIX), base_url=PREFIX, cookie_secret="test",
        identity_provider=ServiceIdentityProvider(hub_auth=hub_auth),
        publications=PublicationStore(tmp_path / "dashboards"),
        publishers=(["analysts", "schedulers", "admins"], ["partner-granted"]),
        publish_targets=["officials", "partners"])
    server = Threaded(app, PREFIX)
    server.store = app.settings["publications"]
    yield server
    server.stop()


def call(service, method, path="", user="analyst", token=None, **kwargs):
    headers = {"Authorization": f"token {token or 'tok-' + user}"} if user or token else {}
    return requests.request(method, service.url + "api/publications" + path, headers=headers,
                            timeout=10, **kwargs)


def publish(service, user="analyst", **fields):
    body = {"notebook": notebook(), "name": "territory-kpis", "title": "Indicateurs",
            "groups": ["officials"], **fields}
    return call(service, "POST", user=user, json=body)


def test_an_analyst_publishes_with_their_token_and_is_the_recorded_publisher(service):
    answer = publish(service, publisher="admin")  # a publisher field is ignored
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["name"], body["version"], body["publisher"], body["groups"]) == (
        "territory-kpis", 1, "analyst", ["officials"])
    assert body["url"] == PREFIX + "d/territory-kpis/"
    stored = json.loads(service.store.notebook_path(service.store.current("territory-kpis"))
                        .read_text())
    assert stored["cells"][0]["outputs"] == [] and "secret output" not in json.dumps(stored)
    assert publish(service).json()["version"] == 2
    assert [e["by"] for e in service.store.history("territory-kpis")] == ["analyst", "analyst"]


@pytest.mark.parametrize("viewer", ["elu-rivemont", "partner"])
def test_viewers_may_list_but_never_publish(service, viewer):
    publish(service)
    refused = publish(service, user=viewer, name="mine")
    assert refused.status_code == 403
    assert "only users with a workspace" in refused.json()["error"]
    assert service.store.versions("mine") == []
    listing = call(service, "GET", user=viewer).json()
    assert listing["may_publish"] is False and listing["mine"] == []
    visible = [p["name"] for p in listing["publications"]]
    assert visible == (["territory-kpis"] if viewer == "elu-rivemont" else [])


def test_a_dashboard_kernels_token_cannot_publish_as_its_viewer(service):
    """An analyst opening a dashboard hands its kernel an OAuth token: published code that
    calls this API with it is refused, and nothing is written."""
    publish(service)
    for method, path, fields in (("POST", "", {"notebook": notebook(), "name": "evil",
                                              "groups": ["officials"]}),
                                 ("POST", "/territory-kpis/unpublish", {}),
                                 ("POST", "/territory-kpis/rollback", {})):
        refused = call(service, method, path, token=KERNEL + "analyst", json=fields)
        assert refused.status_code == 403, refused.text
        assert "publish from your workspace" in refused.json()["error"]
    assert service.store.versions("evil") == []
    assert service.store.current("territory-kpis").version == 1


def test_a_browser_session_or_a_token_without_access_is_refused_without_xsrf(service):
    cookie = {"agora-test-session": "analyst"}
    for answer in (requests.post(service.url + "api/publications", cookies=cookie, json={}),
                   requests.get(service.url + "api/publications", cookies=cookie),
                   call(service, "POST", user=None, json={}),
                   call(service, "POST", token=NO_ACCESS, json={}),
                   call(service, "POST", token="tok-nobody", json={})):
        assert answer.status_code == 401, answer.text
        assert "Authorization: token" in answer.json()["error"]
    url_token = requests.get(service.url + "api/publications?token=tok-analyst")
    assert url_token.status_code == 401 and "Set-Cookie" not in url_token.headers


@pytest.mark.parametrize(("fields", "problem"), [
    ({"notebook": {"cells": []}}, "not an nbformat 4 notebook"),
    ({"notebook": "{not json"}, "'notebook' is not valid JSON (line 1, column 2"),
    ({"notebook": {"nbformat": 4, "cells": ["x"]}}, "cell 0 is not a notebook cell"),
    ({"groups": []}, "no group given"),
    ({"groups": "officials"}, "'groups' must be a list"),
    ({"groups": ["officials; drop"]}, "not a group name"),
    ({"name": "Territory KPIs!"}, "not a dashboard name"),
    ({"name": None}, "'name' is missing"),
    ({"title": "x" * 201}, "'title' must be a text"),
])
def test_bad_requests_are_400_naming_the_problem(service, fields, problem):
    answer = publish(service, **fields)
    assert answer.status_code == 400
    assert problem in answer.json()["error"]
    assert service.store.names() == []


def test_the_body_must_be_a_json_object(service):
    for data in (b"[1]", b"{oops"):
        answer = call(service, "POST", data=data)
        assert answer.status_code == 400 and "JSON" in answer.json()["error"]


def test_the_notebook_file_text_is_accepted_and_the_name_made_from_its_file_name(service):
    answer = publish(service, notebook=json.dumps(notebook()), name=None,
                     file="Bienvenue - Getting started/EV & fibre.ipynb")
    assert answer.status_code == 201 and answer.json()["name"] == "ev-fibre"


def test_a_name_stays_its_publishers_and_theirs_to_unpublish_and_roll_back(service):
    assert publish(service, user="admin").status_code == 201  # hub admin, admins group
    taken = publish(service)
    assert taken.status_code == 403 and "published by admin" in taken.json()["error"]
    assert call(service, "POST", "/territory-kpis/unpublish").status_code == 403
    assert publish(service, user="admin").json()["version"] == 2
    back = call(service, "POST", "/territory-kpis/rollback", user="admin", json={})
    assert back.status_code == 200 and back.json()["version"] == 1
    assert service.store.current("territory-kpis").version == 1
    gone = call(service, "POST", "/territory-kpis/unpublish", user="admin")
    assert gone.status_code == 200 and service.store.current("territory-kpis") is None
    assert call(service, "POST", "/no-such/unpublish").status_code == 404
    assert call(service, "POST", "/territory-kpis/rollback", user="admin",
                json={"version": 9}).status_code == 400


def test_the_listing_offers_groups_and_the_callers_own_versions(service):
    publish(service, groups=["commune-99101"])
    listing = call(service, "GET").json()
    assert listing["user"] == "analyst" and listing["may_publish"] is True
    assert {"officials", "partners", "commune-99101", "analysts"} <= set(listing["targets"])
    assert listing["mine"] == [{"name": "territory-kpis", "current": 1, "versions": [
        service.store.versions("territory-kpis")[0].record()]}]
