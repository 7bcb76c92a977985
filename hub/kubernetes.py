"""Agora inside the Zero to JupyterHub chart: Agora's configuration on top of the chart's.

The chart's own jupyterhub_config.py runs first; deploy/kubernetes/values.yaml then calls
`configure_in_chart` from `hub.extraConfig`. It applies Agora's settings (hub/configure.py),
gives back to the chart what the chart owns (`CHART_KEYS`), sends the proxy to Agora's services
through the hub pod's Service, registers the dashboards service, which runs in a pod of its
own (deploy/kubernetes/dashboards.yaml, decision 0008), as an external service, and offers
each user the workspace profiles of their groups.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from traitlets.config import Config

from .config.settings import SettingError, Settings
from .configure import (
    HubInputs,
    apply,
    configure_services,
    dashboards_prefix,
    datasets_prefix,
    gateway_environment,
    template_vars,
    widgets_environment,
)

# What the chart sets and Agora's `apply` would overwrite: the proxy in a pod of its own,
# KubeSpawner and its profiles, where the hub listens and is reached, user pods kept when
# the hub restarts, the user image's own jupyterhub-singleuser, the site's user variables.
CHART_KEYS = (
    ("JupyterHub", "spawner_class"),
    ("JupyterHub", "hub_bind_url"),
    ("JupyterHub", "hub_connect_url"),
    ("JupyterHub", "cleanup_servers"),
    ("ConfigurableHTTPProxy", "api_url"),
    ("ConfigurableHTTPProxy", "should_start"),
    ("Spawner", "cmd"),
    ("KubeSpawner", "profile_list"),
    ("KubeSpawner", "environment"),  # singleuser.extraEnv: the site's own variables
)


@dataclass(frozen=True)
class ChartNames:
    """Names of the chart's Services, as the chart's `get_name` gives them."""

    hub: str = "hub"
    proxy_public: str = "proxy-public"
    dashboards: str = "agora-dashboards"  # deploy/kubernetes/dashboards.yaml's Service


# The dashboards pod's API token, in the hub's environment from the Secret agora-dashboards
DASHBOARDS_TOKEN_ENV = "AGORA_DASHBOARDS_API_TOKEN"
# What a hub-managed service has that an external one must not: the hub starts no process
MANAGED_ONLY = ("command", "environment", "cwd", "user")


def chart_values(c: Config) -> dict:
    """The values of `CHART_KEYS` the chart has set on `c`."""
    return {(section, key): c[section][key] for section, key in CHART_KEYS
            if section in c and key in c[section]}


def reached_at(service: dict, host: str) -> dict:
    """A service whose URL is on loopback, reached at `host` (the hub pod's Service)."""
    url = service.get("url", "")
    if not url.startswith("http://127.0.0.1:"):
        return service
    return {**service, "url": url.replace("127.0.0.1", host, 1)}


def workspace_environment(s: Settings, names: ChartNames) -> dict[str, str]:
    """What a user pod reads: the datasets service through the proxy's Service, the
    dashboards' publish API on their own pod's Service, the widgets' settings, dask-gateway's."""
    return {"AGORA_DATASETS_URL": f"http://{names.proxy_public}{datasets_prefix(s)}",
            "AGORA_DASHBOARDS_URL":
                f"http://{names.dashboards}:{s.dashboards.port}{dashboards_prefix(s)}",
            **widgets_environment(s), **gateway_environment(s)}


def dashboards_token(environ: Mapping[str, str]) -> str:
    """The dashboards pod's API token as the hub reads it; a clear error when it is missing."""
    token = environ.get(DASHBOARDS_TOKEN_ENV, "")
    if len(token) < 32:
        fix = ("kubectl -n agora create secret generic agora-dashboards "
               "--from-literal=api-token=\"$(openssl rand -hex 32)\" (docs/deploy-kubernetes.md, "
               "step 2), then restart the hub")
        # raised in the chart's config file, outside the settings' problem report: all in one line
        raise SettingError(DASHBOARDS_TOKEN_ENV, f"{DASHBOARDS_TOKEN_ENV}: the dashboards pod's "
                           f"API token is missing or shorter than 32 characters; fix: {fix}", fix)
    return token


def external(service: dict, token: str) -> dict:
    """A hub-managed service definition as an external one: no process, a fixed token."""
    kept = {k: v for k, v in service.items() if k not in MANAGED_ONLY}
    return {**kept, "api_token": token, "oauth_client_id": f"service-{service['name']}"}


def in_cluster(service: dict, names: ChartNames, dashboards_api_token: str) -> dict:
    """A service as the chart's hub registers it: dashboards external, others reached at the
    hub pod's Service."""
    if service["name"] == "dashboards":
        return external(service, dashboards_api_token)
    return reached_at(service, names.hub)


def without_shared_announcement(s: Settings) -> dict:
    """The page variables, never the shared-mode warning: each workspace is a pod of its own."""
    return {k: v for k, v in template_vars(s).items() if k != "announcement"}


class GroupProfiles:
    """KubeSpawner's `profile_list` as a callable: the profiles whose `agora_groups` share a
    group with the user (a profile without `agora_groups` is offered to everyone)."""

    def __init__(self, profiles: list[dict]):
        self.profiles = [dict(p) for p in profiles]

    def for_groups(self, groups: set[str]) -> list[dict]:
        offered = [p for p in self.profiles
                   if not p.get("agora_groups") or groups & set(p["agora_groups"])]
        return [{k: v for k, v in p.items() if k != "agora_groups"} for p in offered]

    def __call__(self, spawner) -> list[dict]:
        return self.for_groups({group.name for group in spawner.user.groups})

    def __eq__(self, other) -> bool:
        return isinstance(other, GroupProfiles) and other.profiles == self.profiles


def configure_kubernetes(c: Config, s: Settings, inputs: HubInputs, names: ChartNames,
                         chart: dict, dashboards_api_token: str) -> None:
    """After `apply`: the chart's values back, services and workspaces wired to the chart."""
    for (section, key), value in chart.items():
        c[section][key] = value
    services = Config()
    configure_services(services, s, inputs)
    c.JupyterHub.services = [in_cluster(svc, names, dashboards_api_token)
                             for svc in services.JupyterHub.services]
    c.JupyterHub.template_vars = without_shared_announcement(s)
    # KubeSpawner's section wins over Spawner's: Agora's variables join singleuser.extraEnv
    site = chart.get(("KubeSpawner", "environment")) or {}
    c.KubeSpawner.environment = {**site, **workspace_environment(s, names)}
    profiles = chart.get(("KubeSpawner", "profile_list"))
    if isinstance(profiles, list):
        c.KubeSpawner.profile_list = GroupProfiles(profiles)


def configure_in_chart(c: Config, s: Settings, inputs: HubInputs = HubInputs(),
                       names: ChartNames = ChartNames(),
                       environ: Mapping[str, str] | None = None) -> None:
    """Agora's whole configuration on a `c` the chart's jupyterhub_config.py has filled;
    `environ` (the hub's) holds the dashboards pod's token."""
    token = dashboards_token({} if environ is None else environ)
    chart = chart_values(c)
    apply(c, s, inputs)
    configure_kubernetes(c, s, inputs, names, chart, token)
