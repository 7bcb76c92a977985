"""What a steward sees when a refresh cannot publish: one line with the step and the fix,
never a traceback (that goes to the log). Real files, real recipes, real refreshes."""

from __future__ import annotations

import json
import logging

import pandas as pd
import pytest

from hub.cli.main import main
from hub.pipeline import registry
from hub.pipeline.interfaces import Params, Processor
from hub.pipeline.recipe import read_catalog
from hub.pipeline.refresh import RefreshEnv, refresh_catalog, refresh_many
from hub.pipeline.store import SnapshotStore

from .glue_support import CONNECTOR_CLASSES, PROCESSOR_CLASSES

COMMUNES = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"code_insee": code, "nom": name},
     "geometry": {"type": "Polygon", "coordinates": [[[x, 0], [x + 1, 0], [x + 1, 1], [x, 1],
                                                      [x, 0]]]}}
    for x, (code, name) in enumerate([("69123", "Lyon"), ("69259", "Vénissieux")])]}
GEO_RECIPE = ("title: Communes\ndescription: Boundaries.\nsource:\n  connector: geojson\n"
              "  path: communes.geojson\n")
STATS_RECIPE = """\
title: Population
description: Per commune.
source:
  connector: csv
  path: stats.csv
processors:
  - join:
      dataset: communes
      "on": [code_insee]
{columns}"""


class Catalog:
    """A catalog folder, its sources and store, and a settings file naming them."""

    def __init__(self, root):
        self.root = root
        for folder in ("catalogs", "sources"):
            (root / folder).mkdir(exist_ok=True)
        self.store = SnapshotStore(root / "store")
        self.env = RefreshEnv(self.store, root / "sources", environ={})
        self.settings = root / "workspace.yaml"
        self.settings.write_text(f"data:\n  catalog_dir: {root / 'catalogs'}\n  sources_dir: "
                                 f"{root / 'sources'}\n  store_dir: {root / 'store'}\n")

    def recipe(self, name: str, text: str):
        path = self.root / "catalogs" / f"{name}.yaml"
        path.write_text(text)
        return path

    def source(self, name: str, data: str | bytes):
        path = self.root / "sources" / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
        return path

    def refresh(self, *ids):
        return refresh_catalog(read_catalog(self.root / "catalogs"), self.env, ids or None)

    def cli(self, *args) -> int:
        return main(["-c", str(self.settings), *args])


@pytest.fixture
def catalog(tmp_path):
    return Catalog(tmp_path)


def geo_and_stats(catalog, columns: str = ""):
    catalog.source("communes.geojson", json.dumps(COMMUNES))
    catalog.source("stats.csv", "code_insee;population\n69123;522250\n69259;67129\n")
    catalog.recipe("communes", GEO_RECIPE)
    return catalog.recipe("stats", STATS_RECIPE.format(columns=columns))


def test_a_join_bringing_a_geometry_is_refused_at_refresh_with_the_fix(catalog):
    geo_and_stats(catalog)
    communes, stats = catalog.refresh()
    assert communes.result == "new" and stats.failed and catalog.store.current("stats") is None
    assert stats.error == (
        "step 1 (join): join: dataset 'communes' would bring its geometry column 'geometry', "
        "which a join cannot store -> use the geo dataset as the source side (and join this "
        "one to it), or drop the geometry column in `columns:`")


def test_agora_check_refuses_a_join_bringing_a_geometry(catalog, capsys):
    stats = geo_and_stats(catalog)
    catalog.refresh("communes")  # check reads what the joined dataset's snapshot holds
    assert catalog.cli("check") == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (
        f"{stats}:7: step 1 (join): dataset 'communes' would bring its geometry column "
        "'geometry', which a join cannot store -> use the geo dataset as the source side (and "
        "join this one to it), or drop the geometry column in `columns:`")
    stats = geo_and_stats(catalog, columns="      columns: [geometry, nom]\n")
    assert catalog.cli("check") == 2
    assert f"{stats}:10: step 1 (join).columns: dataset 'communes'" in capsys.readouterr().err
    geo_and_stats(catalog, columns="      columns: [nom]\n")
    assert catalog.cli("check") == 0
    assert [r.result for r in catalog.refresh()] == ["unchanged", "new"]
    assert list(catalog.store.read_current("stats").columns) == ["code_insee", "population", "nom"]


class MixedParams(Params):
    column: str


class Mixed(Processor):
    """Adds a column of numbers and texts mixed: pandas holds it, Parquet cannot."""

    name, summary, Params = "test_mixed", "adds an unstorable column", MixedParams

    def apply(self, frame, context):
        out = frame.copy()
        out[self.params.column] = pd.Series([i if i % 2 else str(i) for i in range(len(out))],
                                            dtype=object, index=out.index)
        return out


class Loud(Processor):
    """Crashes with a message of several lines, as library errors often are."""

    name, summary, Params = "test_loud", "crashes loudly", MixedParams

    def apply(self, frame, context):
        raise RuntimeError(f"cannot read {self.params.column}\n   second line")


@pytest.fixture
def test_processors(monkeypatch, workspace):
    monkeypatch.setattr(registry, "_plugins", registry.Plugins.of(
        CONNECTOR_CLASSES, [*PROCESSOR_CLASSES, Mixed, Loud]))
    return workspace


def test_a_column_that_cannot_be_stored_names_its_step_in_one_line(test_processors, caplog):
    workspace = test_processors
    workspace.source("air.csv", rows=4)
    workspace.recipe("air", steps="  - test_keep_below: {column: value, below: 100}\n"
                                  "  - test_mixed: {column: label}")
    with caplog.at_level(logging.ERROR, logger="agora.refresh"):
        [result] = refresh_many(workspace.load(), workspace.env)
    assert result.failed and "\n" not in result.error
    assert result.error.startswith("writing the snapshot failed: column 'label' (made by step 2 "
                                   "(test_mixed)) cannot be stored: Arrow")
    assert result.error.endswith("-> drop or convert it in that step (details in the log)")
    assert "Traceback" in caplog.text and workspace.store.current("air") is None


def test_an_unexpected_crash_is_one_line_and_its_traceback_is_logged(test_processors, caplog):
    workspace = test_processors
    workspace.source("air.csv", rows=4)
    workspace.recipe("air", steps="  - test_keep_below: {column: value, below: 100}\n"
                                  "  - test_loud: {column: pm10}")
    with caplog.at_level(logging.ERROR, logger="agora.refresh"):
        [result] = refresh_many(workspace.load(), workspace.env)
    assert result.error == ("step 2 (test_loud) crashed: RuntimeError: cannot read pm10 second "
                            "line (details in the log)")
    assert "refresh of air: step 2 (test_loud) crashed" in caplog.text
    assert "Traceback (most recent call last)" in caplog.text
    assert workspace.store.status("air").read()["last_error"]["message"] == result.error


GOOD = "title: Good\ndescription: Fine.\nsource:\n  connector: csv\n  path: good.csv\n"
BAD = ("title: Bad\ndescription: A typo.\nsource:\n  connector: csv\n  path: bad.csv\n"
       "  delimter: ';'\n")
BAD_PROBLEM = "bad.yaml:6: source.delimter: unknown key -> remove it; did you mean 'delimiter'?"


def good_and_bad(catalog):
    catalog.source("good.csv", "a,b\n1,2\n3,4\n")
    catalog.source("bad.csv", "a;b\n1;2\n")
    catalog.recipe("good", GOOD)
    return catalog.recipe("bad", BAD)


def test_one_broken_recipe_does_not_stop_refreshing_another(catalog, capsys):
    good_and_bad(catalog)
    assert catalog.cli("refresh", "good") == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[-1].split()[:2] == ["good", "new"]
    assert "bad" not in out and "bad.yaml" not in err  # not asked for, not reported
    assert catalog.store.status("bad").read() == {}


def test_refreshing_all_refreshes_the_good_and_reports_the_broken(catalog, capsys):
    bad = good_and_bad(catalog)
    assert catalog.cli("refresh") == 1
    out, err = capsys.readouterr()
    rows = {line.split()[0]: line.split()[1] for line in out.splitlines()[-2:]}
    assert rows == {"bad": "failed", "good": "new"}
    assert catalog.store.current("good") and catalog.store.current("bad") is None
    assert err.splitlines()[1].startswith(f"{catalog.root / 'catalogs'}/{BAD_PROBLEM}")
    assert "agora refresh: 1 failed (bad)" in err
    message = catalog.store.status("bad").read()["last_error"]["message"]
    assert message.startswith(f"recipe not loaded, nothing refreshed: {bad}:6: source.delimter")
    assert catalog.cli("status") == 0
    status = capsys.readouterr()
    table = status.out.split("\n\n")[0]  # then, maybe, which errors were cut short
    assert [line.split()[:5] for line in table.splitlines()[2:]] == [
        ["bad", "-", "-", "-", "failed"], ["good", catalog.store.current("good"), "2", "0", "s"]]
    assert "the catalog has 1 problem(s); run `agora check`" in status.err
    assert catalog.cli("refresh", "bad") == 1  # asked for by name: it fails, with its problem
    assert BAD_PROBLEM in capsys.readouterr().err
    assert catalog.store.status("bad").read()["consecutive_failures"] == 2
    assert catalog.cli("refresh", "bda") == 2
    assert "no recipe for dataset 'bda': did you mean 'bad'?" in capsys.readouterr().err


def test_a_recipe_that_breaks_keeps_its_snapshot_and_is_not_served(catalog, capsys):
    from hub.services.datasets.read.registry import DatasetRegistry

    bad = good_and_bad(catalog)
    bad.write_text(BAD.replace("  delimter: ';'\n", "  delimiter: ';'\n"))
    assert [r.result for r in catalog.refresh()] == ["new", "new"]
    kept = catalog.store.current("bad")
    bad.write_text(BAD)
    results = {r.dataset: r for r in catalog.refresh()}
    assert results["bad"].failed and results["bad"].version == kept
    assert catalog.store.current("bad") == kept
    registry = DatasetRegistry(catalog.root / "catalogs", catalog.store, has_key=True)
    assert sorted(registry.recipes()) == ["good"]  # its stale snapshot is not served
    assert catalog.cli("status", "bad", "good") == 0  # and the steward is told so
    records = capsys.readouterr().out.split("\n\n")
    assert records[0].splitlines()[1] == ("  served           no: its recipe does not load, so its "
                                          "snapshots are kept but not served (agora check)")
    assert records[1].splitlines()[1] == "  served           yes"


def test_a_dataset_joining_a_broken_recipe_joins_its_last_snapshot(catalog):
    bad = good_and_bad(catalog)
    bad.write_text(BAD.replace("  delimter: ';'\n", "  delimiter: ';'\n"))
    catalog.refresh()
    catalog.recipe("good", GOOD + 'processors:\n  - join: {dataset: bad, "on": [a], prefix: x_}\n')
    bad.write_text(BAD)
    results = refresh_catalog(read_catalog(catalog.root / "catalogs"), catalog.env, ["good"])
    assert [(r.dataset, r.result) for r in results] == [("bad", "failed"), ("good", "new")]
    assert catalog.store.read_current("good")["x_b"].fillna("-").tolist() == ["2", "-"]


def test_the_schedules_run_the_good_recipes_while_one_is_broken(catalog, caplog):
    from hub.config.loading import load_settings
    from hub.pipeline.schedule import runner_from_settings

    good_and_bad(catalog)
    catalog.recipe("good", GOOD + "schedule: '0 * * * *'\n")
    catalog.recipe("bad", BAD + "schedule: '0 * * * *'\n")
    runner = runner_from_settings(load_settings(catalog.settings, environ={}), check=False)
    try:
        with caplog.at_level(logging.ERROR, logger="agora.schedule"):
            assert runner.tick() == ["good"]
            runner.wait()
            runner.tick()
        assert caplog.text.count("recipes with problems are not refreshed until fixed") == 1
        assert BAD_PROBLEM in caplog.text
        assert catalog.store.current("good") is not None
    finally:
        runner.pool.shutdown(wait=True)
