"""File connectors (csv, xlsx, json, parquet, geojson, geoparquet, shapefile_zip) on real files."""

from __future__ import annotations

import io
import json
import os
import threading
import zipfile

import geopandas as gpd
import pandas as pd
import pydantic
import pytest
from shapely.geometry import Point, Polygon

from hub.pipeline import registry
from hub.pipeline.connectors import _location
from hub.pipeline.interfaces import Params, SourceError

from . import replay_server
from .connector_support import run
from .replay_server import Chunked, Slow, Truncated

replay = replay_server.replay  # the fixture

FRENCH_CSV = (
    "code_insee;commune;surface_km2;population\r\n"
    "69123;Lyon;47,87;522 250\r\n"
    "42218;Saint-Étienne;79,97;173 089\r\n"
    '69259;"Vénissieux; la ville";15,33;67 129\r\n'
)


def write(tmp_path, name: str, data: bytes):
    (tmp_path / name).write_bytes(data)
    return tmp_path


# --- csv ---------------------------------------------------------------------------------------

def test_cp1252_semicolon_csv_keeps_accents_and_french_decimals_as_text(tmp_path):
    write(tmp_path, "communes.csv", FRENCH_CSV.encode("cp1252"))
    result = run("csv", tmp_path, path="communes.csv")
    assert result.details["encoding"] == "cp1252"
    assert result.details["delimiter"] == ";"
    assert list(result.frame["commune"]) == ["Lyon", "Saint-Étienne", "Vénissieux; la ville"]
    assert list(result.frame["code_insee"]) == ["69123", "42218", "69259"]  # leading text kept
    assert result.frame["surface_km2"].iloc[0] == "47,87"
    assert result.details["rows"] == 3


def test_infer_dtype_parses_french_decimals(tmp_path):
    write(tmp_path, "communes.csv", FRENCH_CSV.encode("cp1252"))
    frame = run("csv", tmp_path, path="communes.csv", dtype="infer").frame
    assert frame["surface_km2"].tolist() == [47.87, 79.97, 15.33]
    assert frame["code_insee"].dtype.kind == "i"


def test_utf8_bom_is_not_part_of_the_first_column_name(tmp_path):
    body = "\ufeffid,libellé\n1,Île-de-France\n2,Hauts-de-France\n".encode("utf-8")
    write(tmp_path, "regions.csv", body)
    result = run("csv", tmp_path, path="regions.csv")
    assert list(result.frame.columns) == ["id", "libellé"]
    assert result.details["encoding"] == "utf-8-sig"
    assert result.frame["libellé"].iloc[0] == "Île-de-France"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_detected(tmp_path, delimiter):
    rows = [["a", "b", "c"], ["1", "x y", "3"], ["4", "5", "z"]]
    write(tmp_path, "d.csv", "\n".join(delimiter.join(r) for r in rows).encode())
    result = run("csv", tmp_path, path="d.csv")
    assert result.details["delimiter"] == delimiter
    assert result.frame.shape == (2, 3)


def test_explicit_options_override_detection(tmp_path):
    body = "Export du 01/02/2024\nsource: ville\nnom|valeur\nMâcon|1.5\nNîmes|2.25\n".encode("latin-1")
    write(tmp_path, "x.csv", body)
    result = run("csv", tmp_path, path="x.csv", encoding="latin-1", delimiter="|",
                 skip_rows=2, decimal=".", dtype="infer")
    assert result.frame["nom"].tolist() == ["Mâcon", "Nîmes"]
    assert result.frame["valeur"].tolist() == [1.5, 2.25]
    assert result.details["encoding"] == "latin-1"


def test_only_empty_fields_are_missing_when_reading_text(tmp_path):
    write(tmp_path, "x.csv", b"pays,code\nNamibie,NA\nInconnu,\n")
    frame = run("csv", tmp_path, path="x.csv").frame
    assert frame["code"].iloc[0] == "NA"
    assert pd.isna(frame["code"].iloc[1])


def test_csv_cut_mid_quote_is_a_source_error(tmp_path):
    truncated = FRENCH_CSV.encode("cp1252") + b'11111;"Ville coup'
    write(tmp_path, "cut.csv", truncated)
    with pytest.raises(SourceError, match=r"cut\.csv: the CSV is corrupt or truncated"):
        run("csv", tmp_path, path="cut.csv")


@pytest.mark.parametrize("cut_after", ["69123;Lyon", "69123;Lyon;47,", "69123"])
def test_csv_cut_inside_a_line_is_refused(tmp_path, cut_after):
    """No quote involved: the last line has no newline and fewer fields than the header."""
    write(tmp_path, "cut.csv", FRENCH_CSV.encode("cp1252") + cut_after.encode())
    found = cut_after.count(";") + 1
    with pytest.raises(SourceError) as raised:
        run("csv", tmp_path, path="cut.csv")
    assert str(raised.value) == (
        f"cut.csv: the CSV is truncated: its last line has {found} field"
        f"{'s' if found > 1 else ''}, the header has 4; the file was probably cut while "
        "copying — fetch it again")


def test_csv_with_a_last_line_longer_than_the_header_is_refused(tmp_path):
    write(tmp_path, "cut.csv", b"a,b\n1,2\n3,4,5,6")
    with pytest.raises(SourceError, match="its last line has 4 fields, the header has 2"):
        run("csv", tmp_path, path="cut.csv")


@pytest.mark.parametrize("text", ["a,b\n1,2\n3,4", "a;b\n1;2",
                                  "a;b\n1;2;\n3;4;",  # every row one field wider than the header
                                  'a,b\n1,2\n"x\ny",4', "a,b\n1,2\n   ", "a,b,c"])
def test_csv_without_a_final_newline_but_whole_lines_is_read(tmp_path, text):
    write(tmp_path, "whole.csv", text.encode())
    frame = run("csv", tmp_path, path="whole.csv", allow_empty=True).frame
    assert len(frame.columns) in (2, 3)


@pytest.mark.parametrize("end", ["4142", "4142\r", "41"])
def test_a_file_of_crlf_lines_cut_inside_its_last_field_is_refused(tmp_path, end):
    """Every field is there, but Windows tools end the last line too: a cut inside its last
    field (or between CR and LF) loses a digit, not a field."""
    write(tmp_path, "cut.csv", b"code;nom;densite\r\n01001;Rivemont;66,92\r\n01002;Val;" + end.encode())
    with pytest.raises(SourceError) as raised:
        run("csv", tmp_path, path="cut.csv")
    assert str(raised.value).startswith(
        "cut.csv: the CSV is truncated: its last line has no line ending while the lines before "
        "it end with CRLF; the file was probably cut while copying — fetch it again (if it is "
        "whole, set `trust_last_line: true` in the recipe's source)")
    frame = run("csv", tmp_path, path="cut.csv", trust_last_line=True).frame
    assert frame["densite"].tolist() == ["66,92", end.rstrip("\r")]


def test_truncation_check_reads_only_the_tail():
    """A 2 MB file: the check looks at its last 64 KiB, not the whole file."""
    from hub.pipeline.connectors import _csv

    body = b"id,value\n" + b"1,2\n" * 500_000 + b"3,"
    _csv.check_last_line(body, "utf-8", ",", "id,value\n", "big.csv")  # 2 fields: fine
    with pytest.raises(SourceError, match="last line has 1 field, the header has 2"):
        _csv.check_last_line(body[:-1], "utf-8", ",", "id,value\n", "big.csv")


def test_empty_and_header_only_files_are_errors_unless_allowed(tmp_path):
    write(tmp_path, "empty.csv", b"")
    write(tmp_path, "header.csv", b"a;b\n")
    with pytest.raises(SourceError, match="empty.csv: the source is empty"):
        run("csv", tmp_path, path="empty.csv")
    with pytest.raises(SourceError, match="header.csv: the source has no rows"):
        run("csv", tmp_path, path="header.csv")
    assert run("csv", tmp_path, path="header.csv", allow_empty=True).frame.columns.tolist() == ["a", "b"]


def test_missing_file_and_unknown_encoding_are_source_errors(tmp_path):
    with pytest.raises(SourceError, match="nope.csv: file not found"):
        run("csv", tmp_path, path="nope.csv")
    write(tmp_path, "x.csv", b"a\n1\n")
    with pytest.raises(SourceError, match="unknown encoding 'klingon'"):
        run("csv", tmp_path, path="x.csv", encoding="klingon")


@pytest.mark.parametrize("params, problem", [
    ({"path": "../secrets.csv"}, "climbs out of the sources folder"),
    ({"path": "a/../../b.csv"}, "climbs out of the sources folder"),
    ({"url": "file:///etc/passwd"}, "only http:// and https://"),
    ({"path": "a.csv", "url": "https://x.org/a.csv"}, "exactly one of `path`"),
    ({}, "exactly one of `path`"),
    ({"path": "a.csv", "separator": ";"}, "Extra inputs are not permitted"),
])
def test_bad_locations_are_rejected_when_the_recipe_is_validated(params, problem):
    with pytest.raises(pydantic.ValidationError, match=problem):
        registry.connector("csv").Params.model_validate(params)


def test_absolute_paths_and_inner_dotdot_are_allowed(tmp_path):
    write(tmp_path, "x.csv", b"a\n1\n")
    assert run("csv", "/nonexistent", path=str(tmp_path / "x.csv")).frame["a"].tolist() == ["1"]
    (tmp_path / "sub").mkdir()
    assert run("csv", tmp_path, path="sub/../x.csv").frame.shape == (1, 1)


# --- fingerprints --------------------------------------------------------------------------------

def test_identical_bytes_give_identical_fingerprints_and_changed_bytes_do_not(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write(tmp_path / "a", "x.csv", FRENCH_CSV.encode("cp1252"))
    write(tmp_path / "b", "x.csv", FRENCH_CSV.encode("cp1252"))
    first, same = run("csv", tmp_path, path="a/x.csv"), run("csv", tmp_path, path="b/x.csv")
    assert first.fingerprint == same.fingerprint
    assert first.fingerprint.startswith("sha256:")
    write(tmp_path / "b", "x.csv", FRENCH_CSV.replace("47,87", "47,88").encode("cp1252"))
    assert run("csv", tmp_path, path="b/x.csv").fingerprint != first.fingerprint


# --- over HTTP ------------------------------------------------------------------------------------

def test_csv_from_a_url(replay):
    replay.route("/data/communes.csv", (200, {"Content-Type": "text/csv; charset=windows-1252"},
                                        FRENCH_CSV.encode("cp1252")))
    result = run("csv", url=replay.url("/data/communes.csv"))
    assert result.frame["commune"].iloc[1] == "Saint-Étienne"
    assert result.details["url"] == replay.url("/data/communes.csv")
    assert result.details["bytes"] == len(FRENCH_CSV.encode("cp1252"))


def test_http_500_is_a_source_error_with_the_status(replay):
    replay.route("/boom.csv", (500, {"Content-Type": "text/plain"}, b"database unavailable"))
    with pytest.raises(SourceError, match=r"HTTP 500 .*database unavailable"):
        run("csv", url=replay.url("/boom.csv"))


def test_http_404_names_the_url(replay):
    with pytest.raises(SourceError, match=r"/missing.csv: answered HTTP 404"):
        run("csv", url=replay.url("/missing.csv"))


def test_slow_server_times_out_as_a_source_error(replay):
    replay.route("/slow.csv", Slow(2.0, (200, {}, b"a\n1\n")))
    with pytest.raises(SourceError, match=r"no answer .* within 0.3 s \(timeout\)"):
        run("csv", timeout=0.3, url=replay.url("/slow.csv"))


def test_download_cut_short_is_a_source_error(replay):
    replay.route("/cut.csv", Truncated((200, {"Content-Type": "text/csv"}, b"a,b\n1,2\n3,"), missing=50))
    with pytest.raises(SourceError, match=r"download from .*/cut.csv failed"):
        run("csv", url=replay.url("/cut.csv"))


TOO_LARGE = r"a refresh reads at most {limit} .*raise refresh.max_source_bytes in the recipe"


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    data = FRENCH_CSV.encode("cp1252")
    write(tmp_path, "x.csv", data)
    assert len(run("csv", tmp_path, path="x.csv", max_bytes=len(data)).frame) == 3  # at the limit
    monkeypatch.setattr(_location, "open", lambda *a: pytest.fail("opened"), raising=False)
    with pytest.raises(SourceError, match=r"x.csv: the source is 1\d\d bytes, and "
                       + TOO_LARGE.format(limit="100 bytes")):
        run("csv", tmp_path, path="x.csv", max_bytes=100)


def test_a_pipe_over_the_size_limit_is_refused_while_it_is_read(tmp_path):
    """A pipe (or a file still growing) has no useful size: the limit holds while reading."""
    os.mkfifo(tmp_path / "x.csv")

    def feed():
        with open(tmp_path / "x.csv", "wb") as pipe:
            pipe.write(FRENCH_CSV.encode("cp1252"))  # 147 bytes

    threading.Thread(target=feed, daemon=True).start()
    with pytest.raises(SourceError, match=r"x.csv: the source goes on past the limit, and "
                       + TOO_LARGE.format(limit="100 bytes")):
        run("csv", tmp_path, path="x.csv", max_bytes=100)


def test_a_download_over_the_size_limit_is_refused(replay):
    body = b"a;b\n" + b"1;2\n" * 300_000  # 1.2 MB
    replay.route("/declared.csv", (200, {"Content-Type": "text/csv"}, body))
    replay.route("/chunked.csv", Chunked((200, {"Content-Type": "text/csv"}, body)))
    for path, found in (("/declared.csv", r"is 1.1 MiB"), ("/chunked.csv", "goes on past the limit")):
        with pytest.raises(SourceError, match=f"{path}: the source {found}, and "
                           + TOO_LARGE.format(limit=r"1.0 MiB")):
            run("csv", url=replay.url(path), max_bytes=1 << 20)
        assert len(run("csv", url=replay.url(path), max_bytes=len(body)).frame) == 300_000


def test_refused_connection_is_a_source_error():
    with pytest.raises(SourceError, match="download from http://127.0.0.1:9/x.csv failed"):
        run("csv", url="http://127.0.0.1:9/x.csv")


# --- xlsx ----------------------------------------------------------------------------------------

@pytest.fixture
def workbook(tmp_path):
    path = tmp_path / "budget.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        pd.DataFrame({"titre": ["Notes"]}).to_excel(writer, sheet_name="Lisez-moi", index=False)
        pd.DataFrame({"poste": ["Écoles", "Voirie"], "montant": [1250.5, 980.0], "code": [1, "B2"]}
                     ).to_excel(writer, sheet_name="Budget 2024", index=False, startrow=2)
    return tmp_path


def test_xlsx_sheet_by_name_with_header_row(workbook):
    result = run("xlsx", workbook, path="budget.xlsx", sheet="Budget 2024", header_row=2)
    assert result.frame["poste"].tolist() == ["Écoles", "Voirie"]
    assert result.frame["montant"].tolist() == [1250.5, 980.0]
    assert result.frame["code"].tolist() == ["1", "B2"]  # a mixed column becomes text


def test_xlsx_sheet_by_index_and_missing_sheet(workbook):
    assert run("xlsx", workbook, path="budget.xlsx", sheet=0).frame.columns.tolist() == ["titre"]
    with pytest.raises(SourceError, match=r"no sheet 'Budget'; the workbook has \['Lisez-moi', 'Budget 2024'\]"):
        run("xlsx", workbook, path="budget.xlsx", sheet="Budget")


def test_xlsx_that_is_not_a_workbook(tmp_path):
    write(tmp_path, "fake.xlsx", b"a;b\n1;2\n")
    with pytest.raises(SourceError, match="fake.xlsx: not a readable .xlsx workbook"):
        run("xlsx", tmp_path, path="fake.xlsx")


# --- json ----------------------------------------------------------------------------------------

def test_json_records_under_a_nested_path_are_flattened(tmp_path):
    document = {"meta": {"count": 2}, "data": {"items": [
        {"id": 1, "nom": "Crèche A", "adresse": {"ville": "Lyon", "cp": "69001"}, "tags": ["a", "b"]},
        {"id": 2, "nom": "Crèche B", "adresse": {"ville": "Bron", "cp": "69500"}, "tags": []},
    ]}}
    write(tmp_path, "x.json", json.dumps(document, ensure_ascii=False).encode())
    frame = run("json", tmp_path, path="x.json", records_path="data.items").frame
    assert frame["adresse.ville"].tolist() == ["Lyon", "Bron"]
    assert frame["nom"].tolist() == ["Crèche A", "Crèche B"]
    assert frame["tags"].tolist() == ['["a", "b"]', "[]"]
    joined = run("json", tmp_path, path="x.json", records_path="data.items", separator="_").frame
    assert list(joined.columns) == ["id", "nom", "tags", "adresse_ville", "adresse_cp"]


COMMUNES_JSON = (
    '[{"nom":"Rivemont","code":"01001","codesPostaux":["01400","01401"],"population":null},'
    ' {"nom":"Bellecombe","code":"01002","codesPostaux":["01640"],"population":239},'
    ' {"nom":"Val-de-Lière","code":"01004","codesPostaux":[],"population":9007199254740993}]'
).encode()


def test_json_integers_with_nulls_stay_exact_nullable_integers(tmp_path):
    write(tmp_path, "communes.json", COMMUNES_JSON)
    frame = run("json", tmp_path, path="communes.json").frame
    assert frame["population"].dtype == "Int64"
    assert frame["population"].tolist() == [pd.NA, 239, 9007199254740993]  # beyond 2**53
    assert frame["codesPostaux"].tolist() == ['["01400", "01401"]', '["01640"]', "[]"]
    assert frame["code"].dtype == "str"


def test_json_floats_with_nulls_stay_floats_and_booleans_stay_booleans(tmp_path):
    write(tmp_path, "x.json", b'[{"a": {"n": 1, "x": 1.0}, "ok": true}, '
                              b'{"a": {"n": null, "x": null}, "ok": null}, {"ok": false}]')
    frame = run("json", tmp_path, path="x.json").frame
    assert frame["a.n"].dtype == "Int64" and frame["a.n"].tolist() == [1, pd.NA, pd.NA]
    assert frame["a.x"].dtype == "float64"
    assert frame["ok"].dtype == "boolean" and frame["ok"].tolist() == [True, pd.NA, False]


def test_json_errors(tmp_path):
    write(tmp_path, "bad.json", b'[{"a": 1}, {"a": ')
    write(tmp_path, "obj.json", b'{"data": {"items": []}}')
    with pytest.raises(SourceError, match="bad.json: not valid JSON"):
        run("json", tmp_path, path="bad.json")
    with pytest.raises(SourceError, match="expected a list of objects at the top level"):
        run("json", tmp_path, path="obj.json")
    with pytest.raises(SourceError, match="`records_path` 'data.rows': no 'rows'"):
        run("json", tmp_path, path="obj.json", records_path="data.rows")


# --- parquet / geoparquet ------------------------------------------------------------------------

def test_parquet_round_trip(tmp_path):
    original = pd.DataFrame({"code": ["69123", "42218"], "population": [522250, 173089],
                             "date": pd.to_datetime(["2024-01-01", "2024-06-30"])})
    original.to_parquet(tmp_path / "x.parquet")
    result = run("parquet", tmp_path, path="x.parquet")
    pd.testing.assert_frame_equal(result.frame, original)


def test_parquet_with_bad_magic_is_a_source_error(tmp_path):
    write(tmp_path, "x.parquet", b"PAR0" + b"\x00" * 64 + b"NOPE")
    with pytest.raises(SourceError, match="x.parquet: not a readable Parquet file"):
        run("parquet", tmp_path, path="x.parquet")


def test_geoparquet_round_trip_keeps_crs(tmp_path):
    original = gpd.GeoDataFrame({"nom": ["A", "B"]}, geometry=[Point(842000, 6519000), Point(843000, 6520000)],
                                crs="EPSG:2154")
    original.to_parquet(tmp_path / "x.parquet")
    result = run("geoparquet", tmp_path, path="x.parquet")
    assert result.frame.crs.to_epsg() == 2154
    assert result.frame.geometry.equals(original.geometry)
    assert result.details["crs"] == "EPSG:2154"


def test_plain_parquet_is_not_geoparquet(tmp_path):
    pd.DataFrame({"a": [1]}).to_parquet(tmp_path / "x.parquet")
    with pytest.raises(SourceError, match="not a readable GeoParquet file"):
        run("geoparquet", tmp_path, path="x.parquet")


# --- geojson -------------------------------------------------------------------------------------

def feature_collection(crs: str | None = None) -> bytes:
    document = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"nom": "Mairie", "code": "69123"},
         "geometry": {"type": "Point", "coordinates": [842000.0, 6519000.0] if crs else [4.8357, 45.764]}}]}
    if crs:
        document["crs"] = {"type": "name", "properties": {"name": crs}}
    return json.dumps(document).encode()


def test_geojson_default_crs_is_wgs84(tmp_path):
    write(tmp_path, "x.geojson", feature_collection())
    result = run("geojson", tmp_path, path="x.geojson")
    assert result.frame.crs.to_epsg() == 4326
    assert result.frame["nom"].tolist() == ["Mairie"]


def test_geojson_crs_member_is_kept(tmp_path):
    write(tmp_path, "x.geojson", feature_collection("urn:ogc:def:crs:EPSG::2154"))
    result = run("geojson", tmp_path, path="x.geojson")
    assert result.frame.crs.to_epsg() == 2154
    assert result.frame.geometry.iloc[0].x == 842000.0


def test_geojson_that_is_not_geojson(tmp_path):
    write(tmp_path, "x.geojson", b"<html>maintenance</html>")
    with pytest.raises(SourceError, match="x.geojson: not GeoJSON"):
        run("geojson", tmp_path, path="x.geojson")


# --- shapefile_zip ------------------------------------------------------------------------------

def shapefile_zip(tmp_path, layers=("communes",), folder="export/") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for layer in layers:
            frame = gpd.GeoDataFrame(
                {"nom": ["Saint-Étienne", "Öcher"], "code": ["42218", "00000"]},
                geometry=[Polygon([(0, 0), (1000, 0), (1000, 1000)]), Polygon([(0, 0), (5, 0), (5, 5)])],
                crs="EPSG:2154")
            out = tmp_path / f"build-{layer}"
            out.mkdir()
            frame.to_file(out / f"{layer}.shp", engine="pyogrio", encoding="utf-8")
            for member in sorted(out.iterdir()):
                archive.write(member, folder + member.name)
    return buffer.getvalue()


def test_zipped_shapefile_keeps_crs_and_accents(tmp_path):
    write(tmp_path, "communes.zip", shapefile_zip(tmp_path))
    result = run("shapefile_zip", tmp_path, path="communes.zip")
    assert result.frame.crs.to_epsg() == 2154
    assert result.frame["nom"].tolist() == ["Saint-Étienne", "Öcher"]
    assert result.frame.geometry.iloc[0].area == pytest.approx(500_000)


def test_zip_with_several_layers_needs_a_layer(tmp_path):
    write(tmp_path, "two.zip", shapefile_zip(tmp_path, layers=("communes", "epci")))
    with pytest.raises(SourceError, match=r"several layers \['communes', 'epci'\]; choose one with `layer`"):
        run("shapefile_zip", tmp_path, path="two.zip")
    assert len(run("shapefile_zip", tmp_path, path="two.zip", layer="epci").frame) == 2


def test_zip_that_is_not_a_zip_and_zip_without_shp(tmp_path):
    write(tmp_path, "fake.zip", b"PK\x03\x04 but not really")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "nothing here")
    write(tmp_path, "noshp.zip", buffer.getvalue())
    with pytest.raises(SourceError, match="fake.zip: not a readable zip archive"):
        run("shapefile_zip", tmp_path, path="fake.zip")
    with pytest.raises(SourceError, match="no .shp layer in the zip"):
        run("shapefile_zip", tmp_path, path="noshp.zip")


# --- registry ------------------------------------------------------------------------------------

def test_every_connector_is_registered_with_a_summary_and_strict_params():
    expected = {"csv", "xlsx", "json", "parquet", "geojson", "geoparquet", "shapefile_zip",
                "sql", "opendatasoft", "ckan", "wfs"}
    assert expected <= set(registry.connectors())
    for name in expected:
        cls = registry.connector(name)
        assert cls.name == name and cls.summary
        assert issubclass(cls.Params, Params)
        assert cls.Params.model_config.get("extra") == "forbid"


def test_quoted_newlines_stray_quotes_and_short_rows_still_read(tmp_path):
    write(tmp_path, "multi.csv", b'id;adresse\n1;"12 rue Victor Hugo\n69002 Lyon"\n2;"Place ""Bellecour"""\n')
    write(tmp_path, "stray.csv", 'produit;taille\nÉcran 24";5\nCâble;2\n'.encode())
    write(tmp_path, "short.csv", b"a;b;c\n1;2;3\n4;5\n")
    assert run("csv", tmp_path, path="multi.csv").frame["adresse"].tolist() == [
        "12 rue Victor Hugo\n69002 Lyon", 'Place "Bellecour"']
    assert run("csv", tmp_path, path="stray.csv").frame["produit"].tolist() == ['Écran 24"', "Câble"]
    short = run("csv", tmp_path, path="short.csv").frame
    assert short["b"].tolist() == ["2", "5"] and pd.isna(short["c"].iloc[1])


def test_every_connector_and_parameter_is_documented():
    from pathlib import Path

    text = (Path(__file__).parents[3] / "docs" / "connectors.md").read_text(encoding="utf-8")
    builtins = {n: c for n, c in registry.connectors().items() if c.__module__.startswith("hub.pipeline.connectors")}
    for name, cls in builtins.items():
        assert f"## `{name}`" in text, f"docs/connectors.md has no section for {name}"
        for field_name, info in cls.Params.model_fields.items():
            assert f"`{info.alias or field_name}`" in text, f"{name}.{info.alias or field_name} is undocumented"


def test_a_wrong_encoding_is_named_with_the_fix(tmp_path):
    write(tmp_path, "export.csv", FRENCH_CSV.encode("cp1252"))
    with pytest.raises(SourceError) as raised:
        run("csv", tmp_path, path="export.csv", encoding="utf-8")
    assert str(raised.value) == (
        "export.csv: the CSV is not utf-8 text (it holds the byte 0xc9) -> remove `encoding:` "
        "(auto detects it) or give the file's own, e.g. `encoding: cp1252` for Excel and most "
        "French back-office exports")
    assert run("csv", tmp_path, path="export.csv").frame["commune"][1] == "Saint-Étienne"
