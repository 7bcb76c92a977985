"""The settings reference, generated from the settings model in hub/config/settings.py.

    python -m hub.config.reference > docs/settings-reference.md

One Markdown table per section (key, type, default, environment variable, description), in
the model's order, nested sections (such as ``auth.oidc``) after their parent. The text
depends only on the model, so tests/unit/test_docs.py can compare the committed file with a
fresh rendering.
"""

from __future__ import annotations

import sys
import typing
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from .environment import ENV_PREFIX
from .settings import Settings, model_for

HEADER = """\
# Settings reference

<!-- Generated from hub/config/settings.py: run `python -m hub.config.reference > docs/settings-reference.md`
     after changing a setting. tests/unit/test_docs.py fails when this file is out of date. -->

Every key of `workspace.yaml`, by section. Each key can also be set with the environment
variable shown (`AGORA_<SECTION>__<KEY>`, nested sections joined by `__`); its value is read as
a YAML scalar, so `AGORA_AUTH__OIDC__ALLOWED_GROUPS='[staff, elus]'` is a list. Precedence,
lowest first: these defaults, the settings file, the environment. See
[the admin guide](admin-guide.md#settings) for how the layers combine and
[workspace.example.yaml](../workspace.example.yaml) for a commented example.
"""

COLUMNS = "| key | type | default | environment variable | description |\n|---|---|---|---|---|"


@dataclass(frozen=True)
class Section:
    key: str
    description: str
    model: type[BaseModel]
    optional: bool


def submodel(annotation) -> type[BaseModel] | None:
    """The settings model inside `annotation` (`X` or `X | None`), if any."""
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def sections(model: type[BaseModel] = Settings, prefix: str = "") -> list[Section]:
    """Every section under `model`, depth first, each right after its parent."""
    found = []
    for name, field in model.model_fields.items():
        sub = submodel(field.annotation)
        if sub is None or field.exclude:
            continue
        key = f"{prefix}.{name}" if prefix else name
        found.append(Section(key, field.description or "", sub, field.default is None))
        found += sections(sub, key)
    return found


def type_name(annotation) -> str:
    if typing.get_origin(annotation) is typing.Literal:
        return " or ".join(f"`{value}`" for value in typing.get_args(annotation))
    args = typing.get_args(annotation)
    if type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return " or ".join(type_name(a) for a in rest) + " or none"
    if typing.get_origin(annotation) is list:
        return f"list of {type_name(args[0])}"
    if typing.get_origin(annotation) is dict:
        return f"mapping of {type_name(args[0])} to {type_name(args[1])}"
    names = {Path: "path", SecretStr: "secret", str: "text", int: "integer", float: "number",
             bool: "boolean"}
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))


def constraints(field: FieldInfo) -> str:
    symbols = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
    parts = []
    for item in field.metadata:
        for attr, symbol in symbols.items():
            if getattr(item, attr, None) is not None:
                parts.append(f"{symbol} {getattr(item, attr)}")
        if getattr(item, "pattern", None):
            parts.append(f"matches `{item.pattern}`")
    return f" ({', '.join(parts)})" if parts else ""


def default_text(field: FieldInfo) -> str:
    if field.is_required():
        return "**required**"
    value = field.default
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if value is None:
        return "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, list):
        return f"`[{', '.join(map(str, value))}]`"
    return f'`{value}`' if str(value) != "" else '`""`'


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def prose(text: str) -> str:
    """Description text: `<data_dir>` would otherwise vanish as an unknown HTML tag."""
    return text.replace("<", "\\<")


def env_name(key: str) -> str:
    return ENV_PREFIX + "__".join(part.upper() for part in key.split("."))


def section_table(section: Section) -> str:
    intro = section.description
    if section.optional:
        intro += " Optional: absent unless set."
    rows = [f"## {section.key}", "", prose(intro.strip()), "", COLUMNS]
    for name, field in section.model.model_fields.items():
        if field.exclude or submodel(field.annotation) is not None:
            continue
        key = f"{section.key}.{name}"
        rows.append("| " + " | ".join(cell(text) for text in (
            f"`{key}`", type_name(field.annotation) + constraints(field), default_text(field),
            f"`{env_name(key)}`", prose(field.description or ""))) + " |")
    return "\n".join(rows)


def render() -> str:
    """The whole reference as Markdown, ending with a newline."""
    return "\n\n".join([HEADER.rstrip(), *(section_table(s) for s in sections())]) + "\n"


def main() -> int:
    sys.stdout.write(render())
    return 0



def documented_keys() -> list[str]:
    """Every settings key as a dotted path (the docs must mention each one)."""
    keys = []

    def walk(model: type[BaseModel], prefix: str):
        for name, field in model.model_fields.items():
            if field.exclude:
                continue
            dotted = f"{prefix}.{name}" if prefix else name
            sub = model_for(tuple(dotted.split(".")))
            if sub is not None:
                walk(sub, dotted)
            else:
                keys.append(dotted)

    walk(Settings, "")
    return keys


if __name__ == "__main__":
    sys.exit(main())
