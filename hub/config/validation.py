"""Pydantic validation errors of the settings as Problems: file (or variable), line, key, fix."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from .environment import ENV_PREFIX
from .problems import Problem
from .settings import SettingError, model_for
from .yamlfile import line_for


def _fix_for(loc: tuple, error: dict) -> str:
    parent = model_for(loc[:-1])
    if error["type"] == "extra_forbidden" and parent is not None:
        return "remove it or use one of: " + ", ".join(sorted(parent.model_fields))
    if error["type"] == "missing":
        field = parent.model_fields.get(loc[-1]) if parent else None
        return f"add it ({field.description})" if field and field.description else "add it"
    field = parent.model_fields.get(loc[-1]) if parent and loc else None
    if field is not None and field.description:
        return f"expected: {field.description}"
    return ""


def validation_problems(exc: ValidationError, path: Path | None, lines: dict, env_keys: set) -> list:
    problems = []
    for error in exc.errors():
        loc = tuple(str(part) for part in error["loc"])
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, SettingError):
            loc = loc + tuple(cause.key.split("."))
        key = ".".join(loc)
        from_env = key in env_keys
        fallback = str(path) if path else ("(environment)" if env_keys else "(defaults)")
        file = (ENV_PREFIX + "__".join(p.upper() for p in loc)) if from_env else fallback
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        fix = cause.fix if isinstance(cause, SettingError) else _fix_for(loc, error)
        problems.append(Problem(file, key, message, fix,
                                None if from_env else line_for(lines, key)))
    return problems
