"""Pure functions: validated Settings (+ HubInputs) -> JupyterHub traitlets config.

Each function only *sets* values on `c` (never appends to or reads from it) and reads no file
or environment, so each can be tested on a bare ``traitlets.config.Config()``. `apply` is
the only entry point jupyterhub_config.py uses; `HubInputs.read` gathers what it needs.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from traitlets.config import Config

from .config.db_urls import hub_db_url
from .config.environment import is_secret_variable, is_settings_variable
from .config.settings import Settings
from .login import demo_accounts as demo
from .login.claims import AttributeStore, recorded_claims
from .workspaces.access import landing_url, workspace_roles
from .workspaces.shared_mode import SHARED_MODE_ANNOUNCEMENT

TEMPLATES = Path(__file__).parent / "templates"


def venv_bin(name: str) -> str:
    """Absolute path of a console script installed next to this Python."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else (shutil.which(name) or name)


# Services' OAuth tokens (the portal's, a dashboard kernel's for its viewer) last a working
# day, not JupyterHub's default of the login cookie's 14 days; a browser gets a new one
# without a prompt while its hub login lasts.
OAUTH_TOKEN_SECONDS = 8 * 3600


def configure_hub(c: Config, s: Settings) -> None:
    data = s.hub.data_dir
    c.JupyterHub.bind_url = s.hub.bind_url
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.hub_port = s.hub.hub_port
    c.JupyterHub.db_url = hub_db_url(s.hub.db_url) if s.hub.db_url else \
        f"sqlite:///{data / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(data / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(data / "jupyterhub.pid")
    c.JupyterHub.log_level = s.hub.log_level
    c.JupyterHub.cleanup_servers = True
    c.JupyterHub.cleanup_proxy = True
    c.JupyterHub.template_paths = [str(TEMPLATES)]
    c.JupyterHub.template_vars = template_vars(s)
    c.JupyterHub.default_url = landing_url  # viewers: not JupyterLab (workspaces/access.py)
    c.JupyterHub.oauth_token_expires_in = OAUTH_TOKEN_SECONDS
    c.JupyterHub.token_expires_in_max_seconds = s.hub.token_max_days * 86400


def template_vars(s: Settings) -> dict:
    """Values the page templates use; demo account hints only in demo mode; in shared mode,
    JupyterHub's `announcement` (shown on every hub page) says users are not isolated."""
    values = {"agora_auth_mode": s.auth.mode, "agora_demo_accounts": []}
    if s.isolation == "shared":
        values["announcement"] = SHARED_MODE_ANNOUNCEMENT
    if s.auth.mode == "demo":
        values["agora_demo_accounts"] = [(a.name, a.role) for a in demo.ACCOUNTS]
        values["agora_demo_password_hint"] = s.auth.demo_password.get_secret_value()
    return values


def configure_proxy(c: Config, s: Settings) -> None:
    # warning level: the proxy's access log would print query strings (OAuth codes, tokens).
    # hub.proxy: the stock proxy with more requests in flight and a longer answer timeout
    # (tornado's 10 and 20 s turned 10 concurrent dashboard pages into 10 503s), and JSON
    # 503s for programs while the datasets service restarts.
    from hub.proxy import JSON_ERRORS_OPTION, PROXY_TIMEOUT_MS

    c.ConfigurableHTTPProxy.command = [sys.executable, "-m", "hub.proxy",
                                       f"{JSON_ERRORS_OPTION}={datasets_prefix(s)}",
                                       "--log-level",
                                       "debug" if s.hub.log_level == "DEBUG" else "warning",
                                       f"--proxy-timeout={PROXY_TIMEOUT_MS}"]
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{s.hub.proxy_api_port}"
    c.ConfigurableHTTPProxy.pid_file = str(s.hub.data_dir / "proxy.pid")
    c.ConfigurableHTTPProxy.should_start = True


def configure_demo_auth(c: Config, s: Settings) -> None:
    c.JupyterHub.authenticator_class = "hub.login.authenticators.DemoAuthenticator"
    c.DemoAuthenticator.demo_password = s.auth.demo_password.get_secret_value()
    c.Authenticator.allowed_users = {a.name for a in demo.ACCOUNTS}
    c.Authenticator.admin_users = {a.name for a in demo.ACCOUNTS if a.admin}
    c.Authenticator.manage_groups = False
    c.JupyterHub.load_groups = demo.load_groups()


def configure_oidc_auth(c: Config, s: Settings) -> None:
    oidc = s.auth.oidc
    assert oidc is not None, "settings validation guarantees an oidc section in oidc mode"
    c.JupyterHub.authenticator_class = "hub.login.authenticators.AgoraOIDCAuthenticator"
    a = c.AgoraOIDCAuthenticator
    a.client_id = oidc.client_id
    a.client_secret = oidc.client_secret.get_secret_value()
    a.authorize_url = oidc.authorize_url
    a.token_url = oidc.token_url
    a.userdata_url = oidc.userdata_url
    a.oauth_callback_url = oidc.callback_url or s.hub.bind_url.rstrip("/") + "/hub/oauth_callback"
    a.scope = list(oidc.scopes)
    a.username_claim = oidc.username_claim
    a.groups_claim = oidc.groups_claim  # read by AgoraOIDCAuthenticator.get_user_groups
    a.attribute_claims = recorded_claims(s)  # policy attributes, report contacts
    a.attribute_store_dir = str(AttributeStore.in_data_dir(s.hub.data_dir).folder)
    a.manage_groups = True
    a.allowed_groups = set(oidc.allowed_groups)
    a.admin_groups = set(oidc.admin_groups)
    a.allow_all = not oidc.allowed_groups
    a.allow_existing_users = False  # leaving the allowed groups at the provider locks out
    a.enable_auth_state = True
    a.validate_server_cert = oidc.tls_verify
    if oidc.logout_url:
        a.logout_redirect_url = oidc.logout_url


def configure_auth(c: Config, s: Settings) -> None:
    if s.auth.mode == "oidc":
        configure_oidc_auth(c, s)
    else:
        configure_demo_auth(c, s)
    if s.auth.authenticator_class:  # an operator's own, checked when the settings loaded
        c.JupyterHub.authenticator_class = s.auth.authenticator_class.replace(":", ".")


def widgets_environment(s: Settings) -> dict[str, str]:
    """What the widgets read in a workspace: language and map tiles (widgets/i18n, maps)."""
    w = s.widgets
    tiles = {"AGORA_TILES_URL": w.tiles_url, "AGORA_TILES_ATTRIBUTION": w.tiles_attribution}
    return {"AGORA_LOCALE": w.locale, **{k: v for k, v in tiles.items() if v}}


def configure_spawner(c: Config, s: Settings) -> None:
    sp = s.spawner
    c.Spawner.cmd = [venv_bin("jupyterhub-singleuser")]
    c.Spawner.default_url = sp.default_url
    c.Spawner.start_timeout = sp.start_timeout
    c.Spawner.http_timeout = sp.http_timeout
    c.Spawner.interrupt_timeout = sp.stop_grace_seconds
    c.Spawner.term_timeout = 2
    c.Spawner.kill_timeout = 2
    if sp.mem_limit:
        c.Spawner.mem_limit = sp.mem_limit
    if sp.cpu_limit:
        c.Spawner.cpu_limit = sp.cpu_limit
    c.Spawner.environment = {"AGORA_DATASETS_URL": datasets_public_url(s),
                             "AGORA_DASHBOARDS_URL": dashboards_internal_url(s),
                             **widgets_environment(s), **gateway_environment(s)}
    if s.isolation == "system-users":
        c.JupyterHub.spawner_class = "hub.workspaces.spawners.SystemUserSpawner"
        c.SystemUserSpawner.system_user_prefix = sp.system_user_prefix
        c.SystemUserSpawner.home_root = str(s.home_root)
    else:
        c.JupyterHub.spawner_class = "hub.workspaces.spawners.SharedSpawner"
        c.SharedSpawner.home_dir_template = str(s.home_root / "{username}")
        c.SharedSpawner.run_as = sp.shared_account
        c.SharedSpawner.args = ["--LabApp.custom_css=True"]  # JupyterLab shows the warning
    if sp.spawner_class:  # an operator's own, checked when the settings loaded
        c.JupyterHub.spawner_class = sp.spawner_class.replace(":", ".")


def service_public_url(s: Settings, name: str) -> str:
    """A hub service as workspaces reach it: through the proxy's public address."""
    url = s.hub.bind_url.rstrip("/") + f"/services/{name}/"
    return url.replace("://0.0.0.0", "://127.0.0.1").replace("://[::]", "://[::1]")


def dashboards_prefix(s: Settings) -> str:
    """The dashboards service's path, the same on its own origin as a hub service's would be."""
    return s.hub.base_url + "services/dashboards/"


def dashboards_public_url(s: Settings) -> str:
    """Where browsers open dashboards: their own origin (settings.dashboards_origin)."""
    return s.dashboards_origin + dashboards_prefix(s)


def dashboards_internal_url(s: Settings) -> str:
    """The dashboards service as workspaces reach it (the publish API): on its bind address."""
    host = s.hub.bind_host
    host = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(host, f"[{host}]" if ":" in host else host)
    return f"http://{host}:{s.dashboards.port}{dashboards_prefix(s)}"


def datasets_prefix(s: Settings) -> str:
    """The datasets service's path on the hub's proxy."""
    return s.hub.base_url + "services/datasets/"


def datasets_public_url(s: Settings) -> str:
    """The datasets service as workspaces reach it: through the proxy's public address."""
    return service_public_url(s, "datasets")


CULLER_SCOPES = ["list:users", "read:users:activity", "read:servers", "delete:servers"]


def culler_service(s: Settings, _inputs: HubInputs) -> tuple[list[dict], list[dict]]:
    """The idle culler as a hub-managed service, with a least-privilege role (never admin)."""
    if not s.culler.enabled:
        return [], []
    command = [
        sys.executable, "-m", "jupyterhub_idle_culler",
        f"--timeout={s.culler.timeout_seconds}",
        f"--cull-every={s.culler.every_seconds}",
    ]
    if s.culler.max_age_seconds:
        command.append(f"--max-age={s.culler.max_age_seconds}")
    service = {"name": "idle-culler", "command": command}
    role = {
        "name": "idle-culler",
        "description": "Stop idle workspaces (least privilege: no admin)",
        "scopes": CULLER_SCOPES,
        "services": ["idle-culler"],
    }
    return [service], [role]


DATASETS_SCOPES = ["read:groups", "read:users:groups"]  # group properties; never admin
DATASETS_ACCESS = "access:services!service=datasets"
DASHBOARDS_ACCESS = "access:services!service=dashboards"
# JupyterHub's default scopes of a server's JUPYTERHUB_API_TOKEN, plus calling the datasets
# service, so that a notebook reads data with its owner's token (and rights), and the
# dashboards service, so that widgets.PublishPanel publishes with it (the service decides
# who may publish: workspace holders only; the scope only lets the token reach it).
SERVER_TOKEN_SCOPES = ["users:activity!user", "access:servers!server", DATASETS_ACCESS,
                       DASHBOARDS_ACCESS]


class FromHubEnvironment:
    """An environment value read from the hub's own environment when a service starts
    (JupyterHub calls callables in `environment`), so a secret never sits in the config."""

    def __init__(self, name: str):
        self.name = name

    def __call__(self, _spawner) -> str:
        return os.environ.get(self.name, "")

    def __eq__(self, other) -> bool:
        return isinstance(other, FromHubEnvironment) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"FromHubEnvironment({self.name!r})"


def forwarded(names) -> dict:
    """`names` read from the hub's environment when a service starts (never in the config)."""
    return {name: FromHubEnvironment(name) for name in names}


@dataclass(frozen=True)
class HubInputs:
    """What the configuration needs besides the settings: names (never values) of variables in
    the hub's environment, and the scheduler's token. jupyterhub_config.py gathers them once
    (`read`), so every function here stays pure."""

    settings_variables: tuple[str, ...] = ()  # the hub's AGORA_SECTION__KEY, secrets left out
    recipe_secrets: tuple[str, ...] = ()  # what the recipes' sources read (url_env...)
    # the values: the scheduler service's fixed API token (hub/reports/service.py), and
    # dask-gateway's, from the variable batch.gateway_token_env names (when a gateway is set)
    scheduler_token: str = field(default="", repr=False)
    gateway_token: str = field(default="", repr=False)

    @classmethod
    def read(cls, s: Settings, environ: Mapping[str, str]) -> HubInputs:
        from .pipeline.recipe import recipe_secret_names
        from .reports.service import service_token

        # the auth-state key's variable is a setting of any name: the scheduler does not even
        # get it (and no refresh hands it to a source: RefreshEnv.hub_secrets)
        secrets = [n for n in recipe_secret_names(s.catalog_dir) if n != s.auth.crypt_key_env]
        settings = (n for n in environ if is_settings_variable(n) and not is_secret_variable(n))
        gateway_token = environ.get(s.batch.gateway_token_env, "") if s.batch.gateway_url else ""
        return cls(tuple(settings), tuple(secrets),
                   service_token(s.reports_dir, create=False) or "", gateway_token.strip())


def datasets_environment(s: Settings, inputs: HubInputs) -> dict:
    """What Agora's services need to load the same settings as the hub: the settings file, the
    hub's AGORA_SECTION__KEY variables, and the resolved values of what they use."""
    env = {
        **forwarded(inputs.settings_variables),
        "AGORA_HUB__DATA_DIR": str(s.hub.data_dir),
        "AGORA_HUB__BIND_URL": s.hub.bind_url,
        "AGORA_HUB__LOG_LEVEL": s.hub.log_level,
        "AGORA_DATA__CATALOG_DIR": str(s.catalog_dir),
        "AGORA_DATA__STORE_DIR": str(s.store_dir),
        "AGORA_DATA__PSEUDONYM_KEY_ENV": s.data.pseudonym_key_env,
        "AGORA_SERVICES__DATASETS_PORT": str(s.services.datasets_port),
        **forwarded([s.data.pseudonym_key_env]),
        **(forwarded([s.data.s3_access_key_env, s.data.s3_secret_key_env])
           if s.data.store_url or s.reports.archive_url else {}),
    }
    if s.source != "defaults":
        env["AGORA_CONFIG"] = str(Path(s.source).resolve())
    return env


def datasets_service(s: Settings, inputs: HubInputs) -> tuple[list[dict], list[dict]]:
    """The datasets service (data gateway): OAuth without a consent page, least privilege."""
    service = {
        "name": "datasets",
        "url": f"http://127.0.0.1:{s.services.datasets_port}",
        "command": [sys.executable, "-m", "hub.services.datasets"],
        "environment": datasets_environment(s, inputs),
        "oauth_no_confirm": True,
        "display": False,
    }
    role = {
        "name": "datasets",
        "description": "Read group properties for access rules (least privilege: no admin)",
        "scopes": DATASETS_SCOPES,
        "services": ["datasets"],
    }
    users = {"name": "user", "scopes": [DATASETS_ACCESS]}  # with access.VIEWER_SCOPES
    return [service], [role, users]


def dashboards_environment(s: Settings, inputs: HubInputs) -> dict:
    """What the dashboards service needs to load the settings, without the pseudonym key (it
    reads no data itself); PYTHONPATH from the hub's environment (services inherit none)."""
    env = {k: v for k, v in datasets_environment(s, inputs).items()
           if k != s.data.pseudonym_key_env}
    return {**env, "AGORA_DASHBOARDS__PORT": str(s.dashboards.port),
            **forwarded(["PYTHONPATH"])}


def dashboards_service(s: Settings, inputs: HubInputs) -> tuple[list[dict], list[dict]]:
    """Published dashboards rendered by Voilà under each viewer's rights, on their own origin.

    No `url`: the hub's proxy gets no route to it, so no dashboard page is ever served on
    the hub's origin, where its scripts would act with the viewer's hub session. The service
    listens on settings.dashboards_origin and logs viewers in with OAuth (`oauth_redirect_uri`
    on that origin). The viewer's OAuth token for it may also call the datasets service
    (`oauth_client_allowed_scopes`, intersected with the viewer's own scopes): that token,
    handed to the viewer's kernel, reads the data AS THE VIEWER. The service has no role: it
    calls no hub API with a token of its own (it only identifies viewers, with theirs)."""
    service = {
        "name": "dashboards",
        "command": [sys.executable, "-m", "hub.services.dashboards"],
        "environment": dashboards_environment(s, inputs),
        "oauth_redirect_uri": dashboards_public_url(s) + "oauth_callback",
        "oauth_no_confirm": True,
        "oauth_client_allowed_scopes": [DATASETS_ACCESS],
        "display": False,
    }
    users = {"name": "user", "scopes": [DASHBOARDS_ACCESS]}  # the service itself: no role
    return [service], [users]


SCHEDULER_ACCESS = "access:services!service=scheduler"


def scheduler_scopes(s: Settings) -> list[str]:
    """Who is in a recipient group (read:groups), and tokens of exactly the users reports may
    run as: JupyterHub filters `tokens` by user or group, the tightest it allows."""
    groups = dict.fromkeys([*s.reports.run_as_groups, *s.reports.scheduler_groups])
    return ["read:groups", *(f"tokens!group={group}" for group in groups)]


def scheduler_environment(s: Settings, inputs: HubInputs) -> dict:
    """The datasets' settings variables, what refreshes read (sources folder, the variables
    the recipes name), the SMTP password's variable and PYTHONPATH; report runs get none
    of it (hub/reports/executor.py builds theirs)."""
    return {
        **datasets_environment(s, inputs),
        "AGORA_DATA__SOURCES_DIR": str(s.sources_dir),
        "AGORA_SERVICES__SCHEDULER_PORT": str(s.services.scheduler_port),
        **forwarded(inputs.recipe_secrets),
        **forwarded([s.reports.smtp.password_env, "PYTHONPATH"]),
    }


def scheduler_service(s: Settings, inputs: HubInputs) -> tuple[list[dict], list[dict]]:
    """Dataset refreshes and report schedules (hub/services/scheduler), independent of any
    user's server, with its API for schedulers and recipients; least privilege, never admin.

    Its API token is fixed (HubInputs.scheduler_token, from the data directory) so that
    `agora report run` on the hub's machine acts as the same service."""
    service = {
        "name": "scheduler",
        "url": f"http://127.0.0.1:{s.services.scheduler_port}",
        "command": [sys.executable, "-m", "hub.services.scheduler"],
        "environment": scheduler_environment(s, inputs),
        "oauth_no_confirm": True,
        "display": False,
    }
    if inputs.scheduler_token:
        service["api_token"] = inputs.scheduler_token
    role = {
        "name": "scheduler",
        "description": "Read group members, mint short-lived data-only tokens of report "
                       "recipients (least privilege: no admin)",
        "scopes": scheduler_scopes(s),
        "services": ["scheduler"],
    }
    users = {"name": "user", "scopes": [SCHEDULER_ACCESS]}  # recipients download their PDFs
    return [service], [role, users]


PORTAL_ACCESS = "access:services!service=portal"


def portal_environment(s: Settings, inputs: HubInputs) -> dict:
    """The settings the portal loads (ports, log level): no pseudonym key, no source secret."""
    env = {
        **forwarded(inputs.settings_variables),
        "AGORA_HUB__DATA_DIR": str(s.hub.data_dir),
        "AGORA_HUB__LOG_LEVEL": s.hub.log_level,
        "AGORA_SERVICES__DATASETS_PORT": str(s.services.datasets_port),
        "AGORA_SERVICES__PORTAL_PORT": str(s.services.portal_port),
        "AGORA_SERVICES__SCHEDULER_PORT": str(s.services.scheduler_port),
    }
    if s.source != "defaults":
        env["AGORA_CONFIG"] = str(Path(s.source).resolve())
    return env


def portal_service(s: Settings, inputs: HubInputs) -> tuple[list[dict], list[dict]]:
    """The portal (hub/services/portal): every user's home page and the data catalogue.

    It has NO role: it calls no hub API with a token of its own. The visitor's OAuth token
    may carry `access:services!service=datasets` and `...=scheduler`
    (`oauth_client_allowed_scopes`, intersected with the visitor's own scopes), so it reads
    data and reports as the visitor, with their rights."""
    service = {
        "name": "portal",
        "url": f"http://127.0.0.1:{s.services.portal_port}",
        "command": [sys.executable, "-m", "hub.services.portal"],
        "environment": portal_environment(s, inputs),
        "oauth_no_confirm": True,
        "oauth_client_allowed_scopes": [DATASETS_ACCESS, SCHEDULER_ACCESS],
        "display": True,
    }
    users = {"name": "user", "scopes": [PORTAL_ACCESS]}  # with access.VIEWER_SCOPES
    return [service], [users]


GATEWAY_SERVICE = "dask-gateway"
GATEWAY_ACCESS = f"access:services!service={GATEWAY_SERVICE}"


def gateway_environment(s: Settings) -> dict[str, str]:
    """What dask-gateway's client reads in a workspace, so that `Gateway()` needs no
    arguments: the address, and JupyterHub auth (with the server's JUPYTERHUB_API_TOKEN)."""
    if not s.batch.gateway_url:
        return {}
    return {"DASK_GATEWAY__ADDRESS": s.batch.gateway_url, "DASK_GATEWAY__AUTH__TYPE": "jupyterhub"}


def gateway_service(s: Settings, inputs: HubInputs) -> tuple[list[dict], list[dict]]:
    """dask-gateway (batch.gateway_url) as an external service: its API token, no URL (the
    hub's proxy does not carry its scheduler traffic: workspaces reach it directly) and no
    role (its JupyterHubAuthenticator only checks callers' tokens, with theirs). Only the
    members of batch.gateway_groups get the scope its authenticator asks of a caller."""
    if not s.batch.gateway_url:
        return [], []
    service = {"name": GATEWAY_SERVICE, "display": False}
    if inputs.gateway_token:
        service["api_token"] = inputs.gateway_token
    users = {"name": "dask-gateway-users",
             "description": "Start Dask clusters through dask-gateway (batch.gateway_groups)",
             "scopes": [GATEWAY_ACCESS], "groups": list(s.batch.gateway_groups)}
    return [service], [users]


def server_token_scopes(s: Settings) -> list[str]:
    """SERVER_TOKEN_SCOPES, and the gateway's access scope when there is one: JupyterHub
    leaves out of a server's token what its owner does not have."""
    return [*SERVER_TOKEN_SCOPES, *([GATEWAY_ACCESS] if s.batch.gateway_url else [])]


SERVICE_BUILDERS = (culler_service, datasets_service, dashboards_service, portal_service,
                    scheduler_service, gateway_service)


def merge_roles(roles: list[dict]) -> list[dict]:
    """One role per name: builders that extend the same role (e.g. `user`) add up their
    scopes and members instead of replacing each other."""
    merged: dict[str, dict] = {}
    for role in roles:
        if role["name"] not in merged:
            merged[role["name"]] = dict(role)
            continue
        into = merged[role["name"]]
        for key in ("scopes", "users", "groups", "services"):
            if key in role:
                into[key] = list(dict.fromkeys([*into.get(key, []), *role[key]]))
    return list(merged.values())


def configure_services(c: Config, s: Settings, inputs: HubInputs = HubInputs()) -> None:
    """The services and every role: who gets a workspace (spawner.workspace_groups/users)
    first, so that the services' builders add their scopes to the same `user` role."""
    services, roles = [], workspace_roles(s.spawner.workspace_groups, s.spawner.workspace_users)
    for build in SERVICE_BUILDERS:
        more_services, more_roles = build(s, inputs)
        services += more_services
        roles += more_roles
    c.JupyterHub.services = services
    c.JupyterHub.load_roles = merge_roles(roles)
    c.Spawner.server_token_scopes = server_token_scopes(s)


def apply(c: Config, s: Settings, inputs: HubInputs = HubInputs()) -> None:
    """Set every part of the JupyterHub configuration from the settings (and the names in
    `inputs`; without them, services get no forwarded variables)."""
    configure_hub(c, s)
    configure_proxy(c, s)
    configure_auth(c, s)
    configure_spawner(c, s)
    configure_services(c, s, inputs)
