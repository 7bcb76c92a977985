"""The registry: built-ins by name, did-you-mean for unknown names, third-party plugins found
through their distribution's entry points, and broken or clashing plugins refused."""

import sys

import pytest

from hub.cli.main import main
from hub.config.problems import ConfigProblems
from hub.pipeline import registry
from hub.pipeline.connectors.files import CsvConnector
from hub.pipeline.recipe import load_catalog
from hub.pipeline.refresh import RefreshEnv, refresh_many
from hub.pipeline.store import SnapshotStore

PACKAGE = "agora_example_plugin"

PLUGIN = '''\
"""A third-party connector and processor, as a distribution would ship them."""

import pandas as pd

from hub.pipeline.interfaces import Connector, Params, Processor, SourceData, fingerprint_bytes


class CountParams(Params):
    rows: int


class CountTo(Connector):
    name, summary, Params = "count_to", "the numbers 0 to rows - 1", CountParams

    def fetch(self):
        frame = pd.DataFrame({"n": range(self.params.rows)})
        return SourceData(frame, fingerprint_bytes(str(self.params.rows).encode()))


class MultiplyParams(Params):
    column: str
    by: int = 2


class Multiply(Processor):
    name, summary, Params = "multiply", "multiply a column by a number", MultiplyParams

    def apply(self, frame, context):
        return frame.assign(**{self.params.column: frame[self.params.column] * self.params.by})


class OtherCsv(CountTo):
    name = "csv"
'''

GOOD = f"""\
[agora.connectors]
count_to = {PACKAGE}.plugin:CountTo

[agora.processors]
multiply = {PACKAGE}.plugin:Multiply
"""

RECIPE = """\
title: Counts
description: Numbers from a plugin connector, multiplied by a plugin processor.
source:
  connector: count_to
  rows: 3
processors:
  - multiply: {column: n, by: 10}
"""


@pytest.fixture
def install(tmp_path, monkeypatch):
    """install(entry_points_txt): the distribution agora-example-plugin 0.1 on sys.path."""
    def install(entry_points: str) -> None:
        site = tmp_path / "site"
        (site / PACKAGE).mkdir(parents=True)
        (site / PACKAGE / "__init__.py").write_text("")
        (site / PACKAGE / "plugin.py").write_text(PLUGIN)
        info = site / f"{PACKAGE}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            "Metadata-Version: 2.1\nName: agora-example-plugin\nVersion: 0.1\n")
        (info / "entry_points.txt").write_text(entry_points)
        monkeypatch.syspath_prepend(str(site))
        monkeypatch.setattr(registry, "_plugins", None)  # found again at the next lookup

    yield install
    for name in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
        del sys.modules[name]


def test_an_unknown_name_is_refused_with_a_did_you_mean():
    assert registry.connector("csv") is CsvConnector
    with pytest.raises(registry.UnknownName, match="unknown connector 'csvv': did you mean "
                                                   "'csv'[?] use one of: ckan, csv, geojson"):
        registry.connector("csvv")
    with pytest.raises(registry.UnknownName, match="unknown processor 'renam': did you mean "
                                                   "'rename'"):
        registry.processor("renam")


def test_a_plugins_connector_and_processor_refresh_a_recipe(tmp_path, install):
    install(GOOD)
    assert registry.connector("count_to").__module__ == f"{PACKAGE}.plugin"
    assert "multiply" in registry.processors() and "rename" in registry.processors()
    (tmp_path / "catalogs").mkdir()
    (tmp_path / "catalogs" / "counts.yaml").write_text(RECIPE)
    recipes = load_catalog(tmp_path / "catalogs")
    env = RefreshEnv(SnapshotStore(tmp_path / "store"), tmp_path, environ={})
    first = refresh_many(recipes, env)[0]
    assert (first.result, first.rows, first.error) == ("new", 3, None)
    assert env.store.read_current("counts")["n"].tolist() == [0, 10, 20]
    assert refresh_many(recipes, env)[0].result == "unchanged"


DIST = "plugin distribution agora-example-plugin 0.1: entry point"
BROKEN = f"broken = {PACKAGE}.missing:Thing"
BROKEN_PROBLEM = (f"{DIST} agora.connectors: {BROKEN}: cannot be loaded (ModuleNotFoundError: "
                  f"No module named '{PACKAGE}.missing') -> fix or uninstall the distribution")


@pytest.mark.parametrize("group, entry, problem", [
    ("connectors", BROKEN, BROKEN_PROBLEM),
    ("connectors", f"csv = {PACKAGE}.plugin:OtherCsv",
     f"{DIST} agora.connectors: csv = {PACKAGE}.plugin:OtherCsv: 'csv' is already "
     "hub.pipeline.connectors.files.CsvConnector -> a plugin cannot replace a built-in or "
     "another plugin's connector: give it another name"),
    ("connectors", f"multiply = {PACKAGE}.plugin:Multiply",
     f"{DIST} agora.connectors: multiply = {PACKAGE}.plugin:Multiply: {PACKAGE}.plugin:Multiply "
     "is not a Connector subclass with a Params model -> point it at a connector class (see "
     "docs/connectors.md)"),
    ("processors", f"double = {PACKAGE}.plugin:Multiply",
     f"{DIST} agora.processors: double = {PACKAGE}.plugin:Multiply: the class's name is "
     "'multiply' -> give the entry point and the class's `name` the same name"),
])
def test_a_broken_or_clashing_plugin_is_left_out_and_the_catalog_refused(tmp_path, install,
                                                                          group, entry, problem):
    install(f"[agora.{group}]\n{entry}\n")
    assert [str(p) for p in registry.plugin_problems()] == [problem]
    assert registry.connector("csv") is CsvConnector
    (tmp_path / "catalogs").mkdir()
    (tmp_path / "catalogs" / "air.yaml").write_text(
        "title: Air\ndescription: PM10.\nsource:\n  connector: csv\n  path: air.csv\n")
    with pytest.raises(ConfigProblems) as info:
        load_catalog(tmp_path / "catalogs")
    assert [str(p) for p in info.value.problems] == [problem]


def test_agora_check_reports_a_broken_plugin_in_one_line(tmp_path, install, capsys):
    install(f"[agora.connectors]\n{BROKEN}\n")
    (tmp_path / "catalogs").mkdir()
    settings = tmp_path / "workspace.yaml"
    settings.write_text(f"data:\n  catalog_dir: {tmp_path / 'catalogs'}\n  sources_dir: "
                        f"{tmp_path}\n  store_dir: {tmp_path / 'store'}\n")
    assert main(["-c", str(settings), "check"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        BROKEN_PROBLEM, "agora check: 1 problem(s); nothing was started."]
