"""What a dashboard kernel's process could read in a pod, read off the rendered manifests.

A kernel runs as a throwaway account (kernel_accounts.py): not root, a group of its own, in
no other group. In a pod, the files it could open are those the kubelet writes for Secret,
ConfigMap and projected volumes: owned by root (group: the pod's fsGroup, else root), with
the item's `mode`, else the volume's `defaultMode`, else 0644 (Kubernetes' default). Such a
file is the kernel's to read when its "other" read bit is set. The processes' environments
are out of its reach (/proc/<pid>/environ of another account), its own is
`kernels.kernel_environment`; the service account token is a projected volume too.
"""

from __future__ import annotations

from dataclasses import dataclass

KUBERNETES_DEFAULT_MODE = 0o644
TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"


@dataclass(frozen=True)
class MountedFile:
    path: str
    source: str  # "Secret/hub:hub.config.JupyterHub.cookie_secret", ...
    mode: int

    @property
    def readable_by_a_kernel(self) -> bool:
        return bool(self.mode & 0o004)


def volume_source(volume: dict, contents: dict[str, dict[str, str]]) -> tuple[str, dict, list]:
    """("Secret/<name>", the volume's source, its items) of a Secret or ConfigMap volume;
    the items default to every key of the object."""
    if "secret" in volume:
        ref = volume["secret"]
        source = f"Secret/{ref['secretName']}"
    else:
        ref = volume["configMap"]
        source = f"ConfigMap/{ref['name']}"
    items = ref.get("items") or [{"key": k, "path": k} for k in contents.get(source, {})]
    return source, ref, items


def file_path(mount: dict, item: dict) -> str:
    if "subPath" in mount:
        return mount["mountPath"]
    return f"{mount['mountPath'].rstrip('/')}/{item['path']}"


def mounted_files(pod_spec: dict, container: dict,
                  contents: dict[str, dict[str, str]]) -> list[MountedFile]:
    """Every file the kubelet writes into `container` from Secrets and ConfigMaps
    (`contents`: {"Secret/hub": {key: text}}), and the service account token."""
    volumes = {v["name"]: v for v in pod_spec.get("volumes", [])}
    found = []
    for mount in container.get("volumeMounts", []):
        volume = volumes[mount["name"]]
        if not {"secret", "configMap"} & set(volume):
            continue  # PVCs, emptyDirs: folders the service makes itself (mode 700)
        source, ref, items = volume_source(volume, contents)
        for item in items:
            if mount.get("subPath", item["path"]) != item["path"]:
                continue
            mode = item.get("mode", ref.get("defaultMode", KUBERNETES_DEFAULT_MODE))
            found.append(MountedFile(file_path(mount, item), f"{source}:{item['key']}", mode))
    if pod_spec.get("automountServiceAccountToken", True):
        found.append(MountedFile(f"{TOKEN_PATH}/token", "ServiceAccount token",
                                 KUBERNETES_DEFAULT_MODE))
    return found


def readable_by_a_kernel(pod_spec: dict, container: dict,
                         contents: dict[str, dict[str, str]]) -> list[MountedFile]:
    return [f for f in mounted_files(pod_spec, container, contents) if f.readable_by_a_kernel]
