"""Refresh: new versions, unchanged sources, and every failure keeping the last good snapshot."""

import pytest

from hub.cli.main import main
from hub.pipeline.refresh import RefreshEnv, refresh_dataset, refresh_many

KEEP = "  - test_keep_below: {column: value, below: 12}"  # keeps ids 0..7 of 10


def refresh(workspace, dataset="air", events=None):
    recipes = workspace.load()
    return refresh_dataset(recipes[dataset], workspace.env,
                           events.append if events is not None else None)


def test_first_refresh_publishes_a_version_with_its_manifest(workspace):
    workspace.source("air.csv", rows=10)
    workspace.recipe("air", steps=KEEP)
    events = []
    result = refresh(workspace, events=events)
    assert (result.result, result.rows, result.error) == ("new", 8, None)
    store = workspace.store
    assert store.current("air") == result.version
    manifest = store.read_manifest("air")
    assert manifest["row_count"] == 8 and manifest["source"]["connector"] == "test_lines"
    assert manifest["source"]["fingerprint"].startswith("sha256:")
    assert manifest["processors"] == [{"name": "test_keep_below",
                                       "params": {"column": "value", "below": 12.0}}]
    assert manifest["recipe_hash"] == workspace.load()["air"].hash
    [step] = manifest["quality"]["steps"]
    assert (step["rows_in"], step["rows_out"], step["notes"]) == (10, 8, {"dropped": 2})
    assert manifest["quality"]["columns"] == {"value": {"too_high": 2}}
    assert set(manifest["timings"]) == {"fetch", "processors"}
    assert [(e.step, e.rows) for e in events] == [
        ("start", None), ("fetch", 10), ("test_keep_below", 8), ("write", 8), ("new", 8)]
    status = store.status("air").read()
    assert status["last_result"] == "new" and status["last_success"]["version"] == result.version


def test_unchanged_source_and_recipe_make_no_new_version(workspace):
    workspace.source("air.csv")
    workspace.recipe("air", steps=KEEP)
    first = refresh(workspace)
    second = refresh(workspace)
    assert (second.result, second.version, second.rows) == ("unchanged", first.version, 8)
    assert workspace.store.versions("air") == [first.version]
    assert workspace.store.status("air").read()["last_result"] == "unchanged"


def test_a_changed_source_or_recipe_makes_a_new_version(workspace):
    workspace.source("air.csv", rows=10)
    workspace.recipe("air", steps=KEEP)
    refresh(workspace)
    workspace.source("air.csv", rows=9)
    assert refresh(workspace).result == "new"
    workspace.recipe("air", steps=KEEP.replace("12", "13"))
    assert refresh(workspace).result == "new"
    assert len(workspace.store.versions("air")) == 3


@pytest.mark.parametrize("text, expected", [
    ("0,1.0\n1,2.0\n2,3", "truncated (no final newline)"),
    ("0,1.0\n\x00garbage\n", "corrupt"),
    ("", "the source has no rows"),
])
def test_a_bad_source_never_becomes_current(workspace, text, expected):
    workspace.source("air.csv", rows=10)
    workspace.recipe("air")
    good = refresh(workspace)
    workspace.source("air.csv", text=text)
    result = refresh(workspace)
    assert result.result == "failed" and result.version == good.version
    assert expected in result.error and result.error.startswith("source (test_lines): ")
    assert workspace.store.current("air") == good.version
    assert workspace.store.versions("air") == [good.version]
    status = workspace.store.status("air").read()
    assert status["last_error"]["message"] == result.error
    assert status["consecutive_failures"] == 1


def test_failures_are_counted_until_a_success(workspace):
    workspace.recipe("air")
    assert refresh(workspace).error == "source (test_lines): air.csv: file not found"
    assert refresh(workspace).failed
    assert workspace.store.status("air").read()["consecutive_failures"] == 2
    assert workspace.store.current("air") is None
    workspace.source("air.csv")
    assert refresh(workspace).result == "new"
    assert workspace.store.status("air").read()["consecutive_failures"] == 0


def test_dropping_too_many_rows_fails_and_current_stays(workspace):
    workspace.source("air.csv", rows=10)
    workspace.recipe("air", steps=KEEP)
    good = refresh(workspace)
    workspace.recipe("air", steps=KEEP.replace("12", "3"), extra="refresh:\n"
                     "  max_dropped_fraction: 0.3")  # keeps 2 of 10
    result = refresh(workspace)
    assert result.failed and workspace.store.current("air") == good.version
    assert result.error.startswith("processors dropped 80% of the rows (step 1 (test_keep_below) 8 "
                                   "of 10), more than the 30% "
                                   "allowed -> check the source, or raise "
                                   "refresh.max_dropped_fraction in ")


def test_the_settings_default_limit_applies_without_a_recipe_limit(workspace):
    workspace.source("air.csv", rows=10)
    workspace.recipe("air", steps=KEEP.replace("12", "3"))  # drops 80 % > 50 % default
    assert "more than the 50% allowed" in refresh(workspace).error
    workspace.env.max_dropped_fraction = 0.9
    assert refresh(workspace).result == "new"


@pytest.mark.parametrize("kind, expected", [
    ("processing", "step 2 (test_crash): cannot work on this data"),
    ("crash", "step 2 (test_crash) crashed: RuntimeError: boom (details in the log)"),
])
def test_a_failing_processor_fails_the_refresh(workspace, kind, expected):
    workspace.source("air.csv")
    workspace.recipe("air")
    good = refresh(workspace)
    workspace.recipe("air", steps=f"{KEEP}\n  - test_crash: {{kind: {kind}}}")
    result = refresh(workspace)
    assert result.error == expected and workspace.store.current("air") == good.version


def test_a_slow_refresh_times_out(workspace):
    workspace.source("air.csv")
    workspace.recipe("air", steps="  - test_sleep: {seconds: 2}",
                     extra="refresh:\n  timeout_seconds: 0.3")
    result = refresh(workspace)
    assert result.failed and result.error == (
        "the processors did not finish within the 0.3 s allowed (refresh.timeout_seconds)")
    assert result.seconds < 1.5 and workspace.store.current("air") is None


def test_a_dataset_already_refreshing_is_busy_not_failed(workspace):
    workspace.source("air.csv")
    workspace.recipe("air")
    with workspace.store.lock("air"):
        result = refresh(workspace)
    assert result.result == "busy" and not result.failed
    assert workspace.store.status("air").read() == {}


def test_joins_run_after_their_dependency_and_follow_its_versions(workspace):
    workspace.source("zones.csv", rows=10)
    workspace.source("air.csv", rows=5)
    workspace.recipe("air", steps="  - test_join: {dataset: zones}")
    workspace.recipe("zones")
    events = []
    results = refresh_many(workspace.load(), workspace.env, ["air"], events.append)
    assert [r.dataset for r in results] == ["zones", "air"]
    assert [r.result for r in results] == ["new", "new"]
    joined = workspace.store.read_current("air")
    assert list(joined.columns) == ["id", "value", "value_other"] and len(joined) == 5
    zones_version = workspace.store.current("zones")
    assert workspace.store.read_manifest("air")["inputs"] == {"zones": zones_version}
    # Same air source, but zones changed: air must be rebuilt, not "unchanged".
    workspace.source("zones.csv", rows=6)
    results = refresh_many(workspace.load(), workspace.env)
    assert [r.result for r in results] == ["new", "new"]
    results = refresh_many(workspace.load(), workspace.env)
    assert [r.result for r in results] == ["unchanged", "unchanged"]


def test_a_join_without_a_snapshot_fails_readably(workspace):
    workspace.source("air.csv")
    workspace.recipe("air", steps="  - test_join: {dataset: zones}")
    workspace.recipe("zones")  # its source is missing
    results = refresh_many(workspace.load(), workspace.env)
    assert results[0].error == "source (test_lines): zones.csv: file not found"
    assert results[1].error == ("step 1 (test_join): dataset 'zones' has no snapshot yet; "
                                "refresh it first")


def write_settings(workspace):
    path = workspace.root / "workspace.yaml"
    path.write_text(f"data:\n  catalog_dir: {workspace.catalog}\n  sources_dir: "
                    f"{workspace.sources}\n  store_dir: {workspace.store_dir}\n")
    return str(path)


def test_cli_refresh_status_and_exit_codes(workspace, capsys):
    settings = write_settings(workspace)
    workspace.source("air.csv")
    workspace.recipe("air", steps=KEEP)
    workspace.recipe("water")
    assert main(["-c", settings, "refresh", "air"]) == 0
    out = capsys.readouterr().out
    assert ["air", "test_keep_below", "8", "rows"] in [ln.split()[:4] for ln in out.splitlines()]
    assert out.splitlines()[-3].split() == ["dataset", "result", "version", "rows",
                                            "duration", "error"]
    assert out.splitlines()[-1].split()[:2] == ["air", "new"]
    assert main(["-c", settings, "refresh"]) == 1
    captured = capsys.readouterr()
    assert "agora refresh: 1 failed (water); their current snapshots were kept" in captured.err
    assert main(["-c", settings, "status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["dataset", "version", "rows", "age", "last", "refresh",
                                "failures", "last", "error"]
    air = lines[2].split()
    assert air[2] == "8" and air[3].isdigit() and int(air[3]) <= 5  # seconds since the version
    assert air[4:6] == ["s", "unchanged"]
    assert lines[3].split()[:5] == ["water", "-", "-", "-", "failed"]
    assert "water.csv: file not found" in lines[3]
    assert main(["-c", settings, "refresh", "watr"]) == 2
    assert "did you mean 'water'?" in capsys.readouterr().err


def test_cli_check_reports_recipe_problems(workspace, capsys):
    settings = write_settings(workspace)
    workspace.recipe("air")
    assert main(["-c", settings, "check"]) == 0
    assert "ok: 1 dataset recipe(s)" in capsys.readouterr().out
    file = workspace.recipe("air", steps="  - test_keep_belo: {}")
    assert main(["-c", settings, "check"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"{file}:7: step 1 (test_keep_belo): unknown processor")


def test_end_to_end_with_the_real_csv_connector(tmp_path):
    from hub.pipeline.recipe import load_catalog
    from hub.pipeline.refresh import RefreshEnv
    from hub.pipeline.store import SnapshotStore

    (tmp_path / "catalogs").mkdir()
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "air.csv").write_text("station;pm10\nA;12,5\nB;7,25\n",
                                                 encoding="utf-8")
    (tmp_path / "catalogs" / "air.yaml").write_text(
        "title: Air\ndescription: PM10.\nsource:\n  connector: csv\n  path: air.csv\n")
    recipes = load_catalog(tmp_path / "catalogs")
    env = RefreshEnv(SnapshotStore(tmp_path / "store"), tmp_path / "sources", environ={})
    first = refresh_many(recipes, env)[0]
    assert (first.result, first.rows, first.error) == ("new", 2, None)
    data = env.store.read_current("air")
    assert list(data.columns) == ["station", "pm10"]
    assert refresh_many(recipes, env)[0].result == "unchanged"


def test_refresh_uses_a_fast_arrow_allocator(monkeypatch):
    """mimalloc (pyarrow's default) made the ingestion benchmark ~0.8 s slower (memory.py)."""
    import pyarrow as pa

    from hub.pipeline import memory

    before = pa.default_memory_pool()
    try:
        pa.set_memory_pool(pa.mimalloc_memory_pool())  # as pyarrow starts
        monkeypatch.setattr(memory, "_configured", False)
        monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
        assert memory.use_fast_memory_pool() in ("jemalloc", "system")
        # an administrator's ARROW_DEFAULT_MEMORY_POOL (which pyarrow applied at import) stays
        pa.set_memory_pool(pa.mimalloc_memory_pool())
        monkeypatch.setattr(memory, "_configured", False)
        monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "mimalloc")
        assert memory.use_fast_memory_pool() == "mimalloc"
    finally:
        pa.set_memory_pool(before)


def test_a_source_over_the_size_limit_fails_and_current_stays(tmp_path):
    from hub.pipeline.recipe import load_catalog
    from hub.pipeline.refresh import RefreshEnv
    from hub.pipeline.store import SnapshotStore

    (tmp_path / "catalogs").mkdir()
    (tmp_path / "sources").mkdir()
    source = tmp_path / "sources" / "air.csv"
    source.write_text("station;pm10\nA;12,5\n", encoding="utf-8")
    recipe = "title: Air\ndescription: PM10.\nsource:\n  connector: csv\n  path: air.csv\n"
    (tmp_path / "catalogs" / "air.yaml").write_text(recipe)
    env = RefreshEnv(SnapshotStore(tmp_path / "store"), tmp_path / "sources", environ={},
                     max_source_bytes=1000)
    good = refresh_many(load_catalog(tmp_path / "catalogs"), env)[0]
    assert good.result == "new"
    source.write_text("station;pm10\n" + "A;12,5\n" * 200, encoding="utf-8")  # 1,413 bytes
    failed = refresh_many(load_catalog(tmp_path / "catalogs"), env)[0]
    assert failed.failed and env.store.current("air") == good.version
    assert failed.error.startswith("source (csv): air.csv: the source is 1.4 KiB, and a refresh "
                                   "reads at most 1,000 bytes")
    assert env.store.status("air").read()["last_error"]["message"] == failed.error
    (tmp_path / "catalogs" / "air.yaml").write_text(recipe + "refresh:\n  max_source_bytes: 2000\n")
    assert refresh_many(load_catalog(tmp_path / "catalogs"), env)[0].result == "new"


def test_the_source_size_limit_comes_from_the_settings(tmp_path):
    from hub.config.loading import load_settings
    from hub.pipeline.refresh import RefreshEnv

    environ = {"AGORA_HUB__DATA_DIR": str(tmp_path)}
    assert RefreshEnv.from_settings(load_settings(environ=environ)).max_source_bytes == 1 << 30
    environ["AGORA_DATA__MAX_SOURCE_BYTES"] = "5000"
    assert RefreshEnv.from_settings(load_settings(environ=environ)).max_source_bytes == 5000


def test_the_hubs_secret_variables_never_reach_a_source(tmp_path):
    """The auth-state key and the pseudonym key are settings that can name any variable, so
    `agora check` cannot refuse them in a recipe: the refresh withholds them from sources."""
    import sqlite3

    from hub.config.loading import load_settings
    from hub.pipeline.recipe import load_catalog
    from hub.pipeline.refresh import RefreshEnv

    with sqlite3.connect(tmp_path / "db.sqlite") as db:
        db.execute("CREATE TABLE t (x INTEGER)")
        db.execute("INSERT INTO t VALUES (1)")
    (tmp_path / "catalogs").mkdir()
    (tmp_path / "catalogs" / "leak.yaml").write_text(
        "title: Leak\ndescription: A source URL from the hub's key.\nsource:\n"
        "  connector: sql\n  url_env: HUB_STATE_KEY\n  table: t\n")
    environ = {"AGORA_HUB__DATA_DIR": str(tmp_path), "AGORA_AUTH__CRYPT_KEY_ENV": "HUB_STATE_KEY",
               "HUB_STATE_KEY": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    env = RefreshEnv.from_settings(load_settings(environ=environ), environ)
    assert env.hub_secrets == {"HUB_STATE_KEY", "AGORA_PSEUDONYM_KEY"}
    [result] = refresh_many(load_catalog(tmp_path / "catalogs"), env)
    assert result.failed and "environment variable HUB_STATE_KEY is not set" in result.error
    env.hub_secrets = frozenset()  # the same refresh, were the variable an ordinary one
    assert refresh_many(load_catalog(tmp_path / "catalogs"), env)[0].result == "new"


def real_catalog(tmp_path, recipes: dict[str, str]):
    """A catalog of real recipes (real connectors and processors), its sources folder and a
    refresh env over a real store."""
    from hub.pipeline.refresh import RefreshEnv
    from hub.pipeline.store import SnapshotStore

    for folder in ("catalogs", "sources"):
        (tmp_path / folder).mkdir(exist_ok=True)
    for name, text in recipes.items():
        (tmp_path / "catalogs" / f"{name}.yaml").write_text(text)
    return RefreshEnv(SnapshotStore(tmp_path / "store"), tmp_path / "sources", environ={})


CSV_RECIPE = "title: Air\ndescription: PM10.\nsource:\n  connector: csv\n  path: {path}\n"


def test_a_csv_cut_inside_a_line_is_never_published(tmp_path):
    from hub.pipeline.recipe import load_catalog

    env = real_catalog(tmp_path, {"air": CSV_RECIPE.format(path="air.csv")})
    source = tmp_path / "sources" / "air.csv"
    source.write_text("station;pm10;no2\nA;12,5;3\nB;7,25;4\n")
    good = refresh_many(load_catalog(tmp_path / "catalogs"), env)[0]
    source.write_text("station;pm10;no2\nA;12,5;3\nB;7,25;4\nC;8")  # cut while copying
    failed = refresh_many(load_catalog(tmp_path / "catalogs"), env)[0]
    assert failed.failed and env.store.current("air") == good.version
    assert failed.error == ("source (csv): air.csv: the CSV is truncated: its last line has 2 "
                            "fields, the header has 3; the file was probably cut while copying "
                            "— fetch it again")
    source.write_text("station;pm10;no2\nA;12,5;3\nB;7,25;4\nC;8;5")  # whole, no newline
    assert refresh_many(load_catalog(tmp_path / "catalogs"), env)[0].rows == 3


def csv_rows(count: int) -> str:
    return "station;pm10\n" + "".join(f"S{i};{i},5\n" for i in range(count))


def shrink_workspace(tmp_path, extra: str = ""):
    env = real_catalog(tmp_path, {"air": CSV_RECIPE.format(path="air.csv") + extra})
    settings = tmp_path / "workspace.yaml"
    settings.write_text(f"data:\n  catalog_dir: {tmp_path / 'catalogs'}\n  sources_dir: "
                        f"{tmp_path / 'sources'}\n  store_dir: {tmp_path / 'store'}\n")
    return env, str(settings), tmp_path / "sources" / "air.csv"


def test_a_dataset_that_shrinks_too_much_is_refused_until_accepted(tmp_path, capsys):
    env, settings, source = shrink_workspace(tmp_path)
    source.write_text(csv_rows(10))
    assert main(["-c", settings, "refresh", "air"]) == 0
    good = env.store.current("air")
    source.write_text(csv_rows(4))  # an export that came back with 4 rows of 10
    assert main(["-c", settings, "refresh", "air"]) == 1
    assert env.store.current("air") == good
    error = env.store.status("air").read()["last_error"]["message"]
    assert error == ("the new version has 4 rows, the current one 10 (60% fewer, more than "
                     "the 50% allowed by refresh.max_shrink_fraction) -> check the source; if "
                     "it is right, publish it with `agora refresh air --accept-shrink`")
    capsys.readouterr()
    assert main(["-c", settings, "refresh", "air", "--accept-shrink"]) == 0
    accepted = env.store.read_manifest("air")
    assert accepted["row_count"] == 4 and accepted["version"] != good
    assert accepted["accepted_shrink"] == {"from": 10, "to": 4, "by": "cli"}
    source.write_text(csv_rows(1))  # guarded again, against the new current (4 rows)
    assert main(["-c", settings, "refresh", "air"]) == 1
    assert "the new version has 1 rows, the current one 4 (75% fewer" in (
        env.store.status("air").read()["last_error"]["message"])
    source.write_text(csv_rows(3))  # 3 of 4: within the limit, nothing to accept
    assert main(["-c", settings, "refresh", "air"]) == 0
    assert "accepted_shrink" not in env.store.read_manifest("air")


def test_accepting_a_shrink_needs_the_dataset_named(tmp_path, capsys):
    env, settings, source = shrink_workspace(tmp_path)
    source.write_text(csv_rows(10))
    assert main(["-c", settings, "refresh", "--accept-shrink"]) == 2
    assert "--accept-shrink needs the datasets whose shrink you accept" in capsys.readouterr().err
    assert env.store.current("air") is None


def test_the_shrink_limit_is_the_recipes_else_the_settings(tmp_path):
    from hub.config.loading import load_settings
    from hub.pipeline.recipe import load_catalog

    env, _, source = shrink_workspace(tmp_path, "refresh:\n  max_shrink_fraction: 0.9\n")
    source.write_text(csv_rows(10))
    refresh_many(load_catalog(tmp_path / "catalogs"), env)
    source.write_text(csv_rows(2))  # 80 % fewer: the recipe allows 90 %
    assert refresh_many(load_catalog(tmp_path / "catalogs"), env)[0].result == "new"
    environ = {"AGORA_HUB__DATA_DIR": str(tmp_path)}
    assert RefreshEnv.from_settings(load_settings(environ=environ)).max_shrink_fraction == 0.5
    environ["AGORA_DATA__MAX_SHRINK_FRACTION"] = "0.1"
    assert RefreshEnv.from_settings(load_settings(environ=environ)).max_shrink_fraction == 0.1
