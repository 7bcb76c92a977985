"""The chart rendered with Agora's values: the objects an operator's cluster would get."""

import yaml

from hub.config.loading import load_settings

from .chart import ROOT, find, hub_container, manifests, secret_files

SERVICE_PORTS = {"datasets": 8082, "portal": 8083, "scheduler": 8085}  # dashboards: own pod


def kinds_and_names(objects):
    return {(o["kind"], o["metadata"]["name"]) for o in objects}


def test_hub_proxy_and_their_services_are_rendered(objects):
    expected = {("Deployment", "hub"), ("Deployment", "proxy"), ("ConfigMap", "hub"),
                ("Secret", "hub"), ("Service", "hub"), ("Service", "proxy-api"),
                ("Service", "proxy-public"), ("PersistentVolumeClaim", "hub-db-dir"),
                ("Ingress", "jupyterhub"), ("NetworkPolicy", "hub"), ("NetworkPolicy", "proxy"),
                ("NetworkPolicy", "singleuser")}
    assert expected <= kinds_and_names(objects)
    assert find(objects, "Deployment", "hub")["spec"]["replicas"] == 1


def test_the_hub_service_exposes_agoras_services(objects):
    ports = {p["name"]: p["port"] for p in find(objects, "Service", "hub")["spec"]["ports"]}
    assert ports == {"hub": 8081, **SERVICE_PORTS}


def test_the_public_side_is_an_ingress_with_tls(objects):
    assert find(objects, "Service", "proxy-public")["spec"]["type"] == "ClusterIP"
    ingress = find(objects, "Ingress", "jupyterhub")["spec"]
    assert [rule["host"] for rule in ingress["rules"]] == ["data.example.org"]
    assert ingress["tls"] == [{"hosts": ["data.example.org"], "secretName": "agora-tls"}]


def test_the_settings_file_is_mounted_and_loads(objects, tmp_path):
    container = hub_container(objects)
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert mounts["/etc/agora/workspace.yaml"]["subPath"] == "agora-settings"
    assert mounts["/srv/agora/store"]["name"] == "agora-store"
    env = {e["name"]: e for e in container["env"]}
    assert env["AGORA_CONFIG"]["value"] == "/etc/agora/workspace.yaml"
    path = tmp_path / "workspace.yaml"
    path.write_text(secret_files(find(objects, "Secret", "hub"))["agora-settings"])
    s = load_settings(path, environ={"AGORA_AUTH__OIDC__CLIENT_SECRET": "x"})
    assert s.auth.mode == "oidc" and s.services.listen_host == "0.0.0.0"
    assert str(s.store_dir) == "/srv/agora/store" and str(s.data_dir) == "/srv/jupyterhub/agora"


def test_secrets_come_from_the_operators_secret_only(objects):
    env = {e["name"]: e for e in hub_container(objects)["env"]}
    for name in ("AGORA_AUTH__OIDC__CLIENT_SECRET", "AGORA_PSEUDONYM_KEY", "AGORA_SMTP_PASSWORD"):
        assert env[name]["valueFrom"]["secretKeyRef"]["name"] == "agora-secrets"
    settings = yaml.safe_load((ROOT / "deploy/kubernetes/values.yaml").read_text())
    assert "client_secret" not in settings["hub"]["extraFiles"]["agora-settings"]["data"]["auth"]["oidc"]


def test_the_hub_runs_without_root(objects):
    context = hub_container(objects)["securityContext"]
    assert context["runAsUser"] != 0 and context["allowPrivilegeEscalation"] is False


def rule_ports(rule) -> set[int]:
    return {p["port"] for p in rule.get("ports", [])}


def sources(rule) -> set[str]:
    return {f.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/component", "")
            for f in rule.get("from", [])}


def test_network_policies_open_exactly_the_service_ports(objects):
    hub_in = find(objects, "NetworkPolicy", "hub")["spec"]["ingress"]
    assert [rule_ports(r) for r in hub_in if "proxy" in sources(r)] == [{8082, 8083, 8085}]
    assert not [r for r in hub_in if "singleuser-server" in sources(r)]  # dashboards: own pod
    assert {8084} not in [rule_ports(r) for r in hub_in]
    labels = find(objects, "Deployment", "hub")["spec"]["template"]["metadata"]["labels"]
    assert labels["hub.jupyter.org/network-access-hub"] == "true"  # its services call its API
    proxy_out = find(objects, "NetworkPolicy", "proxy")["spec"]["egress"]
    assert {8082, 8083, 8085} in [rule_ports(r) for r in proxy_out]
    user_out = find(objects, "NetworkPolicy", "singleuser")["spec"]["egress"]
    to_dashboards = [r for r in user_out if {8084} == rule_ports(r)]
    assert [dict(to["podSelector"]["matchLabels"]) for to in to_dashboards[0]["to"]] == \
        [{"app.kubernetes.io/component": "dashboards"}]


def test_the_extra_manifests_point_at_the_dashboards_pod():
    extra = [*manifests("dashboards-ingress.yaml"), *manifests("store-pvc.yaml")]
    backend = find(extra, "Ingress", "agora-dashboards")["spec"]["rules"][0]["http"]["paths"][0]
    assert backend["backend"]["service"] == {"name": "agora-dashboards", "port": {"number": 8084}}
    service = find(manifests("dashboards.yaml"), "Service", "agora-dashboards")["spec"]
    assert service["ports"] == [{"name": "dashboards", "port": 8084, "targetPort": "dashboards"}]
    claim = find(extra, "PersistentVolumeClaim", "agora-store")["spec"]
    assert claim["accessModes"] == ["ReadWriteMany"]
