"""deploy/kubernetes/values.yaml against the chart's values.schema.yaml (JSON Schema draft 7),
merged over the chart's defaults as Helm does before it validates."""

from functools import cache

import jsonschema
import yaml

from .chart import agora_values


def helm_merge(defaults: dict, values: dict) -> dict:
    """Helm's coalescing: maps merge key by key, anything else replaces, null deletes."""
    merged = dict(defaults)
    for key, value in values.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = helm_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


@cache
def chart_yaml(chart, name: str) -> dict:
    return yaml.safe_load((chart / name).read_text())


def schema_errors(chart, values: dict) -> list[str]:
    merged = helm_merge(chart_yaml(chart, "values.yaml"), values)
    validator = jsonschema.Draft7Validator(chart_yaml(chart, "values.schema.yaml"))
    return [f"{'.'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(merged)]


def test_agora_values_validate_against_the_chart_schema(chart):
    assert schema_errors(chart, agora_values()) == []


def test_the_schema_catches_a_misplaced_key(chart):
    values = agora_values()
    values["hub"]["extraEnvironment"] = values["hub"].pop("extraEnv")
    assert any("extraEnvironment" in error for error in schema_errors(chart, values))
