"""hub.config.runtime_checks (crypt key, provider URLs, client secret) and the OIDC authenticator's groups."""

import base64
import random
import subprocess
import sys

import pytest

from hub.cli.main import main
from hub.config.loading import load_settings
from hub.config.problems import ConfigProblems
from hub.config.runtime_checks import check_runtime, hub_environment, runtime_problems
from hub.login.authenticators import AgoraOIDCAuthenticator, claims_of

# keys from a fixed seed: they name the parametrized tests, which every xdist worker must
# collect alike
KEYS = random.Random("tests/unit/test_checks.py")
GOOD_KEY = KEYS.randbytes(32).hex()


def oidc_env(**extra) -> dict:
    return {
        "AGORA_HUB__DATA_DIR": "/srv/agora",
        "AGORA_HUB__BIND_URL": "https://data.example.org/",
        "AGORA_AUTH__MODE": "oidc",
        "AGORA_AUTH__OIDC__CLIENT_ID": "agora",
        "AGORA_AUTH__OIDC__CLIENT_SECRET": "shh",
        "AGORA_AUTH__OIDC__AUTHORIZE_URL": "https://idp.example.org/auth",
        "AGORA_AUTH__OIDC__TOKEN_URL": "https://idp.example.org/token",
        "AGORA_AUTH__OIDC__USERDATA_URL": "https://idp.example.org/userinfo",
        "JUPYTERHUB_CRYPT_KEY": GOOD_KEY,
        **extra,
    }


def problems(environ: dict) -> list:
    return runtime_problems(load_settings(environ=environ), environ)


def test_complete_oidc_setup_has_no_problem():
    assert problems(oidc_env()) == []
    check_runtime(load_settings(environ=oidc_env()), oidc_env())


@pytest.mark.parametrize("key", [
    GOOD_KEY,
    GOOD_KEY.upper(),
    base64.urlsafe_b64encode(KEYS.randbytes(32)).decode(),
    f"{GOOD_KEY};{KEYS.randbytes(32).hex()}",  # rotation: new key first
    f" {GOOD_KEY} ;",
])
def test_accepted_crypt_keys(key):
    assert problems(oidc_env(JUPYTERHUB_CRYPT_KEY=key)) == []


def test_missing_crypt_key_is_a_clear_problem():
    env = oidc_env()
    del env["JUPYTERHUB_CRYPT_KEY"]
    [problem] = problems(env)
    assert problem.file == "JUPYTERHUB_CRYPT_KEY" and problem.key == "auth.crypt_key_env"
    assert "auth.mode is oidc but JUPYTERHUB_CRYPT_KEY is not set" in problem.message
    assert "openssl rand -hex 32" in problem.fix
    assert [str(p) for p in problems(oidc_env(JUPYTERHUB_CRYPT_KEY="  "))] == [str(problem)]


@pytest.mark.parametrize("key", [
    "secret",
    "a" * 32,  # 32 characters, not 32 bytes of key material
    GOOD_KEY[:-2],
    GOOD_KEY[:-1] + "g",
    "@" * 44,
])
def test_invalid_crypt_key_is_refused_without_echoing_it(key):
    [problem] = problems(oidc_env(JUPYTERHUB_CRYPT_KEY=key))
    assert problem.key == "auth.crypt_key_env"
    assert "is not a 32-byte key written as 64 hex characters" in problem.message
    assert key not in str(problem)


def test_bad_key_in_a_rotation_list_is_named():
    [problem] = problems(oidc_env(JUPYTERHUB_CRYPT_KEY=f"{GOOD_KEY};nope"))
    assert problem.message.startswith("key(s) #2 in JUPYTERHUB_CRYPT_KEY")


def test_crypt_key_env_setting_names_the_variable_and_reaches_the_hub():
    env = oidc_env(AGORA_AUTH__CRYPT_KEY_ENV="AGORA_HUB_KEY")
    [problem] = problems(env)  # JUPYTERHUB_CRYPT_KEY is not the one read any more
    assert problem.file == "AGORA_HUB_KEY" and "AGORA_HUB_KEY is not set" in problem.message
    env = {**env, "AGORA_HUB_KEY": GOOD_KEY, "JUPYTERHUB_CRYPT_KEY": "stale"}
    s = load_settings(environ=env)
    assert runtime_problems(s, env) == []
    assert hub_environment(s, env)["JUPYTERHUB_CRYPT_KEY"] == GOOD_KEY


def test_demo_mode_needs_no_crypt_key():
    assert problems({"AGORA_HUB__DATA_DIR": "/srv/agora"}) == []


@pytest.mark.parametrize("key,value,message", [
    ("TOKEN_URL", "http://idp.example.org/token", "plain http to idp.example.org"),
    ("AUTHORIZE_URL", "idp.example.org/auth", "not an http(s) URL"),
    ("CALLBACK_URL", "ftp://data.example.org/cb", "not an http(s) URL"),
])
def test_provider_urls_must_be_https(key, value, message):
    [problem] = problems(oidc_env(**{f"AGORA_AUTH__OIDC__{key}": value}))
    assert problem.key == f"auth.oidc.{key.lower()}" and message in problem.message
    assert problem.file == f"AGORA_AUTH__OIDC__{key}"


def test_plain_http_is_fine_for_a_loopback_provider():
    env = oidc_env(AGORA_AUTH__OIDC__TOKEN_URL="http://127.0.0.1:9000/token",
                   AGORA_AUTH__OIDC__USERDATA_URL="http://localhost:9000/userinfo")
    assert problems(env) == []


def test_empty_client_secret_is_a_problem():
    env = oidc_env()
    del env["AGORA_AUTH__OIDC__CLIENT_SECRET"]
    [problem] = problems(env)
    assert problem.key == "auth.oidc.client_secret"
    assert problem.file == "AGORA_AUTH__OIDC__CLIENT_SECRET"


def write_oidc_settings(tmp_path):
    path = tmp_path / "workspace.yaml"
    path.write_text(
        "hub:\n  bind_url: https://data.example.org/\n  data_dir: data\n"
        "auth:\n  mode: oidc\n  oidc:\n    client_id: agora\n"
        "    authorize_url: https://idp.example.org/auth\n"
        "    token_url: https://idp.example.org/token\n"
        "    userdata_url: https://idp.example.org/userinfo\n")
    return path


def test_agora_check_reports_the_missing_key(tmp_path, monkeypatch, capsys):
    path = write_oidc_settings(tmp_path)
    monkeypatch.setenv("AGORA_AUTH__OIDC__CLIENT_SECRET", "shh")
    monkeypatch.delenv("JUPYTERHUB_CRYPT_KEY", raising=False)
    assert main(["-c", str(path), "check"]) == 2
    err = capsys.readouterr().err
    assert "JUPYTERHUB_CRYPT_KEY: auth.crypt_key_env: auth.mode is oidc but" in err
    assert "1 problem(s)" in err
    monkeypatch.setenv("JUPYTERHUB_CRYPT_KEY", GOOD_KEY)
    assert main(["-c", str(path), "check"]) == 0
    assert "auth: oidc" in capsys.readouterr().out


def test_agora_up_refuses_a_bad_key_before_starting_anything(tmp_path):
    path = write_oidc_settings(tmp_path)
    env = {"PATH": "/usr/bin:/bin", "AGORA_AUTH__OIDC__CLIENT_SECRET": "shh",
           "JUPYTERHUB_CRYPT_KEY": "too-short"}
    result = subprocess.run([sys.executable, "-m", "hub.cli", "-c", str(path), "up"],
                            capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 2
    assert "JUPYTERHUB_CRYPT_KEY: auth.crypt_key_env:" in result.stderr
    assert "too-short" not in result.stderr
    assert not (tmp_path / "data").exists()


def test_check_runtime_raises_every_problem_at_once():
    env = oidc_env(AGORA_AUTH__OIDC__TOKEN_URL="http://idp.example.org/token",
                   JUPYTERHUB_CRYPT_KEY="x")
    with pytest.raises(ConfigProblems) as info:
        check_runtime(load_settings(environ=env), env)
    assert {p.key for p in info.value.problems} == {"auth.oidc.token_url", "auth.crypt_key_env"}


# --- AgoraOIDCAuthenticator: groups from the claim, claims kept in auth state ---------------

def auth_state(**claims) -> dict:
    return {"access_token": "t", "oauth_user": {"sub": "s-1", **claims}}


@pytest.mark.parametrize("claim,claims,expected", [
    ("groups", {"groups": ["staff", "elus", "staff"]}, {"staff", "elus"}),
    ("roles", {"roles": ["it"], "groups": ["decoy"]}, {"it"}),
    ("groups", {"groups": "staff"}, {"staff"}),  # a single group as a string, not its letters
    ("https://idp.example.org/claims/groups",  # dotted claim names are plain keys
     {"https://idp.example.org/claims/groups": ["staff"]}, {"staff"}),
    ("groups", {}, set()),
    ("groups", {"groups": None}, set()),
    ("groups", {"groups": {"staff": True}}, set()),
    ("groups", {"groups": ["staff", " ", ""]}, {"staff"}),
])
async def test_groups_come_from_the_configured_claim(claim, claims, expected):
    authenticator = AgoraOIDCAuthenticator(groups_claim=claim, manage_groups=True)
    assert await authenticator.get_user_groups(auth_state(**claims)) == expected


async def test_admin_and_groups_are_applied_to_the_auth_model():
    authenticator = AgoraOIDCAuthenticator(groups_claim="roles", manage_groups=True,
                                           admin_groups={"it"}, allowed_groups={"staff"})
    model = {"name": "x", "admin": None, "auth_state": auth_state(roles=["it", "b"])}
    model = await authenticator._apply_managed_groups(model)
    assert model["groups"] == ["b", "it"] and model["admin"] is True
    model = {"name": "y", "admin": None, "auth_state": auth_state(roles=["staff"])}
    model = await authenticator._apply_managed_groups(model)
    assert model["admin"] is False
    assert await authenticator.check_allowed("y", model) is True
    model = {"name": "z", "admin": None, "auth_state": auth_state(roles=["visitors"])}
    model = await authenticator._apply_managed_groups(model)
    assert await authenticator.check_allowed("z", model) is False


def test_claims_of_auth_state():
    assert claims_of(auth_state(territories=["99101"]))["territories"] == ["99101"]
    assert claims_of(None) == {} and claims_of({"oauth_user": "broken"}) == {}
