"""Settings from environment variables: ``AGORA_<SECTION>__<KEY>``, e.g. ``AGORA_HUB__BIND_URL``.

Values are read as YAML scalars (``AGORA_AUTH__OIDC__ALLOWED_GROUPS='[staff, elus]'`` is a
list), except text and secret settings, which are taken verbatim.
"""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import SecretStr

from .settings import model_for

ENV_PREFIX = "AGORA_"


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
SECRET_TYPES = {SecretStr, SecretStr | None}


def is_secret_variable(name: str) -> bool:
    """Whether a settings variable holds a secret (the OIDC client secret, the demo password):
    the hub reads it; no service is handed it."""
    if not is_settings_variable(name):
        return False
    keys = [part.lower() for part in name[len(ENV_PREFIX):].split("__")]
    model = model_for(tuple(keys[:-1]))
    field = model.model_fields.get(keys[-1]) if model else None
    return field is not None and field.annotation in SECRET_TYPES


def _is_text_field(keys: list[str]) -> bool:
    """Text and secret settings are taken verbatim: YAML would cut `a #b` or turn `0123` into 83."""
    model = model_for(tuple(keys[:-1]))
    field = model.model_fields.get(keys[-1]) if model else None
    return field is not None and field.annotation in TEXT_TYPES


def env_keys(tree: dict, prefix: str = "") -> set[str]:
    keys = set()
    for key, value in tree.items():
        dotted = f"{prefix}.{key}" if prefix else key
        keys.add(dotted)
        if isinstance(value, dict):
            keys |= env_keys(value, dotted)
    return keys
