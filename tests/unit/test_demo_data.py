"""The synthetic demo generator: reproducible, fictional, and messy on purpose."""

from __future__ import annotations

import io
import json
import sqlite3
import time
import zipfile

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from openpyxl import load_workbook

from hub.demo_data import MANIFEST, README, generate
from hub.demo_data.social_aid import fake_nir
from hub.demo_data.territory import build_territory


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo-small")
    started = time.monotonic()
    paths = generate(out, seed=42, scale="small")
    return out, paths, time.monotonic() - started


def read_csv(path, **kwargs) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, **kwargs)


def test_small_scale_is_fast_and_writes_every_file(small):
    out, paths, seconds = small
    assert seconds < 10
    names = {p.name for p in paths}
    assert {"communes.geojson", "communes_lambert93.zip", "bornes_recharge.csv",
            "deploiement_fibre.xlsx", "qualite_air_capteurs.csv", "niveaux_rivieres.json",
            "remplissage_conteneurs.csv", "depenses_budget.csv", "incidents_feux.xlsx",
            "aides_sociales.sqlite", README, MANIFEST} <= names
    assert all(p.parent == out and p.stat().st_size > 0 for p in paths)


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(small, tmp_path):
    out, paths, _ = small
    time.sleep(1.1)  # a clock leaking into XLSX/ZIP/DBF metadata would show now
    again = generate(tmp_path / "again", seed=42, scale="small")
    assert [p.name for p in again] == [p.name for p in paths]
    for first, second in zip(paths, again):
        assert first.read_bytes() == second.read_bytes(), first.name
    other = generate(tmp_path / "other", seed=7, scale="small")
    differing = [p.name for p, q in zip(paths, other) if p.read_bytes() != q.read_bytes()]
    assert "qualite_air_capteurs.csv" in differing and "communes.geojson" in differing


def test_everything_is_marked_synthetic(small):
    out, _, _ = small
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["synthetic"] is True and manifest["seed"] == 42
    assert "fictional" in (out / README).read_text()
    assert json.loads((out / "communes.geojson").read_text())["synthetic"] is True
    assert json.loads((out / "niveaux_rivieres.json").read_text())["meta"]["synthetic"] is True
    title = load_workbook(out / "deploiement_fibre.xlsx").active["A1"].value
    assert "fictives" in title
    with sqlite3.connect(out / "aides_sociales.sqlite") as db:
        assert db.execute("SELECT synthetic FROM _notice").fetchone() == (1,)


def test_territory_has_thirty_communes_tiling_one_area():
    territory = build_territory(42)
    codes = territory.codes
    assert 28 <= len(codes) <= 32 and len(set(codes)) == len(codes)
    assert territory.commune("99101").name == "Rivemont"
    assert territory.commune("99102").name == "Bellecombe"
    assert all(code.startswith("991") for code in codes)


def test_commune_polygons_are_valid_disjoint_and_union_is_one_territory(small):
    out, _, _ = small
    frame = gpd.read_file(out / "communes.geojson")
    assert frame.crs.to_epsg() == 4326
    assert frame.geometry.is_valid.all() and (frame.geom_type == "Polygon").all()
    metric = frame.to_crs(2154)
    total = metric.union_all()
    assert total.geom_type == "Polygon" and len(total.interiors) == 0
    assert total.area == pytest.approx(metric.area.sum(), rel=1e-6)  # no overlaps
    tree = shapely.STRtree(metric.geometry.values)
    left, right = tree.query(metric.geometry.values, predicate="intersects")
    for i, j in zip(left, right):
        if i < j:
            assert metric.geometry[i].intersection(metric.geometry[j]).area < 1.0  # m²
    lon, lat = frame.geometry.union_all().centroid.coords[0]
    assert -5 < lon < 9 and 42 < lat < 51  # France-like, fictional place


def test_shapefile_is_lambert93_with_the_same_boundaries(small):
    out, _, _ = small
    with zipfile.ZipFile(out / "communes_lambert93.zip") as archive:
        assert {n.rsplit(".", 1)[1] for n in archive.namelist()} >= {"shp", "shx", "dbf", "prj"}
    lambert = gpd.read_file(out / "communes_lambert93.zip")
    assert lambert.crs.to_epsg() == 2154
    reference = gpd.read_file(out / "communes.geojson").to_crs(2154)
    assert list(lambert["INSEE_COM"]) == list(reference["code_insee"])
    difference = lambert.geometry.symmetric_difference(reference.geometry).area
    assert (difference / lambert.area < 1e-4).all()  # only the 6-decimal rounding of WGS 84


def test_ev_stations_are_cp1252_with_french_decimals_and_variants(small):
    out, _, _ = small
    raw = (out / "bornes_recharge.csv").read_bytes()
    assert b"\x92" in raw and b"\x9c" in raw  # ’ and œ: cp1252, not latin-1
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    frame = read_csv(io.BytesIO(raw), sep=";", encoding="cp1252")
    power = frame["puissance_nominale"]
    assert power.str.contains(r"^\d+,\d$").mean() > 0.4
    assert power.str.contains("kW").any()
    assert frame["statut"].nunique() > 5 and frame["nom_operateur"].nunique() > 8
    assert frame["id_station"].duplicated().any()
    assert (frame["latitude"] == "").any() and frame["latitude"].str.contains(",").any()
    dates = frame["date_mise_en_service"]
    assert dates.str.contains(r"^\d{4}-\d\d-\d\d$").any()
    assert dates.str.contains(r"^\d\d/\d\d/\d{4}$").any()
    assert (frame["code_insee_commune"] == "").any()


def test_fibre_has_a_title_above_the_header_and_misspelt_names(small):
    out, _, _ = small
    sheet = load_workbook(out / "deploiement_fibre.xlsx").active
    assert sheet["A4"].value == "Code INSEE"
    frame = pd.read_excel(out / "deploiement_fibre.xlsx", header=3, dtype=str)
    no_code = frame["Code INSEE"].isna() & frame["Trimestre"].notna()
    names = set(build_territory(42).communes[i].name for i in range(30))
    assert no_code.sum() >= 30 and not set(frame.loc[no_code, "Commune"]) <= names
    assert frame["Trimestre"].str.match(r"^T\d \d{4}$").any()
    assert frame["Trimestre"].str.match(r"^\d{4}-T\d$").any()
    assert (frame["Locaux raccordables"] == "NC").any()


def test_air_quality_has_two_timestamp_formats_gaps_glitches_and_duplicates(small):
    out, _, _ = small
    frame = read_csv(out / "qualite_air_capteurs.csv")
    assert frame["Sensor ID"].nunique() == 10
    stamps = frame["Timestamp"]
    assert stamps.str.contains("T").any() and stamps.str.contains("/").any()
    assert frame.duplicated().sum() > 0
    assert (frame["PM10 (µg/m³)"] == "").any()
    assert frame["NO2 (µg/m³)"].str.startswith("-").any()
    assert len(frame) - frame.duplicated().sum() < 10 * 14 * 24  # outages


def test_river_levels_are_nested_with_thresholds_and_a_flood(small):
    out, _, _ = small
    document = json.loads((out / "niveaux_rivieres.json").read_text())
    stations = document["stations"]
    assert len(stations) == 5 and all("seuils" in s for s in stations)
    thresholds = pd.json_normalize(stations)[["code_station", "seuils.vigilance_m"]]
    observations = pd.json_normalize(document["observations"]).merge(thresholds)
    values = observations["resultat.hauteur_m"]
    assert values.isna().any() and values.map(lambda v: isinstance(v, str)).any()
    numeric = pd.to_numeric(values, errors="coerce")
    vigilance = observations["seuils.vigilance_m"].astype(float)
    above = observations[(numeric > vigilance) & (numeric < 50)]
    assert above["code_station"].nunique() >= 2
    assert observations.duplicated(["code_station", "date_obs"]).any()


def test_waste_bins_fill_levels_are_messy(small):
    out, _, _ = small
    assert (out / "remplissage_conteneurs.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    fill = read_csv(out / "remplissage_conteneurs.csv", encoding="utf-8-sig")["fill_level"]
    for marker in ("NA", ""):
        assert (fill == marker).any()
    assert fill.str.contains("%").any() and fill.str.contains(",").any()


def test_budget_is_latin9_with_french_amounts_and_duplicates(small):
    out, _, _ = small
    raw = (out / "depenses_budget.csv").read_bytes()
    assert b"\xa4" in raw and b"\xa0" in raw  # € in latin-9, no-break space separators
    frame = read_csv(io.BytesIO(raw), sep=";", encoding="iso-8859-15")
    assert frame["Montant"].str.match(r"^-?\d{1,3}([\xa0 ]\d{3})*,\d\d €$").mean() > 0.8
    assert frame.duplicated().sum() >= 1 and frame["Montant"].str.startswith("-").any()


def test_traffic_incidents_mix_date_representations(small):
    out, _, _ = small
    frame = pd.read_excel(out / "incidents_feux.xlsx", dtype=object)
    reported = frame["Signalé le"]
    assert reported.map(lambda v: isinstance(v, float)).any()  # Excel serials
    assert reported.map(lambda v: isinstance(v, str) and "/" in v).any()
    assert reported.map(lambda v: isinstance(v, str) and "T" in v).any()
    assert frame["Résolu le"].isna().any()
    assert frame["N° incident"].duplicated().any()
    assert frame["Catégorie"].nunique() > 10


def test_personal_data_is_fictional_and_messy(small):
    out, _, _ = small
    with sqlite3.connect(out / "aides_sociales.sqlite") as db:
        rows = db.execute("SELECT nir, telephone, email, typeof(montant_eur) "
                          "FROM beneficiaires").fetchall()
    for nir, phone, email, _ in rows:
        digits = nir.replace(" ", "")
        assert len(digits) == 15 and digits[5:7] == "99"
        assert int(digits[-2:]) != 97 - int(digits[:13]) % 97  # never a valid key
        assert phone.startswith("06 39 98") and email.endswith("@example.org")
    assert {kind for *_, kind in rows} >= {"real", "text", "null"}
    assert fake_nir("1", pd.Timestamp("1985-03-14").date(), "99101", 123).startswith("185039910")
