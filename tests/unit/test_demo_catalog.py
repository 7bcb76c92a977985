"""The demo catalog: every recipe validates, and a full refresh of the small demo data works.

The refresh runs once per module on `--scale small` sources (about 10 s) and the tests then
read the snapshots and their quality reports: the processors must have done real work on the
mess hub.demo_data made on purpose.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from hub.config.settings import DataSettings, HubSettings, Settings
from hub.demo_data import generate
from hub.demo_data.bootstrap import load_demo_data
from hub.pipeline.recipe import load_catalog
from hub.pipeline.refresh import RefreshEnv, refresh_many
from hub.pipeline.store import SnapshotStore
from hub.policy.caller import Caller
from hub.policy.evaluate import decide

CATALOG = Path(__file__).resolve().parents[2] / "catalogs"
KEY = "unit-test-pseudonym-key-0123456789"
EXPECTED = {"communes", "communes_lambert93", "ev_charging_stations", "fibre_rollout",
            "air_quality", "river_stations", "river_levels", "waste_bins", "budget_spending",
            "traffic_light_incidents", "social_aid_beneficiaries"}
TERRITORIAL = EXPECTED - {"communes", "communes_lambert93", "budget_spending",
                          "social_aid_beneficiaries"}


def environ_for(sources: Path) -> dict[str, str]:
    return {"AGORA_PSEUDONYM_KEY": KEY,
            "AGORA_DEMO_SOCIAL_AID_DB": f"sqlite:///{sources / 'aides_sociales.sqlite'}"}


@pytest.fixture(scope="module")
def recipes():
    return load_catalog(CATALOG)


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory, recipes):
    root = tmp_path_factory.mktemp("demo-catalog")
    sources = root / "sources"
    generate(sources, seed=42, scale="small")
    store = SnapshotStore(root / "store")
    env = RefreshEnv(store, sources, environ_for(sources), max_dropped_fraction=0.5)
    results = {r.dataset: r for r in refresh_many(recipes, env)}
    return store, results


def steps(store: SnapshotStore, dataset: str) -> list[dict]:
    return store.read_manifest(dataset)["quality"]["steps"]


def columns(store: SnapshotStore, dataset: str) -> dict:
    return store.read_manifest(dataset)["quality"]["columns"]


def removed_duplicates(store: SnapshotStore, dataset: str) -> int:
    return sum(s["notes"].get("duplicates_removed", 0) for s in steps(store, dataset))


def test_every_recipe_validates_and_is_marked_synthetic(recipes):
    assert set(recipes) == EXPECTED
    for recipe in recipes.values():
        meta = recipe.metadata
        assert meta.synthetic is True and meta.publisher == "Métropole de Val-de-Lière (fictional)"
        assert meta.title and meta.description and meta.keywords and meta.contact
        assert meta.update_frequency and meta.spatial and recipe.schedule
        assert meta.licence == ("proprietary" if recipe.id == "social_aid_beneficiaries"
                                else "etalab-2.0")


def test_access_officials_see_their_territory_partners_open_data(recipes):
    official = Caller("elu-rivemont", frozenset({"officials", "commune-99101"}),
                      {"territories": frozenset({"99101"})})
    partner = Caller("partner", frozenset({"partners"}))
    analyst = Caller("analyst", frozenset({"analysts"}))
    for dataset in TERRITORIAL:
        decision = decide(official, recipes[dataset].access)
        assert decision.allowed, dataset
        assert [(f.column, f.values) for f in decision.row_filters] == [("commune_code", ("99101",))]
    for dataset in EXPECTED:
        assert decide(analyst, recipes[dataset].access).allowed
    personal = recipes["social_aid_beneficiaries"].access
    assert not decide(official, personal).allowed and not decide(partner, personal).allowed
    assert {c for c, _ in decide(analyst, personal).column_actions} >= {"case_id"}
    open_data = {d for d in EXPECTED if decide(partner, recipes[d].access).allowed}
    assert {"communes", "ev_charging_stations", "air_quality", "budget_spending"} <= open_data
    assert "social_aid_beneficiaries" not in open_data


def test_full_refresh_of_the_small_demo_data_succeeds(refreshed):
    store, results = refreshed
    assert set(results) == EXPECTED
    failed = {d: r.error for d, r in results.items() if r.result != "new"}
    assert not failed
    for dataset in EXPECTED:
        assert len(store.read_current(dataset)) > 0, dataset
        assert store.read_manifest(dataset)["synthetic"] is True


def test_duplicates_were_removed(refreshed):
    store, _ = refreshed
    for dataset in ("ev_charging_stations", "air_quality", "river_levels", "waste_bins",
                    "budget_spending", "traffic_light_incidents"):
        assert removed_duplicates(store, dataset) > 0, dataset


def test_mess_was_cleaned(refreshed):
    store, _ = refreshed
    stations = store.read_current("ev_charging_stations")
    assert set(stations["status"].dropna()) == {"planned", "works", "in service"}
    assert stations["operator"].nunique() == 4
    assert stations["power_kw"].dtype.kind == "f" and stations["power_kw"].notna().mean() > 0.95
    assert stations["commune_code"].notna().all()
    assert stations["commissioning_date"].dtype.kind == "M"
    fibre = store.read_current("fibre_rollout")
    assert len(fibre) == 30 * 16 and fibre["commune_code"].notna().all()
    assert fibre["coverage_rate"].between(0, 1).all()
    air = store.read_current("air_quality")
    assert air["measured_at"].dtype.kind == "M" and air["measured_at"].notna().all()
    assert (air[["pm10", "pm25", "no2"]].min() >= 0).all()
    incidents = store.read_current("traffic_light_incidents")
    assert incidents["reported_at"].notna().all() and incidents["commune_code"].notna().all()
    assert incidents["category"].nunique() == 6
    budget = store.read_current("budget_spending")
    assert budget["amount_eur"].notna().all() and (budget["amount_eur"] < 0).any()
    assert "unparseable_dates" not in str(columns(store, "traffic_light_incidents"))
    assert fibre["quarter"].str.fullmatch("20[0-9]{2}-T[1-4]").all()
    assert set(stations.columns) >= {"geometry", "commune_code"}
    assert "located_commune_code" not in stations.columns
    levels = store.read_current("river_levels")
    assert str(levels["measured_at"].dt.tz) == "UTC"
    assert levels["level_m"].dropna().between(-5, 20).all()
    assert (levels["level_m"] > levels["vigilance_m"]).any()  # the flood is in the data
    bins = store.read_current("waste_bins")
    assert bins["fill_level"].dropna().between(0, 100).all()
    assert set(bins["waste_type"]) == {"Verre", "Ordures ménagères", "Emballages"}


def test_geometries_are_wgs84(refreshed):
    store, _ = refreshed
    for dataset in ("communes", "communes_lambert93"):
        frame = store.read_current(dataset)
        assert frame.crs.to_epsg() == 4326 and len(frame) == 30


def test_personal_data_is_anonymised_at_ingestion(refreshed):
    store, _ = refreshed
    frame = store.read_current("social_aid_beneficiaries")
    assert not {"last_name", "first_name", "address", "phone", "email"} & set(frame.columns)
    assert frame["beneficiary"].str.fullmatch("[0-9a-f]{16}").all()
    assert frame["beneficiary"].duplicated().sum() >= 1  # a second dossier, same person
    assert not {"nir", "id"} & set(frame.columns) and frame["birth_year"].between(1900, 2030).all()
    text = frame.astype(str).to_csv()
    assert "example.org" not in text and "06 39 98" not in text


def test_demo_bootstrap_generates_and_refreshes_once(tmp_path):
    settings = Settings(hub=HubSettings(data_dir=tmp_path),
                        data=DataSettings(catalog_dir=CATALOG))
    environ: dict[str, str] = {}  # demo mode sets the pseudonym key and the SQLite URL
    out = io.StringIO()
    results = load_demo_data(settings, out=out, scale="small", environ=environ)
    assert results and not [r for r in results if r.failed], out.getvalue()
    assert (settings.sources_dir / "bornes_recharge.csv").exists()
    assert "datasets ready" in out.getvalue() and len(environ["AGORA_PSEUDONYM_KEY"]) >= 16
    assert load_demo_data(settings, out=io.StringIO(), environ=environ) is None
