"""`GET api/datasets/{id}/aggregate` in-process: the real app, registry, policy, DuckDB and audit.

The caller is named by the token (``Authorization: token <user>``, the user_model seam), so the
notebook client (tests/unit/test_widgets_aggregate.py) runs against the same service.
Workspace: tests/datasets_support plus ``incidents_raw``, the same rows where admins are exempt
from every rule (raw access).
"""

from __future__ import annotations

import pandas as pd
import pytest
import requests
from jsonschema import Draft202012Validator

from hub.login import demo_accounts as demo
from hub.policy.pseudonym import pseudonym
from hub.services.datasets import audit
from hub.services.datasets.http.app import make_app
from hub.services.datasets.http.identity import Identity, StaticGroups
from hub.services.datasets.published.openapi import openapi_document
from hub.services.datasets.read import aggregate, aggregate_result
from hub.services.datasets.read.engine import Engine
from hub.services.datasets.read.registry import DatasetRegistry
from tests.datasets_support import KEY, RECIPES, build_workspace, incidents_frame

from .test_datasets_service import PREFIX, USERS, Server

# admins are analysts too, so exempt from every rule of this copy
RAW = RECIPES["incidents"].replace("nir: {action: hide}",
                                   "nir: {action: hide, exempt_groups: [admins]}")
URL = "api/datasets/{}/aggregate"


async def token_user_model(handler):
    return USERS.get(handler.request.headers.get("Authorization", "").removeprefix("token "))


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    return build_workspace(tmp_path_factory.mktemp("aggregate"),
                           {**RECIPES, "incidents_raw": RAW})


@pytest.fixture(scope="module")
def service(ws):
    groups = StaticGroups({name: g["properties"] for name, g in demo.load_groups().items()})
    app = make_app(prefix=PREFIX, registry=DatasetRegistry(ws.catalog_dir, ws.store,
                                                           has_key=True, check_every=0),
                   engine=Engine(KEY.encode()), identity=Identity(groups),
                   audit_dir=audit.audit_dir(ws.data_dir), user_model=token_user_model)
    server = Server(app).start()
    yield server
    server.stop()


def get(service, user, dataset="incidents", path=URL, **params):
    return requests.get(service.url + path.format(dataset), params=params, timeout=30,
                        headers={"Authorization": f"token {user}"})


def answer(service, user, dataset="incidents", **params) -> dict:
    response = get(service, user, dataset, **params)
    assert response.status_code == 200, response.text
    return response.json()


def rows_of(body) -> pd.DataFrame:
    return pd.DataFrame(body["records"], columns=body["columns"])


def incidents(commune: str | None = None) -> pd.DataFrame:
    rows = incidents_frame().rename(columns={"Commune": "commune_code"})
    return rows if commune is None else rows[rows["commune_code"] == commune]


# -- what a caller gets -----------------------------------------------------------------------

def test_an_officials_aggregate_is_computed_on_their_rows_only(service, ws):
    body = answer(service, "elu-rivemont", by="commune_code",
                  measure=["count", "sum:amount", "mean:amount", "distinct:name", "max:amount"])
    own = incidents("99101")
    assert body["records"] == [{"commune_code": "99101", "count": len(own),
                                "sum_amount": pytest.approx(own["amount"].sum()),
                                "mean_amount": pytest.approx(own["amount"].mean()),
                                "distinct_name": own["name"].nunique(),
                                "max_amount": own["amount"].max(), "suppressed": False}]
    assert body["version"] == ws.store.current("incidents") and body["dataset"] == "incidents"
    assert (body["groups"], body["suppressed_groups"], body["min_group_size"]) == (1, 0, 5)


def test_groups_below_the_minimum_are_withheld(service):
    body = answer(service, "elu-rivemont", by="age", measure=["count", "distinct:name"])
    # the official sees age bands: 4, 3 and 3 of their 10 rows, all below 5
    assert body["records"] == [{"age": band, "count": None, "distinct_name": None,
                                "suppressed": True} for band in ("0-29", "30-39", "40+")]
    assert (body["groups"], body["suppressed_groups"]) == (3, 3)


def test_a_lone_small_group_takes_a_complement_with_it(service):
    body = answer(service, "analyst", by="commune_code", where="age:ge:36",
                  measure=["count", "sum:amount"])
    rows = incidents()
    shown = rows[(rows["age"] >= 36) & (rows["commune_code"] == "99103")]
    # 99101 has 4 rows (withheld); 99102 and 99103 have 5: the first of the smallest goes too
    assert body["records"] == [
        {"commune_code": "99101", "count": None, "sum_amount": None, "suppressed": True},
        {"commune_code": "99102", "count": None, "sum_amount": None, "suppressed": True},
        {"commune_code": "99103", "count": 5, "sum_amount": pytest.approx(shown["amount"].sum()),
         "suppressed": False}]
    assert body["suppressed_groups"] == 2


def test_sort_and_limit_come_after_suppression(service):
    body = answer(service, "analyst", by="commune_code", where="age:ge:36",
                  measure="sum:amount", order_by="-sum_amount", limit="2")
    assert [r["commune_code"] for r in body["records"]] == ["99103", "99101"]  # nulls last
    assert (body["groups"], body["suppressed_groups"], body["limit"]) == (3, 2, 2)
    assert len(body["records"]) == 2


def test_raw_access_is_never_suppressed_and_others_are(service):
    admin = answer(service, "admin", "incidents_raw", by="age")
    assert admin["min_group_size"] is None and admin["suppressed_groups"] == 0
    assert [r["count"] for r in admin["records"]] == [1] * 30
    analyst = answer(service, "analyst", "incidents_raw", by="age")  # `nir` is hidden to them
    assert analyst["min_group_size"] == 5 and analyst["suppressed_groups"] == 30


def test_time_buckets_and_generalised_columns(service):
    body = answer(service, "elu-rivemont", bucket="reported_at:week", by="age")
    weeks = {r["reported_at_week"] for r in body["records"]}
    assert weeks <= {"2024-01-01", "2024-01-08", "2024-01-15", "2024-01-22", "2024-01-29"}
    assert {r["age"] for r in body["records"]} <= {"0-29", "30-39", "40+"}
    assert {"name": "reported_at_week", "type": "date32[day]"} in body["schema"]


# -- what a caller cannot do ------------------------------------------------------------------

@pytest.mark.parametrize("params", [{"by": "nir"}, {"measure": "distinct:nir"},
                                    {"bucket": "nir:month"}, {"where": "nir:eq:NIR0001"}])
def test_hidden_columns_get_the_records_answer(service, params):
    records = get(service, "elu-rivemont", path="api/datasets/{}/records",
                  where="nir:eq:NIR0001")
    response = get(service, "elu-rivemont", **params)
    assert response.status_code == records.status_code == 400
    assert response.json() == records.json() == {"error": "unknown column 'nir'"}


def test_pseudonymised_columns_are_counted_not_grouped(service):
    response = get(service, "elu-rivemont", by="name")
    assert response.status_code == 400 and "pseudonymised" in response.json()["error"]
    assert "measure=distinct:name" in response.json()["error"]
    body = answer(service, "elu-rivemont", measure="distinct:name",
                  where=f"name:ne:{pseudonym('person0', KEY.encode())}")
    assert body["records"] == [{"distinct_name": 9, "suppressed": False}]


@pytest.mark.parametrize("params", [{}, {"by": "nir"}, {"limit": "-1"}, {"measure": "bogus"}])
def test_a_forbidden_dataset_answers_like_an_unknown_one(service, params):
    forbidden = get(service, "partner", "incidents", **params)
    unknown = get(service, "partner", "no_such_dataset", **params)
    assert forbidden.status_code == unknown.status_code == 404
    assert {**forbidden.json(), "dataset": "*"} == {**unknown.json(), "dataset": "*"}


def test_too_many_groups_is_a_400_naming_the_fixes(service, monkeypatch):
    monkeypatch.setattr(aggregate, "MAX_GROUPS", 5)
    monkeypatch.setattr(aggregate_result, "MAX_GROUPS", 5)
    response = get(service, "analyst", by="age")
    assert response.status_code == 400
    assert "more than 5 groups" in response.json()["error"]
    assert "bucket" in response.json()["error"] and "where=" in response.json()["error"]
    assert get(service, "analyst", by="commune_code").status_code == 200


def test_a_sum_of_integers_is_an_integer(service):
    body = answer(service, "analyst", measure="sum:age")
    assert body["records"][0]["sum_age"] == incidents()["age"].sum()
    assert isinstance(body["records"][0]["sum_age"], int)


# -- audit and contract -----------------------------------------------------------------------

def test_every_aggregate_is_audited_with_its_parameters(service, ws):
    answer(service, "elu-rivemont", by="age", measure=["count", "distinct:name"],
           bucket="reported_at:month", where="amount:gt:1", order_by="-count", limit="2")
    [entry] = audit.query(audit.audit_dir(ws.data_dir), user="elu-rivemont", limit=1)
    assert entry["action"] == "aggregate" and entry["dataset"] == "incidents"
    assert entry["by"] == ["age"] and entry["measures"] == ["count", "distinct:name"]
    assert entry["buckets"] == ["reported_at:month"] and entry["filters"] == ["amount:gt:1"]
    assert entry["order_by"] == ["-count"] and entry["limit"] == ["2"]
    assert entry["rows"] == 2 and entry["suppressed_groups"] == 3 and entry["status"] == 200
    assert "token" not in str(entry)


def test_answers_follow_the_openapi_schema(service):
    document = openapi_document(service.url)
    validator = Draft202012Validator({"$ref": "#/components/schemas/Aggregate",
                                      "components": document["components"]})
    for user, params in (("analyst", {"by": "commune_code", "measure": "p50:amount"}),
                         ("elu-rivemont", {"by": "age", "bucket": "reported_at:month"})):
        validator.validate(answer(service, user, **params))
