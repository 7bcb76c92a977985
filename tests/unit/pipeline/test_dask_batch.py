"""Refresh on a Dask LocalCluster (two worker processes) gives the local run's snapshots.

The recipes use the built-in csv connector and processors (the workers are other processes:
the `fakes` registry of the other glue tests is not there).
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import pandas as pd
import pytest

from hub.cli.main import main
from hub.pipeline import dask_batch
from hub.pipeline.recipe import load_catalog
from hub.pipeline.refresh import RefreshEnv, refresh_many, task_result
from hub.pipeline.store import SnapshotStore, read_parquet

distributed = pytest.importorskip("distributed")

STATIONS = "code,nom,seuil\nY001,  La Lière ,\"1,5\"\nY002,Le Val,\"2,25\"\nY003,Amont,\n"
LEVELS = "code,mesure\nY001,\"0,8\"\nY002,\"2,5\"\nY003,\"1,1\"\nY009,\"0,2\"\n"
RECIPE = "title: {id}\ndescription: test data\nsource: {{connector: csv, path: {path}}}\n" \
         "processors:\n{steps}"
RECIPES = {
    "stations": ("stations.csv", "  - normalise_text: {columns: [nom]}\n"
                                 "  - parse_numbers: {columns: [seuil]}\n"),
    "levels": ("levels.csv", "  - parse_numbers: {columns: [mesure]}\n"
                             "  - join: {dataset: stations, \"on\": [code], columns: [seuil]}\n"),
    "broken": ("missing.csv", "  []\n"),
}
DTYPES = {
    "stations": {"code": "str", "nom": "str", "seuil": "float64"},
    "levels": {"code": "str", "mesure": "float64", "seuil": "float64"},
}


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as local:
        yield local


def make_env(root: Path, scheduler: str = "") -> tuple[dict, RefreshEnv]:
    (root / "catalogs").mkdir(parents=True)
    (root / "sources").mkdir()
    (root / "sources" / "stations.csv").write_text(STATIONS)
    (root / "sources" / "levels.csv").write_text(LEVELS)
    for dataset, (path, steps) in RECIPES.items():
        (root / "catalogs" / f"{dataset}.yaml").write_text(
            RECIPE.format(id=dataset, path=path, steps=steps))
    env = RefreshEnv(SnapshotStore(root / "store"), root / "sources", environ={},
                     dask_scheduler=scheduler)
    return load_catalog(root / "catalogs"), env


def snapshot(env: RefreshEnv, dataset: str) -> pd.DataFrame:
    return read_parquet(env.store.current_path(dataset))


def test_dask_refresh_gives_the_local_snapshots(tmp_path, cluster):
    recipes, local_env = make_env(tmp_path / "local")
    dask_recipes, dask_env = make_env(tmp_path / "dask", cluster.scheduler_address)
    local = {r.dataset: r for r in refresh_many(recipes, local_env)}
    on_dask = {r.dataset: r for r in refresh_many(dask_recipes, dask_env)}
    assert {d: r.result for d, r in on_dask.items()} == {d: r.result for d, r in local.items()}
    for dataset, dtypes in DTYPES.items():
        expected, got = snapshot(local_env, dataset), snapshot(dask_env, dataset)
        for frame in (expected, got):
            assert {c: str(t) for c, t in frame.dtypes.items()} == dtypes
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
        manifests = [env.store.read_manifest(dataset) for env in (local_env, dask_env)]
        assert manifests[0]["row_count"] == manifests[1]["row_count"] == len(expected)
        assert manifests[0]["quality"]["columns"] == manifests[1]["quality"]["columns"]


def test_a_join_reads_the_version_its_dependency_just_wrote(tmp_path, cluster):
    recipes, env = make_env(tmp_path, cluster.scheduler_address)
    results = {r.dataset: r for r in refresh_many(recipes, env, ["levels"])}
    assert list(results) == ["stations", "levels"]
    inputs = env.store.read_manifest("levels")["inputs"]
    assert inputs == {"stations": results["stations"].version}
    assert snapshot(env, "levels")["seuil"].tolist()[:2] == [1.5, 2.25]


def test_a_failing_recipe_fails_alone_and_is_recorded(tmp_path, cluster):
    recipes, env = make_env(tmp_path, cluster.scheduler_address)
    results = {r.dataset: r for r in refresh_many(recipes, env)}
    assert results["broken"].result == "failed" and "missing.csv" in results["broken"].error
    assert results["stations"].result == results["levels"].result == "new"
    assert env.store.status("broken").read()["last_result"] == "failed"


def test_the_work_ran_on_the_cluster_workers(tmp_path, cluster):
    recipes, env = make_env(tmp_path, cluster.scheduler_address)
    results = refresh_many(recipes, env)
    workers = set(cluster.scheduler_info["workers"])
    for result in results:
        address, pid = result.ran_on.split(" pid ")
        assert address in workers and int(pid) != os.getpid()


def test_a_job_that_raises_is_kept_apart_and_the_next_still_runs(cluster):
    outcomes = []
    dask_batch.run_jobs(cluster.scheduler_address, {"a": partial(pow, 0, -1),
                                                    "b": partial(pow, 2, 3)},
                        {"b": {"a"}}, outcomes.append)
    a, b = outcomes
    assert (a.name, type(a.error), a.ran_on) == ("a", ZeroDivisionError, None)
    assert (b.name, b.value, b.error) == ("b", 8, None)
    assert b.ran_on.split(" pid ")[0] in cluster.scheduler_info["workers"]


def test_a_job_lost_on_the_cluster_fails_its_dataset_alone(tmp_path):
    _, env = make_env(tmp_path)
    lost = dask_batch.Outcome("stations", error=RuntimeError("worker tcp://w:1 died"))
    result = task_result(lost, env)
    assert result.result == "failed" and "RuntimeError: worker tcp://w:1 died" in result.error
    assert env.store.status("stations").read()["last_error"]["message"] == result.error


def test_an_unreachable_scheduler_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(dask_batch, "CONNECT_TIMEOUT", "0.5s")
    recipes, env = make_env(tmp_path, "tcp://127.0.0.1:9")
    with pytest.raises(dask_batch.DaskUnavailable, match="batch.dask_scheduler"):
        refresh_many(recipes, env, ["stations"])


def settings_file(root: Path, scheduler: str) -> str:
    path = root / "workspace.yaml"
    path.write_text(f"hub: {{data_dir: {root / 'data'}}}\nbatch: {{dask_scheduler: '{scheduler}'}}\n"
                    f"data:\n  catalog_dir: {root / 'catalogs'}\n  sources_dir: {root / 'sources'}"
                    f"\n  store_dir: {root / 'store'}\n  demo_data: false\n")
    return str(path)


def test_agora_refresh_runs_on_the_configured_cluster(tmp_path, cluster, capsys):
    make_env(tmp_path)
    assert main(["-c", settings_file(tmp_path, cluster.scheduler_address), "refresh"]) == 1
    table = [line.split()[:2] for line in capsys.readouterr().out.splitlines()[-3:]]
    assert table == [["broken", "failed"], ["stations", "new"], ["levels", "new"]]


def test_agora_refresh_with_an_unreachable_scheduler_exits_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(dask_batch, "CONNECT_TIMEOUT", "0.5s")
    make_env(tmp_path)
    assert main(["-c", settings_file(tmp_path, "tcp://127.0.0.1:9"), "refresh"]) == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in capsys.readouterr().err
