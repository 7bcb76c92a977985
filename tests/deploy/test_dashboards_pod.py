"""The dashboards service in a pod of its own (deploy/kubernetes/dashboards.yaml), read as an
operator would: what its kernels can reach, how it runs, how the hub knows it."""

from hub.config.loading import load_settings
from hub.services.dashboards.__main__ import voila_config
from hub.services.dashboards.kernels import kernel_environment

from .chart import find, hub_container, manifests, pod_env, secret_files
from .hub_pod import DASHBOARDS_SECRET, OPERATOR_SECRETS
from .kernel_reach import readable_by_a_kernel

# what the kernels' accounts need of root, and nothing else (kernel_accounts.py, kernels.py)
KERNEL_SWITCH_CAPABILITIES = {"CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL", "SETUID", "SETGID"}


def dashboards_pod() -> dict:
    return find(manifests("dashboards.yaml"), "Deployment", "agora-dashboards")["spec"]["template"]


def contents(objects) -> dict[str, dict[str, str]]:
    """The Secrets and ConfigMaps the pods could mount, by kind/name."""
    return {"Secret/hub": secret_files(find(objects, "Secret", "hub")),
            "ConfigMap/hub": find(objects, "ConfigMap", "hub")["data"],
            "Secret/agora-secrets": OPERATOR_SECRETS, "Secret/agora-dashboards": DASHBOARDS_SECRET}


def secret_values(objects) -> set[str]:
    """Every secret the hub pod holds: the chart's Secret's values, the operator's Secrets."""
    chart = {v for k, v in secret_files(find(objects, "Secret", "hub")).items()
             if k != "agora-settings" and k != "values.yaml"}
    return {*chart, *OPERATOR_SECRETS.values(), *DASHBOARDS_SECRET.values()}


def dashboards_environment(objects, tmp_path) -> dict[str, str]:
    """The dashboards container's environment, its settings file laid out under `tmp_path`."""
    container = dashboards_pod()["spec"]["containers"][0]
    env = pod_env(container, {"agora-dashboards": DASHBOARDS_SECRET})
    settings = tmp_path / "workspace.yaml"
    settings.write_text(secret_files(find(objects, "Secret", "hub"))["agora-settings"])
    return {**env, "AGORA_CONFIG": str(settings)}


def test_the_hub_pod_mounts_the_chart_secret_readable_by_any_account(objects):
    """Why the kernels left the hub pod (decision 0008): the chart mounts its Secret 0644,
    with no value to change it, and the hub's API token for Kubernetes beside it."""
    hub = find(objects, "Deployment", "hub")["spec"]["template"]["spec"]
    readable = {f.source for f in readable_by_a_kernel(hub, hub_container(objects), contents(objects))}
    assert "Secret/hub:hub.config.JupyterHub.cookie_secret" in readable
    assert "Secret/hub:hub.config.ConfigurableHTTPProxy.auth_token" in readable
    assert "ServiceAccount token" in readable


def test_no_secret_file_is_in_a_kernels_reach(objects):
    pod = dashboards_pod()["spec"]
    container = pod["containers"][0]
    assert readable_by_a_kernel(pod, container, contents(objects)) == []
    assert pod["automountServiceAccountToken"] is False
    assert "fsGroup" not in pod.get("securityContext", {})  # no group a kernel could share


def test_of_the_hubs_secret_only_the_settings_file_is_mounted_and_it_holds_no_secret(objects):
    pod = dashboards_pod()["spec"]
    secrets = [v["secret"] for v in pod["volumes"] if "secret" in v]
    assert secrets == [{"secretName": "hub", "defaultMode": 0o400,
                        "items": [{"key": "agora-settings", "path": "agora-settings"}]}]
    settings = secret_files(find(objects, "Secret", "hub"))["agora-settings"]
    assert not [value for value in secret_values(objects) if value in settings]


def test_no_hub_volume_and_no_hub_secret_in_the_environment(objects):
    pod = dashboards_pod()["spec"]
    claims = [v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"]
              if "persistentVolumeClaim" in v]
    assert claims == ["agora-dashboards"]  # never hub-db-dir (hub database, audit, tokens)
    container = pod["containers"][0]
    assert "envFrom" not in container
    refs = {(e["valueFrom"]["secretKeyRef"]["name"], e["valueFrom"]["secretKeyRef"]["key"])
            for e in container["env"] if "valueFrom" in e}
    assert refs == {("agora-dashboards", "api-token"), ("agora-dashboards", "state-db-url")}


def test_kernels_get_a_clean_environment_without_any_secret(objects, tmp_path):
    env = dashboards_environment(objects, tmp_path)
    settings = load_settings(environ=env)
    extra = voila_config(settings, env, switching=False).DashboardKernelManager.extra_env
    kernel_env = kernel_environment(env, extra)
    assert not secret_values(objects) & set(kernel_env.values())
    assert not [name for name in kernel_env if name.startswith("JUPYTERHUB_")]
    assert kernel_env["AGORA_DATASETS_URL"] == "https://data.example.org/services/datasets/"


def test_the_service_runs_as_root_with_only_the_kernel_switching_capabilities():
    container = dashboards_pod()["spec"]["containers"][0]
    context = container["securityContext"]
    assert context["runAsUser"] == 0  # hub/services/dashboards/__main__.py: kernel accounts on
    assert context["allowPrivilegeEscalation"] is False and context["privileged"] is False
    assert context["capabilities"]["drop"] == ["ALL"]
    assert set(context["capabilities"]["add"]) == KERNEL_SWITCH_CAPABILITIES
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}


def test_its_settings_load_with_its_own_folders(objects, tmp_path):
    settings = load_settings(environ=dashboards_environment(objects, tmp_path))
    assert str(settings.data_dir) == "/srv/agora/dashboards"  # its own volume's publications
    assert str(settings.home_root) == "/home/agora-kernels"  # the kernels' homes
    mounts = {m["mountPath"]: m["name"] for m in dashboards_pod()["spec"]["containers"][0]["volumeMounts"]}
    assert mounts["/srv/agora/dashboards"] == "publications"
    assert settings.services.listen_host == "0.0.0.0" and settings.dashboards.port == 8084


def test_the_hub_registers_it_with_its_token_client_and_callback(objects, hub_config, tmp_path):
    env = dashboards_environment(objects, tmp_path)
    service = {s["name"]: s for s in hub_config.JupyterHub.services}["dashboards"]
    assert service["api_token"] == env["JUPYTERHUB_API_TOKEN"]
    assert service["oauth_client_id"] == env["JUPYTERHUB_CLIENT_ID"]
    assert env["JUPYTERHUB_API_URL"] == hub_config.JupyterHub.hub_connect_url + "/hub/api"
    oauth = voila_config(load_settings(environ=env), env, switching=False).HubOAuth
    assert service["oauth_redirect_uri"] == oauth.oauth_redirect_uri
    assert oauth.base_url == "/services/dashboards/"
    from jupyterhub.services.service import Service

    model = Service(**{k: v for k, v in service.items() if k != "api_token"}, base_url="/")
    assert model.kind == "external" and "oauth_redirect_uri" in model._oauth_specified
    assert env["JUPYTERHUB_OAUTH_ACCESS_SCOPES"] == '["access:services!service=dashboards"]'


def test_only_viewers_ingress_and_workspaces_reach_it_and_it_reaches_the_hub(objects):
    policy = find(manifests("dashboards.yaml"), "NetworkPolicy", "agora-dashboards")["spec"]
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    [rule] = policy["ingress"]
    assert rule["ports"] == [{"port": 8084}]
    sources = [f.get("podSelector", f.get("namespaceSelector"))["matchLabels"] for f in rule["from"]]
    assert sources == [{"kubernetes.io/metadata.name": "ingress-nginx"},
                       {"app.kubernetes.io/component": "singleuser-server"}]
    labels = dashboards_pod()["metadata"]["labels"]
    assert labels["hub.jupyter.org/network-access-hub"] == "true"  # the hub's policy lets it in
    hub_in = find(objects, "NetworkPolicy", "hub")["spec"]["ingress"]
    assert any({"hub.jupyter.org/network-access-hub": "true"} ==
               f.get("podSelector", {}).get("matchLabels") for r in hub_in for f in r.get("from", []))
