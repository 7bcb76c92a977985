"""The registry's in-memory state and per-caller view cache, and the catalog cache built on it.

Properties checked (hub/services/datasets/read/registry.py module docstring):

- a view is keyed by the generation and everything the policy reads of a caller: callers with
  other groups, other attributes (territories) or, where a recipe lists names, another name
  never get each other's view or rendered catalog; callers with the same rights share one;
- a new snapshot version, or any change of a recipe (metadata or access rules), is seen at
  the next catalog check (``check_every``), not later, and drops every cached view;
- a broken recipe fails closed whatever is cached (its dataset is absent, never served with
  the rules it had; the others are served), an unreadable catalog folder serves nothing, and
  serving resumes once fixed;
- snapshots are clustered by the columns row rules compare (hub/pipeline/store.py).
"""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

from hub.pipeline import store as store_module
from hub.pipeline.recipe import load_catalog
from hub.pipeline.refresh import RefreshEnv, refresh_many
from hub.policy.caller import Caller
from hub.services.datasets.published.catalog import CatalogCache
from hub.services.datasets.read import registry as registry_module
from hub.services.datasets.read.registry import CatalogUnavailable, DatasetRegistry
from tests.datasets_support import KEY, build_workspace, incidents_frame

SERVICE = "http://127.0.0.1:9/agora/services/datasets/"
ANALYST = Caller("analyst", frozenset({"analysts"}))
ANALYST_2 = Caller("another-analyst", frozenset({"analysts"}))
PARTNER = Caller("partner", frozenset({"partners"}))
RIVEMONT = Caller("elu-rivemont", frozenset({"officials", "commune-99101"}),
                  {"territories": frozenset({"99101"})})
BELLECOMBE = Caller("elu-bellecombe", frozenset({"officials", "commune-99101"}),
                    {"territories": frozenset({"99102"})})  # same groups, other territory


class Clock:
    """time.monotonic for the registry module, moved by hand."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(registry_module, "time", fake)
    return fake


@pytest.fixture
def ws(tmp_path):
    return build_workspace(tmp_path)


def registry_for(ws, check_every=60.0, has_key=True) -> DatasetRegistry:
    return DatasetRegistry(ws.catalog_dir, ws.store, has_key=has_key, check_every=check_every)


def ids(view) -> list[str]:
    return [r.id for r in view.readable]


def refresh(ws, dataset: str) -> str:
    env = RefreshEnv(ws.store, ws.sources_dir, {"AGORA_PSEUDONYM_KEY": KEY})
    [result] = refresh_many(load_catalog(ws.catalog_dir), env, [dataset])
    assert result.result == "new", result
    return result.version


def edit_recipe(ws, dataset: str, old: str, new: str) -> None:
    path = ws.catalog_dir / f"{dataset}.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


# -- keyed correctly ----------------------------------------------------------------------------

def test_callers_with_the_same_rights_share_one_view(ws, clock):
    registry = registry_for(ws)
    first, second = registry.view(ANALYST), registry.view(ANALYST_2)
    assert first is second and ids(first) == ["incidents", "stations"]


def test_other_groups_or_attributes_never_share_a_view(ws, clock):
    registry = registry_for(ws)
    views = {c.name: registry.view(c) for c in (ANALYST, PARTNER, RIVEMONT, BELLECOMBE)}
    assert len({v.key for v in views.values()}) == 4
    assert ids(views["partner"]) == ["stations"]
    assert ids(views["elu-rivemont"]) == ids(views["elu-bellecombe"]) == ["incidents"]
    rows = {name: [r.decision.row_filters for r in views[name].readable]
            for name in ("elu-rivemont", "elu-bellecombe")}
    assert rows["elu-rivemont"][0][0].values == ("99101",)
    assert rows["elu-bellecombe"][0][0].values == ("99102",)
    # asked again in another order: each still gets their own
    assert registry.view(BELLECOMBE).readable[0].decision.row_filters[0].values == ("99102",)
    assert registry.view(RIVEMONT).readable[0].decision.row_filters[0].values == ("99101",)


def test_the_name_is_part_of_the_key_when_a_recipe_lists_users(ws, clock):
    edit_recipe(ws, "secret_hr", "groups: [hr]", "groups: [hr]\n  users: [another-analyst]")
    registry = registry_for(ws)
    assert "secret_hr" not in ids(registry.view(ANALYST))
    assert "secret_hr" in ids(registry.view(ANALYST_2))
    assert "secret_hr" not in ids(registry.view(ANALYST))


def rendered(cache: CatalogCache, view, service_url: str, fmt: str,
             reader: str = "stock") -> bytes:
    """What the catalog handler serves: the kept rendering, else a new one."""
    found = cache.cached(view, service_url, (fmt, reader))
    return found if found is not None else cache.render(view, service_url, (fmt, reader))[0]


def test_stock_and_widgets_catalogs_are_kept_apart(ws, clock):
    registry, cache = registry_for(ws), CatalogCache()
    stock = json.loads(rendered(cache, registry.view(ANALYST), SERVICE, "json"))
    mine = json.loads(rendered(cache, registry.view(ANALYST), SERVICE, "json", "widgets"))
    assert stock["entries"].keys() == mine["entries"].keys()
    assert {e["reader"] for e in mine["entries"].values()} == {"widgets.data:AgoraParquetReader"}
    assert all(e["reader"].startswith("intake.readers.") for e in stock["entries"].values())


def test_rendered_catalogs_follow_the_view_key(ws, clock):
    registry, cache = registry_for(ws), CatalogCache()
    analyst = json.loads(rendered(cache, registry.view(ANALYST), SERVICE, "json"))
    assert rendered(cache, registry.view(ANALYST_2), SERVICE, "json") is \
        rendered(cache, registry.view(ANALYST), SERVICE, "json")  # shared rendering
    partner = json.loads(rendered(cache, registry.view(PARTNER), SERVICE, "json"))
    assert sorted(analyst["entries"]) == ["incidents", "stations"]
    assert sorted(partner["entries"]) == ["stations"]
    other_url = json.loads(rendered(cache, registry.view(PARTNER), "http://x/", "json"))
    assert other_url["entries"]["stations"]["metadata"]["page"].startswith("http://x/")


def test_generations_are_never_shared_between_registries(ws, clock):
    """One process-wide catalog cache serves several registries (tests, or a reload)."""
    keyed, keyless = registry_for(ws), registry_for(ws, has_key=False)
    cache = CatalogCache()
    with_key = json.loads(rendered(cache, keyed.view(ANALYST), SERVICE, "json"))
    without = json.loads(rendered(cache, keyless.view(ANALYST), SERVICE, "json"))
    assert keyed.view(ANALYST).key != keyless.view(ANALYST).key
    assert "incidents" in with_key["entries"] and "incidents" not in without["entries"]


# -- invalidation -------------------------------------------------------------------------------

def test_a_new_version_is_served_from_the_next_check(ws, clock):
    registry, cache = registry_for(ws, check_every=2.0), CatalogCache()
    before = registry.view(ANALYST)
    old_version = registry.resolve(ANALYST, "incidents").version
    incidents_frame(31).to_parquet(ws.sources_dir / "incidents.parquet", index=False)
    new_version = refresh(ws, "incidents")

    clock.now += 1.0  # before the next check: the previous version (still in the store)
    assert registry.view(ANALYST) is before
    assert registry.resolve(ANALYST, "incidents").version == old_version
    clock.now += 1.5  # the check
    after = registry.view(ANALYST)
    assert after is not before and after.key != before.key
    assert registry.resolve(ANALYST, "incidents").version == new_version
    incidents = {r.id: r for r in after.readable}["incidents"]
    assert incidents.version == new_version and incidents.visible().row_count == 31
    entry = json.loads(rendered(cache, after, SERVICE, "json"))["entries"]["incidents"]
    assert entry["metadata"]["rows"] == 31


def test_a_check_reads_only_the_current_files_that_were_replaced(ws, clock, monkeypatch):
    registry = registry_for(ws, check_every=2.0)
    registry.view(ANALYST)
    read = []
    current = registry.store.current
    monkeypatch.setattr(registry.store, "current", lambda d: read.append(d) or current(d))
    clock.now += 2.5
    registry.view(ANALYST)
    assert read == []  # nothing replaced: stat only
    incidents_frame(31).to_parquet(ws.sources_dir / "incidents.parquet", index=False)
    new_version = refresh(ws, "incidents")
    clock.now += 2.5
    assert registry.resolve(ANALYST, "incidents").version == new_version
    assert read == ["incidents"]


def test_a_primed_registry_serves_its_first_view_without_reading_a_manifest(ws, monkeypatch):
    registry = registry_for(ws)
    registry.prime()
    monkeypatch.setattr(registry.store, "read_manifest", lambda *a: pytest.fail("manifest"))
    monkeypatch.setattr(registry_module, "time_extent", lambda p: pytest.fail("footer read"))
    view = registry.view(RIVEMONT)
    assert "incidents" in ids(view) and view.visible


def test_a_changed_recipe_is_served_from_the_next_check(ws, clock):
    registry, cache = registry_for(ws, check_every=2.0), CatalogCache()
    assert "incidents" in ids(registry.view(RIVEMONT))
    rendered(cache, registry.view(ANALYST), SERVICE, "yaml")
    edit_recipe(ws, "incidents", "groups: [analysts, officials]", "groups: [analysts]")
    edit_recipe(ws, "incidents", "title: Incidents", "title: Incidents (renamed)")
    clock.now += 2.5
    assert ids(registry.view(RIVEMONT)) == []  # access withdrawn
    analyst = json.loads(rendered(cache, registry.view(ANALYST), SERVICE, "json"))
    assert analyst["entries"]["incidents"]["metadata"]["title"] == "Incidents (renamed)"
    assert "Incidents (renamed)" in rendered(cache, registry.view(ANALYST), SERVICE, "yaml").decode()


def test_a_broken_recipe_fails_closed_alone_despite_a_warm_cache(ws, clock):
    registry, cache = registry_for(ws, check_every=2.0), CatalogCache()
    rendered(cache, registry.view(ANALYST), SERVICE, "json")
    assert registry.resolve(ANALYST, "stations") is not None
    path = ws.catalog_dir / "stations.yaml"
    original = path.read_text()
    path.write_text(original + "\nnot_a_key: 1\n")
    clock.now += 2.5
    assert ids(registry.view(ANALYST)) == ["incidents"]  # stations: absent, not stale
    assert registry.resolve(ANALYST, "stations") is None
    assert "stations" not in registry.recipes()
    assert "stations" not in rendered(cache, registry.view(ANALYST), SERVICE, "json").decode()
    path.write_text(original)
    clock.now += 2.5
    assert ids(registry.view(ANALYST)) == ["incidents", "stations"]


def test_an_unreadable_catalog_folder_serves_nothing_despite_a_warm_cache(ws, clock):
    registry = registry_for(ws, check_every=2.0)
    assert ids(registry.view(ANALYST)) == ["incidents", "stations"]
    moved = ws.catalog_dir.rename(ws.catalog_dir.with_name("catalog.moved"))
    clock.now += 2.5
    for call in (lambda: registry.view(ANALYST), lambda: registry.visible(ANALYST),
                 lambda: registry.resolve(ANALYST, "incidents"), registry.recipes):
        with pytest.raises(CatalogUnavailable):
            call()
    moved.rename(ws.catalog_dir)
    clock.now += 2.5
    assert ids(registry.view(ANALYST)) == ["incidents", "stations"]


def test_a_view_seeing_an_unreadable_manifest_is_not_cached(ws, clock, monkeypatch):
    registry = registry_for(ws)
    real = ws.store.read_manifest

    def flaky(dataset, version=None):
        if dataset == "stations":
            raise OSError("pruned under our feet")
        return real(dataset, version)

    cache = CatalogCache()
    monkeypatch.setattr(registry.store, "read_manifest", flaky)
    incomplete = registry.view(PARTNER)
    assert ids(incomplete) == [] and incomplete.key is None
    assert json.loads(rendered(cache, incomplete, SERVICE, "json"))["entries"] == {}
    assert cache.cached(incomplete, SERVICE, ("json", "stock")) is None  # for that request only
    monkeypatch.setattr(registry.store, "read_manifest", real)
    assert ids(registry.view(PARTNER)) == ["stations"]  # no new check needed
    catalog = json.loads(rendered(cache, registry.view(PARTNER), SERVICE, "json"))
    assert list(catalog["entries"]) == ["stations"]  # the incomplete rendering was not kept


# -- clustered snapshots ------------------------------------------------------------------------

def test_snapshots_are_clustered_by_row_rule_columns(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "ROW_GROUP_ROWS", 8)
    ws = build_workspace(tmp_path)
    incidents = ws.store.read_manifest("incidents")
    assert incidents["clustered_by"] == ["commune_code"]
    assert ws.store.read_manifest("stations")["clustered_by"] == []  # no row rule
    path = ws.store.current_path("incidents")
    layout = pq.ParquetFile(path).metadata
    assert layout.num_row_groups == 4  # 30 rows, 8 per group
    column = layout.schema.names.index("commune_code")
    ranges = [(layout.row_group(i).column(column).statistics.min,
               layout.row_group(i).column(column).statistics.max) for i in range(4)]
    assert ranges == sorted(ranges) and ranges[0] == ("99101", "99101")
    frame = pd.read_parquet(path)
    assert list(frame["commune_code"]) == sorted(frame["commune_code"])
    expected = incidents_frame()  # same rows, in a stable order within each commune
    assert sorted(frame["name"]) == sorted(expected["name"])
    firsts = frame[frame["commune_code"] == "99102"]["name"].tolist()
    assert firsts == expected[expected["Commune"] == "99102"]["name"].tolist()


def test_small_snapshots_keep_their_order():
    frame = pd.DataFrame({"commune_code": ["b", "a"], "x": [1, 2]})
    assert store_module.cluster(frame, ["commune_code"])[0] is frame
    bigger = pd.concat([frame] * store_module.ROW_GROUP_ROWS, ignore_index=True)
    clustered, used = store_module.cluster(bigger, ["commune_code", "missing"])
    assert used == ["commune_code"] and clustered["commune_code"].is_monotonic_increasing


# -- the catalog endpoint -----------------------------------------------------------------------

def test_callers_arriving_together_share_one_rendering(ws, monkeypatch):
    """100 users opening their catalog at once: one rendering per view, not one each."""
    from concurrent.futures import ThreadPoolExecutor

    from hub.services.datasets.http import published_handlers as published

    from .test_datasets_service import get, start_service

    renders = []
    real = published.CATALOGS.render

    def counted(*args, **kwargs):
        renders.append(args[0].key)
        return real(*args, **kwargs)

    monkeypatch.setattr(published.CATALOGS, "render", counted)
    server = start_service(ws)
    try:
        users = ["analyst", "admin", "elu-rivemont", "partner"] * 6
        with ThreadPoolExecutor(12) as pool:
            answers = list(pool.map(lambda u: get(server, "api/catalog.json", u), users))
        assert all(a.status_code == 200 for a in answers)
        by_user = {u: sorted(a.json()["entries"]) for u, a in zip(users, answers)}
        assert by_user == {"analyst": ["incidents", "stations"],
                           "admin": ["incidents", "stations"],
                           "elu-rivemont": ["incidents"], "partner": ["stations"]}
        assert len(renders) == len(set(renders)) == 4  # one per distinct view
    finally:
        server.stop()
