"""Agora's settings: one typed, validated model read from workspace.yaml and AGORA_* variables.

Precedence, lowest first (there are only these three layers):

1. the defaults below, which are the *embedded default*: demo accounts, SQLite, everything
   on 127.0.0.1, each user isolated in their own system account when the hub runs as root;
2. the settings file: ``--config PATH``, else ``$AGORA_CONFIG``, else ``./workspace.yaml``
   when it exists;
3. environment variables ``AGORA_<SECTION>__<KEY>``, e.g. ``AGORA_HUB__BIND_URL``; values are
   read as YAML scalars, so ``AGORA_AUTH__OIDC__ALLOWED_GROUPS='[staff, elus]'`` is a list.

Secrets (OIDC client secret, crypt key) belong in the environment, not in the file.
Every key is documented in docs/settings-reference.md, generated from this model by
hub/settings_doc.py (tests/unit/test_docs.py checks it).
"""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from .policy.rules import IDENTIFIER
from .problems import ConfigProblems, Problem
from .yamlfile import line_for, load_yaml_with_lines

ENV_PREFIX = "AGORA_"


class SettingError(ValueError):
    """A cross-field problem, raised from a validator, naming the exact key and the fix."""

    def __init__(self, key: str, message: str, fix: str):
        super().__init__(message)
        self.key, self.fix = key, fix
DEFAULT_FILE = "workspace.yaml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HubSettings(_Section):
    bind_url: str = Field(
        "http://127.0.0.1:8000/",
        description="Public URL the hub listens on (scheme, host, port and base path).",
    )
    hub_port: int = Field(8081, ge=1, le=65535,
                          description="Port of the hub's internal API, always on 127.0.0.1.")
    proxy_api_port: int = Field(8001, ge=1, le=65535,
                                description="Port of the proxy's REST API, always on 127.0.0.1.")
    data_dir: Path = Field(
        Path(".agora"),
        description="Hub data directory (database, cookie secret, snapshots, logs); kept mode 700. "
        "Relative paths are resolved against the settings file's folder.",
    )
    db_url: str | None = Field(
        None, description="SQLAlchemy URL of the hub database; default: SQLite in data_dir.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Log level of the hub and its services.")

    @property
    def parsed_bind(self):
        return urlparse(self.bind_url)

    @property
    def bind_host(self) -> str:
        return self.parsed_bind.hostname or "127.0.0.1"

    @property
    def bind_port(self) -> int:
        return self.parsed_bind.port or (443 if self.parsed_bind.scheme == "https" else 80)

    @property
    def base_url(self) -> str:
        path = self.parsed_bind.path or "/"
        return path if path.endswith("/") else path + "/"

    @model_validator(mode="after")
    def _bind_url_is_http(self):
        parsed = self.parsed_bind
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise SettingError("bind_url", f"not an http(s) URL: {self.bind_url!r}",
                               "use a URL like http://127.0.0.1:8000/")
        return self


class OidcSettings(_Section):
    client_id: str = Field(description="OAuth client id registered at the identity provider.")
    client_secret: SecretStr = Field(
        SecretStr(""),
        description="OAuth client secret; set it with AGORA_AUTH__OIDC__CLIENT_SECRET.")
    authorize_url: str = Field(description="The provider's authorization endpoint.")
    token_url: str = Field(description="The provider's token endpoint.")
    userdata_url: str = Field(description="The provider's userinfo endpoint.")
    logout_url: str | None = Field(None, description="Where to send users after hub logout.")
    callback_url: str | None = Field(
        None, description="OAuth redirect URI; default: <bind_url>hub/oauth_callback.")
    scopes: list[str] = Field(["openid", "profile", "email"],
                              description="Scopes requested at login.")
    username_claim: str = Field("preferred_username",
                                description="Claim that becomes the JupyterHub user name.")
    groups_claim: str = Field("groups",
                              description="Claim listing the user's groups (synced to the hub).")
    allowed_groups: list[str] = Field(
        [], description="Users in any of these groups may log in; empty means any "
        "authenticated user of the provider.")
    admin_groups: list[str] = Field([], description="Members of these groups are hub admins.")
    tls_verify: bool = Field(True, description="Verify the provider's TLS certificate.")


class AuthSettings(_Section):
    mode: Literal["demo", "oidc"] = Field(
        "demo", description="demo: built-in demo accounts (loopback only); oidc: an OIDC provider.")
    demo_password: SecretStr = Field(
        SecretStr("demo"), description="Password of every demo account (loopback only).")
    oidc: OidcSettings | None = Field(None, description="Identity provider settings (mode: oidc).")
    crypt_key_env: str = Field(
        "JUPYTERHUB_CRYPT_KEY",
        description="Environment variable holding the key that encrypts auth state (oidc mode).")
    attribute_claims: dict[str, str] = Field(
        {}, description="Caller attributes taken from the provider's userinfo claims (oidc mode "
        "only): a mapping {attribute: claim}, e.g. {territories: insee_codes}; claim names are "
        "plain keys. Recorded by the hub at each login and auth refresh; row rules "
        "(`in_attribute`) use them together with group properties (union of values). See "
        "docs/policy.md#caller-attributes.")

    @model_validator(mode="after")
    def _oidc_needs_provider(self):
        if self.mode == "oidc" and self.oidc is None:
            raise SettingError("oidc", "mode is oidc but the oidc section is missing",
                               "add auth.oidc with client_id, authorize_url, token_url, "
                               "userdata_url (see docs/admin-guide.md#production-login-oidc)")
        return self

    @model_validator(mode="after")
    def _attribute_claims_are_names(self):
        for attribute, claim in self.attribute_claims.items():
            if not re.fullmatch(IDENTIFIER, attribute):
                raise SettingError("attribute_claims", f"attribute name {attribute!r} is not "
                                   "an identifier", "use letters, digits and _ as in row rules' "
                                   "in_attribute, e.g. {territories: insee_codes}")
            if not claim.strip():
                raise SettingError("attribute_claims", f"attribute {attribute!r} names no claim",
                                   "give the userinfo claim to read, e.g. {territories: "
                                   "insee_codes}")
        return self


class SpawnerSettings(_Section):
    isolation: Literal["auto", "shared", "system-users"] = Field(
        "auto",
        description="auto: system-users when the hub runs as root (and useradd exists), else "
        "shared; system-users: each hub user runs as their own system account, created when "
        "missing; shared: every workspace runs under one OS account, the hub's own or "
        "`shared_account` when the hub runs as root (no isolation between users: every page "
        "says so).")
    shared_account: str = Field(
        "agora-shared", pattern=r"^[a-z_][a-z0-9_-]{0,31}$",
        description="In shared isolation with the hub running as root: the unprivileged "
        "system account that runs every workspace (created when missing), so that workspaces "
        "never run as root.")
    system_user_prefix: str = Field(
        "agora-", pattern=r"^[a-z_][a-z0-9_-]*$",
        description="Prefix of system account names in system-users isolation.")
    home_root: Path | None = Field(
        None, description="Parent folder of the users' homes; default: <data_dir>/homes in "
        "shared mode (/home/<shared_account> when the hub runs as root), /home in "
        "system-users mode.")
    default_url: str = Field("/lab", description="Page a workspace opens on.")
    start_timeout: int = Field(120, ge=5, description="Seconds a workspace may take to start.")
    http_timeout: int = Field(60, ge=5, description="Seconds a started workspace may take to answer.")
    mem_limit: str | None = Field(None, pattern=r"^\d+[KMGT]?$",
                                  description="Memory limit per workspace, e.g. 4G.")
    cpu_limit: float | None = Field(None, gt=0, description="CPU limit per workspace, e.g. 1.5.")
    stop_grace_seconds: int = Field(
        3, ge=1, le=5, description="Seconds a workspace gets to exit on SIGINT before SIGTERM "
        "(at most 5, so that `agora up` stops within 10 s).")


class CullerSettings(_Section):
    enabled: bool = Field(True, description="Stop idle workspaces with jupyterhub-idle-culler.")
    timeout_seconds: int = Field(3600, ge=60,
                                 description="Idle time after which a workspace is stopped.")
    every_seconds: int = Field(300, ge=10, description="How often the culler checks.")
    max_age_seconds: int = Field(0, ge=0,
                                 description="Stop workspaces older than this, idle or not; 0: never.")


class DataSettings(_Section):
    catalog_dir: Path | None = Field(
        None, description="Folder of dataset recipes (one YAML file per dataset); default: the "
        "catalogs/ folder of the Agora checkout.")
    sources_dir: Path | None = Field(
        None, description="Folder that relative source paths in recipes resolve against; "
        "default: <data_dir>/sources (where the demo data is generated).")
    store_dir: Path | None = Field(
        None, description="Snapshot store (hub-side only); default: <data_dir>/store.")
    retain_versions: int = Field(5, ge=1, description="Snapshot versions kept per dataset.")
    max_dropped_fraction: float = Field(
        0.5, ge=0, le=1, description="Default share of rows processors may drop before a "
        "refresh fails instead of publishing (a recipe may set its own).")
    max_source_bytes: int = Field(
        1 << 30, gt=0, description="Default largest source a refresh reads, in bytes as stored "
        "or sent (1 GiB): a refresh holds about ten times a CSV's size in memory, more for a "
        "compressed format (Parquet, xlsx, zip), so a larger source fails with a clear error "
        "instead of exhausting the machine (a recipe may set its own; SQL sources are not "
        "limited).")
    pseudonym_key_env: str = Field(
        "AGORA_PSEUDONYM_KEY", description="Environment variable holding the secret key of "
        "keyed pseudonyms (anonymise processor, column rules).")
    demo_data: bool = Field(
        True, description="In demo mode, generate the synthetic demo sources and refresh every "
        "dataset at `agora up` when the store is empty.")


class ServicesSettings(_Section):
    datasets_port: int = Field(
        8082, ge=1, le=65535, description="Port of the datasets service (the data gateway), "
        "always on 127.0.0.1; users reach it through the hub at <bind_url>services/datasets/.")


class Settings(_Section):
    hub: HubSettings = Field(HubSettings(), description="Where the hub listens and keeps its data.")
    auth: AuthSettings = Field(AuthSettings(), description="How people log in.")
    spawner: SpawnerSettings = Field(SpawnerSettings(), description="How workspaces run.")
    culler: CullerSettings = Field(CullerSettings(), description="Idle workspace culling.")
    data: DataSettings = Field(DataSettings(), description="Datasets: recipes, sources, store.")
    services: ServicesSettings = Field(ServicesSettings(),
                                       description="Hub-managed services (datasets...).")
    source: str = Field("defaults", exclude=True, description="Where the settings were read from.")

    @model_validator(mode="after")
    def _demo_only_on_loopback(self):
        if self.auth.mode == "demo" and not is_loopback(self.hub.bind_host):
            raise SettingError(
                "auth.mode", f"demo accounts are refused when the hub binds {self.hub.bind_host}, "
                "which is not a loopback address",
                "bind hub.bind_url to 127.0.0.1, or set auth.mode: oidc")
        return self

    @property
    def data_dir(self) -> Path:
        return self.hub.data_dir

    @property
    def isolation(self) -> Literal["shared", "system-users"]:
        """The isolation mode in force: `spawner.isolation` with `auto` resolved on this machine."""
        return effective_isolation(self.spawner.isolation, os.geteuid(),
                                   shutil.which("useradd") is not None)

    @property
    def catalog_dir(self) -> Path:
        return self.data.catalog_dir or Path(__file__).resolve().parent.parent / "catalogs"

    @property
    def sources_dir(self) -> Path:
        return self.data.sources_dir or self.hub.data_dir / "sources"

    @property
    def store_dir(self) -> Path:
        return self.data.store_dir or self.hub.data_dir / "store"

    @property
    def home_root(self) -> Path:
        if self.spawner.home_root is not None:
            return self.spawner.home_root
        if self.isolation == "system-users":
            return Path("/home")
        if os.geteuid() == 0:  # workspaces run as shared_account: homes outside data_dir
            return Path("/home") / self.spawner.shared_account
        return self.hub.data_dir / "homes"


def effective_isolation(chosen: str, euid: int, has_useradd: bool) -> str:
    """`auto` isolates users whenever the hub can (root, with useradd); shared otherwise."""
    if chosen != "auto":
        return chosen
    return "system-users" if euid == 0 and has_useradd else "shared"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def settings_file(explicit: str | os.PathLike | None, environ: dict) -> Path | None:
    """The settings file to read, or None for the embedded default."""
    if explicit:
        return Path(explicit)
    if environ.get("AGORA_CONFIG"):
        return Path(environ["AGORA_CONFIG"])
    default = Path(DEFAULT_FILE)
    return default if default.exists() else None


def is_settings_variable(name: str) -> bool:
    """Whether an environment variable sets a setting (AGORA_SECTION__KEY)."""
    return name.startswith(ENV_PREFIX) and "__" in name


def env_overrides(environ: dict) -> dict[str, Any]:
    """Nested dict from AGORA_SECTION__KEY variables (AGORA_CONFIG itself excluded)."""
    tree: dict[str, Any] = {}
    for name, raw in environ.items():
        if not is_settings_variable(name):
            continue
        keys = [part.lower() for part in name[len(ENV_PREFIX):].split("__")]
        node = tree
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = raw if _is_text_field(keys) else _yaml_scalar(raw)
    return tree


def _yaml_scalar(raw: str) -> Any:
    try:
        return yaml.safe_load(raw) if raw != "" else ""
    except yaml.YAMLError:
        return raw


TEXT_TYPES = {str, SecretStr, str | None, SecretStr | None}


def _is_text_field(keys: list[str]) -> bool:
    """Text and secret settings are taken verbatim: YAML would cut `a #b` or turn `0123` into 83."""
    model = _model_for(tuple(keys[:-1]))
    field = model.model_fields.get(keys[-1]) if model else None
    return field is not None and field.annotation in TEXT_TYPES


def _merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _env_keys(tree: dict, prefix: str = "") -> set[str]:
    keys = set()
    for key, value in tree.items():
        dotted = f"{prefix}.{key}" if prefix else key
        keys.add(dotted)
        if isinstance(value, dict):
            keys |= _env_keys(value, dotted)
    return keys


def _model_for(loc: tuple) -> type[BaseModel] | None:
    model: Any = Settings
    for part in loc:
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return None
        annotation = field.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)),
                     None)
        if model is None:
            return None
    return model


def _fix_for(loc: tuple, error: dict) -> str:
    parent = _model_for(loc[:-1])
    if error["type"] == "extra_forbidden" and parent is not None:
        return "remove it or use one of: " + ", ".join(sorted(parent.model_fields))
    if error["type"] == "missing":
        field = parent.model_fields.get(loc[-1]) if parent else None
        return f"add it ({field.description})" if field and field.description else "add it"
    field = parent.model_fields.get(loc[-1]) if parent and loc else None
    if field is not None and field.description:
        return f"expected: {field.description}"
    return ""


def _to_problems(exc: ValidationError, path: Path | None, lines: dict, env_keys: set) -> list:
    problems = []
    for error in exc.errors():
        loc = tuple(str(part) for part in error["loc"])
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, SettingError):
            loc = loc + tuple(cause.key.split("."))
        key = ".".join(loc)
        from_env = key in env_keys
        fallback = str(path) if path else ("(environment)" if env_keys else "(defaults)")
        file = (ENV_PREFIX + "__".join(p.upper() for p in loc)) if from_env else fallback
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        fix = cause.fix if isinstance(cause, SettingError) else _fix_for(loc, error)
        problems.append(Problem(file, key, message, fix,
                                None if from_env else line_for(lines, key)))
    return problems


def _absolute(value: str, base: Path) -> str:
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else (base / path).resolve())


def _resolve_paths(data: dict, base: Path) -> dict:
    """Relative paths in the settings are relative to the settings file's folder."""
    hub = dict(data.get("hub") or {})
    hub["data_dir"] = _absolute(hub.get("data_dir") or ".agora", base)
    resolved = {**data, "hub": hub}
    if isinstance(data.get("data"), dict):
        section = dict(data["data"])
        for key in ("catalog_dir", "sources_dir", "store_dir"):
            if isinstance(section.get(key), str):
                section[key] = _absolute(section[key], base)
        resolved["data"] = section
    spawner = data.get("spawner")
    if isinstance(spawner, dict) and isinstance(spawner.get("home_root"), str):
        resolved["spawner"] = {**spawner, "home_root": _absolute(spawner["home_root"], base)}
    return resolved


def load_settings(path: str | os.PathLike | None = None, environ: dict | None = None) -> Settings:
    """Read, merge and validate the settings; raise ConfigProblems listing every problem."""
    environ = dict(os.environ if environ is None else environ)
    file = settings_file(path, environ)
    data, lines = ({}, {}) if file is None else load_yaml_with_lines(file)
    if not isinstance(data, dict):
        raise ConfigProblems([Problem(str(file), "", "the file must be a mapping of sections",
                                      "start with a section such as 'hub:'", line=1)])
    overrides = env_overrides(environ)
    merged = _merge(data, overrides)
    base = file.resolve().parent if file else Path.cwd()
    if isinstance(merged.get("hub", {}), dict):
        merged = _resolve_paths(merged, base)
    try:
        return Settings(**merged, source=str(file) if file else "defaults")
    except ValidationError as exc:
        raise ConfigProblems(_to_problems(exc, file, lines, _env_keys(overrides))) from None


def documented_keys() -> list[str]:
    """Every settings key as a dotted path (the docs must mention each one)."""
    keys = []

    def walk(model: type[BaseModel], prefix: str):
        for name, field in model.model_fields.items():
            if field.exclude:
                continue
            dotted = f"{prefix}.{name}" if prefix else name
            sub = _model_for(tuple(dotted.split(".")))
            if sub is not None:
                walk(sub, dotted)
            else:
                keys.append(dotted)

    walk(Settings, "")
    return keys
