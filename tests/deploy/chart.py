"""The Zero to JupyterHub chart read as an operator's cluster would: values, objects, hub files.

The chart (4.4.0) is reference material beside the project (`../shared/third_party/`), never
copied into it; `chart_dir()` says why a test cannot run when it is absent. Rendering uses
the Helm SDK bundled in PyPI's helm-python-sdk, offline.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT.parent / "shared" / "third_party" / "zero-to-jupyterhub-4.4.0" / "jupyterhub"
DEPLOY = ROOT / "deploy" / "kubernetes"
VALUES = DEPLOY / "values.yaml"
RELEASE, NAMESPACE = "agora", "agora"


def chart_dir() -> Path:
    if not (CHART / "values.schema.yaml").is_file():
        pytest.skip(f"the Z2JH chart 4.4.0 is not at {CHART} (shared/third_party/README.md)")
    return CHART


def agora_values() -> dict:
    return yaml.safe_load(VALUES.read_text())


def manifests(name: str) -> list[dict]:
    """The objects of one of deploy/kubernetes' files applied beside the chart (kubectl)."""
    return [doc for doc in yaml.safe_load_all((DEPLOY / name).read_text()) if doc]


def render(values: dict) -> list[dict]:
    """Every object `helm template` would print for `values` (NOTES.txt left out)."""
    helm = pytest.importorskip("helm_python", reason="helm-python-sdk renders the chart")
    manifests = helm.Chart.load(str(chart_dir())).render(values=values, name=RELEASE,
                                                         namespace=NAMESPACE)
    return [doc for path, text in sorted(manifests.items()) if path.endswith(".yaml")
            for doc in yaml.safe_load_all(text) if doc]


def find(objects: list[dict], kind: str, name: str) -> dict:
    matches = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert matches, f"no {kind}/{name} among {[(o['kind'], o['metadata']['name']) for o in objects]}"
    return matches[0]


def secret_files(secret: dict) -> dict[str, str]:
    """A Secret's files as the pod reads them: stringData, and data decoded."""
    files = dict(secret.get("stringData") or {})
    for key, value in (secret.get("data") or {}).items():
        files[key] = base64.b64decode(value).decode()
    return files


def hub_container(objects: list[dict]) -> dict:
    return find(objects, "Deployment", "hub")["spec"]["template"]["spec"]["containers"][0]


def pod_env(container: dict, secrets: dict[str, dict[str, str]]) -> dict[str, str]:
    """The container's environment as the kubelet builds it: secretKeyRef values read from
    `secrets` ({Secret name: files}), an optional key left out when missing, a required one
    an error (the pod would not start); other fieldRefs get a stand-in."""
    env = {}
    for item in container.get("env", []):
        ref = item.get("valueFrom", {}).get("secretKeyRef")
        if "value" in item:
            env[item["name"]] = item["value"]
        elif ref is None:
            env[item["name"]] = "from-field"
        elif ref["key"] in secrets.get(ref["name"], {}):
            env[item["name"]] = secrets[ref["name"]][ref["key"]]
        else:
            assert ref.get("optional"), f"{item['name']}: no key {ref['key']} in Secret {ref['name']}"
    return env
