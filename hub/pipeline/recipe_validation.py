"""Turn pydantic validation errors and unknown names into file:line Problems with a fix."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any, Literal, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from ..config.problems import Problem
from ..config.yamlfile import line_for

STEP_KEY = re.compile(r"^processors\.(\d+)(?:\.([^.]+))?")


def step_label(index: int, processor: str | None = None) -> str:
    """How `agora check` and `agora refresh` name a recipe step (0-based `index`): counted
    from 1, with its processor.

    >>> step_label(2, "rename"), step_label(0)
    ('step 3 (rename)', 'step 1')
    """
    return f"step {index + 1} ({processor})" if processor else f"step {index + 1}"


def readable_key(key: str) -> str:
    """A problem's dotted key with its step named as :func:`step_label` names it.

    >>> readable_key("processors.2.rename.columns"), readable_key("source.path")
    ('step 3 (rename).columns', 'source.path')
    """
    found = STEP_KEY.match(key)
    if found is None:
        return key
    return step_label(int(found[1]), found[2]) + key[found.end():]


def closest(name: str, choices: Iterable[str]) -> str | None:
    """The choice closest to `name` (difflib's ratio of 0.6 at least), or None.

    >>> closest("popu", ["code", "pop"]), closest("x", ["code"])
    ('pop', None)
    """
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=0.6)
    return close[0] if close else None


def suggest(name: str, choices: Iterable[str]) -> str:
    """A fix naming the closest choice first, then every choice."""
    choices = sorted(choices)
    close = closest(name, choices)
    hint = f"did you mean '{close}'? " if close else ""
    listed = ", ".join(choices) if choices else "(none registered)"
    return f"{hint}use one of: {listed}"


def _model_at(model: type[BaseModel] | None, loc: tuple) -> type[BaseModel] | None:
    """The pydantic model that holds the field at `loc` (None when not a model)."""
    for part in loc:
        field = getattr(model, "model_fields", {}).get(part) if model else None
        if field is None:
            return None
        candidates = [field.annotation, *getattr(field.annotation, "__args__", ())]
        model = next((c for c in candidates
                      if isinstance(c, type) and issubclass(c, BaseModel)), None)
    return model


def _literal_choices(annotation: Any) -> list[str]:
    """The allowed values of a Literal (also inside Optional[...])."""
    if get_origin(annotation) is Literal:
        return [str(value) for value in get_args(annotation)]
    return [c for arg in get_args(annotation) for c in _literal_choices(arg)]


def _fix(model: type[BaseModel], loc: tuple, error: dict) -> str:
    parent = _model_at(model, loc[:-1]) if loc else model
    fields = getattr(parent, "model_fields", {})
    if error["type"] == "extra_forbidden" and loc:
        return "remove it; " + suggest(loc[-1], fields)
    field = fields.get(loc[-1]) if loc else None
    if error["type"] == "missing":
        return f"add it ({field.description})" if field and field.description else "add it"
    if error["type"] == "literal_error" and field is not None:
        return suggest(error.get("input", ""), _literal_choices(field.annotation))
    if error["type"] in ("dict_type", "model_type", "model_attributes_type"):
        return "write a mapping (key: value lines, or {key: value})"
    if field is None:
        return ""
    if field.description:
        return f"expected: {field.description}"
    return "expected: " + getattr(field.annotation, "__name__", str(field.annotation))


def _message(error: dict) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key"
    if error["type"] == "missing":
        return "missing required key"
    return error["msg"].removeprefix("Value error, ")


LEADING_ZERO = re.compile(r"^[-+]?0[0-9_]+$")  # YAML 1.1: a number, octal when 0-7 only


def quote_hint(text: str, value: Any) -> str:
    """The fix for a plain YAML scalar that YAML 1.1 read as a boolean or a number.

    >>> quote_hint("on", True)
    'YAML reads on as true: quote it: "on"'
    >>> quote_hint("01001", 513)
    'YAML reads 01001 as the number 513: quote it: "01001"'
    """
    if isinstance(value, bool):
        read = "true" if value else "false"
    else:
        read = f"the number {value}" if str(value) != text else "a number"
    return f'YAML reads {text} as {read}: quote it: "{text}"'


def _unquoted(error: dict, key: str, lines: dict) -> tuple[str, str, str] | None:
    """(the key as written, its line's key, the text written) when text was expected where
    YAML read a plain scalar as a boolean or a number; else None."""
    if error["type"] == "invalid_key":  # a mapping key read as true, false or a number
        parent = key.rpartition(".")[0]
        key = f"{parent}.{error['input']}.[key]".lstrip(".")
    scalars = getattr(lines, "scalars", {})
    text = scalars.get(key)
    choices = str(error.get("ctx", {}).get("expected")) if error["type"] == "literal_error" else ""
    if text is None or not (error["type"] in ("invalid_key", "string_type")
                            or f"'{text}'" in choices):  # `case: off` is not a choice quoted
        return None
    if key.endswith(".[key]"):
        at = key.removesuffix(".[key]")
        return ".".join([*at.split(".")[:-1], text]), at, text
    return key, key, text


def _problem(error: dict, model: type[BaseModel], file: str, prefix: str,
             lines: dict) -> Problem:
    loc = tuple(str(part) for part in error["loc"])
    key = ".".join(part for part in (prefix, *loc) if part)
    unquoted = _unquoted(error, key, lines)
    if unquoted is None:
        return Problem(file, key, _message(error), _fix(model, loc, error), line_for(lines, key))
    shown, at, text = unquoted
    return Problem(file, shown, _message(error), quote_hint(text, error["input"]),
                   line_for(lines, at))


def from_validation(exc: ValidationError, model: type[BaseModel], file: str, prefix: str,
                    lines: dict[str, int]) -> list[Problem]:
    """One Problem per pydantic error; keys are dotted and prefixed (e.g. 'source.path')."""
    return [_problem(error, model, file, prefix, lines) for error in exc.errors()]


def leading_zero_problems(file: str, lines: dict) -> list[Problem]:
    """Numbers written with a leading zero (a code such as 01001, which YAML 1.1 reads as
    the octal number 513): never meant as a number in a recipe, and a validation rule or
    a lookup would compare them silently with the wrong value."""
    found = [(key, text) for key, text in getattr(lines, "scalars", {}).items()
             if LEADING_ZERO.match(text) and not key.endswith(".[key]")]
    return [Problem(file, key, "a number written with a leading zero",
                    quote_hint(text, yaml.safe_load(text)), line_for(lines, key))
            for key, text in found]


def validate(model: type[BaseModel], data: Any, file: str, prefix: str, lines: dict,
             problems: list[Problem]) -> BaseModel | None:
    """Validate `data`; on errors append them to `problems` and return None."""
    try:
        return model.model_validate({} if data is None else data)
    except ValidationError as exc:
        problems.extend(from_validation(exc, model, file, prefix, lines))
        return None
