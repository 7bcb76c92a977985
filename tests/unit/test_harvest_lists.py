"""The harvest lists (`GET api/harvest.csv`, `api/harvest.json`): the caller's datasets only.

In-process against the real application (only the hub's user lookup is replaced): each list
has exactly the rows of the datasets the caller may read, the same as the DCAT catalog, with
the same per-caller headers and audit as the other published documents; the CSV is valid
CSV whatever the texts hold.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace

import pytest
import requests
from jsonschema import Draft202012Validator

from hub.services.datasets import audit
from hub.services.datasets.published.harvest import DOWNLOAD_FIELDS, FIELDS, harvest_csv
from hub.services.datasets.published.openapi import openapi_document
from tests.datasets_support import build_workspace
from tests.unit.fake_datasets_service import fake_datasets
from tests.unit.test_datasets_service import get, start_service

BASE = "https://agora.example.org/services/datasets/"


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    return build_workspace(tmp_path_factory.mktemp("harvest"))


@pytest.fixture(scope="module")
def service(ws):
    server = start_service(ws)
    yield server
    server.stop()


def rows(service, user: str) -> list[dict]:
    response = get(service, "api/harvest.csv", user)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))


@pytest.mark.parametrize(("user", "expected"), [
    ("analyst", ["incidents", "stations"]),
    ("partner", ["stations"]),
    ("elu-rivemont", ["incidents"]),
])
def test_each_caller_gets_exactly_their_datasets(service, user, expected):
    assert [r["id"] for r in rows(service, user)] == expected
    listed = get(service, "api/harvest.json", user).json()["datasets"]
    assert [d["id"] for d in listed] == expected
    dcat = get(service, "api/dcat.jsonld", user).json()
    assert [d["dct:identifier"] for d in dcat["dcat:dataset"]] == expected


def test_the_json_list_follows_its_openapi_schema(service):
    components = openapi_document(service.url)["components"]
    validator = Draft202012Validator({"$ref": "#/components/schemas/HarvestList",
                                      "components": components})
    for user in ("analyst", "elu-rivemont"):
        validator.validate(get(service, "api/harvest.json", user).json())


def test_hidden_datasets_are_never_listed(service):
    for user in ("analyst", "partner", "elu-rivemont", "admin"):
        text = get(service, "api/harvest.csv", user).text + \
            get(service, "api/harvest.json", user).text
        assert "secret_hr" not in text and "Salaries" not in text


def test_a_row_has_the_metadata_and_every_download(service):
    [incidents, stations] = rows(service, "analyst")
    assert list(incidents) == list(FIELDS + DOWNLOAD_FIELDS)
    assert incidents["title"] == "Incidents" and incidents["licence"] == "etalab-2.0"
    assert incidents["theme"] == "GOVE" and incidents["keywords"] == "test"
    assert incidents["frequency"] == "daily" and incidents["publisher"] == "Tests"
    assert incidents["rows"] == "30" and incidents["geo"] == "false"
    assert incidents["landing_page"].endswith("/services/portal/datasets/incidents")
    assert incidents["download_csv"] == service.url + "api/datasets/incidents/export.csv"
    assert incidents["download_geojson"] == ""
    assert stations["geo"] == "true" and stations["download_geojson"].endswith(
        "api/datasets/stations/export.geojson")
    assert requests.get(incidents["download_csv"], timeout=30, headers={
        "Authorization": "token t", "X-Test-User": "analyst"}).status_code == 200


def test_row_counts_the_caller_cannot_know_are_empty(service):
    [incidents] = rows(service, "elu-rivemont")  # row rules: no total
    assert incidents["rows"] == ""
    [listed] = get(service, "api/harvest.json", "elu-rivemont").json()["datasets"]
    assert listed["rows"] is None and listed["keywords"] == ["test"]
    assert set(listed["downloads"]) == {"parquet", "csv", "xlsx"}


def test_headers_and_audit_like_the_other_published_documents(service, ws):
    for path in ("api/harvest.csv", "api/harvest.json"):
        response = get(service, path, "partner")
        assert response.headers["Cache-Control"] == "private, no-store"
        assert response.headers["Vary"] == "Authorization, Cookie"
        assert requests.get(service.url + path, timeout=10).status_code == 401
    lines = [json.loads(line) for f in audit.audit_dir(ws.data_dir).glob("audit-*.jsonl")
             for line in f.read_text().splitlines()]
    mine = [e for e in lines if e["user"] == "partner" and e["action"] == "harvest"]
    assert mine and all(e["rows"] == 1 and e["status"] == 200 for e in mine)


def test_the_csv_survives_commas_quotes_and_new_lines():
    [air, stations] = fake_datasets()
    text = harvest_csv([replace(air, title='PM10, "daily"\nmean'), stations], BASE, "Org")
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert parsed[0]["title"] == 'PM10, "daily"\nmean'
    assert parsed[0]["keywords"] == "air; PM10" and parsed[1]["publisher"] == "Org"
    assert parsed[1]["download_geojson"] == BASE + "api/datasets/ev_stations/export.geojson"

