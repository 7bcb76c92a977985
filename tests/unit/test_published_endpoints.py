"""The notebook client against the real datasets service, in-process.

The real application (make_app: registry, policy, DuckDB, exports, audit) with the published
handlers (published.py) mounted; only the hub's user lookup is replaced, at base.py's seam,
by a token -> user table, so `widgets` sends exactly what it sends in a workspace. Answers are
checked against the OpenAPI schemas: the document is the contract, not a wish.
"""

from __future__ import annotations

import asyncio
import json
import threading

import geopandas
import intake
import pytest
import rdflib
import requests
import yaml
from jsonschema import Draft202012Validator

from hub.login import demo_accounts as demo
from hub.services.datasets import audit
from hub.services.datasets.http import published_handlers as published
from hub.services.datasets.http.app import make_app, published_routes
from hub.services.datasets.http.identity import Identity, StaticGroups
from hub.services.datasets.read.engine import Engine
from hub.services.datasets.read.registry import DatasetRegistry
from tests.datasets_support import KEY, build_workspace
from tests.support import free_port
from widgets import catalog, datasets, describe, records
from widgets.data import AgoraError

PREFIX = "/agora/services/datasets/"
TOKENS = {f"token-of-{a.name}": {"kind": "user", "name": a.name, "admin": a.admin,
                                 "groups": list(a.groups)} for a in demo.ACCOUNTS}


async def user_from_token(handler):
    """The seam: the user whose (fake) token is in the Authorization header."""
    return TOKENS.get(handler.request.headers.get("Authorization", "").removeprefix("token "))


class Service:
    def __init__(self, ws):
        groups = StaticGroups({n: g["properties"] for n, g in demo.load_groups().items()})
        registry = DatasetRegistry(ws.catalog_dir, ws.store, has_key=True, check_every=0)
        self.app = make_app(prefix=PREFIX, registry=registry, engine=Engine(KEY.encode()),
                            identity=Identity(groups), audit_dir=audit.audit_dir(ws.data_dir),
                            user_model=user_from_token, publisher="Val-de-Lière (tests)")
        if not published_routes(PREFIX):  # until app.py mounts published.routes itself
            self.app.add_handlers(r".*$", published.routes(PREFIX))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}{PREFIX}"
        self.ready = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()
        self.ready.wait(5)

    def _run(self):
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.server = self.app.listen(self.port, "127.0.0.1")
        self.ready.set()
        self.loop.run_forever()

    def stop(self):
        self.loop.call_soon_threadsafe(self.server.stop)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.app.settings["engine"].shutdown()


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    running = Service(build_workspace(tmp_path_factory.mktemp("published")))
    yield running
    running.stop()


@pytest.fixture
def as_user(monkeypatch, service):
    def login(name: str):
        monkeypatch.setenv("AGORA_DATASETS_URL", service.url)
        monkeypatch.delenv("AGORA_TOKEN", raising=False)
        monkeypatch.setenv("JUPYTERHUB_API_TOKEN", f"token-of-{name}")
        return service
    return login


def validator(service, name):
    document = requests.get(service.url + "api/openapi.json", timeout=10,
                            headers={"Authorization": "token token-of-analyst"}).json()
    return Draft202012Validator({"$ref": f"#/components/schemas/{name}",
                                 "components": document["components"]})


def test_the_catalog_lists_what_the_caller_may_read(as_user):
    as_user("analyst")
    assert sorted(catalog()) == ["incidents", "stations"]
    as_user("partner")
    assert sorted(catalog()) == ["stations"]


def test_reading_applies_the_readers_rights(as_user):
    as_user("elu-rivemont")
    cat = catalog()
    frame = cat["incidents"].read()
    assert set(frame["commune_code"]) == {"99101"}
    assert "nir" not in frame.columns and not frame["name"].str.startswith("person").any()
    assert "columns" not in cat["incidents"].metadata  # the schema is at the dataset's page
    columns = {c["name"]: c for c in describe("incidents")["columns"]}
    assert "nir" not in columns and columns["name"]["rule"] == "pseudonymised"
    assert cat["incidents"].metadata["page"].endswith("/api/datasets/incidents")


def test_catalog_json_and_yaml_are_the_same_catalog_and_may_be_gzipped(as_user):
    service = as_user("elu-rivemont")
    headers = {"Authorization": "token token-of-elu-rivemont"}
    as_json = requests.get(service.url + "api/catalog.json", headers=headers, timeout=30)
    as_yaml = requests.get(service.url + "api/catalog.yaml", headers=headers, timeout=30)
    assert as_json.headers["Content-Type"].startswith("application/json")
    assert as_json.headers["Content-Encoding"] == "gzip"  # requests asks for gzip
    assert as_json.json() == yaml.safe_load(as_yaml.text)
    assert sorted(as_json.json()["entries"]) == ["incidents"]
    plain = requests.get(service.url + "api/catalog.json", timeout=30,
                         headers={**headers, "Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and plain.json() == as_json.json()


def test_the_default_catalog_reads_with_intakes_stock_readers(as_user, monkeypatch):
    """What a partner gets: no Agora code, AGORA_TOKEN in the environment, the caller's rows."""
    service = as_user("elu-bellecombe")
    monkeypatch.delenv("JUPYTERHUB_API_TOKEN")
    monkeypatch.setenv("AGORA_TOKEN", "token-of-elu-bellecombe")

    def stock_catalog(name):
        text = requests.get(service.url + "api/catalog.yaml", timeout=30,
                            headers={"Authorization": f"token token-of-{name}"}).text
        assert "widgets" not in text and "token-of" not in text
        return intake.readers.entry.Catalog.from_dict(yaml.safe_load(text))

    cat = stock_catalog("elu-bellecombe")
    frame = cat["incidents"].read()
    assert set(frame["commune_code"]) == {"99102"} and "nir" not in frame.columns
    monkeypatch.setenv("AGORA_TOKEN", "token-of-analyst")  # the same file, another reader
    assert len(set(cat["incidents"].read()["commune_code"])) > 1
    monkeypatch.setenv("AGORA_TOKEN", "token-of-partner")
    stations = stock_catalog("partner")["stations"].read()
    assert isinstance(stations, geopandas.GeoDataFrame) and len(stations) == 6


def test_an_unknown_catalog_reader_is_a_clear_400(as_user):
    service = as_user("analyst")
    answer = requests.get(service.url + "api/catalog.json", params={"reader": "pickle"},
                          headers={"Authorization": "token token-of-analyst"}, timeout=30)
    assert answer.status_code == 400
    assert answer.json()["error"] == "unknown reader 'pickle'; use one of stock, widgets"
    misspelt = requests.get(service.url + "api/catalog.yaml", params={"readr": "widgets"},
                            headers={"Authorization": "token token-of-analyst"}, timeout=30)
    assert misspelt.status_code == 400
    assert misspelt.json()["error"] == ("unknown parameter 'readr'; this catalog takes only "
                                        "`reader`")


def test_geo_datasets_come_back_as_geodataframes(as_user):
    as_user("partner")
    frame = catalog()["stations"].read()
    assert isinstance(frame, geopandas.GeoDataFrame) and len(frame) == 6
    assert frame.crs is not None


def test_a_saved_catalog_reads_under_whoever_reads_it(as_user, tmp_path, monkeypatch):
    as_user("analyst")
    saved = tmp_path / "catalog.yaml"
    catalog().to_yaml_file(str(saved))
    assert "token-of" not in saved.read_text()
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "token-of-elu-bellecombe")
    frame = intake.from_yaml_file(str(saved))["incidents"].read()
    assert set(frame["commune_code"]) == {"99102"}


def test_datasets_and_records(as_user):
    as_user("analyst")
    listing = datasets()
    assert list(listing["id"]) == ["incidents", "stations"]
    assert listing.set_index("id").loc["incidents", "rows"] == 30
    rows = records("incidents", where=[("amount", "gt", 30), ("commune_code", "in",
                                                              ["99101", "99102"])],
                   select=["commune_code", "amount"], order_by=["-amount"], limit=5)
    assert list(rows.columns) == ["commune_code", "amount"]
    assert len(rows) == 5 and rows["amount"].is_monotonic_decreasing
    assert (rows["amount"] > 30).all()


def test_denied_and_unknown_datasets_are_the_same_error(as_user):
    as_user("partner")
    with pytest.raises(AgoraError) as denied:
        records("incidents")
    with pytest.raises(AgoraError) as unknown:
        records("no_such_thing")
    assert denied.value.status == unknown.value.status == 404


def test_answers_follow_the_openapi_schemas(as_user):
    service = as_user("analyst")
    headers = {"Authorization": "token token-of-analyst"}

    def get(path, **params):
        return requests.get(service.url + path, params=params, headers=headers, timeout=30)

    validator(service, "DatasetList").validate(get("api/datasets").json())
    validator(service, "DatasetMetadata").validate(get("api/datasets/incidents").json())
    validator(service, "Records").validate(get("api/datasets/stations/records").json())
    validator(service, "Error").validate(get("api/datasets/nope").json())
    validator(service, "Error").validate(get("api/datasets/incidents/records",
                                             where="amount:between:1").json())
    assert get("api/catalog.yaml").headers["Content-Type"].startswith("application/yaml")


def test_dcat_is_served_for_the_callers_datasets(as_user):
    service = as_user("partner")
    response = requests.get(service.url + "api/dcat.jsonld", timeout=30,
                            headers={"Authorization": "token token-of-partner"})
    assert response.headers["Content-Type"].startswith("application/ld+json")
    body = response.json()
    assert [d["dct:identifier"] for d in body["dcat:dataset"]] == ["stations"]
    graph = rdflib.Graph().parse(data=json.dumps(body), format="json-ld")
    assert len(graph) > 20
