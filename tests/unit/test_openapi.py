"""The OpenAPI 3.1 document: valid, complete, and the contract our JSON answers follow."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from hub.services.datasets.http import paths
from hub.services.datasets.published.openapi import (
    BUCKET_PATTERN,
    MEASURE_PATTERN,
    WHERE_PATTERN,
    openapi_document,
)
from hub.services.datasets.read.aggregate import MAX_GROUPS, UNITS
from hub.services.datasets.read.query import ALL_OPERATORS, MAX_LIMIT

from .fake_datasets_service import FakeService, fake_datasets

BASE = "http://127.0.0.1:8000/agora/services/datasets/"
ITEM = "/api/datasets/{dataset_id}"


@pytest.fixture(scope="module")
def document():
    return openapi_document(BASE)


def schema_validator(document, name):
    """A JSON Schema 2020-12 validator for one component, resolving its $refs in `document`."""
    return Draft202012Validator({"$ref": f"#/components/schemas/{name}",
                                 "components": document["components"]})


def test_document_is_valid_openapi_3_1(document):
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": BASE.rstrip("/")}]


def test_every_endpoint_is_described(document):
    expected = {"/api/datasets", ITEM, ITEM + "/records", ITEM + "/aggregate", "/api/catalog.json",
                "/api/catalog.yaml", "/api/dcat.jsonld", "/api/harvest.csv", "/api/harvest.json",
                "/api/openapi.json", "/api/audit", "/",
                *(f"{ITEM}/export.{fmt}" for fmt in ("parquet", "csv", "xlsx", "geojson"))}
    assert set(document["paths"]) == expected
    assert {f"/{p}" for p in (paths.DATASETS, paths.CATALOG_JSON, paths.CATALOG_YAML,
                              paths.DCAT_JSONLD, paths.HARVEST_CSV, paths.HARVEST_JSON,
                              paths.OPENAPI_JSON, paths.AUDIT)} <= expected


def test_operations_have_unique_ids_and_error_responses(document):
    ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    for path, item in document["paths"].items():
        responses = item["get"]["responses"]
        assert {"200", "401", "403"} <= set(responses), path
        for code in set(responses) - {"200"}:
            schema = responses[code]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Error"}
    records = document["paths"][ITEM + "/records"]["get"]["responses"]
    assert {"400", "404", "503"} <= set(records)


def test_security_is_the_hub_token_header(document):
    scheme = document["components"]["securitySchemes"]["hubToken"]
    assert scheme == {**scheme, "type": "apiKey", "in": "header", "name": "Authorization"}
    assert "token <JupyterHub API token>" in scheme["description"]
    assert document["security"] == [{"hubToken": []}]


def records_parameters(document, operation="/records"):
    refs = document["paths"][ITEM + operation]["get"]["parameters"]
    params = [document["components"]["parameters"][r["$ref"].rsplit("/", 1)[-1]]
              for r in refs]
    return {p["name"]: p for p in params}


def test_records_parameters(document):
    params = records_parameters(document)
    assert set(params) == {"dataset_id", "select", "order_by", "limit", "offset", "where"}
    assert params["limit"]["schema"]["maximum"] == MAX_LIMIT == 10_000
    assert params["offset"]["schema"]["minimum"] == 0
    where = params["where"]
    assert where["schema"]["type"] == "array" and where["explode"] is True
    for op in ("eq", "ne", "lt", "le", "gt", "ge", "in", "contains", "is_null", "not_null"):
        assert op in ALL_OPERATORS and op in where["description"]


@pytest.mark.parametrize("condition", ["pm10:gt:50", "commune_code:in:69123|69124",
                                       "name:contains:Lyon", "pm10:is_null",
                                       "note:eq:a:b:c", "x:eq:"])
def test_where_pattern_accepts(condition):
    assert re.match(WHERE_PATTERN, condition)


@pytest.mark.parametrize("condition", ["pm10", "pm10:between:1", ":eq:1", "pm10 gt 50",
                                       "1col:eq:1"])
def test_where_pattern_rejects(condition):
    assert not re.match(WHERE_PATTERN, condition)


def test_aggregate_parameters(document):
    params = records_parameters(document, "/aggregate")
    assert set(params) == {"dataset_id", "by", "bucket", "measure", "where", "order_by", "limit"}
    assert params["limit"]["schema"]["maximum"] == MAX_GROUPS
    assert params["where"] == records_parameters(document)["where"]  # the same filters
    for name in ("bucket", "measure"):
        assert params[name]["schema"]["type"] == "array" and params[name]["explode"] is True
    assert all(unit in params["bucket"]["description"] for unit in UNITS)


@pytest.mark.parametrize("pattern, good, bad", [
    (MEASURE_PATTERN, ["count", "count:a", "distinct:a", "sum:amount", "p90:x", "p0:x",
                       "p100:x"], ["sum", "p101:x", "median:x", "count:", "p9"]),
    (BUCKET_PATTERN, ["at:day", "decided_on:week", "a:quarter", "a:year", "a:month"],
     ["at", "at:hour", ":day"]),
])
def test_aggregate_patterns(pattern, good, bad):
    assert all(re.match(pattern, text) for text in good)
    assert not any(re.match(pattern, text) for text in bad)


def test_exports_declare_their_media_types(document):
    for fmt, (media_type, _) in paths.EXPORT_FORMATS.items():
        content = document["paths"][f"{ITEM}/export.{fmt}"]["get"]["responses"]["200"]["content"]
        assert list(content) == [media_type]


def test_dataset_json_follows_the_schemas(document):
    summary, metadata = (schema_validator(document, n) for n in ("DatasetList",
                                                                 "DatasetMetadata"))
    summary.validate({"datasets": [d.summary() for d in fake_datasets()], "count": 2})
    for dataset in fake_datasets():
        metadata.validate(dataset.to_dict())


def test_records_body_of_the_client_tests_follows_the_schema(document):
    schema_validator(document, "Records").validate(FakeService(token="t").records_body)


def test_error_schema(document):
    validator = schema_validator(document, "Error")
    validator.validate({"error": "not found", "dataset": "nope"})
    assert not validator.is_valid({"status": 404, "message": "no such dataset"})
