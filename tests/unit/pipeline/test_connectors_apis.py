"""Opendatasoft, CKAN and WFS connectors against their documented wire formats, replayed locally."""

from __future__ import annotations

import io
import json

import pandas as pd
import pydantic
import pytest

from hub.pipeline import registry
from hub.pipeline.interfaces import SourceError

from . import replay_server
from .connector_support import run
from .replay_server import Chunked, Slow

replay = replay_server.replay  # the fixture

JSON = {"Content-Type": "application/json; charset=utf-8"}
GEOJSON = {"Content-Type": "application/geo+json"}

# --- Opendatasoft Explore API v2.1 -------------------------------------------------------------

ODS_EXPORT = "/api/explore/v2.1/catalog/datasets/qualite-de-l-air/exports/"


def ods_parquet() -> bytes:
    frame = pd.DataFrame({"station": ["Lyon Centre", "Gerland"], "polluant": ["NO2", "PM10"],
                          "valeur": [41.5, 22.0], "date_debut": pd.to_datetime(["2024-05-01T10:00:00+02:00"] * 2)})
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    return buffer.getvalue()


def test_ods_parquet_export_in_one_request_with_odsql_params(replay):
    body = ods_parquet()
    replay.route(ODS_EXPORT + "parquet", (200, {"Content-Type": "application/vnd.apache.parquet"}, body))
    result = run("opendatasoft", base_url=replay.url("/"), dataset_id="qualite-de-l-air",
                 where="polluant in ('NO2', 'PM10')", select="station, polluant, valeur, date_debut",
                 timezone="Europe/Paris")
    assert result.frame["station"].tolist() == ["Lyon Centre", "Gerland"]
    assert result.frame["valeur"].tolist() == [41.5, 22.0]
    (request,) = replay.requests
    assert request.path == ODS_EXPORT + "parquet"
    assert request.query == {"where": "polluant in ('NO2', 'PM10')", "select": "station, polluant, valeur, date_debut",
                             "timezone": "Europe/Paris"}
    assert result.details["bytes"] == len(body)
    assert result.fingerprint == run("opendatasoft", base_url=replay.url(), dataset_id="qualite-de-l-air").fingerprint


def test_ods_csv_export_is_read_with_detection(replay):
    body = "\ufeffstation;valeur;commune\nLyon Centre;41,5;Lyon\nGerland;22;Lyon 7e Arrondissement\n".encode()
    replay.route(ODS_EXPORT + "csv", (200, {"Content-Type": "text/csv; charset=utf-8"}, body))
    result = run("opendatasoft", base_url=replay.url(), dataset_id="qualite-de-l-air", format="csv")
    assert result.frame.columns.tolist() == ["station", "valeur", "commune"]
    assert result.details["delimiter"] == ";" and result.details["encoding"] == "utf-8-sig"


def test_ods_geojson_export_gives_geometries(replay):
    body = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature",
         "geometry": {"type": "Polygon",
                      "coordinates": [[[4.80, 45.75], [4.85, 45.75], [4.85, 45.78], [4.80, 45.75]]]},
         "properties": {"com_code": "69381", "com_name": "Lyon 1er Arrondissement",
                        "geo_point_2d": {"lon": 4.83, "lat": 45.76}}}]}).encode()
    replay.route(ODS_EXPORT + "geojson", (200, GEOJSON, body))
    result = run("opendatasoft", base_url=replay.url(), dataset_id="qualite-de-l-air", format="geojson")
    assert result.frame.crs.to_epsg() == 4326
    assert result.frame.geometry.iloc[0].geom_type == "Polygon"
    assert result.frame["com_name"].iloc[0] == "Lyon 1er Arrondissement"


def test_ods_odsql_error_message_is_reported(replay):
    error = {"error_code": "ODSQLError",
             "message": "ODSQL query is malformed: polutant Clause(s) containing the error(s): where."}
    replay.route(ODS_EXPORT + "parquet", (400, JSON, json.dumps(error).encode()))
    with pytest.raises(SourceError, match=r"opendatasoft qualite-de-l-air: .* HTTP 400 .*ODSQL query is malformed"):
        run("opendatasoft", base_url=replay.url(), dataset_id="qualite-de-l-air", where="polutant = 'NO2'")


def test_ods_api_key_is_sent_as_apikey_header(replay):
    replay.route(ODS_EXPORT + "parquet", (200, {}, ods_parquet()))
    run("opendatasoft", base_url=replay.url(), dataset_id="qualite-de-l-air", api_key_env="ODS_KEY",
        environ={"ODS_KEY": "k-123"})
    assert replay.requests[0].headers["Authorization"] == "Apikey k-123"
    with pytest.raises(SourceError, match="environment variable ODS_KEY is not set"):
        run("opendatasoft", base_url=replay.url(), dataset_id="qualite-de-l-air", api_key_env="ODS_KEY")


def test_ods_server_error_and_timeout(replay):
    replay.route(ODS_EXPORT + "parquet", (503, {"Content-Type": "text/html"}, b"<html>Service Unavailable</html>"))
    with pytest.raises(SourceError, match="HTTP 503"):
        run("opendatasoft", base_url=replay.url(), dataset_id="qualite-de-l-air")
    replay.route(ODS_EXPORT + "csv", Slow(2.0, (200, {}, b"a\n1\n")))
    with pytest.raises(SourceError, match="timeout"):
        run("opendatasoft", timeout=0.3, base_url=replay.url(), dataset_id="qualite-de-l-air", format="csv")


def test_ods_dataset_id_cannot_smuggle_a_path():
    with pytest.raises(pydantic.ValidationError, match="dataset_id"):
        registry.connector("opendatasoft").Params.model_validate({"base_url": "https://d.org", "dataset_id": "../../x"})


# --- CKAN action API -----------------------------------------------------------------------------

PACKAGE = "equipements-sportifs"
RESOURCE_CSV = "5b7a1c2e-0c4d-4a55-9a0e-1f2c3d4e5f60"
RESOURCE_GEO = "8e1f0a77-3b2c-4d11-8f00-aabbccddeeff"


def package_show(base: str) -> dict:
    return {
        "help": f"{base}/api/3/action/help_show?name=package_show",
        "success": True,
        "result": {
            "id": "c0ffee00-1111-2222-3333-444455556666", "name": PACKAGE, "title": "Équipements sportifs",
            "license_id": "etalab-2.0", "num_resources": 2,
            "resources": [
                {"id": RESOURCE_CSV, "name": "Équipements (CSV)", "format": "CSV", "mimetype": "text/csv",
                 "url": f"{base}/dataset/{PACKAGE}/resource/{RESOURCE_CSV}/download/equipements.csv",
                 "datastore_active": True, "package_id": "c0ffee00-1111-2222-3333-444455556666"},
                {"id": RESOURCE_GEO, "name": "Équipements (GeoJSON)", "format": "GeoJSON",
                 "url": "https://elsewhere.example.org/equipements.geojson", "datastore_active": False},
            ],
        },
    }


def datastore_page(base: str, total: int):
    def answer(query: dict):
        offset, limit = int(query.get("offset", 0)), int(query["limit"])
        records = [{"_id": i + 1, "code": f"EQ{i + 1:03d}", "nom": f"Gymnase n°{i + 1}", "places": 100 + i}
                   for i in range(offset, min(offset + limit, total))]
        action = f"/api/3/action/datastore_search?limit={limit}&resource_id={query['resource_id']}"
        links = {"start": action, "next": f"{action}&offset={offset + limit}"}
        result = {"include_total": True, "limit": limit, "records_format": "objects",
                  "resource_id": query["resource_id"], "total_estimation_threshold": None,
                  "records": records, "_links": links, "total": total, "total_was_estimated": False,
                  "fields": [{"id": "_id", "type": "int"}, {"id": "code", "type": "text"},
                             {"id": "nom", "type": "text"}, {"id": "places", "type": "int4"}]}
        return 200, JSON, json.dumps({"help": f"{base}/api/3/action/help_show?name=datastore_search",
                                      "success": True, "result": result}).encode()
    return answer


@pytest.fixture
def ckan(replay):
    replay.route("/api/3/action/package_show", (200, JSON, json.dumps(package_show(replay.url())).encode()))
    return replay


def test_ckan_resource_download_by_format(ckan):
    csv_path = f"/dataset/{PACKAGE}/resource/{RESOURCE_CSV}/download/equipements.csv"
    body = "code;nom;places\nEQ001;Gymnase Jean-Jaurès;120\nEQ002;Piscine du Rhône;300\n".encode("cp1252")
    ckan.route(csv_path, (200, {"Content-Type": "text/csv"}, body))
    result = run("ckan", base_url=ckan.url(), package=PACKAGE, resource_format="csv")
    assert result.frame["nom"].tolist() == ["Gymnase Jean-Jaurès", "Piscine du Rhône"]
    assert ckan.requests[0].query == {"id": PACKAGE}
    assert result.details["url"] == ckan.url(csv_path) and result.details["encoding"] == "cp1252"
    assert result.details["resource_id"] == RESOURCE_CSV


def test_ckan_datastore_pages_until_total(ckan):
    ckan.route("/api/3/action/datastore_search", datastore_page(ckan.url(), total=5))
    result = run("ckan", base_url=ckan.url(), package=PACKAGE, resource_id=RESOURCE_CSV, datastore=True, page_size=2)
    pages = ckan.requests_to("/api/3/action/datastore_search")
    assert [(r.query["offset"], r.query["limit"]) for r in pages] == [("0", "2"), ("2", "2"), ("4", "2")]
    assert all(r.query["sort"] == "_id" and r.query["resource_id"] == RESOURCE_CSV for r in pages)
    assert result.frame.columns.tolist() == ["code", "nom", "places"]
    assert result.frame["code"].tolist() == ["EQ001", "EQ002", "EQ003", "EQ004", "EQ005"]
    assert result.details["pages"] == 3


def test_ckan_datastore_stops_at_total_without_an_empty_page(ckan):
    ckan.route("/api/3/action/datastore_search", datastore_page(ckan.url(), total=4))
    run("ckan", base_url=ckan.url(), package=PACKAGE, resource_id=RESOURCE_CSV, datastore=True, page_size=2)
    assert len(ckan.requests_to("/api/3/action/datastore_search")) == 2


def test_ckan_fingerprint_hashes_every_page(ckan):
    ckan.route("/api/3/action/datastore_search", datastore_page(ckan.url(), total=5))
    params = dict(base_url=ckan.url(), package=PACKAGE, resource_id=RESOURCE_CSV, datastore=True, page_size=2)
    first = run("ckan", **params).fingerprint
    assert run("ckan", **params).fingerprint == first
    ckan.route("/api/3/action/datastore_search", datastore_page(ckan.url(), total=6))
    assert run("ckan", **params).fingerprint != first


def test_ckan_success_false_is_reported(replay):
    error = {"help": "...", "success": False, "error": {"message": "Not found", "__type": "Not Found Error"}}
    replay.route("/api/3/action/package_show", (404, JSON, json.dumps(error).encode()))
    with pytest.raises(SourceError, match="ckan nope: .* HTTP 404 .*: Not found"):
        run("ckan", base_url=replay.url(), package="nope", resource_format="csv")
    denied = {"success": False, "error": {"__type": "Authorization Error", "message": "Access denied"}}
    replay.route("/api/3/action/package_show", (200, JSON, json.dumps(denied).encode()))
    with pytest.raises(SourceError, match="package_show failed: Access denied"):
        run("ckan", base_url=replay.url(), package="private", resource_format="csv")


def test_ckan_resource_selection_errors_list_the_resources(ckan):
    with pytest.raises(SourceError, match=r"no resource matches .*'Équipements \(CSV\)' \(CSV, id 5b7a"):
        run("ckan", base_url=ckan.url(), package=PACKAGE, resource_format="xlsx")
    with pytest.raises(SourceError, match="has no DataStore table"):
        run("ckan", base_url=ckan.url(), package=PACKAGE, resource_id=RESOURCE_GEO, datastore=True)


def test_ckan_token_goes_to_the_portal_only(ckan):
    ckan.route("/api/3/action/datastore_search", datastore_page(ckan.url(), total=1))
    run("ckan", base_url=ckan.url(), package=PACKAGE, resource_id=RESOURCE_CSV, datastore=True,
        api_key_env="CKAN_TOKEN", environ={"CKAN_TOKEN": "tok-42"})
    assert {r.headers.get("Authorization") for r in ckan.requests} == {"tok-42"}
    from hub.pipeline.connectors._http import same_host
    assert not same_host("https://elsewhere.example.org/x.geojson", ckan.url())


def test_ckan_corrupt_json_is_a_source_error(replay):
    replay.route("/api/3/action/package_show", (200, JSON, b'{"success": true, "result": {"resour'))
    with pytest.raises(SourceError, match="is not valid JSON"):
        run("ckan", base_url=replay.url(), package=PACKAGE, resource_format="csv")


# --- WFS 2.0 -------------------------------------------------------------------------------------

WFS = "/geoserver/wfs"


def wfs_pages(total: int, crs: str = "urn:ogc:def:crs:EPSG::2154"):
    def answer(query: dict):
        start, count = int(query["startIndex"]), int(query["count"])
        features = [{"type": "Feature", "id": f"communes.{i + 1}", "geometry_name": "the_geom",
                     "geometry": {"type": "Point", "coordinates": [842000.0 + i, 6519000.0 + i]},
                     "properties": {"insee": f"69{i + 1:03d}", "nom": f"Commune n°{i + 1}"}}
                    for i in range(start, min(start + count, total))]
        body = {"type": "FeatureCollection", "features": features, "totalFeatures": total,
                "numberMatched": total, "numberReturned": len(features),
                "timeStamp": "2024-05-01T10:00:00.000Z", "crs": {"type": "name", "properties": {"name": crs}}}
        return 200, JSON, json.dumps(body).encode()
    return answer


def test_wfs_pages_with_count_and_start_index(replay):
    replay.route(WFS, wfs_pages(total=7))
    result = run("wfs", base_url=replay.url(WFS), type_names="admin:communes", page_size=3, srs_name="EPSG:2154")
    requests = replay.requests_to(WFS)
    assert [(r.query["startIndex"], r.query["count"]) for r in requests] == [("0", "3"), ("3", "3"), ("6", "3")]
    first = requests[0].query
    assert (first["service"], first["version"], first["request"]) == ("WFS", "2.0.0", "GetFeature")
    assert first["typeNames"] == "admin:communes" and first["outputFormat"] == "application/json"
    assert first["srsName"] == "EPSG:2154"
    assert result.frame.crs.to_epsg() == 2154
    assert result.frame["insee"].tolist() == [f"69{i:03d}" for i in range(1, 8)]
    assert result.frame["id"].iloc[0] == "communes.1"
    assert result.details["pages"] == 3


def test_wfs_stops_when_number_matched_is_reached(replay):
    replay.route(WFS, wfs_pages(total=6))
    result = run("wfs", base_url=replay.url(WFS), type_names="admin:communes", page_size=3)
    assert len(replay.requests_to(WFS)) == 2 and len(result.frame) == 6


def test_wfs_exception_report_is_reported(replay):
    report = b"""<?xml version="1.0" encoding="UTF-8"?>
<ows:ExceptionReport xmlns:ows="http://www.opengis.net/ows/1.1" version="2.0.0">
  <ows:Exception exceptionCode="InvalidParameterValue" locator="typeName">
    <ows:ExceptionText>Feature type admin:comunes unknown</ows:ExceptionText>
  </ows:Exception>
</ows:ExceptionReport>"""
    replay.route(WFS, (200, {"Content-Type": "application/xml"}, report))
    with pytest.raises(SourceError, match="wfs admin:comunes: .*Feature type admin:comunes unknown"):
        run("wfs", base_url=replay.url(WFS), type_names="admin:comunes")


def test_wfs_server_ignoring_start_index_is_detected(replay):
    replay.route(WFS, lambda query: wfs_pages(total=10)({**query, "startIndex": "0"}))
    with pytest.raises(SourceError, match="ignores startIndex"):
        run("wfs", base_url=replay.url(WFS), type_names="admin:communes", page_size=3)


def test_wfs_http_500_and_timeout(replay):
    replay.route(WFS, (500, {"Content-Type": "text/plain"}, b"java.lang.OutOfMemoryError"))
    with pytest.raises(SourceError, match="HTTP 500 .*OutOfMemoryError"):
        run("wfs", base_url=replay.url(WFS), type_names="admin:communes")
    replay.route(WFS, Slow(2.0, wfs_pages(total=1)))
    with pytest.raises(SourceError, match="timeout"):
        run("wfs", timeout=0.3, base_url=replay.url(WFS), type_names="admin:communes")


def test_wfs_fingerprint_hashes_all_pages(replay):
    replay.route(WFS, wfs_pages(total=7))
    params = dict(base_url=replay.url(WFS), type_names="admin:communes", page_size=3)
    first = run("wfs", **params).fingerprint
    assert run("wfs", **params).fingerprint == first
    replay.route(WFS, wfs_pages(total=7, crs="urn:ogc:def:crs:EPSG::3857"))
    assert run("wfs", **params).fingerprint != first


def test_wfs_keeps_paging_when_the_server_caps_count(replay):
    capped = wfs_pages(total=5)
    replay.route(WFS, lambda query: capped({**query, "count": str(min(2, int(query["count"])))}))
    result = run("wfs", base_url=replay.url(WFS), type_names="admin:communes", page_size=3)
    assert [r.query["startIndex"] for r in replay.requests_to(WFS)] == ["0", "2", "4"]
    assert len(result.frame) == 5


def test_ckan_keeps_paging_when_the_portal_caps_limit(ckan):
    capped = datastore_page(ckan.url(), total=5)
    ckan.route("/api/3/action/datastore_search",
               lambda query: capped({**query, "limit": str(min(2, int(query["limit"])))}))
    result = run("ckan", base_url=ckan.url(), package=PACKAGE, resource_id=RESOURCE_CSV, datastore=True, page_size=3)
    assert [r.query["offset"] for r in ckan.requests_to("/api/3/action/datastore_search")] == ["0", "2", "4"]
    assert len(result.frame) == 5


@pytest.mark.parametrize("chunked", [False, True])
def test_wfs_pages_together_over_the_size_limit_are_refused(replay, chunked):
    """Each page is under the limit, the three are not; sized answers or chunked ones."""
    replay.route(WFS, Chunked(wfs_pages(total=7)) if chunked else wfs_pages(total=7))
    params = dict(base_url=replay.url(WFS), type_names="admin:communes", page_size=3)
    whole = run("wfs", **params).details["bytes"]
    assert len(run("wfs", max_bytes=whole, **params).frame) == 7
    found, limit = ((r"goes on past the limit", f"{(whole - 1) / 1024:.1f} KiB") if chunked
                    else (f"is {whole:,} bytes", f"{whole - 1:,} bytes"))  # sizes too close
    with pytest.raises(SourceError, match=rf"wfs admin:communes: the source {found}, "
                       rf"and a refresh reads at most {limit}"):
        run("wfs", max_bytes=whole - 1, **params)


TOO_LARGE = "the source (is|goes on past the limit).* raise refresh.max_source_bytes"


def test_ods_export_over_the_size_limit_is_refused(replay):
    body = ods_parquet()
    replay.route(ODS_EXPORT + "parquet", (200, {"Content-Type": "application/vnd.apache.parquet"}, body))
    params = dict(base_url=replay.url("/"), dataset_id="qualite-de-l-air")
    assert len(run("opendatasoft", max_bytes=len(body), **params).frame) == 2
    with pytest.raises(SourceError, match="opendatasoft qualite-de-l-air: " + TOO_LARGE):
        run("opendatasoft", max_bytes=len(body) - 1, **params)


def test_ckan_download_and_datastore_pages_count_against_the_size_limit(ckan):
    """The package_show answer, then the file or every DataStore page: one source, one limit."""
    package = len(json.dumps(package_show(ckan.url())).encode())  # as the fixture serves it
    csv_path = f"/dataset/{PACKAGE}/resource/{RESOURCE_CSV}/download/equipements.csv"
    body = b"code;nom;places\n" + b"".join(b"EQ%05d;Gymnase;%d\n" % (i, i) for i in range(5000))
    ckan.route(csv_path, (200, {"Content-Type": "text/csv"}, body))
    download = dict(base_url=ckan.url(), package=PACKAGE, resource_format="csv")
    assert len(run("ckan", max_bytes=package + len(body), **download).frame) == 5000
    with pytest.raises(SourceError, match=f"ckan {PACKAGE}: " + TOO_LARGE):
        run("ckan", max_bytes=package + len(body) - 1, **download)
    ckan.route("/api/3/action/datastore_search", datastore_page(ckan.url(), total=50))
    pages = dict(base_url=ckan.url(), package=PACKAGE, resource_id=RESOURCE_CSV, datastore=True,
                 page_size=10)
    whole = package + run("ckan", **pages).details["bytes"]  # 5 pages, each well under it
    assert len(run("ckan", max_bytes=whole, **pages).frame) == 50
    with pytest.raises(SourceError, match=f"ckan {PACKAGE}: " + TOO_LARGE):
        run("ckan", max_bytes=whole - 1, **pages)


def test_an_error_answer_reports_its_status_even_over_the_size_limit(replay):
    replay.route("/big-error.csv", (500, {"Content-Type": "text/plain"},
                                    b"database unavailable " + b"." * 5000))
    with pytest.raises(SourceError, match=r"HTTP 500 .*: database unavailable \.\.\.") as raised:
        run("csv", url=replay.url("/big-error.csv"), max_bytes=1000)
    assert "max_source_bytes" not in str(raised.value)
