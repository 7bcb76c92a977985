"""Trying to break into the datasets service of a real Agora (demo mode, demo data).

Each test plays an attacker with a real account (or none): path traversal in dataset ids,
SQL-ish injection in filters and column names, absurd paging, an official widening their
rows, expired / garbage / other services' / under-scoped tokens, no token, tokens in URLs,
cross-origin reads. Every refusal is compared with a positive control (the same request that
works), so a broken probe cannot pass for a secure service. Then the audit log: denied reads
are recorded, tokens never are (nor in any log line of the hub and its services).

The last part runs in system-users isolation (root only): code in a user's kernel cannot read
the snapshot store directly, but reads its own data through the service with its own token.
"""

from __future__ import annotations

import csv
import http.client
import io
import json
import os
import pwd
import secrets
import shutil
import stat
import time
from urllib.parse import urlsplit

import psutil
import pytest
import requests

from tests.access_oracle import (
    TEST_KEY,
    Service,
    Snapshot,
    admin_token,
    token_made_by_admin,
    write_catalog,
)
from tests.support import (
    PROBE_TAG,
    hub_api,
    probe_code,
    reachable_temp_folder,
    remove_system_account,
    run_in_workspace,
    running_agora,
    spawned_sessions,
    tagged_result,
    user_api_token,
)

pytestmark = pytest.mark.integration

UNKNOWN = "no_such_dataset"
OWN = "99101"  # elu-rivemont's territory (group commune-99101)


@pytest.fixture(scope="module")
def agora(tmp_path_factory):
    root = tmp_path_factory.mktemp("break-in")
    catalog_dir = write_catalog(root / "catalogs")
    env = {**os.environ, "AGORA_PSEUDONYM_KEY": TEST_KEY}
    with running_agora(root / "hub", {"data": {"catalog_dir": str(catalog_dir)}}, env) as running:
        running.extra["admin"] = admin_token(running)
        yield running


@pytest.fixture(scope="module")
def tokens(agora):
    """One token per account used below (created by the admin through the hub API)."""
    admin = agora.extra["admin"]
    return {name: token_made_by_admin(agora, admin, name)
            for name in ("analyst", "elu-rivemont", "partner")}


@pytest.fixture(scope="module")
def svc(agora, tokens):
    return {name: Service(agora, token) for name, token in tokens.items()}


@pytest.fixture(scope="module")
def snapshot(agora):
    return Snapshot(agora.data_dir / "store", "air_quality")


def raw_get(agora, target: str, token: str | None = None) -> tuple[int, dict, bytes]:
    """GET with the request target sent byte for byte (no client-side normalisation of
    `..`, `%2e` or `//`, which requests/urllib3 would do)."""
    url = urlsplit(agora.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    headers = {"Authorization": f"token {token}"} if token else {}
    try:
        connection.request("GET", url.path + "services/datasets/" + target, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


# -- path traversal in dataset ids -----------------------------------------------------------

TRAVERSALS = [
    "..%2f..%2fjupyterhub.sqlite",
    "..%2F..%2Fjupyterhub.sqlite/records",
    "..%2f..%2fjupyterhub_cookie_secret/export.csv",
    "%2e%2e",
    "%2e%2e/records",
    "%2e%2e%2f%2e%2e%2fstore%2fair_quality/export.parquet",
    "%2E%2E%2F%2E%2E%2Fjupyterhub.sqlite",
    "%252e%252e%252fjupyterhub.sqlite",
    "..%5c..%5cjupyterhub.sqlite",
    "%2fetc%2fpasswd",
    "%2Fetc%2Fpasswd/records",
    "air_quality%2f..%2f..%2fsocial_aid_beneficiaries/records",
    "air_quality%2f..%2fsocial_aid_beneficiaries",
    "social_aid_beneficiaries%00/records",
    "social_aid_beneficiaries%2500/records",
    "SOCIAL_AID_BENEFICIARIES/records",
    "social_aid_beneficiaries%20/records",
    "social_aid_beneficiarie%C5%9F/records",
    "social%E2%80%A4aid/records",
    "~root%2f.ssh",
    "store%2fsocial_aid_beneficiaries%2fCURRENT",
]


@pytest.mark.parametrize("target", TRAVERSALS)
def test_traversal_in_ids_gets_the_unknown_dataset_404(agora, tokens, target):
    """partner may read air_quality, not social_aid_beneficiaries: nothing above may give
    anything but the JSON 404 of an unknown dataset."""
    status, headers, body = raw_get(agora, "api/datasets/" + target, tokens["partner"])
    unknown_status, unknown_headers, unknown_body = raw_get(
        agora, f"api/datasets/{UNKNOWN}/records", tokens["partner"])
    assert unknown_status == 404
    assert status == 404, (status, body[:300])
    assert headers.get("Content-Type") == unknown_headers.get("Content-Type")
    answer = json.loads(body)
    assert set(answer) == {"error", "dataset"} and answer["error"] == "not found"
    assert b"SQLite" not in body and b"PAR1" not in body and b"root:" not in body


def test_traversal_probe_positive_control(agora, tokens):
    """The same raw client reads what partner may read."""
    status, _, body = raw_get(agora, "api/datasets/air_quality/records?limit=1",
                              tokens["partner"])
    assert status == 200 and len(json.loads(body)["records"]) == 1


@pytest.mark.parametrize("target", ["%2e%2e%2f%2e%2e%2fhub%2fapi%2fusers",
                                    "..%2f..%2f..%2fhub%2fapi%2fusers"])
def test_traversal_cannot_reach_the_hub_api_through_the_service(agora, tokens, target):
    status, _, body = raw_get(agora, "api/datasets/" + target, tokens["analyst"])
    assert status == 404 and b'"name"' not in body


# -- injection in filters and column names ---------------------------------------------------

VALUE_INJECTIONS = [
    f"{OWN}' OR '1'='1",
    f"{OWN}' OR 1=1 --",
    f'{OWN}" OR "1"="1',
    f"{OWN}\u2019 OR \u20181\u2019=\u20191",  # unicode quotes
    f"{OWN}\uff07 OR \uff071\uff07=\uff071",  # fullwidth apostrophe
    f"{OWN}'; DROP TABLE x; --",
    f"{OWN}\x00' OR '1'='1",
    "%",
    "_",
    f"{OWN}) OR (1=1",
    "\uff19\uff19\uff11\uff10\uff11",  # fullwidth digits of 99101
]


@pytest.mark.parametrize("value", VALUE_INJECTIONS)
@pytest.mark.parametrize("op", ["eq", "ne", "contains", "in", "ge"])
def test_injected_values_give_no_extra_rows(svc, snapshot, value, op):
    """An official's filter values are data, never SQL: at most their own rows, and an
    injected value matches nothing (or is refused with a 400)."""
    own = int((snapshot.frame["commune_code"] == OWN).sum())
    response = svc["elu-rivemont"].get("api/datasets/air_quality/records",
                                       {"where": f"commune_code:{op}:{value}",
                                        "limit": 10000, "select": "commune_code"})
    assert response.status_code in (200, 400), response.text[:300]
    if response.status_code == 400:
        assert set(response.json()) == {"error"}
        return
    codes = [r["commune_code"] for r in response.json()["records"]]
    assert set(codes) <= {OWN} and len(codes) <= own
    if op in ("eq", "contains", "in"):
        assert codes == [], f"{value!r} matched rows"


@pytest.mark.parametrize("value", VALUE_INJECTIONS[:6])
def test_injected_values_match_nothing_for_an_analyst_either(svc, value):
    response = svc["analyst"].get("api/datasets/air_quality/records",
                                  {"where": f"commune_code:eq:{value}", "limit": 10})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.json()["records"] == []


def test_injection_probe_positive_control(svc, snapshot):
    own = int((snapshot.frame["commune_code"] == OWN).sum())
    response = svc["elu-rivemont"].get("api/datasets/air_quality/records",
                                       {"where": f"commune_code:eq:{OWN}", "limit": 10000,
                                        "select": "commune_code"})
    assert response.status_code == 200 and len(response.json()["records"]) == min(own, 10000)


COLUMN_INJECTIONS = [
    '"commune_code" OR 1=1 --',
    'commune_code" OR "1"="1',
    "commune_code) OR (1=1",
    "commune_code OR 1=1",
    "commune_code; DROP TABLE x",
    "*",
    "1",
    "(SELECT 1)",
    "\u201ccommune_code\u201d",
    "COMMUNE_CODE",
    "commune_code ",
    "read_parquet('/etc/passwd')",
]


@pytest.mark.parametrize("column", COLUMN_INJECTIONS)
@pytest.mark.parametrize("param", ["where", "select", "order_by"])
def test_injected_column_names_are_refused(svc, column, param):
    value = f"{column}:eq:{OWN}" if param == "where" else column
    for fmt in ("records", "export.csv"):
        response = svc["elu-rivemont"].get(f"api/datasets/air_quality/{fmt}", {param: value})
        if param != "where" and column.strip() == "commune_code":
            assert response.status_code == 200  # names are trimmed: the real column
            continue
        assert response.status_code == 400, (fmt, response.status_code, response.text[:300])
        assert set(response.json()) == {"error"}


def test_hidden_column_is_unknown_not_forbidden(svc):
    """A hidden column gets exactly the answer of a column that does not exist."""
    url = "api/datasets/social_aid_beneficiaries/records"
    hidden = svc["analyst"].get(url, {"where": "case_id:not_null"})
    absent = svc["analyst"].get(url, {"where": "no_column_here:not_null"})
    assert hidden.status_code == absent.status_code == 400
    assert (hidden.json()["error"].replace("case_id", "X")
            == absent.json()["error"].replace("no_column_here", "X"))


# -- absurd paging ---------------------------------------------------------------------------

ABSURD = ["-1", "-0x1", str(10**12), str(10**30), "1.5", "1e3", "abc", "0x10", "10 OR 1=1",
          "NaN", "inf", "--1", "1;2"]


@pytest.mark.parametrize("value", ABSURD)
@pytest.mark.parametrize("name", ["limit", "offset"])
def test_absurd_paging_in_records_is_a_400(svc, name, value):
    response = svc["analyst"].get("api/datasets/air_quality/records", {name: value})
    if name == "offset" and value == str(10**12):
        # a huge but valid offset: just past the end
        assert response.status_code in (200, 400), response.text[:300]
        if response.status_code == 200:
            assert response.json()["records"] == []
        return
    assert response.status_code == 400, (response.status_code, response.text[:300])
    assert set(response.json()) == {"error"}


@pytest.mark.parametrize("value", ["-1", str(10**30), "1.5", "abc"])
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_absurd_limits_in_exports_are_a_400(svc, fmt, value):
    response = svc["analyst"].get(f"api/datasets/air_quality/export.{fmt}", {"limit": value})
    assert response.status_code == 400, (response.status_code, response.text[:300])
    assert "Content-Disposition" not in response.headers


def test_too_many_filters_or_in_values_are_a_400(svc):
    url = "api/datasets/air_quality/records"
    many = svc["analyst"].get(url, {"where": ["pm10:gt:0"] * 51})
    wide = svc["analyst"].get(url, {"where": "commune_code:in:" + "|".join(["1"] * 1001)})
    assert many.status_code == wide.status_code == 400


# -- an official widening their rows ---------------------------------------------------------

@pytest.mark.parametrize("where", ["commune_code:in:99101|99102", "commune_code:eq:99102",
                                   "commune_code:ne:99101", "commune_code:is_null",
                                   "commune_code:not_null", "commune_code:contains:99",
                                   "commune_code:ge:0"])
@pytest.mark.parametrize("path", ["records", "export.csv"])
def test_official_cannot_widen_their_rows(svc, snapshot, where, path):
    own = int((snapshot.frame["commune_code"] == OWN).sum())
    params = {"where": where, "select": "commune_code"}
    if path == "records":
        params["limit"] = 10000
    response = svc["elu-rivemont"].get(f"api/datasets/air_quality/{path}", params)
    assert response.status_code == 200, response.text[:300]
    if path == "records":
        codes = [r["commune_code"] for r in response.json()["records"]]
    else:
        codes = [row[0] for row in csv.reader(io.StringIO(response.text))][1:]
    assert set(codes) <= {OWN}
    widening = where in ("commune_code:in:99101|99102", "commune_code:not_null",
                         "commune_code:contains:99", "commune_code:ge:0")
    expected = min(own, 10000) if path == "records" else own
    assert len(codes) == (expected if widening else 0)


# -- tokens ----------------------------------------------------------------------------------

def refused(response) -> None:
    assert response.status_code in (401, 403), (response.status_code, response.text[:300])
    assert "records" not in response.text and "air_quality" not in response.text


def test_expired_token_is_refused(agora):
    token = token_made_by_admin(agora, agora.extra["admin"], "analyst", expires_in=1)
    time.sleep(2.5)
    refused(Service(agora, token).get("api/datasets/air_quality/records"))


@pytest.mark.parametrize("token", ["garbage", "0" * 32, "token", "' OR 1=1 --",
                                   "a" * 5000])
def test_garbage_tokens_are_refused(agora, token):
    refused(Service(agora, token).get("api/datasets/air_quality/records"))


def service_token(agora, name: str) -> str | None:
    """A hub-managed service's JUPYTERHUB_API_TOKEN, read from its process environment
    (root, or the account that started the test hub)."""
    for proc in psutil.Process(agora.proc.pid).children(recursive=True):
        try:
            cmdline = " ".join(proc.cmdline())
            if name in cmdline:
                token = proc.environ().get("JUPYTERHUB_API_TOKEN")
                if token:
                    return token
        except (psutil.AccessDenied, psutil.NoSuchProcess):
            continue
    return None


@pytest.mark.parametrize("name", ["jupyterhub_idle_culler", "hub.services.scheduler",
                                  "hub.services.datasets"])
def test_other_services_tokens_are_refused(agora, name):
    token = service_token(agora, name)
    if token is None:
        pytest.skip(f"could not read the token of the service process {name!r}")
    assert hub_api(agora, token, "").status_code == 200  # a live token: the probe is valid
    refused(Service(agora, token).get("api/datasets/air_quality/records"))
    refused(Service(agora, token).get("api/datasets"))


def test_token_without_the_service_scope_is_refused(agora):
    admin = agora.extra["admin"]
    narrow = token_made_by_admin(agora, admin, "analyst", scopes=["read:users:name!user=analyst"])
    assert hub_api(agora, narrow, "user").status_code == 200  # valid for what it grants
    refused(Service(agora, narrow).get("api/datasets"))
    refused(Service(agora, narrow).get("api/datasets/air_quality/export.csv"))
    # positive control: the same user with only the service's access scope gets in
    scoped = token_made_by_admin(agora, admin, "analyst",
                                 scopes=["access:services!service=datasets"])
    assert Service(agora, scoped).get("api/datasets").status_code == 200


def test_no_token_browser_is_sent_to_login_and_api_gets_no_data(agora):
    service = Service(agora, None)
    browser = service.get("api/datasets/air_quality/records",
                          headers={"Accept": "text/html,application/xhtml+xml"})
    assert browser.status_code == 302
    assert urlsplit(browser.headers["Location"]).path.startswith("/agora/hub/api/oauth2/authorize")
    api = service.get("api/datasets/air_quality/records", headers={"Accept": "application/json"})
    assert api.status_code == 401 and "records" not in api.text  # JSON, saying how
    # following the redirect without a session ends at the login page, never at data
    followed = requests.get(agora.url + "services/datasets/api/datasets/air_quality/records",
                            headers={"Accept": "text/html,application/xhtml+xml"}, timeout=30)
    assert "/hub/login" in followed.url and "pm10" not in followed.text


def test_token_in_url_is_not_accepted(agora, tokens):
    url = agora.url + "services/datasets/api/datasets"
    response = requests.get(url, params={"token": tokens["analyst"]}, allow_redirects=False,
                            timeout=30)
    assert response.status_code in (302, 401, 403)
    assert '"count"' not in response.text and "air_quality" not in response.text


def test_bearer_and_header_tricks(agora, tokens):
    url = agora.url + "services/datasets/api/datasets"
    for headers in ({"Authorization": f"token {tokens['analyst']}x"},
                    {"Authorization": f"token {tokens['analyst'][:-1]}"},
                    {"Authorization": "token", "X-Forwarded-User": "admin"},
                    {"Authorization": "Basic YWRtaW46ZGVtbw=="},  # admin:demo
                    {"Authorization": "token ", "X-Remote-User": "analyst"}):
        refused(requests.get(url, headers=headers, allow_redirects=False, timeout=30))
    ok = requests.get(url, headers={"Authorization": f"Bearer {tokens['analyst']}"},
                      allow_redirects=False, timeout=30)
    assert ok.status_code == 200  # JupyterHub accepts Bearer too: the probe is valid


def test_cross_origin_pages_cannot_read_answers(svc):
    response = svc["analyst"].get("api/datasets", headers={"Origin": "http://evil.example"})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_direct_port_behind_the_proxy_still_needs_a_token(agora, tokens):
    """The service listens on 127.0.0.1:<datasets_port>; going around the proxy changes
    nothing."""
    import yaml

    port = yaml.safe_load(agora.settings_path.read_text())["services"]["datasets_port"]
    direct = f"http://127.0.0.1:{port}/agora/services/datasets/api/datasets"
    response = requests.get(direct, allow_redirects=False, timeout=30)
    assert response.status_code in (302, 401, 403) and "air_quality" not in response.text
    forged = requests.get(direct, headers={"X-Forwarded-User": "admin", "Authorization":
                                           "token forged"}, allow_redirects=False, timeout=30)
    refused(forged)
    ok = requests.get(direct, headers={"Authorization": f"token {tokens['analyst']}"},
                      timeout=30)
    assert ok.status_code == 200


# -- audit -----------------------------------------------------------------------------------

def test_audit_records_denied_reads_and_never_a_token(agora, tokens, svc):
    marker = f"audit_probe_{secrets.token_hex(3)}"
    denied = svc["partner"].get("api/datasets/social_aid_beneficiaries/records",
                                {"where": f"case_id:eq:{marker}"})
    assert denied.status_code == 404
    svc["elu-rivemont"].get("api/datasets/communes_lambert93/export.csv")
    svc["partner"].get(f"api/datasets/{marker}")
    refused(Service(agora, "garbage-" + marker).get("api/datasets"))
    admin = Service(agora, agora.extra["admin"])
    found = admin.get("api/audit", {"user": "partner", "limit": 1000}).json()
    # (a 404 is answered before the parameters are read: the attempted filter is not kept)
    match = [e for e in found if e.get("dataset") == "social_aid_beneficiaries"
             and e.get("action") == "records"]
    assert match and match[0]["status"] == 404 and match[0]["user"] == "partner"
    assert match[0].get("rows") in (None, 0)
    assert any(e.get("dataset") == marker and e["status"] == 404 for e in found)
    official = admin.get("api/audit", {"user": "elu-rivemont", "dataset": "communes_lambert93"})
    assert any(e["status"] == 404 and e["action"] == "export:csv" for e in official.json())
    # the audit log is for administrators only
    assert svc["analyst"].get("api/audit").status_code == 403
    secrets_used = [*tokens.values(), agora.extra["admin"]]
    files = list((agora.data_dir / "audit").glob("*.jsonl"))
    assert files
    for path in files:
        text = path.read_text()
        assert marker in text  # the probe is in this file
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        for token in secrets_used:
            assert token not in text
    log = agora.log()
    for token in secrets_used:
        assert token not in log, "a token was written to the hub/services log"


# -- direct reads of the store, from a user's kernel (system-users isolation) ---------------

@pytest.fixture(scope="module")
def isolated(request):
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("system-users isolation creates system accounts: run as root")
    if shutil.which("useradd") is None:
        pytest.skip("useradd/userdel not available")
    from hub.workspaces.accounts import system_account_name

    prefix = f"agb{secrets.token_hex(2)}-"
    name = system_account_name(prefix, "analyst")
    base = reachable_temp_folder("agora-break-in-")
    request.addfinalizer(lambda: remove_system_account(name))
    catalog_dir = write_catalog(base / "catalogs")
    # the store OUTSIDE the 700 data dir, under an open folder: only its own modes protect it
    store_dir = base / "open" / "store"
    store_dir.parent.mkdir()
    os.chmod(store_dir.parent, 0o755)
    env = {**os.environ, "AGORA_PSEUDONYM_KEY": TEST_KEY}
    with running_agora(base / "agora", {
        "spawner": {"isolation": "system-users", "system_user_prefix": prefix,
                    "home_root": str(base / "homes")},
        "data": {"catalog_dir": str(catalog_dir), "store_dir": str(store_dir)},
    }, env) as agora:
        os.chmod(base / "agora", 0o755)
        session = spawned_sessions(agora.url, ["analyst"])["analyst"]
        token = user_api_token(session, agora.url, "analyst", "isolation test")
        yield {"agora": agora, "account": name, "token": token, "store": store_dir,
               "run": lambda code: run_in_workspace(agora.url, "analyst", token, code)}


KERNEL_PROBE = r"""
def read(path):
    with open(path, "rb") as f:
        return len(f.read())
def duck(path):
    import duckdb
    return duckdb.sql(f"SELECT count(*) FROM read_parquet('{path}')").fetchall()[0][0]
r = {
    "user": os.getuid(),
    "list_open_parent": probe(lambda: sorted(os.listdir(P["open"]))),
    "read_control": probe(lambda: read(P["control"])),
    "list_store": probe(lambda: os.listdir(P["store"])),
    "list_dataset": probe(lambda: os.listdir(P["dataset"])),
    "read_current": probe(lambda: read(P["dataset"] + "/CURRENT")),
    "read_snapshot": probe(lambda: read(P["parquet"])),
    "duckdb_snapshot": probe(lambda: duck(P["parquet"])),
    "list_data_dir": probe(lambda: os.listdir(P["data"])),
    "read_raw_source": probe(lambda: read(P["source"])),
    "read_audit": probe(lambda: os.listdir(P["audit"])),
    "env_has_key": any(P["key"] in v for v in os.environ.values()),
    "env_names": sorted(k for k in os.environ if k.startswith(("AGORA", "JUPYTERHUB"))),
}
"""

SERVICE_READ = r"""
import json, os
from widgets import catalog
cat = catalog()
frame = cat["social_aid_beneficiaries"].read()
print("SERVICE-RESULT " + json.dumps({"url": os.environ.get("AGORA_DATASETS_URL"),
    "entries": sorted(cat.entries), "rows": len(frame), "columns": list(frame.columns)}))
"""


@pytest.mark.isolation
def test_kernel_cannot_read_the_store_but_reads_through_the_service(isolated):
    agora, store = isolated["agora"], isolated["store"]
    social = Snapshot(store, "social_aid_beneficiaries")
    control = store.parent / "control.txt"
    control.write_text("anyone may read this")
    os.chmod(control, 0o644)
    paths = {"open": str(store.parent), "control": str(control), "store": str(store),
             "dataset": str(store / "social_aid_beneficiaries"), "parquet": str(social.path),
             "data": str(agora.data_dir),
             "source": str(agora.data_dir / "sources" / "aides_sociales.sqlite"),
             "audit": str(agora.data_dir / "audit"), "key": TEST_KEY}
    result = tagged_result(isolated["run"](probe_code(KERNEL_PROBE, paths)), PROBE_TAG)
    print("kernel probe:", json.dumps(result, indent=1))
    assert result["user"] == pwd.getpwnam(isolated["account"]).pw_uid != 0
    # positive controls: the probe can list and read what is open to it
    assert result["list_open_parent"]["ok"] and "store" in result["list_open_parent"]["value"]
    assert result["read_control"] == {"ok": True, "value": len("anyone may read this")}
    denied = {"ok": False, "error": "PermissionError"}
    for probe in ("list_store", "list_dataset", "read_current", "read_snapshot",
                  "list_data_dir", "read_raw_source", "read_audit"):
        assert result[probe] == denied, (probe, result[probe])
    assert not result["duckdb_snapshot"]["ok"]
    assert any(reason in result["duckdb_snapshot"]["error"]  # DuckDB cannot even stat it
               for reason in ("Permission denied", "No files found"))
    assert not result["env_has_key"], "the pseudonym key is in the workspace's environment"
    # every directory of the store is the hub's alone (the documented mode 700)
    for folder in [store, *[p for p in store.rglob("*") if p.is_dir()]]:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder

    # the same user reads their dataset through the service, with the kernel's own token
    served = tagged_result(isolated["run"](SERVICE_READ), "SERVICE-RESULT")
    assert served["url"] and "/services/datasets/" in served["url"]
    assert served["rows"] == social.total
    assert "case_id" not in served["columns"] and "birth_year" in served["columns"]
    assert "social_aid_shared" in served["entries"]
