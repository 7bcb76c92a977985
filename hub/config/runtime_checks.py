"""Checks that need more than the settings file: secrets in the environment, provider URLs,
the PostgreSQL databases answering (database_checks.py).

`agora check` and `agora up` run `check_runtime` after the settings load, so a production
hub never starts with OIDC login but no usable auth-state key (JupyterHub would refuse to
start with a terse message, or an operator might be tempted to turn auth state off), nor with
a pseudonym key that fails hub/policy/pseudonym.py's rule. Every problem keeps the `Problem`
shape: file (or environment variable), key, message, fix. Secret values are never echoed.
"""

from __future__ import annotations

import base64
import binascii
import os
from urllib.parse import urlparse

from ..policy.pseudonym import PseudonymKeyError, key_from
from ..workspaces.shared_mode import SHARED_MODE_WARNING
from .database_checks import database_problems
from .environment import ENV_PREFIX
from .problems import ConfigProblems, Problem
from .settings import Settings, is_loopback

KEY_BYTES = 32
NEW_KEY_FIX = "generate one with `openssl rand -hex 32` and export it as {env} (keep it: " \
              "changing it makes the stored auth state unreadable)"


def _key_is_valid(key: str) -> bool:
    """32 bytes written as 64 hex characters, or as 44 URL-safe base64 characters."""
    if len(key) == 2 * KEY_BYTES:
        try:
            return len(bytes.fromhex(key)) == KEY_BYTES
        except ValueError:
            return False
    if len(key) == 44:
        try:
            return len(base64.urlsafe_b64decode(key.encode("ascii"))) == KEY_BYTES
        except (binascii.Error, ValueError, UnicodeEncodeError):
            return False
    return False


def crypt_key_problems(s: Settings, environ: dict) -> list[Problem]:
    """In oidc mode the auth state (tokens, claims) is stored encrypted: the key must be usable."""
    if s.auth.mode != "oidc":
        return []
    env = s.auth.crypt_key_env
    fix = NEW_KEY_FIX.format(env=env)
    raw = environ.get(env)
    if raw is None or not raw.strip():
        return [Problem(env, "auth.crypt_key_env",
                        f"auth.mode is oidc but {env} is not set; it encrypts the users' auth "
                        "state (provider tokens and claims) in the hub database", fix)]
    keys = [k.strip() for k in raw.split(";") if k.strip()]
    bad = [n for n, key in enumerate(keys, 1) if not _key_is_valid(key)]
    if not bad:
        return []
    which = "the key" if len(keys) == 1 else "key(s) " + ", ".join(f"#{n}" for n in bad)
    return [Problem(env, "auth.crypt_key_env",
                    f"{which} in {env} is not a {KEY_BYTES}-byte key written as 64 hex "
                    "characters (or 44 URL-safe base64 ones); several keys, for rotation, "
                    "are separated by ';'", fix)]


def _where(s: Settings, key: str, environ: dict) -> str:
    env_name = ENV_PREFIX + "__".join(part.upper() for part in key.split("."))
    return env_name if env_name in environ else s.source


def oidc_problems(s: Settings, environ: dict) -> list[Problem]:
    """Provider endpoints must be http(s) URLs; plain http only to a loopback provider."""
    oidc = s.auth.oidc
    if s.auth.mode != "oidc" or oidc is None:
        return []
    problems = []
    for name in ("authorize_url", "token_url", "userdata_url", "callback_url"):
        value = getattr(oidc, name)
        if value is None:
            continue
        key = f"auth.oidc.{name}"
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            problems.append(Problem(_where(s, key, environ), key, f"not an http(s) URL: {value!r}",
                                    "copy it from the provider's /.well-known/openid-configuration"))
        elif parsed.scheme == "http" and not is_loopback(parsed.hostname):
            problems.append(Problem(
                _where(s, key, environ), key,
                f"plain http to {parsed.hostname} would expose codes and tokens",
                "use the provider's https URL"))
    if not oidc.client_secret.get_secret_value():
        key = "auth.oidc.client_secret"
        problems.append(Problem(
            ENV_PREFIX + "AUTH__OIDC__CLIENT_SECRET", key,
            "auth.mode is oidc but the client secret is empty; the provider would refuse the "
            "token request at the first login",
            "register Agora as a confidential client and export its secret as "
            "AGORA_AUTH__OIDC__CLIENT_SECRET"))
    return problems


def isolation_warnings(s: Settings) -> list[Problem]:
    """Shared mode is allowed, never silent: users are not isolated from each other."""
    if s.isolation != "shared":
        return []
    if s.spawner.isolation == "auto":
        cause = "the hub does not run as root" if os.geteuid() != 0 else "useradd is missing"
        fix = "run the hub as root (sudo ./dev.sh up) so each user gets their own account"
    else:
        cause = "it is set explicitly"
        fix = "set spawner.isolation: auto (or system-users) and run the hub as root"
    return [Problem(s.source, "spawner.isolation",
                    f"workspaces share one OS account ({cause}): {SHARED_MODE_WARNING['en']}", fix)]


def pseudonym_key_problems(s: Settings, environ: dict) -> list[Problem]:
    """A pseudonym key that is set must pass the one key rule (unset: checked where needed)."""
    env = s.data.pseudonym_key_env
    if not environ.get(env):
        return []
    try:
        key_from(environ, env)
    except PseudonymKeyError as exc:
        return [Problem(env, "data.pseudonym_key_env", exc.problem, exc.fix)]
    return []


GATEWAY_TOKEN_CHARS = 32


def gateway_token_problems(s: Settings, environ: dict) -> list[Problem]:
    """With batch.gateway_url set, the gateway's API token must be in the hub's environment:
    without it the hub would register a service the gateway cannot act as."""
    env = s.batch.gateway_token_env
    if not s.batch.gateway_url or len(environ.get(env, "").strip()) >= GATEWAY_TOKEN_CHARS:
        return []
    state = "is not set" if not environ.get(env, "").strip() else "is shorter than " \
        f"{GATEWAY_TOKEN_CHARS} characters"
    return [Problem(env, "batch.gateway_token_env",
                    f"batch.gateway_url is set but {env} {state}; it is dask-gateway's hub "
                    "API token", f"generate one with `openssl rand -hex 32`, export it as {env} "
                    "for the hub and as JUPYTERHUB_API_TOKEN for the gateway")]


def runtime_problems(s: Settings, environ: dict | None = None) -> list[Problem]:
    environ = dict(os.environ if environ is None else environ)
    return (oidc_problems(s, environ) + crypt_key_problems(s, environ)
            + pseudonym_key_problems(s, environ) + gateway_token_problems(s, environ)
            + database_problems(s, environ))


def check_runtime(s: Settings, environ: dict | None = None) -> None:
    """Raise ConfigProblems listing every problem `runtime_problems` finds."""
    problems = runtime_problems(s, environ)
    if problems:
        raise ConfigProblems(problems)


def hub_environment(s: Settings, environ: dict) -> dict:
    """The hub process's environment: JupyterHub reads the key from JUPYTERHUB_CRYPT_KEY only."""
    env = dict(environ)
    if s.auth.mode == "oidc" and environ.get(s.auth.crypt_key_env):
        env["JUPYTERHUB_CRYPT_KEY"] = environ[s.auth.crypt_key_env]
    return env
