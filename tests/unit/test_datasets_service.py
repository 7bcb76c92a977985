"""The datasets service in-process: real app, registry, DuckDB, exports and audit log.

Only the hub's user lookup is replaced, at the one seam base.py provides (the `user_model`
application setting): the caller names a demo user in an ``X-Test-User`` header. Everything
after it — group properties -> Caller, policy, SQL, writers, audit — is the production code.
The real HubOAuth path is covered by tests/integration/test_datasets_service.py.
"""

from __future__ import annotations

import asyncio
import io
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone

import geopandas as gpd
import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest
import requests

from hub.login import demo_accounts as demo
from hub.policy.pseudonym import pseudonym
from hub.services.datasets import audit
from hub.services.datasets.http.app import make_app
from hub.services.datasets.http.identity import Identity, StaticGroups
from hub.services.datasets.read.engine import Engine
from hub.services.datasets.read.registry import UNAVAILABLE, DatasetRegistry
from tests.datasets_support import KEY, build_workspace
from tests.support import free_port

PREFIX = "/agora/services/datasets/"
TOKEN = "s3cret-token-never-logged"
USERS = {a.name: {"kind": "user", "name": a.name, "admin": a.admin, "groups": list(a.groups)}
         for a in demo.ACCOUNTS}
USERS["hr-person"] = {"kind": "user", "name": "hr-person", "admin": False, "groups": ["hr"]}


async def seam_user_model(handler):
    """The test seam: the user named in X-Test-User (the token header is ignored)."""
    return USERS.get(handler.request.headers.get("X-Test-User", ""))


class Server:
    def __init__(self, app):
        self.app, self.port = app, free_port()
        self.url = f"http://127.0.0.1:{self.port}{PREFIX}"
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.server = self.app.listen(self.port, "127.0.0.1")
        self.ready.set()
        self.loop.run_forever()

    def start(self):
        self.thread.start()
        self.ready.wait(5)
        return self

    def stop(self):
        self.loop.call_soon_threadsafe(self.server.stop)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.app.settings["engine"].shutdown()


def start_service(ws, key: str = KEY) -> Server:
    groups = StaticGroups({name: g["properties"] for name, g in demo.load_groups().items()})
    registry = DatasetRegistry(ws.catalog_dir, ws.store, has_key=bool(key), check_every=0)
    app = make_app(prefix=PREFIX, registry=registry, engine=Engine(key.encode()),
                   identity=Identity(groups), audit_dir=audit.audit_dir(ws.data_dir),
                   user_model=seam_user_model)
    return Server(app).start()


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    return build_workspace(tmp_path_factory.mktemp("datasets"))


@pytest.fixture(scope="module")
def service(ws):
    server = start_service(ws)
    yield server
    server.stop()


def get(service, path, as_user="analyst", **params):
    headers = {"Authorization": f"token {TOKEN}"}
    if as_user:
        headers["X-Test-User"] = as_user
    return requests.get(service.url + path, params=params, headers=headers, timeout=30)


def records(service, dataset="incidents", user="analyst", **params):
    response = get(service, f"api/datasets/{dataset}/records", user, **params)
    assert response.status_code == 200, response.text
    return response.json()


# -- listing and metadata ------------------------------------------------------------------

def test_listing_follows_the_policy(service):
    ids = {u: [d["id"] for d in get(service, "api/datasets", u).json()["datasets"]]
           for u in ("analyst", "elu-rivemont", "partner", "hr-person")}
    assert ids == {"analyst": ["incidents", "stations"], "elu-rivemont": ["incidents"],
                   "partner": ["stations"], "hr-person": ["secret_hr"]}


def test_listing_items_carry_freshness_and_quality(service, ws):
    [item] = [d for d in get(service, "api/datasets").json()["datasets"] if d["id"] == "incidents"]
    assert item["title"] == "Incidents" and item["licence"] == "etalab-2.0"
    assert item["version"] == ws.store.current("incidents")
    assert item["updated"] and item["rows"] == 30 and "issues" in item["quality"]
    [own] = get(service, "api/datasets", "elu-rivemont").json()["datasets"]
    assert own["rows"] == 10  # their own rows, never the total


def test_metadata_shows_the_schema_as_the_caller_sees_it(service, ws):
    analyst = get(service, "api/datasets/incidents").json()
    official = get(service, "api/datasets/incidents", "elu-rivemont").json()
    types = {c["name"]: c["type"] for c in official["schema"]}
    assert "nir" not in types and "nir" not in {c["name"] for c in analyst["schema"]}
    assert types["age"] == "string" and types["name"] == "string"
    assert {c["name"]: c["type"] for c in analyst["schema"]}["age"] == "int64"
    assert official["freshness"]["rows"] == 10 and analyst["freshness"]["rows"] == 30
    assert analyst["lineage"] == {"connector": "parquet", "processors": ["rename"], "inputs": {}}
    assert analyst["versions"][0]["version"] == ws.store.current("incidents")
    assert analyst["refresh"]["last_result"] == "new"
    assert analyst["contact"]["email"] == "test@example.org"


# -- records -------------------------------------------------------------------------------

def test_records_apply_row_and_column_rules(service):
    body = records(service, user="elu-rivemont", limit=100)
    assert {r["commune_code"] for r in body["records"]} == {"99101"}
    assert len(body["records"]) == 10 and "nir" not in body["columns"]
    first = body["records"][0]
    assert first["name"] == pseudonym("person0", KEY.encode()) and first["age"] == "0-29"
    analyst = records(service, limit=1)["records"][0]
    assert analyst["name"] == "person0" and analyst["age"] == 20 and "nir" not in analyst


def test_filters_sort_select_and_paging(service):
    body = records(service, select="name,age,reported_at", order_by="-age", limit=5,
                   where=["commune_code:in:99101|99102", "age:ge:25", "label:contains:côté"])
    assert body["columns"] == ["name", "age", "reported_at"]
    ages = [r["age"] for r in body["records"]]
    assert ages == sorted(ages, reverse=True) and all(a >= 25 for a in ages)
    assert body["records"][0]["reported_at"].startswith("2024-01-")
    assert body["next"] and "offset=5" in body["next"]
    page2 = requests.get(body["next"], headers={"X-Test-User": "analyst"}, timeout=30).json()
    assert page2["offset"] == 5 and page2["records"][0]["age"] < ages[-1]


def test_last_page_has_no_next_and_null_filters_work(service):
    body = records(service, limit=30)
    assert len(body["records"]) == 30 and body["next"] is None
    assert records(service, where="amount:is_null")["records"] == []
    assert len(records(service, where="amount:not_null", limit=50)["records"]) == 30


def test_geometries_are_geojson_in_wgs84(service):
    body = records(service, "stations", user="partner")
    geometry = body["records"][0]["geometry"]
    lon, lat = geometry["coordinates"]
    assert geometry["type"] == "Point" and 0 < lon < 10 and 40 < lat < 52


@pytest.mark.parametrize("params, message", [
    ({"limit": "10001"}, "limit must be <= 10000"),
    ({"limit": "99999999999999999999999"}, "limit"),
    ({"limit": "-1"}, "limit must be >= 0"),
    ({"offset": "abc"}, "offset must be a whole number"),
    ({"select": "nir"}, "unknown column 'nir'"),
    ({"select": 'name" FROM t; --'}, "unknown column"),
    ({"order_by": "-no_such"}, "unknown column"),
    ({"where": "age:regex:.*"}, "unknown operator"),
    ({"where": "age:gt:old"}, "is not an integer"),
    ({"where": "nir:eq:NIR0001"}, "unknown column 'nir'"),
    ({"where": "justtext"}, "bad filter"),
    ({"where": "reported_at:lt:yesterday"}, "date-time"),
])
def test_bad_parameters_are_readable_400s(service, params, message):
    response = get(service, "api/datasets/incidents/records", **params)
    assert response.status_code == 400, response.text
    assert message in response.json()["error"]


def test_injection_in_values_is_just_data(service):
    assert records(service, where="name:eq:x' OR '1'='1")["records"] == []
    assert records(service, where="label:contains:'); DROP TABLE x; --")["records"] == []
    assert len(records(service, user="elu-rivemont", where="commune_code:ne:' OR 1=1 --",
                       limit=100)["records"]) == 10


def test_official_cannot_probe_original_values(service):
    probe = records(service, user="elu-rivemont", where="name:eq:person0")
    assert probe["records"] == []  # filters see pseudonyms only
    other = records(service, user="elu-rivemont", where="commune_code:eq:99102")
    assert other["records"] == []


# -- 404 equivalence and traversal --------------------------------------------------------

def test_forbidden_answers_exactly_like_unknown(service):
    forbidden = get(service, "api/datasets/secret_hr/records")
    unknown = get(service, "api/datasets/no_such_data/records")
    assert forbidden.status_code == unknown.status_code == 404
    assert forbidden.json() == {"error": "not found", "dataset": "secret_hr"}
    assert unknown.json() == {"error": "not found", "dataset": "no_such_data"}
    assert forbidden.headers["Content-Type"] == unknown.headers["Content-Type"]
    for path in ("api/datasets/{}", "api/datasets/{}/export.csv", "api/datasets/{}/export.xlsx"):
        a, b = get(service, path.format("secret_hr")), get(service, path.format("nope_nope"))
        assert a.status_code == b.status_code == 404
        assert a.json().keys() == b.json().keys() == {"error", "dataset"}


def test_unserved_datasets_are_unknown(service):
    """ghost_rules names a column missing from its snapshot: not listed, 404."""
    assert get(service, "api/datasets/ghost_rules").status_code == 404
    assert get(service, "api/datasets/ghost_rules/records").json()["error"] == "not found"


@pytest.mark.parametrize("raw_id", ["..", "%2e%2e", "..%2Fsecret_hr", "%2E%2E%2F%2E%2E%2Fetc",
                                    "INCIDENTS", "incidents%00", "a" * 300, "inc;idents"])
def test_traversal_and_malformed_ids_are_plain_404s(service, raw_id):
    for suffix in ("", "/records", "/export.parquet"):
        url = f"{service.url}api/datasets/{raw_id}{suffix}"
        response = requests.get(url, headers={"X-Test-User": "analyst"}, timeout=30)
        assert response.status_code == 404, url
        assert response.json()["error"] == "not found"  # ".." may be resolved by the client


# -- exports ---------------------------------------------------------------------------------

def export(service, fmt, dataset="incidents", user="analyst", **params):
    response = get(service, f"api/datasets/{dataset}/export.{fmt}", user, **params)
    assert response.status_code == 200, response.text[:500]
    return response


def test_parquet_export(service, ws):
    response = export(service, "parquet", user="elu-rivemont")
    version = ws.store.current("incidents")
    assert f'filename="incidents-{version}.parquet"' in response.headers["Content-Disposition"]
    table = pq.read_table(io.BytesIO(response.content))
    assert table.num_rows == 10 and "nir" not in table.column_names
    assert set(table.column("commune_code").to_pylist()) == {"99101"}


def test_parquet_export_of_geodata_is_geoparquet(service):
    frame = gpd.read_parquet(io.BytesIO(export(service, "parquet", "stations").content))
    assert len(frame) == 6 and frame.crs.to_epsg() == 2154


def test_csv_export(service):
    response = export(service, "csv", where="commune_code:eq:99102")
    frame = pd.read_csv(io.BytesIO(response.content), dtype=str)
    assert len(frame) == 10 and "nir" not in frame.columns
    assert set(frame.commune_code) == {"99102"} and 'Rue "1", côté é' in set(frame.label)


def test_csv_export_without_rows_still_has_a_header(service):
    text = export(service, "csv", select="name,age", where="age:gt:1000").text
    assert text.strip().splitlines() == ['"name","age"']


def test_xlsx_export(service):
    response = export(service, "xlsx", user="elu-rivemont")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).active
    rows = list(sheet.values)
    assert "nir" not in rows[0] and len(rows) == 11
    assert {r[rows[0].index("commune_code")] for r in rows[1:]} == {"99101"}


def test_xlsx_row_cap_is_a_400(service, monkeypatch):
    from hub.services.datasets.read import exports
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 5)  # same process: the service's module
    response = get(service, "api/datasets/incidents/export.xlsx")
    assert response.status_code == 400 and "do not fit in an Excel sheet" in response.text


def test_geojson_export(service):
    response = export(service, "geojson", "stations", user="partner")
    frame = gpd.read_file(io.BytesIO(response.content))
    assert len(frame) == 6 and set(frame.columns) == {"commune_code", "station", "geometry"}
    assert frame.total_bounds[0] > 0 and frame.total_bounds[3] < 52  # WGS 84
    assert json.loads(response.content)["type"] == "FeatureCollection"


def test_geojson_of_a_dataset_without_geometry_is_404(service):
    response = get(service, "api/datasets/incidents/export.geojson")
    assert response.status_code == 404 and "geometry" in response.json()["error"]


def test_export_limit_and_unknown_format(service):
    frame = pd.read_csv(io.BytesIO(export(service, "csv", limit="7").content))
    assert len(frame) == 7
    assert get(service, "api/datasets/incidents/export.exe").status_code == 404


# -- failure modes ----------------------------------------------------------------------------

def test_a_broken_recipe_is_absent_and_the_others_are_served(ws):
    server = start_service(ws)
    recipe = ws.catalog_dir / "stations.yaml"
    original = recipe.read_text()
    try:
        assert get(server, "api/datasets/stations").status_code == 200
        recipe.write_text(original + "\nnot_a_key: 1\n")
        for path in ("api/datasets/stations", "api/datasets/stations/records",
                     "api/datasets/stations/export.parquet"):
            assert get(server, path).status_code == 404, path
        listed = [d["id"] for d in get(server, "api/datasets").json()["datasets"]]
        assert "stations" not in listed and "incidents" in listed
        assert get(server, "api/datasets/incidents/records").status_code == 200
        assert "stations" not in get(server, "api/catalog.yaml").text
        recipe.write_text(original)
        assert get(server, "api/datasets/stations").status_code == 200
    finally:
        recipe.write_text(original)
        server.stop()


def test_an_unreadable_catalog_answers_503_everywhere_then_recovers(ws):
    server = start_service(ws)
    moved = ws.catalog_dir.with_name("catalog.moved")
    try:
        ws.catalog_dir.rename(moved)
        for path in ("api/datasets", "api/datasets/incidents", "api/datasets/incidents/records",
                     "api/datasets/secret_hr/export.csv", "api/datasets/stations/export.parquet",
                     "api/catalog.yaml", "api/dcat.jsonld"):
            response = get(server, path)
            assert response.status_code == 503, path
            assert response.json() == {"error": UNAVAILABLE}
        moved.rename(ws.catalog_dir)
        assert get(server, "api/datasets").status_code == 200
    finally:
        if moved.exists():
            moved.rename(ws.catalog_dir)
        server.stop()


def test_without_a_pseudonym_key_pseudonymising_datasets_are_not_served(ws):
    server = start_service(ws, key="")
    try:
        assert [d["id"] for d in get(server, "api/datasets").json()["datasets"]] == ["stations"]
        assert get(server, "api/datasets/incidents/records").status_code == 404
    finally:
        server.stop()


def test_unauthenticated_requests_are_refused(service):
    assert get(service, "api/datasets", as_user=None).status_code == 403  # a token, not valid
    response = requests.get(service.url + "api/datasets", timeout=10)
    assert response.status_code == 401 and "token" in response.json()["how"]


def test_many_concurrent_callers(service):
    def one(i):
        user = ("analyst", "elu-rivemont", "partner")[i % 3]
        dataset = "stations" if user == "partner" else "incidents"
        return get(service, f"api/datasets/{dataset}/records", user, limit=20).status_code
    with ThreadPoolExecutor(50) as pool:
        assert set(pool.map(one, range(200))) == {200}


# -- audit ----------------------------------------------------------------------------------

def test_audit_lines_are_written_without_the_token(service, ws):
    records(service, user="elu-rivemont", where="amount:ge:20", select="name")
    get(service, "api/datasets/secret_hr")
    folder = audit.audit_dir(ws.data_dir)
    [log_file] = folder.glob("audit-*.jsonl")
    assert oct(log_file.stat().st_mode & 0o777) == "0o600"
    text = log_file.read_text()
    assert TOKEN not in text and "Authorization" not in text
    lines = [json.loads(line) for line in text.splitlines()]
    mine = [e for e in lines if e["user"] == "elu-rivemont" and e["action"] == "records"][-1]
    assert mine["filters"] == ["amount:ge:20"] and mine["select"] == ["name"]
    assert mine["dataset"] == "incidents" and mine["status"] == 200 and mine["rows"] == 5
    denied = [e for e in lines if e["dataset"] == "secret_hr" and e["user"] == "analyst"][-1]
    assert denied["status"] == 404 and denied["action"] == "metadata"
    exports = [e for e in lines if e["action"].startswith("export:")]
    assert exports and all(e["rows"] is not None for e in exports if e["status"] == 200)


def test_audit_endpoint_is_for_admins_only(service):
    records(service, user="elu-bellecombe", limit=1)
    assert get(service, "api/audit", "analyst").status_code == 403
    found = get(service, "api/audit", "admin", user="elu-bellecombe", limit="5").json()
    assert found and all(e["user"] == "elu-bellecombe" for e in found)
    assert get(service, "api/audit", "admin", dataset="incidents", since="2000-01-01").json()
    assert get(service, "api/audit", "admin", since="yesterday").status_code == 400


def test_audit_since_with_an_offset_is_read_in_utc(service):
    records(service, user="elu-bellecombe", limit=1)
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    far_east = an_hour_ago.astimezone(timezone(timedelta(hours=14))).isoformat()  # often tomorrow
    found = get(service, "api/audit", "admin", user="elu-bellecombe", since=far_east).json()
    assert found and all(e["time"] >= an_hour_ago.isoformat() for e in found)


QUERY_FIELDS = ("filters", "select", "order_by", "limit", "offset")


def test_export_audit_carries_every_parameter_that_shaped_the_rows(service, ws):
    params = {"where": ["age:ge:25", "label:contains:Rue"], "select": "name,age",
              "order_by": "-age", "limit": "3", "offset": "2"}
    records(service, user="elu-bellecombe", **params)
    exported_csv = export(service, "csv", user="elu-bellecombe", **params).content
    frame = pd.read_csv(io.BytesIO(exported_csv))
    lines = [json.loads(line) for path in sorted(audit.audit_dir(ws.data_dir).glob("audit-*"))
             for line in path.read_text().splitlines()]
    mine = [e for e in lines if e["user"] == "elu-bellecombe"]
    read = [e for e in mine if e["action"] == "records"][-1]
    exported = [e for e in mine if e["action"] == "export:csv"][-1]
    assert {k: exported.get(k) for k in QUERY_FIELDS} == {k: read.get(k) for k in QUERY_FIELDS}
    assert exported["offset"] == ["2"] and exported["rows"] == len(frame) == 3


# -- JSON sources with nested values and nullable integers -----------------------------------

COMMUNES_JSON = (
    '[{"nom":"RIVEMONT-LÈS-BAINS","code":"99101","codesPostaux":["01400","01401"],'
    '"population":null,"epci":{"siren":200000001}},'
    ' {"nom":"BELLECOMBE","code":"99102","codesPostaux":["01640"],"population":239,'
    '"epci":{"siren":null}}]'
)
COMMUNES_RECIPE = """title: Communes
description: Postcodes of the communes, from a JSON list.
source: {connector: json, path: communes.json}
processors:
  - explode: {column: codesPostaux}
  - normalise_text: {columns: [nom], case: title_fr}
  - filter: {drop: {column: codesPostaux, equals: "01401"}}
access:
  groups: [analysts]
"""


def test_a_json_source_with_nullable_integers_is_served(tmp_path):
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "communes.json").write_text(COMMUNES_JSON, encoding="utf-8")
    ws = build_workspace(tmp_path, {"communes": COMMUNES_RECIPE})
    server = start_service(ws)
    try:
        body = records(server, "communes")
        schema = {c["name"]: c["type"] for c in get(server, "api/datasets/communes").json()["schema"]}
        only_nulls = records(server, "communes", where="population:is_null")["records"]
    finally:
        server.stop()
    assert [(r["nom"], r["codesPostaux"], r["population"], r["epci.siren"]) for r in body["records"]] \
        == [("Rivemont-lès-Bains", "01400", None, 200000001), ("Bellecombe", "01640", 239, None)]
    assert schema["population"] == "int64" and schema["epci.siren"] == "int64"
    assert [r["code"] for r in only_nulls] == ["99101"]
