"""Production login: a real OIDC provider (oidc-provider-mock) on loopback and a real `agora up`.

Every login goes through the real redirects a browser follows: the hub's oauth_login, the
provider's authorization form (submitted as a user would), the hub's oauth_callback. The
provider only knows the client Agora registered (client id, secret and redirect URI are all
checked), and the users' claims are set through the provider's /users API.

The hub serves the small test workspace of tests/datasets_support.py (dataset ``incidents``:
officials see only the rows of their ``territories``), and ``auth.attribute_claims`` maps
``territories`` to the ``insee_codes`` claim, so row rules follow the provider's claims.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlparse, urlunparse

import oidc_provider_mock
import pytest
import requests
from cryptography.fernet import Fernet
from werkzeug.serving import make_server

from hub.login.claims import file_name
from tests.datasets_support import KEY, build_workspace
from tests.support import free_port, hub_api, running_agora, user_api_token, xsrf_header

pytestmark = pytest.mark.integration

ALLOWED_GROUPS = ["staff", "elus"]
ADMIN_GROUPS = ["it"]
GROUPS_CLAIM = "roles"  # not the default "groups": proves the setting reaches the hub
ATTRIBUTE_CLAIMS = {"territories": "insee_codes"}  # attribute and claim names differ on purpose


@dataclass
class Provider:
    url: str

    def set_user(self, sub: str, claims: dict) -> None:
        response = requests.put(f"{self.url}/users/{sub}", json=claims, timeout=10)
        assert response.status_code == 204, response.text


@dataclass
class Client:
    client_id: str
    client_secret: str
    callback_url: str


@pytest.fixture(scope="module")
def provider():
    """oidc-provider-mock in a thread on a free loopback port, registered clients only."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # plain http on loopback
        app = oidc_provider_mock.app(require_client_registration=True)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                  daemon=True)
        thread.start()
        try:
            yield Provider(f"http://127.0.0.1:{server.server_port}")
        finally:
            server.shutdown()
            thread.join(5)
            server.server_close()


@pytest.fixture(scope="module")
def crypt_key():
    return secrets.token_hex(32)


@pytest.fixture(scope="module")
def agora(provider, crypt_key, tmp_path_factory):
    bind_url = f"http://127.0.0.1:{free_port()}/agora/"
    callback_url = bind_url + "hub/oauth_callback"
    registered = requests.post(f"{provider.url}/oauth2/clients", timeout=10, json={
        "redirect_uris": [callback_url], "token_endpoint_auth_method": "client_secret_post"})
    assert registered.status_code == 201, registered.text
    client = Client(registered.json()["client_id"], registered.json()["client_secret"],
                    callback_url)
    root = tmp_path_factory.mktemp("agora-oidc")
    ws = build_workspace(root / "ws")
    overrides = {
        "hub": {"bind_url": bind_url},
        "data": {"catalog_dir": str(ws.catalog_dir), "store_dir": str(ws.store_dir),
                 "sources_dir": str(ws.sources_dir), "demo_data": False},
        "auth": {"mode": "oidc", "attribute_claims": ATTRIBUTE_CLAIMS, "oidc": {
            "client_id": client.client_id,
            "authorize_url": f"{provider.url}/oauth2/authorize",
            "token_url": f"{provider.url}/oauth2/token",
            "userdata_url": f"{provider.url}/userinfo",
            "username_claim": "preferred_username",
            "groups_claim": GROUPS_CLAIM,
            "allowed_groups": ALLOWED_GROUPS,
            "admin_groups": ADMIN_GROUPS,
        }},
    }
    env = {**os.environ, "JUPYTERHUB_CRYPT_KEY": crypt_key, "AGORA_PSEUDONYM_KEY": KEY,
           "AGORA_AUTH__OIDC__CLIENT_SECRET": client.client_secret}
    with running_agora(root / "hub", overrides, env, stop_within=10) as running:
        running.extra.update(client=client, provider=provider)
        yield running


def start_login(agora, session: requests.Session, sub: str) -> str:
    """oauth_login -> provider's form -> submit it as `sub`; return the hub callback URL."""
    client: Client = agora.extra["client"]
    provider: Provider = agora.extra["provider"]
    start = session.get(f"{agora.url}hub/oauth_login", params={"next": "/agora/hub/home"},
                        allow_redirects=False)
    assert start.status_code == 302, start.text
    authorize = start.headers["Location"]
    assert authorize.startswith(f"{provider.url}/oauth2/authorize?")
    query = parse_qs(urlparse(authorize).query)
    assert query["client_id"] == [client.client_id]
    assert query["redirect_uri"] == [client.callback_url]
    assert query["response_type"] == ["code"] and "openid" in query["scope"][0].split()
    assert query["state"][0] and query["code_challenge_method"] == ["S256"]
    form = session.get(authorize)
    assert form.status_code == 200 and 'name="sub"' in form.text, form.text[:500]
    consent = session.post(authorize, data={"sub": sub}, allow_redirects=False)
    assert consent.status_code == 302, consent.text[:500]
    callback = consent.headers["Location"]
    assert callback.startswith(client.callback_url + "?"), callback
    assert parse_qs(urlparse(callback).query)["state"] == query["state"]
    return callback


def oidc_login(agora, sub: str) -> tuple[requests.Session, requests.Response]:
    """The whole browser flow; returns the session and the hub's answer to the callback."""
    session = requests.Session()
    callback = start_login(agora, session, sub)
    return session, session.get(callback, allow_redirects=False)


def logged_in_as(agora, session: requests.Session) -> dict | None:
    """The hub's /api/user for the session's cookie, or None when it is not logged in."""
    session.get(f"{agora.url}hub/home")  # sets the _xsrf cookie, as a browser page load would
    whoami = session.get(f"{agora.url}hub/api/user", headers=xsrf_header(session))
    if whoami.status_code in (401, 403):
        return None
    assert whoami.status_code == 200, whoami.text
    return whoami.json()


def stored_auth_state(agora, name: str) -> bytes | None:
    with sqlite3.connect(f"file:{agora.data_dir / 'jupyterhub.sqlite'}?mode=ro", uri=True) as db:
        row = db.execute("SELECT encrypted_auth_state FROM users WHERE name = ?",
                         (name,)).fetchone()
    assert row is not None, f"no user {name} in the hub database"
    return row[0]


def decrypt(blob: bytes, crypt_key: str) -> dict:
    return json.loads(Fernet(base64.urlsafe_b64encode(bytes.fromhex(crypt_key))).decrypt(blob))


ALICE = {"preferred_username": "AMartin", "email": "alice.martin@example.org",
         "name": "Alice Martin", GROUPS_CLAIM: ["staff", "commune-99101"],
         "groups": ["decoy-not-the-groups-claim"], "territories": ["99101"]}


@pytest.fixture(scope="module")
def admin_token(agora):
    """Log in a member of admin_groups (who is in no allowed group) and make an API token."""
    agora.extra["provider"].set_user("sub-it-0001", {"preferred_username": "it-admin",
                                                    GROUPS_CLAIM: ["it"]})
    session, done = oidc_login(agora, "sub-it-0001")
    assert done.status_code == 302, done.text[:500]
    assert logged_in_as(agora, session)["name"] == "it-admin"
    return user_api_token(session, agora.url, "it-admin", "oidc tests")


@pytest.fixture(scope="module")
def alice(agora):
    agora.extra["provider"].set_user("sub-alice-0001", ALICE)
    session, done = oidc_login(agora, "sub-alice-0001")
    return session, done


def test_login_follows_the_redirects_and_names_the_user_from_the_claim(agora, alice):
    session, done = alice
    assert done.status_code == 302, done.text[:500]
    assert urlparse(done.headers["Location"]).path == "/agora/hub/home"
    me = logged_in_as(agora, session)
    assert me is not None, "the callback did not log the user in"
    # preferred_username (normalised to lower case), not the sub nor the email
    assert me["name"] == "amartin"
    assert me["admin"] is False


def test_groups_claim_becomes_the_hub_groups(agora, alice, admin_token):
    user = hub_api(agora, admin_token, "users/amartin").json()
    assert sorted(user["groups"]) == ["commune-99101", "staff"]
    group = hub_api(agora, admin_token, "groups/commune-99101")
    assert group.status_code == 200 and group.json()["users"] == ["amartin"]
    assert hub_api(agora, admin_token, "groups/decoy-not-the-groups-claim").status_code == 404


def test_admin_group_members_are_admins_and_others_are_not(agora, alice, admin_token):
    admin = hub_api(agora, admin_token, "users/it-admin").json()
    assert admin["admin"] is True and admin["groups"] == ["it"]
    assert hub_api(agora, admin_token, "users/amartin").json()["admin"] is False
    # an admin can use admin endpoints; a plain user's cookie cannot
    assert hub_api(agora, admin_token, "users").status_code == 200
    session, _ = alice
    listing = session.get(f"{agora.url}hub/api/users", headers=xsrf_header(session))
    assert listing.status_code == 403


@pytest.mark.parametrize("sub,claims", [
    ("sub-visitor-0001", {"preferred_username": "visitor", GROUPS_CLAIM: ["visitors"]}),
    ("sub-nogroups-0001", {"preferred_username": "nogroups"}),
    ("sub-decoy-0001", {"preferred_username": "decoy", "groups": ["staff"]}),
])
def test_user_outside_allowed_groups_is_refused(agora, admin_token, sub, claims):
    agora.extra["provider"].set_user(sub, claims)
    session, done = oidc_login(agora, sub)
    assert done.status_code == 403
    assert "not currently authorized" in done.text
    assert logged_in_as(agora, session) is None
    assert hub_api(agora, admin_token, f"users/{claims['preferred_username']}").status_code == 404


def test_auth_state_is_stored_encrypted_with_the_claims(agora, alice, admin_token, crypt_key):
    blob = stored_auth_state(agora, "amartin")
    assert blob, "no auth state stored: enable_auth_state did not take effect"
    assert b"99101" not in blob and b"alice.martin" not in blob and b"access_token" not in blob
    state = decrypt(blob, crypt_key)
    assert state["access_token"]
    assert state["oauth_user"]["sub"] == "sub-alice-0001"
    assert state["oauth_user"]["territories"] == ["99101"]
    assert state["oauth_user"]["email"] == "alice.martin@example.org"
    # admin:users includes admin:auth_state: a service with that scope reads the claims here
    api_state = hub_api(agora, admin_token, "users/amartin").json()["auth_state"]
    assert api_state["oauth_user"]["territories"] == ["99101"]


def test_secrets_stay_out_of_the_log(agora, alice, crypt_key):
    log = agora.log()
    assert agora.extra["client"].client_secret not in log
    assert crypt_key not in log


def test_second_login_updates_groups_admin_status_and_claims(agora, admin_token, crypt_key):
    provider: Provider = agora.extra["provider"]
    claims = {"preferred_username": "cdurand", GROUPS_CLAIM: ["elus", "commune-99103", "it"],
              "territories": ["99103"]}
    provider.set_user("sub-claire-0001", claims)
    assert oidc_login(agora, "sub-claire-0001")[1].status_code == 302
    first = hub_api(agora, admin_token, "users/cdurand").json()
    assert sorted(first["groups"]) == ["commune-99103", "elus", "it"] and first["admin"] is True

    provider.set_user("sub-claire-0001", {**claims, GROUPS_CLAIM: ["elus", "commune-99104"],
                                          "territories": ["99104"]})
    session, done = oidc_login(agora, "sub-claire-0001")
    assert done.status_code == 302
    again = hub_api(agora, admin_token, "users/cdurand").json()
    assert sorted(again["groups"]) == ["commune-99104", "elus"]
    assert again["admin"] is False, "leaving the admin group at the provider must revoke admin"
    assert "cdurand" not in hub_api(agora, admin_token, "groups/commune-99103").json()["users"]
    state = decrypt(stored_auth_state(agora, "cdurand"), crypt_key)
    assert state["oauth_user"]["territories"] == ["99104"]

    # leaving every allowed group locks the (existing) user out at the next login
    provider.set_user("sub-claire-0001", {**claims, GROUPS_CLAIM: ["retired"]})
    session, done = oidc_login(agora, "sub-claire-0001")
    assert done.status_code == 403
    assert logged_in_as(agora, session) is None


def _with_state(url: str, state: str) -> str:
    parsed = urlparse(url)
    query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
    return urlunparse(parsed._replace(query=urlencode({**query, "state": state})))


def test_tampered_or_missing_state_is_refused(agora, admin_token):
    agora.extra["provider"].set_user("sub-dan-0001", {"preferred_username": "dan",
                                                      GROUPS_CLAIM: ["staff"]})
    session = requests.Session()
    callback = start_login(agora, session, "sub-dan-0001")
    control = requests.Session()
    control.cookies = copy.deepcopy(session.cookies)  # same state cookie, same code

    forged = base64.urlsafe_b64encode(json.dumps({"state_id": "0" * 32}).encode()).decode()
    for bad_url in (_with_state(callback, forged), _with_state(callback, "not-base64!")):
        attempt = requests.Session()
        attempt.cookies = copy.deepcopy(session.cookies)
        refused = attempt.get(bad_url, allow_redirects=False)
        assert refused.status_code == 400, refused.text[:300]
        assert logged_in_as(agora, attempt) is None
    # the genuine callback without the state cookie (e.g. replayed from another browser)
    stranger = requests.Session()
    refused = stranger.get(callback, allow_redirects=False)
    assert refused.status_code == 400 and "state" in refused.text.lower()
    assert logged_in_as(agora, stranger) is None
    assert hub_api(agora, admin_token, "users/dan").status_code == 404

    # control: the very same callback with its matching cookie does log in
    accepted = control.get(callback, allow_redirects=False)
    assert accepted.status_code == 302, accepted.text[:300]
    assert logged_in_as(agora, control)["name"] == "dan"


# --- identity-provider claims as policy attributes (auth.attribute_claims) -------------------

def login_with_token(agora, sub: str) -> str:
    """Log `sub` in through the provider and create an API token with their own session."""
    session, done = oidc_login(agora, sub)
    assert done.status_code == 302, done.text[:500]
    return user_api_token(session, agora.url, logged_in_as(agora, session)["name"],
                          "claim attributes")


def relogin(agora, sub: str) -> None:
    session, done = oidc_login(agora, sub)
    assert done.status_code == 302, done.text[:500]


def incident_communes(agora, token: str) -> list[str]:
    """The commune of every `incidents` row the datasets service gives this token's user."""
    response = requests.get(f"{agora.url}services/datasets/api/datasets/incidents/records",
                            headers={"Authorization": f"token {token}"},
                            params={"limit": 1000}, timeout=30)
    assert response.status_code == 200, (response.status_code, response.text[:300])
    return sorted(record["commune_code"] for record in response.json()["records"])


OFFICIAL = {"preferred_username": "mlefebvre", GROUPS_CLAIM: ["elus", "officials"],
            "territories": ["99102"],  # a claim named like the attribute is NOT the mapped one
            "insee_codes": ["99101"]}


def test_claims_drive_the_row_rules_and_follow_each_login(agora, alice):
    provider: Provider = agora.extra["provider"]
    provider.set_user("sub-official-0001", OFFICIAL)
    token = login_with_token(agora, "sub-official-0001")
    assert incident_communes(agora, token) == ["99101"] * 10

    # recorded hub-side: one private file per user, no token or other claim in it
    store = agora.data_dir / "identity-attributes"
    record_file = store / file_name("mlefebvre")
    assert oct(store.stat().st_mode & 0o777) == "0o700"
    assert oct(record_file.stat().st_mode & 0o777) == "0o600"
    record = json.loads(record_file.read_text())
    assert set(record) == {"version", "user", "recorded_at", "attributes", "claims"}
    assert record["user"] == "mlefebvre" and record["attributes"] == {"territories": ["99101"]}
    assert logged_in_as(agora, alice[0])["name"] == "amartin"
    # alice has no insee_codes claim: no territories; only her address, for reports
    # (hub/reports/contacts.py), under a name no row rule can use
    alice_record = json.loads((store / file_name("amartin")).read_text())
    assert alice_record["attributes"] == {"contact.email": ["alice.martin@example.org"]}

    # the provider changes the claim (numbers too): the next login changes the rows at once,
    # for the token made before
    provider.set_user("sub-official-0001", {**OFFICIAL, "insee_codes": [99102, "99103"]})
    relogin(agora, "sub-official-0001")
    assert incident_communes(agora, token) == ["99102"] * 10 + ["99103"] * 10

    # the claim disappears: the attribute goes with it (replaced, not merged): no rows
    provider.set_user("sub-official-0001", {k: v for k, v in OFFICIAL.items()
                                            if k != "insee_codes"})
    relogin(agora, "sub-official-0001")
    assert incident_communes(agora, token) == []
    assert not record_file.exists()


def test_official_without_the_claim_sees_no_rows_and_an_analyst_sees_all(agora):
    provider: Provider = agora.extra["provider"]
    provider.set_user("sub-noclaim-0001", {"preferred_username": "noclaim",
                                           GROUPS_CLAIM: ["elus", "officials"]})
    assert incident_communes(agora, login_with_token(agora, "sub-noclaim-0001")) == []
    provider.set_user("sub-analyst-0001", {"preferred_username": "ana", "insee_codes": ["99101"],
                                           GROUPS_CLAIM: ["staff", "analysts"]})
    communes = incident_communes(agora, login_with_token(agora, "sub-analyst-0001"))
    assert len(communes) == 30  # the row rule applies to officials only


def test_invalid_claim_is_refused_without_logging_its_value(agora):
    provider: Provider = agora.extra["provider"]
    provider.set_user("sub-badclaim-0001", {
        "preferred_username": "badclaim", GROUPS_CLAIM: ["elus", "officials"],
        "insee_codes": [{"code": "99101", "note": "private-note-7731"}]})
    token = login_with_token(agora, "sub-badclaim-0001")
    assert incident_communes(agora, token) == []
    log = agora.log()
    assert "'insee_codes' of badclaim refused as attribute 'territories'" in log
    assert "private-note-7731" not in log


def test_claim_and_group_property_attributes_add_up(agora, admin_token):
    provider: Provider = agora.extra["provider"]
    provider.set_user("sub-union-0001", {"preferred_username": "union",
                                         GROUPS_CLAIM: ["elus", "officials", "canton-nord"],
                                         "insee_codes": ["99101"]})
    token = login_with_token(agora, "sub-union-0001")
    response = hub_api(agora, admin_token, "groups/canton-nord/properties", "PUT",
                       json={"territories": ["99103"]})
    assert response.status_code == 200, response.text
    assert incident_communes(agora, token) == ["99101"] * 10 + ["99103"] * 10

    # deleting the hub user deletes their recorded attributes
    record_file = agora.data_dir / "identity-attributes" / file_name("union")
    assert record_file.exists()
    assert hub_api(agora, admin_token, "users/union", "DELETE").status_code == 204
    assert not record_file.exists()
