"""User pods per profile: KubeSpawner's manifest from the effective hub config, with a
kubeconfig that names a cluster no test contacts."""

from types import SimpleNamespace

import pytest

KUBECONFIG = """apiVersion: v1
kind: Config
current-context: never-contacted
clusters: [{name: none, cluster: {server: "https://127.0.0.1:1"}}]
contexts: [{name: never-contacted, context: {cluster: none, user: none}}]
users: [{name: none, user: {}}]
"""
IMAGE = "registry.example.org/agora/singleuser:0.1.0"
PROFILES = [  # group, profile, cpu limit, memory limit
    ("analysts", "analyst", 2, 4 * 2**30),
    ("analysts-large", "analyst-large", 4, 16 * 2**30),
    ("schedulers", "scheduler", 1, 2 * 2**30),
]


@pytest.fixture
def kubeconfig(tmp_path, monkeypatch):
    from kubernetes_asyncio.config import kube_config

    path = tmp_path / "kubeconfig"
    path.write_text(KUBECONFIG)
    monkeypatch.setenv("KUBECONFIG", str(path))
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(path))
    return path


def user(name: str, *groups: str):
    return SimpleNamespace(name=name, id=1, url=f"/user/{name}/",
                           groups=[SimpleNamespace(name=g) for g in groups])


async def pod_for(config, who, profile: str | None) -> dict:
    from kubernetes_asyncio.client import ApiClient
    from kubespawner import KubeSpawner

    spawner = KubeSpawner(_mock=True, config=config, user=who)
    try:
        spawner.user_options = {"profile": profile} if profile else {}
        await spawner.load_user_options()
        return ApiClient().sanitize_for_serialization(await spawner.get_pod_manifest())
    finally:
        await spawner.api.api_client.close()


def offered(config, *groups) -> list[str]:
    return [p["slug"] for p in config.KubeSpawner.profile_list(SimpleNamespace(user=user("u", *groups)))]


def test_each_group_is_offered_its_own_profiles(hub_config):
    assert offered(hub_config, "analysts") == ["analyst"]
    assert offered(hub_config, "analysts", "analysts-large") == ["analyst", "analyst-large"]
    assert offered(hub_config, "schedulers") == ["scheduler"]
    assert offered(hub_config, "officials") == []


@pytest.mark.parametrize("group,profile,cpu,memory", PROFILES)
async def test_profile_pod_image_resources_and_environment(hub_config, kubeconfig, group, profile,
                                                           cpu, memory):
    pod = await pod_for(hub_config, user("ana", group), profile)
    container = pod["spec"]["containers"][0]
    assert container["image"] == IMAGE and container["args"] == ["jupyterhub-singleuser"]
    assert container["resources"]["limits"] == {"cpu": cpu, "memory": memory}
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["AGORA_PROFILE"] == profile
    assert env["AGORA_DATASETS_URL"] == "http://proxy-public/services/datasets/"
    assert env["AGORA_DASHBOARDS_URL"] == "http://agora-dashboards:8084/services/dashboards/"


async def test_a_profile_of_another_group_is_refused(hub_config, kubeconfig):
    with pytest.raises(ValueError):
        await pod_for(hub_config, user("ana", "analysts"), "analyst-large")


@pytest.mark.parametrize("group,profile,_cpu,_memory", PROFILES)
async def test_profile_pod_runs_without_root(hub_config, kubeconfig, group, profile, _cpu, _memory):
    pod = await pod_for(hub_config, user("ana", group), profile)
    spec = pod["spec"]
    assert "initContainers" not in spec  # no privileged iptables container
    context = spec["containers"][0]["securityContext"]
    assert context["runAsNonRoot"] is True and context["runAsUser"] == 1000
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert not context.get("privileged")
    assert spec["automountServiceAccountToken"] is False


async def test_home_is_a_persistent_volume_of_the_user(hub_config, kubeconfig):
    pod = await pod_for(hub_config, user("ana", "analysts"), None)
    assert pod["spec"]["volumes"] == [{"name": "volume-ana",
                                       "persistentVolumeClaim": {"claimName": "claim-ana"}}]
    mounts = pod["spec"]["containers"][0]["volumeMounts"]
    assert mounts == [{"mountPath": "/home/jovyan", "name": "volume-ana"}]
    assert pod["spec"]["securityContext"] == {"fsGroup": 100}
