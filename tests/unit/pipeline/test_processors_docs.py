"""docs/processors.md documents every processor, every param, and its examples are valid."""

import re
from pathlib import Path

import pytest
import yaml

from hub.pipeline import registry

DOC = (Path(__file__).parents[3] / "docs" / "processors.md").read_text(encoding="utf-8")


def _section(name: str) -> str:
    match = re.search(rf"^## {name}\n(.*?)(?=^## |\Z)", DOC, re.S | re.M)
    assert match, f"docs/processors.md has no section for {name}"
    return match.group(1)


@pytest.mark.parametrize("name", sorted(registry.processors()))
def test_every_processor_and_param_is_documented(name):
    section = _section(name)
    for field in registry.processor(name).Params.model_fields:
        assert f"`{field}`" in section, f"{name}: param {field} undocumented"
    assert "```yaml" in section


def test_every_yaml_example_validates_against_the_params():
    blocks = re.findall(r"```yaml\n(.*?)```", DOC, re.S)
    steps = [step for block in blocks for step in yaml.safe_load(block)["processors"]]
    assert {name for step in steps for name in step} == set(registry.processors())
    for step in steps:
        (name, params), = step.items()
        registry.processor(name).Params(**params)


def test_every_processor_has_a_summary_and_docstring():
    for name, cls in registry.processors().items():
        assert cls.summary and cls.__doc__ and f"- {name}:" in cls.__doc__, name
