"""Loading the settings: the defaults, then the settings file, then ``AGORA_*`` variables.

The file is ``--config PATH``, else ``$AGORA_CONFIG``, else ``./workspace.yaml`` when it
exists; relative paths in it are relative to its folder. Every problem is reported at once.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import ValidationError

from .environment import env_keys, env_overrides
from .problems import ConfigProblems, Problem
from .settings import Settings
from .validation import validation_problems
from .yamlfile import load_yaml_with_lines

DEFAULT_FILE = "workspace.yaml"


def settings_file(explicit: str | os.PathLike | None, environ: dict) -> Path | None:
    """The settings file to read, or None for the embedded default."""
    if explicit:
        return Path(explicit)
    if environ.get("AGORA_CONFIG"):
        return Path(environ["AGORA_CONFIG"])
    default = Path(DEFAULT_FILE)
    return default if default.exists() else None


def _merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _absolute(value: str, base: Path) -> str:
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else (base / path).resolve())


PATH_KEYS = {"data": ("catalog_dir", "sources_dir", "store_dir"),
             "reports": ("schedules_dir", "templates_dir")}


def _resolve_paths(data: dict, base: Path) -> dict:
    """Relative paths in the settings are relative to the settings file's folder."""
    hub = dict(data.get("hub") or {})
    hub["data_dir"] = _absolute(hub.get("data_dir") or ".agora", base)
    resolved = {**data, "hub": hub}
    for name, keys in PATH_KEYS.items():
        if isinstance(data.get(name), dict):
            section = dict(data[name])
            for key in keys:
                if isinstance(section.get(key), str):
                    section[key] = _absolute(section[key], base)
            resolved[name] = section
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
        raise ConfigProblems(validation_problems(exc, file, lines, env_keys(overrides))) from None
