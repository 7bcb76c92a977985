"""The hub pod's configuration, evaluated as JupyterHub would load it in the cluster.

The rendered ConfigMap and Secret are laid out under a temporary folder standing for the
pod's filesystem (the chart's files read `/usr/local/etc/jupyterhub/...`: only that prefix is
moved); the chart's own jupyterhub_config.py then runs through traitlets' PyFileConfigLoader,
with the hub container's environment and Kubernetes' service variables, and runs Agora's
`hub.extraConfig`. What the image or a volume provides is mapped by `POD_PATHS`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from .chart import ROOT, find, hub_container, pod_env, secret_files

CHART_ETC = "/usr/local/etc/jupyterhub"
# what the hub image (deploy/kubernetes/hub/Dockerfile) and the volumes provide in the pod
POD_PATHS = {
    "AGORA_DATA__CATALOG_DIR": ROOT / "catalogs",
    "AGORA_REPORTS__SCHEDULES_DIR": ROOT / "report_schedules",
    "AGORA_REPORTS__TEMPLATES_DIR": ROOT / "report_templates",
}
# the operator's agora-secrets, without the optional SMTP password
OPERATOR_SECRETS = {"oidc-client-secret": "oidc-secret-for-tests",
                    "pseudonym-key": "5e" * 32}  # openssl rand -hex 32
# the operator's agora-dashboards: the dashboards pod's API token, the hub registers it
DASHBOARDS_SECRET = {"api-token": "d7" * 32}  # openssl rand -hex 32


def volume_sources(objects: list[dict]) -> dict[str, dict[str, str]]:
    """The files of the hub's config, secret and files volumes, by volume name."""
    configmap = find(objects, "ConfigMap", "hub")["data"]
    secret = secret_files(find(objects, "Secret", "hub"))
    return {"config": configmap, "secret": secret, "files": secret}


def lay_out(objects: list[dict], pod_root: Path) -> None:
    """Write what the hub container mounts from the ConfigMap and Secret under `pod_root`."""
    sources = volume_sources(objects)
    for mount in hub_container(objects)["volumeMounts"]:
        files = sources.get(mount["name"])
        if files is None:
            continue  # the PVCs: mapped by hub_environment
        target = pod_root / mount["mountPath"].lstrip("/")
        if "subPath" in mount:
            write(target, files[mount["subPath"]], pod_root)
        else:
            for name, text in files.items():
                write(target / name, text, pod_root)


def write(path: Path, text: str, pod_root: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.replace(CHART_ETC, str(pod_root) + CHART_ETC))


def service_variables(objects: list[dict]) -> dict[str, str]:
    """What Kubernetes sets for each Service: <NAME>_SERVICE_HOST and _PORT."""
    env = {}
    for svc in (o for o in objects if o["kind"] == "Service"):
        name = svc["metadata"]["name"].upper().replace("-", "_")
        env[f"{name}_SERVICE_HOST"] = "10.0.0.1"
        env[f"{name}_SERVICE_PORT"] = str(svc["spec"]["ports"][0]["port"])
    return env


def hub_environment(objects: list[dict], pod_root: Path) -> dict[str, str]:
    secrets = {"agora-secrets": OPERATOR_SECRETS, "agora-dashboards": DASHBOARDS_SECRET,
               "hub": secret_files(find(objects, "Secret", "hub"))}
    env = {**pod_env(hub_container(objects), secrets), **service_variables(objects)}
    env["AGORA_CONFIG"] = str(pod_root / env["AGORA_CONFIG"].lstrip("/"))
    env["AGORA_HUB__DATA_DIR"] = str(pod_root / "srv/jupyterhub/agora")  # the hub's PVC
    env["AGORA_DATA__STORE_DIR"] = str(pod_root / "srv/agora/store")  # agora-store
    return {**env, **{k: str(v) for k, v in POD_PATHS.items()}}


def effective_config(objects: list[dict], pod_root: Path) -> Config:
    """The chart's jupyterhub_config.py (with Agora's extraConfig) evaluated; the
    process-wide state it changes (sys.path, the HTTP client, the services' spawner) is
    put back afterwards."""
    pytest.importorskip("pycurl", reason="the chart's config selects tornado's curl client")
    from jupyterhub.services import service
    from tornado.httpclient import AsyncHTTPClient

    lay_out(objects, pod_root)
    config_dir = pod_root / CHART_ETC.lstrip("/")
    stock_spawner = service._ServiceSpawner
    with pytest.MonkeyPatch.context() as patch:
        for name in [n for n in __import__("os").environ if n.startswith("AGORA_")]:
            patch.delenv(name)
        for name, value in hub_environment(objects, pod_root).items():
            patch.setenv(name, value)
        patch.setattr(sys, "path", list(sys.path))
        try:
            return PyFileConfigLoader("jupyterhub_config.py", path=str(config_dir)).load_config()
        finally:
            sys.modules.pop("z2jh", None)
            AsyncHTTPClient.configure(None)
            service._ServiceSpawner = stock_spawner
