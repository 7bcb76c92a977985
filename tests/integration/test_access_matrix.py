"""Every demo account x every dataset x every path of the datasets service, against an oracle.

ONE real Agora (`agora up`, demo mode, demo data generated and refreshed at start) serves the
demo catalog plus one test-only recipe (tests/access_oracle.py PROBE_DATASET: row rule +
hide + pseudonymise + generalise, with exemptions). For each account the oracle — written
independently of hub/policy and hub/services (YAML recipes, snapshot files read from the store
with pandas/geopandas, memberships and group properties from the hub API) — says which
datasets, rows and columns the account may get; each path's answer is parsed and compared:

- list, metadata, records, aggregate, export.{parquet,csv,xlsx,geojson}, catalog entry
  (catalog.json, the same as catalog.yaml), DCAT entry;
- a forbidden dataset answers EXACTLY like an unknown one (status, headers, body but the id);
- officials get only their commune's rows, and the right count; hidden columns appear nowhere;
  pseudonymised values are never an original value; generalised values are coarsened;
- no row count in a description tells a row-restricted caller the total;
- aggregates equal the oracle's groups of the account's own rows, hidden columns cannot be
  grouped, measured or filtered, and small groups are withheld as docs/policy.md says.

Test ids read account-dataset-path. The largest datasets are exported in full once per format
(by analyst, who sees every row); other accounts use `limit` there and check a sub-multiset.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from tests.access_oracle import (
    CATALOGS,
    PARSERS,
    PROBE_ACCESS,
    PROBE_DATASET,
    TEST_KEY,
    AggregateQuery,
    Service,
    Snapshot,
    accounts_from_hub,
    admin_token,
    aggregate_query,
    compare_aggregate,
    compare_rows,
    expected_access,
    expected_min_group_size,
    ints_in,
    oracle_view,
    strings_in,
    token_made_by_admin,
    write_catalog,
)
from tests.support import running_agora

pytestmark = pytest.mark.integration

ACCOUNTS = ("analyst", "elu-rivemont", "elu-bellecombe", "partner", "scheduler", "admin")
DATASETS = tuple(sorted([p.stem for p in CATALOGS.glob("*.yaml")] + [PROBE_DATASET]))
FORMATS = ("parquet", "csv", "xlsx", "geojson")
PATHS = ("list", "metadata", "records", "aggregate", *(f"export.{f}" for f in FORMATS),
         "catalog", "dcat")
UNKNOWN = "no_such_dataset"
# these export everything in full, every format (all rows; an official's own rows); the
# other accounts export in full up to FULL_EXPORT_MAX_ROWS rows, and use `limit` above that
FULL_EXPORT_ACCOUNTS = ("analyst", "elu-rivemont")
FULL_EXPORT_MAX_ROWS = 5_000
EXPORT_LIMIT = 3_000
RECORDS_LIMIT = 10_000
GENERALISED_TYPES = {"year": "int32", "decade": "int32", "month": "string", "band": "string"}


class World:
    """The running Agora, one token per account, and the oracle's answers (cached)."""

    def __init__(self, agora, admin, catalog_dir: Path):
        self.agora = agora
        self.admin = admin
        self.key = TEST_KEY.encode()
        self.recipes = {p.stem: yaml.safe_load(p.read_text())
                        for p in sorted(catalog_dir.glob("*.yaml"))}
        self.accounts = accounts_from_hub(agora, admin, ACCOUNTS)
        self.services = {name: Service(agora, token_made_by_admin(agora, admin, name))
                         for name in ACCOUNTS}
        store = agora.data_dir / "store"
        self.snapshots = {d: Snapshot(store, d) for d in self.recipes}
        self._views: dict = {}

    def expected(self, account: str, dataset: str):
        return expected_access(self.accounts[account], self.recipes[dataset].get("access"))

    def view(self, account: str, dataset: str):
        key = (account, dataset)
        if key not in self._views:
            self._views[key] = oracle_view(self.snapshots[dataset],
                                           self.expected(account, dataset), self.key)
        return self._views[key]

    def row_restricted(self, account: str, dataset: str) -> bool:
        return bool(self.expected(account, dataset).row_filters)

    def listing(self, account: str) -> dict:
        response = self.services[account].get("api/datasets", cache=True)
        assert response.status_code == 200, response.text[:500]
        return {d["id"]: d for d in response.json()["datasets"]}

    def catalog(self, account: str) -> dict:
        """The catalog widgets reads (JSON), checked equal to the YAML one."""
        response = self.services[account].get("api/catalog.json", cache=True)
        assert response.status_code == 200, response.text[:500]
        as_yaml = self.services[account].get("api/catalog.yaml", cache=True)
        assert as_yaml.status_code == 200, as_yaml.text[:500]
        assert yaml.safe_load(as_yaml.text) == response.json()
        return response.json()

    def dcat(self, account: str) -> dict:
        response = self.services[account].get("api/dcat.jsonld", cache=True)
        assert response.status_code == 200, response.text[:500]
        return {node["dct:identifier"]: node for node in response.json()["dcat:dataset"]}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("access-matrix")
    catalog_dir = write_catalog(root / "catalogs")
    env = {**os.environ, "AGORA_PSEUDONYM_KEY": TEST_KEY}
    with running_agora(root / "hub", {"data": {"catalog_dir": str(catalog_dir)}}, env) as agora:
        count = len(DATASETS)
        assert f"{count} of {count} datasets ready" in agora.log(), agora.log()[-3000:]
        yield World(agora, admin_token(agora), catalog_dir)


def cases():
    for account in ACCOUNTS:
        for dataset in DATASETS:
            for path in PATHS:
                yield pytest.param(account, dataset, path, id=f"{account}-{dataset}-{path}")


# -- the oracle's own sanity (so an empty oracle cannot make the matrix pass) ----------------

def test_oracle_covers_every_kind_of_access(world):
    allowed = {(a, d) for a in ACCOUNTS for d in DATASETS if world.expected(a, d).allowed}
    assert len(allowed) < len(ACCOUNTS) * len(DATASETS), "someone must be denied something"
    restricted = [(a, d) for a, d in allowed if world.row_restricted(a, d)]
    assert restricted and all(a.startswith("elu-") for a, _ in restricted)
    for account, dataset in restricted:
        view, total = world.view(account, dataset), world.snapshots[dataset].total
        assert view.count < total, (account, dataset)
    # each official sees at least some rows of the big row-filtered datasets
    for account in ("elu-rivemont", "elu-bellecombe"):
        assert world.view(account, "air_quality").count > 0
    probe = world.view("partner", PROBE_DATASET)
    assert "email" in probe.originals and "sex" not in probe.columns
    assert "email" not in world.view("admin", PROBE_DATASET).originals  # exempt


# -- the matrix ------------------------------------------------------------------------------

@pytest.mark.parametrize("account,dataset,path", list(cases()))
def test_matrix(world, account, dataset, path):
    expected = world.expected(account, dataset)
    if expected.allowed:
        CHECKS[path.split(".")[0]](world, account, dataset, path)
    else:
        FORBIDDEN[path.split(".")[0]](world, account, dataset, path)


# -- allowed ---------------------------------------------------------------------------------

def check_list(world, account, dataset, path):
    items = world.listing(account)
    assert dataset in items, f"{dataset} missing from {account}'s list"
    item, view = items[dataset], world.view(account, dataset)
    assert item["rows"] == view.count
    assert item["version"] == world.snapshots[dataset].version
    assert item["geo"] == (view.geometry is not None)
    check_no_hidden(world, account, dataset, item)


def check_metadata(world, account, dataset, path):
    response = world.services[account].get(f"api/datasets/{dataset}")
    assert response.status_code == 200, response.text[:500]
    body, view = response.json(), world.view(account, dataset)
    assert body["id"] == dataset and body["version"] == world.snapshots[dataset].version
    assert [c["name"] for c in body["schema"]] == view.columns
    assert body["columns"] == body["schema"]
    rules = world.expected(account, dataset).rules
    for column in body["schema"]:
        rule = rules.get(column["name"])
        if rule is None:
            assert column["rule"] is None, column
        elif rule["action"] == "pseudonymise":
            assert (column["type"], column["rule"]) == ("string", "pseudonymised"), column
        else:
            assert column["type"] == GENERALISED_TYPES[rule["to"]], column
            assert column["rule"] == f"generalised to {rule['to']}", column
    assert body["rows"] == body["freshness"]["rows"] == view.count
    check_no_hidden(world, account, dataset, body)


def check_records(world, account, dataset, path):
    view = world.view(account, dataset)
    response = world.services[account].get(f"api/datasets/{dataset}/records",
                                           {"limit": RECORDS_LIMIT})
    assert response.status_code == 200, response.text[:500]
    body = response.json()
    assert body["columns"] == view.columns
    columns, rows = PARSERS["records"](body, view)
    label = f"{account}/{dataset}/records"
    if view.count <= RECORDS_LIMIT:
        assert len(rows) == view.count and body["next"] is None
        compare_rows(columns, rows, view, label=label)
    else:
        assert len(rows) == RECORDS_LIMIT and body["next"]
        assert "offset=10000" in body["next"] and world.services[account].token not in body["next"]
        compare_rows(columns, rows, view, subset=True, label=label)
    check_values(world, account, dataset, columns, rows)


def check_aggregate(world, account, dataset, path):
    view, expected = world.view(account, dataset), world.expected(account, dataset)
    query = aggregate_query(view, expected.rules)
    check_aggregate_query(world, account, dataset, query)
    if query.bucket or len(query.by) > 1:  # and coarser: fewer groups withheld, more values
        check_aggregate_query(world, account, dataset,
                              AggregateQuery(query.by[:1], None, query.numeric, query.distinct))
    url = f"api/datasets/{dataset}/aggregate"
    for hidden in sorted(expected.hidden):
        for params in ({"by": hidden}, {"measure": f"distinct:{hidden}"},
                       {"where": f"{hidden}:not_null"}, {"bucket": f"{hidden}:month"}):
            response = world.services[account].get(url, params)
            assert response.status_code == 400, (params, response.text[:300])
            assert response.json() == {"error": f"unknown column '{hidden}'"}


def check_aggregate_query(world, account, dataset, query: AggregateQuery) -> dict:
    """One aggregate request compared with the oracle; the answer."""
    response = world.services[account].get(f"api/datasets/{dataset}/aggregate", query.params())
    assert response.status_code == 200, (query, response.text[:500])
    body = response.json()
    assert body["dataset"] == dataset and body["version"] == world.snapshots[dataset].version
    min_size = expected_min_group_size(world.expected(account, dataset),
                                       world.recipes[dataset].get("access"))
    compare_aggregate(body, world.view(account, dataset), query, min_size,
                      f"{account}/{dataset}/aggregate {query.params()}")
    return body


def check_export(world, account, dataset, path):
    fmt = path.split(".", 1)[1]
    view = world.view(account, dataset)
    url = f"api/datasets/{dataset}/{path}"
    if fmt == "geojson" and view.geometry is None:
        response = world.services[account].get(url)
        assert response.status_code == 404, response.text[:300]
        assert response.json()["dataset"] == dataset
        return
    full = account in FULL_EXPORT_ACCOUNTS or view.count <= FULL_EXPORT_MAX_ROWS
    response = world.services[account].get(url, None if full else {"limit": EXPORT_LIMIT})
    assert response.status_code == 200, response.text[:500]
    version = world.snapshots[dataset].version
    assert f'filename="{dataset}-{version}.{fmt}"' in response.headers["Content-Disposition"]
    columns, rows = PARSERS[fmt](response.content, view)
    expected_columns = view.columns if fmt != "geojson" else (
        [c for c in view.columns if c != view.geometry] + [view.geometry])
    if rows or fmt != "geojson":
        assert columns == expected_columns
    label = f"{account}/{dataset}/{path}"
    if full:
        assert len(rows) == view.count, f"{label}: {len(rows)} rows, oracle {view.count}"
        compare_rows(columns, rows, view, label=label)
    else:
        assert len(rows) == min(EXPORT_LIMIT, view.count)
        compare_rows(columns, rows, view, subset=True, label=label)
    check_values(world, account, dataset, columns, rows)


def check_catalog(world, account, dataset, path):
    catalog = world.catalog(account)
    entries = catalog["entries"]
    assert dataset in entries
    entry, view = entries[dataset], world.view(account, dataset)
    metadata = entry["metadata"]
    # slim entries: no schema (it is at `page`, checked by check_metadata), browsing metadata
    assert "columns" not in metadata
    assert metadata["page"].endswith(f"/services/datasets/api/datasets/{dataset}")
    assert metadata["geo"] is (view.geometry is not None)
    assert metadata["rows"] in (view.count, None)
    if not world.row_restricted(account, dataset):
        assert metadata["rows"] == view.count
    assert entry["kwargs"] == {"args": [f"{{data({dataset}.parquet)}}"]}  # Intake's readers
    url = catalog["data"][f"{dataset}.parquet"]["kwargs"]["url"].removeprefix("simplecache::")
    assert url.endswith(f"/services/datasets/api/datasets/{dataset}/export.parquet")
    geo = view.geometry is not None
    assert entry["output_instance"] == ("geopandas:GeoDataFrame" if geo else "pandas:DataFrame")
    assert world.services[account].token not in json.dumps(entry)
    check_no_hidden(world, account, dataset, entry)


def check_dcat(world, account, dataset, path):
    nodes = world.dcat(account)
    assert dataset in nodes
    node, view = nodes[dataset], world.view(account, dataset)
    formats = sorted(d["@id"].rsplit(".", 1)[1] for d in node["dcat:distribution"])
    assert formats == sorted(["parquet", "csv", "xlsx"] + (["geojson"] if view.geometry else []))
    assert node["@id"].endswith(f"/services/datasets/api/datasets/{dataset}")
    check_no_hidden(world, account, dataset, node)


CHECKS = {"list": check_list, "metadata": check_metadata, "records": check_records,
          "aggregate": check_aggregate, "export": check_export, "catalog": check_catalog,
          "dcat": check_dcat}


def check_no_hidden(world, account, dataset, body) -> None:
    """No hidden column name as a key or a value anywhere in a description."""
    hidden = world.expected(account, dataset).hidden
    found = hidden & set(strings_in(body))
    assert not found, f"hidden column(s) {found} named in {account}'s view of {dataset}"
    text = json.dumps(body, ensure_ascii=False)
    for name in hidden:
        assert f'"{name}"' not in text


def check_no_total(world, account, dataset, body, what: str) -> None:
    """A row-restricted caller learns nothing about rows outside their rights: no integer in
    the description may exceed their own row count (a count over all rows would)."""
    if not world.row_restricted(account, dataset):
        return
    own = world.view(account, dataset).count
    total = world.snapshots[dataset].total
    leaks = [(p, n) for p, n in ints_in(body) if n > own and not _innocent(p)]
    assert not leaks, (f"{what} of {dataset} for {account} (own rows {own}, total {total}) "
                       f"holds counts over rows they cannot see: {leaks[:5]}")


def _innocent(path: str) -> bool:
    """Integers that are not counts of rows (versions, years, sizes of things)."""
    return path.endswith((".consecutive_failures",)) or "lineage" in path


def check_values(world, account, dataset, columns, rows) -> None:
    """Column rules, value by value: pseudonyms never equal an original; generalised values
    coarsened; row rules: only the caller's territories."""
    view, expected = world.view(account, dataset), world.expected(account, dataset)
    for name, rule in expected.rules.items():
        if name not in columns:
            continue
        values = {r[columns.index(name)] for r in rows} - {None}
        if rule["action"] == "pseudonymise":
            assert not values & view.originals[name], f"{name}: original values served"
            assert all(len(v) == 16 for v in values)
        elif rule.get("to") == "decade":
            assert all(v % 10 == 0 for v in values), f"{name} not generalised to decades"
        elif rule.get("to") == "month":
            assert all(len(v) == 7 and v[4] == "-" for v in values), values
        elif rule.get("to") == "band":
            assert all("-" in v or v.endswith("+") or v.startswith("<") for v in values)
    for column, territories in expected.row_filters:
        if column in columns:
            served = {r[columns.index(column)] for r in rows}
            assert served <= set(territories), f"rows of {served - set(territories)} served"


# -- forbidden: exactly the unknown dataset's answer -----------------------------------------

def same_as_unknown(world, account, dataset, path, params=None) -> None:
    service = world.services[account]
    forbidden = service.get(path.format(id=dataset), params)
    unknown = service.get(path.format(id=UNKNOWN), params)
    assert forbidden.status_code == unknown.status_code == 404, forbidden.text[:300]
    assert forbidden.headers.get("Content-Type") == unknown.headers.get("Content-Type")
    ignore = {"date", "content-length", "etag"}
    assert ({h.lower() for h in forbidden.headers} - ignore
            == {h.lower() for h in unknown.headers} - ignore)
    body, other = forbidden.json(), unknown.json()
    assert body.get("dataset") == dataset and other.get("dataset") == UNKNOWN
    assert {**body, "dataset": "*"} == {**other, "dataset": "*"}


def forbidden_path(world, account, dataset, path):
    if path == "metadata":
        same_as_unknown(world, account, dataset, "api/datasets/{id}")
        same_as_unknown(world, account, dataset, "api/datasets/{id}/anything/else")
    elif path in ("records", "aggregate"):
        url = "api/datasets/{id}/" + path
        same_as_unknown(world, account, dataset, url)
        # bad parameters must not make a forbidden dataset answer differently (no 400 oracle)
        for params in ({"limit": "-1"}, {"where": "nope:eq:1"}, {"select": "nope"},
                       {"where": "commune_code:in:99101|99102", "limit": "5"},
                       {"by": "nope"}, {"measure": "bogus"}, {"bucket": "x:hour"}):
            same_as_unknown(world, account, dataset, url, params)
    else:
        same_as_unknown(world, account, dataset, "api/datasets/{id}/" + path)
        same_as_unknown(world, account, dataset, "api/datasets/{id}/" + path, {"limit": "x"})
        if path == "export.parquet":
            same_as_unknown(world, account, dataset, "api/datasets/{id}/export.bogus")


def forbidden_listed(world, account, dataset, path):
    service = world.services[account]
    title = world.recipes[dataset]["title"]
    if path == "list":
        ids, text = world.listing(account), service.get("api/datasets", cache=True).text
    elif path == "catalog":
        catalog = world.catalog(account)
        ids, text = catalog["entries"], (service.get("api/catalog.yaml", cache=True).text
                                         + service.get("api/catalog.json", cache=True).text)
        assert dataset not in catalog["aliases"]
    else:
        ids, text = world.dcat(account), service.get("api/dcat.jsonld", cache=True).text
    assert dataset not in ids
    assert title not in text and f"/{dataset}/" not in text and f'"{dataset}"' not in text


FORBIDDEN = {"list": forbidden_listed, "catalog": forbidden_listed, "dcat": forbidden_listed,
             "metadata": forbidden_path, "records": forbidden_path, "aggregate": forbidden_path,
             "export": forbidden_path}


# -- a few whole-answer checks ---------------------------------------------------------------

@pytest.mark.parametrize("account", ACCOUNTS)
def test_each_description_lists_exactly_the_allowed_datasets(world, account):
    allowed = {d for d in DATASETS if world.expected(account, d).allowed}
    assert set(world.listing(account)) == allowed
    assert set(world.catalog(account)["entries"]) == allowed
    assert set(world.dcat(account)) == allowed
    assert world.services[account].get("api/datasets", cache=True).json()["count"] == len(allowed)


@pytest.mark.parametrize("account", ["elu-rivemont", "elu-bellecombe"])
def test_official_pages_through_exactly_their_rows(world, account):
    """Following `next` links with a small page gives every allowed row once, and no other."""
    dataset = "air_quality"
    view = world.view(account, dataset)
    service, rows, url, params = world.services[account], [], None, {"limit": 2000}
    response = service.get(f"api/datasets/{dataset}/records", params)
    while True:
        assert response.status_code == 200, response.text[:300]
        body = response.json()
        rows += PARSERS["records"](body, view)[1]
        if not body["next"]:
            break
        url = body["next"]
        assert service.token not in url
        response = service.session.get(url, headers={"Authorization": f"token {service.token}"},
                                       timeout=60)
    compare_rows(view.columns, rows, view, label=f"{account} paging")
    assert len(rows) == view.count


def test_generalised_and_pseudonymised_columns_cannot_be_probed_by_filters(world):
    """Filters compare with what the caller sees: an original value matches nothing."""
    snapshot = world.snapshots[PROBE_DATASET]
    frame = snapshot.frame
    service = world.services["partner"]
    url = f"api/datasets/{PROBE_DATASET}/records"
    email = frame["email"].dropna().iloc[0]
    year = int(frame["birth_year"].dropna().iloc[0])
    for where in (f"email:eq:{email}", f"email:contains:{email.split('@')[0]}",
                  f"birth_year:eq:{year if year % 10 else year + 1}"):
        response = service.get(url, {"where": where, "limit": 10})
        assert response.status_code == 200, response.text[:300]
        assert response.json()["records"] == [], where
    # the exempt admin does see originals: the filter itself works
    admin = world.services["admin"].get(url, {"where": f"email:eq:{email}", "limit": 10})
    assert admin.status_code == 200 and admin.json()["records"], admin.text[:300]
    # hidden columns do not exist for filters, sorting or projection
    for params in ({"where": "case_id:not_null"}, {"order_by": "case_id"}, {"select": "case_id"},
                   {"where": "sex:eq:F"}):
        response = service.get(url, params)
        assert response.status_code == 400 and "unknown column" in response.json()["error"]


# -- aggregates: small groups withheld -------------------------------------------------------

@pytest.mark.parametrize("account, dataset, query", [
    ("analyst", "social_aid_beneficiaries",
     AggregateQuery(("commune_code", "aid_type"), "decided_on", "amount_eur", "beneficiary")),
    ("elu-rivemont", PROBE_DATASET,
     AggregateQuery(("aid_type", "amount_eur"), None, None, "email")),
])
def test_fine_groupings_withhold_small_groups(world, account, dataset, query):
    """Groupings fine enough to have small groups: they are withheld, as the oracle says (the
    coarser groupings of check_aggregate show values)."""
    body = check_aggregate_query(world, account, dataset, query)
    assert body["min_group_size"] == 5 and body["suppressed_groups"] > 0
    withheld = [r for r in body["records"] if r["suppressed"]]
    assert all(r["count"] is None for r in withheld)


def test_pseudonymised_columns_cannot_be_grouped(world):
    response = world.services["partner"].get(f"api/datasets/{PROBE_DATASET}/aggregate",
                                             {"by": "email"})
    assert response.status_code == 400 and "pseudonymised" in response.json()["error"]


# -- row counts: a row-restricted caller never learns the total ------------------------------

def row_ruled_datasets() -> list[str]:
    """Datasets with a row rule for officials (read from the recipes' YAML, at collection)."""
    found = []
    for dataset in DATASETS:
        access = PROBE_ACCESS if dataset == PROBE_DATASET else (yaml.safe_load(
            (CATALOGS / f"{dataset}.yaml").read_text()).get("access") or {})
        if "officials" in access.get("groups", []) and access.get("rows"):
            found.append(dataset)
    return found


def leak_cases():
    for account in ("elu-rivemont", "elu-bellecombe"):
        for dataset in row_ruled_datasets():
            for path in ("list", "metadata", "catalog", "dcat"):
                yield pytest.param(account, dataset, path, id=f"{account}-{dataset}-{path}")


@pytest.mark.parametrize("account,dataset,path", list(leak_cases()))
def test_row_restricted_descriptions_hold_no_count_beyond_own_rows(world, account, dataset,
                                                                   path):
    assert world.row_restricted(account, dataset)
    service = world.services[account]
    if path == "list":
        body = world.listing(account)[dataset]
    elif path == "metadata":
        body = service.get(f"api/datasets/{dataset}").json()
    elif path == "catalog":
        body = world.catalog(account)["entries"][dataset]
    else:
        body = world.dcat(account)[dataset]
    check_no_total(world, account, dataset, body, path)
