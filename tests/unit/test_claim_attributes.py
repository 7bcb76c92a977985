"""Claim attributes end to end without a hub: settings -> authenticator -> store -> Identity."""

import logging
import os
from types import SimpleNamespace

import pytest
from oauthenticator.oauth2 import OAuthenticator
from tornado import web
from traitlets.config import Config

from hub import configure
from hub.config.loading import load_settings
from hub.config.problems import ConfigProblems
from hub.login.authenticators import AgoraOIDCAuthenticator
from hub.login.claims import AttributeStore
from hub.services.datasets.http.identity import Identity, StaticGroups, identity_from_settings

MAPPING = {"territories": "insee_codes"}


def oidc_env(**extra) -> dict:
    return {"AGORA_HUB__DATA_DIR": "/srv/agora", "AGORA_AUTH__MODE": "oidc",
            "AGORA_AUTH__OIDC__CLIENT_ID": "agora",
            "AGORA_AUTH__OIDC__AUTHORIZE_URL": "https://idp/auth",
            "AGORA_AUTH__OIDC__TOKEN_URL": "https://idp/token",
            "AGORA_AUTH__OIDC__USERDATA_URL": "https://idp/userinfo", **extra}


# --- settings and wiring -------------------------------------------------------------------

def test_attribute_claims_default_to_none():
    assert load_settings(environ=oidc_env()).auth.attribute_claims == {}


@pytest.mark.parametrize("value,message", [
    ('{"territories-x": insee}', "'territories-x' is not an identifier"),
    ("{territories: ''}", "names no claim"),
    ("[insee_codes]", "valid dictionary"),
])
def test_bad_attribute_claims_are_one_clear_problem(value, message):
    with pytest.raises(ConfigProblems) as raised:
        load_settings(environ=oidc_env(AGORA_AUTH__ATTRIBUTE_CLAIMS=value))
    [problem] = raised.value.problems
    assert problem.key == "auth.attribute_claims" and message in problem.message


def test_settings_reach_the_authenticator_and_the_datasets_service(monkeypatch):
    hub_env = oidc_env(AGORA_AUTH__ATTRIBUTE_CLAIMS="{territories: insee_codes, services: "
                                                    "'https://idp.example.org/claims/services'}")
    for name, value in hub_env.items():
        monkeypatch.setenv(name, value)
    s = load_settings(environ=hub_env)
    c = Config()
    configure.configure_auth(c, s)
    a = c.AgoraOIDCAuthenticator
    policy = {"territories": "insee_codes",
              "services": "https://idp.example.org/claims/services"}
    # the hub also records report contacts (hub/reports/contacts.py), under names no row
    # rule can use
    assert a.attribute_claims == {**policy, "contact.email": "email",
                                  "contact.language": "locale"}
    assert a.attribute_store_dir == "/srv/agora/identity-attributes"
    env = configure.datasets_environment(s, configure.HubInputs.read(s, os.environ))
    # the service loads its settings from this environment (it never sees the hub's own)
    seen = load_settings(environ={k: v(None) if callable(v) else v for k, v in env.items()})
    assert seen.auth.attribute_claims == policy
    identity = identity_from_settings(seen, StaticGroups({}))
    assert identity.claim_attributes == policy
    assert identity.store.folder.as_posix() == a.attribute_store_dir


def test_demo_mode_uses_no_claim_attributes(tmp_path):
    settings_file = tmp_path / "workspace.yaml"  # demo mode, yet a claim mapping
    settings_file.write_text("hub: {data_dir: /srv/agora}\n"
                             "auth: {attribute_claims: {territories: insee_codes}}\n")
    s = load_settings(settings_file, environ={})
    c = Config()
    configure.configure_auth(c, s)
    assert "attribute_claims" not in c.AgoraOIDCAuthenticator
    # the datasets service loads the same file from its environment: it must use none either
    env = configure.datasets_environment(s, configure.HubInputs.read(s, os.environ))
    seen = load_settings(environ={k: v(None) if callable(v) else v for k, v in env.items()})
    assert seen.auth.attribute_claims == MAPPING  # the file's mapping...
    assert identity_from_settings(seen, StaticGroups({})).claim_attributes == {}  # ...unused


# --- the authenticator records attributes -----------------------------------------------------

def auth_model(name="amartin", **claims) -> dict:
    return {"name": name, "admin": False, "groups": ["officials"],
            "auth_state": {"access_token": "t", "oauth_user": {"sub": "s-1", **claims}}}


@pytest.fixture
def authenticator(tmp_path):
    return AgoraOIDCAuthenticator(attribute_claims=MAPPING,
                                  attribute_store_dir=str(tmp_path / "attributes"))


def reader(authenticator) -> AttributeStore:
    return AttributeStore(authenticator.attribute_store_dir)


async def test_login_records_exactly_the_mapped_claims(authenticator):
    model = auth_model(insee_codes=[99101, "99102"], territories=["decoy"])
    assert await authenticator.run_post_auth_hook(None, model) is model
    assert reader(authenticator).read("amartin", MAPPING) == {"territories": ["99101", "99102"]}


async def test_next_login_replaces_and_a_vanished_claim_removes(authenticator):
    await authenticator.run_post_auth_hook(None, auth_model(insee_codes=["99101"]))
    await authenticator.run_post_auth_hook(None, auth_model(insee_codes="99103"))
    assert reader(authenticator).read("amartin", MAPPING) == {"territories": ["99103"]}
    await authenticator.run_post_auth_hook(None, auth_model())
    assert reader(authenticator).read("amartin", MAPPING) == {}
    assert not reader(authenticator).path_for("amartin").exists()


async def test_an_invalid_claim_logs_in_without_the_attribute(authenticator, caplog):
    await authenticator.run_post_auth_hook(None, auth_model(insee_codes=["99101"]))
    caplog.set_level(logging.WARNING)
    await authenticator.run_post_auth_hook(None, auth_model(insee_codes=[{"x": "sekret"}]))
    assert reader(authenticator).read("amartin", MAPPING) == {}
    assert "insee_codes" in caplog.text and "sekret" not in caplog.text


async def test_the_user_post_auth_hook_still_runs_first(tmp_path):
    def hook(authenticator, handler, model):
        model["auth_state"]["oauth_user"]["insee_codes"] = ["from-hook"]
        return model

    a = AgoraOIDCAuthenticator(attribute_claims=MAPPING, post_auth_hook=hook,
                               attribute_store_dir=str(tmp_path))
    await a.run_post_auth_hook(None, auth_model())
    assert AttributeStore(tmp_path).read("amartin", MAPPING) == {"territories": ["from-hook"]}


def raising(error: Exception):
    """A stand-in for an AttributeStore method whose disk fails with `error`."""
    def fail(self, *args):
        raise error
    return fail


async def test_without_a_store_nothing_is_recorded(tmp_path):
    a = AgoraOIDCAuthenticator(attribute_claims=MAPPING)
    assert a.attribute_store is None
    await a.run_post_auth_hook(None, auth_model(insee_codes=["99101"]))


async def test_a_store_that_cannot_be_written_falls_back_to_no_attributes(authenticator,
                                                                          monkeypatch):
    await authenticator.run_post_auth_hook(None, auth_model(insee_codes=["99101"]))
    monkeypatch.setattr(AttributeStore, "write", raising(OSError(28, "No space left on device")))
    await authenticator.run_post_auth_hook(None, auth_model(insee_codes=["99102"]))
    assert reader(authenticator).read("amartin", MAPPING) == {}  # old values removed


async def test_stale_attributes_that_cannot_be_removed_refuse_the_login(authenticator,
                                                                        monkeypatch):
    await authenticator.run_post_auth_hook(None, auth_model(insee_codes=["99101"]))
    denied = raising(OSError(13, "Permission denied"))
    monkeypatch.setattr(AttributeStore, "write", denied)
    monkeypatch.setattr(AttributeStore, "delete", denied)
    with pytest.raises(web.HTTPError) as refused:
        await authenticator.run_post_auth_hook(None, auth_model(insee_codes=["99102"]))
    assert refused.value.status_code == 500


async def test_auth_refresh_updates_the_attributes(authenticator, monkeypatch):
    user = SimpleNamespace(name="amartin")
    await authenticator.run_post_auth_hook(None, auth_model(insee_codes=["99101"]))
    answers = iter([auth_model(insee_codes=["99104"]), True, {"name": "amartin", "groups": []}])

    async def refresh(self, user, handler=None, **kwargs):
        return next(answers)

    monkeypatch.setattr(OAuthenticator, "refresh_user", refresh)
    assert (await authenticator.refresh_user(user))["name"] == "amartin"
    assert reader(authenticator).read("amartin", MAPPING) == {"territories": ["99104"]}
    # "up to date" and a model without fresh claims keep what is recorded
    assert await authenticator.refresh_user(user) is True
    assert reader(authenticator).read("amartin", MAPPING) == {"territories": ["99104"]}
    assert await authenticator.refresh_user(user) == {"name": "amartin", "groups": []}
    assert reader(authenticator).read("amartin", MAPPING) == {"territories": ["99104"]}


async def test_a_refused_refresh_removes_the_attributes(authenticator, monkeypatch):
    """The provider refuses (token revoked, account disabled): JupyterHub may go on serving
    the user's API tokens (auth_refresh_strict is off by default), never with the old rights."""
    user = SimpleNamespace(name="amartin")
    await authenticator.run_post_auth_hook(None, auth_model(insee_codes=["99101"]))

    async def refuse(self, user, handler=None, **kwargs):
        return False

    monkeypatch.setattr(OAuthenticator, "refresh_user", refuse)
    assert await authenticator.refresh_user(user) is False
    assert reader(authenticator).read("amartin", MAPPING) == {}
    assert not reader(authenticator).path_for("amartin").exists()


async def test_deleting_the_hub_user_deletes_the_attributes(authenticator):
    await authenticator.run_post_auth_hook(None, auth_model(insee_codes=["99101"]))
    authenticator.delete_user(SimpleNamespace(name="amartin"))
    assert not reader(authenticator).path_for("amartin").exists()


# --- the datasets service's Identity ---------------------------------------------------------

GROUPS = StaticGroups({"commune-99101": {"territories": ["99101"]},
                       "officials": {"services": ["voirie"]}})
USER = {"name": "amartin", "groups": ["officials", "commune-99101"]}


@pytest.fixture
def store(tmp_path) -> AttributeStore:
    return AttributeStore(tmp_path)


async def test_claim_and_group_attributes_are_a_union(store):
    store.write("amartin", {"territories": ["99102", "99101"]}, MAPPING)
    caller = await Identity(GROUPS, MAPPING, store).caller(USER)
    assert caller.attribute("territories") == {"99101", "99102"}
    assert caller.attribute("services") == {"voirie"}
    assert caller.groups == {"officials", "commune-99101"}


async def test_claims_alone_give_attributes(store):
    store.write("amartin", {"territories": ["99102"]}, MAPPING)
    caller = await Identity(None, MAPPING, store).caller({"name": "amartin", "groups": []})
    assert caller.attributes == {"territories": frozenset({"99102"})}


async def test_without_mapping_or_store_only_groups_count(store):
    store.write("amartin", {"territories": ["99102"]}, MAPPING)
    assert (await Identity(GROUPS, {}, store).caller(USER)).attribute("territories") == {"99101"}
    assert (await Identity(GROUPS).caller(USER)).attribute("territories") == {"99101"}


async def test_a_corrupt_store_file_falls_back_to_group_attributes(store, caplog):
    store.write("amartin", {"territories": ["99102"]}, MAPPING)
    store.path_for("amartin").write_text('{"version": 1, "user": "amartin", "attr')
    caplog.set_level(logging.ERROR)
    caller = await Identity(GROUPS, MAPPING, store).caller(USER)
    assert caller.attribute("territories") == {"99101"}
    assert str(store.path_for("amartin")) in caplog.text


async def test_another_users_file_is_never_read(store):
    store.write("amartin", {"territories": ["99102"]}, MAPPING)
    other = await Identity(None, MAPPING, store).caller({"name": "bdupont", "groups": []})
    assert other.attributes == {}
