"""Three replicas of the datasets service behind a round-robin balancer, one killed under load.

Each replica is its own process (tests/replica_app.py: the real app, with the token -> user
seam) over one shared workspace; tests/balancer.py passes answers through unchanged and turns
a dead replica into one 502 per request in flight. Every answer is checked against an oracle
computed once from the store and the recipes: the datasets, rows and counts that user may see.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from hub.login import demo_accounts as demo
from hub.pipeline.recipe import load_catalog
from hub.pipeline.refresh import RefreshEnv, refresh_many
from tests.balancer import Balancer
from tests.datasets_support import KEY, build_workspace, incidents_frame
from tests.replica_app import CHECK_EVERY, PREFIX
from tests.support import free_port

REPO = Path(__file__).resolve().parents[2]
REPLICAS, CLIENTS, LOAD_SECONDS = 3, 6, 6.0
USERS = ("analyst", "elu-rivemont", "elu-bellecombe", "partner")
NOT_SERVED = {"ghost_rules"}  # its column rule names a column its snapshot lacks
RECORDS = "api/datasets/incidents/records?select=commune_code,amount&limit=1000"
AGGREGATE = "api/datasets/incidents/aggregate?by=commune_code"
CATALOG = "api/catalog.json"


@dataclass
class Call:
    user: str
    path: str
    started: float
    ended: float = 0.0
    status: int = 0
    right: bool = False


def get(port: int, user: str, path: str) -> tuple[int, dict | None]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request("GET", PREFIX + path, headers={"Authorization": f"token token-of-{user}"})
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    return response.status, json.loads(body) if body else None


# -- the oracle -------------------------------------------------------------------------
def expected(ws, user: str) -> dict[str, tuple[int, object]]:
    """path -> (status, canonical answer) for `user`, from the recipes and the store."""
    groups = set(demo.accounts_by_name()[user].groups)
    properties = demo.load_groups()
    recipes = {p.stem: yaml.safe_load(p.read_text()) for p in ws.catalog_dir.glob("*.yaml")}
    readable = sorted(i for i, r in recipes.items()
                      if groups & set(r["access"]["groups"]) and i not in NOT_SERVED)
    frame = ws.store.read_current("incidents").rename(columns={"Commune": "commune_code"})
    if "analysts" not in groups:  # the row rule applies to officials
        territories = {t for g in groups for t in properties[g]["properties"].get(
            "territories", ())}
        frame = frame[frame["commune_code"].isin(territories)]
    if "incidents" not in readable:
        return {CATALOG: (200, readable), RECORDS: (404, None), AGGREGATE: (404, None)}
    rows = Counter(zip(frame["commune_code"], frame["amount"]))
    counts = dict(Counter(frame["commune_code"]))
    return {CATALOG: (200, readable), RECORDS: (200, rows), AGGREGATE: (200, counts)}


def canonical(path: str, body: dict | None):
    if path == CATALOG:
        return sorted(body["entries"])
    if path == RECORDS:
        return Counter((r["commune_code"], r["amount"]) for r in body["records"])
    return {r["commune_code"]: r["count"] for r in body["records"]}


def is_right(oracle, path: str, status: int, body) -> bool:
    want_status, want = oracle[path]
    if status != want_status:
        return False
    return want is None or canonical(path, body) == want


# -- the replicas -----------------------------------------------------------------------
def start_replica(root: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "tests.replica_app", str(root), str(port)],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    return proc, port


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    ws = build_workspace(tmp_path_factory.mktemp("replicas"))
    started = [start_replica(ws.root) for _ in range(REPLICAS)]
    try:
        for proc, _port in started:
            assert proc.stdout.readline().strip() == "ready"
        balancer = Balancer([port for _proc, port in started])
        balancer.start()
        yield ws, started, balancer
    finally:
        for proc, _port in started:
            if proc.poll() is None:
                proc.kill()
            proc.wait(10)


def client(port: int, user: str, oracle, stop: threading.Event, calls: list) -> None:
    paths = (CATALOG, RECORDS, AGGREGATE)
    while not stop.is_set():
        for path in paths:
            call = Call(user, path, time.monotonic())
            try:
                call.status, body = get(port, user, path)
                call.right = is_right(oracle, path, call.status, body)
            except (OSError, ValueError, KeyError, TypeError):
                call.status = -1
            call.ended = time.monotonic()
            calls.append(call)


def load_run(ws, balancer: Balancer, victim: subprocess.Popen) -> tuple[list[Call], float]:
    oracles = {user: expected(ws, user) for user in USERS}
    assert len({repr(o) for o in oracles.values()}) == len(USERS)  # a mix-up would show
    stop, calls = threading.Event(), []
    threads = [threading.Thread(target=client, args=(
        balancer.port, USERS[i % len(USERS)], oracles[USERS[i % len(USERS)]], stop, calls))
        for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    time.sleep(LOAD_SECONDS / 2)
    killed_at = time.monotonic()
    os.kill(victim.pid, signal.SIGKILL)
    time.sleep(LOAD_SECONDS / 2)
    stop.set()
    for thread in threads:
        thread.join(30)
    return calls, killed_at


def audit_records(ws) -> list[dict]:
    """Every line the replicas appended to the shared audit folder (each must parse)."""
    return [json.loads(line) for path in sorted((ws.data_dir / "audit").glob("*.jsonl"))
            for line in path.read_text().splitlines()]


def test_a_replica_killed_under_load_gives_no_wrong_answer(cluster):
    ws, started, balancer = cluster
    victim, victim_port = started[1]
    calls, killed_at = load_run(ws, balancer, victim)
    errors = [c for c in calls if c.status == 502]
    wrong = [c for c in calls if c.status != 502 and not c.right]
    print(f"{len(calls)} answers, {len(errors)} errors (502), {len(wrong)} wrong")
    assert len(calls) > 100
    assert wrong == []
    assert list(balancer.dropped) == [victim_port]
    dropped_at = balancer.dropped[victim_port]
    assert len(errors) <= CLIENTS  # at most one request in flight per client
    assert all(killed_at <= c.ended and c.started <= dropped_at for c in errors)
    after = [c for c in calls if c.started > dropped_at]
    assert after and all(c.status != 502 for c in after)
    answered = [c for c in calls if c.status != 502]  # each audited before it was answered
    assert len(audit_records(ws)) >= len(answered)


def publish_new_incidents(ws, rows: int) -> str:
    incidents_frame(rows).to_parquet(ws.sources_dir / "incidents.parquet", index=False)
    env = RefreshEnv(ws.store, ws.sources_dir, {"AGORA_PSEUDONYM_KEY": KEY})
    results = refresh_many(load_catalog(ws.catalog_dir), env, ids=["incidents"])
    assert not [r for r in results if r.failed]
    return ws.store.current("incidents")


def version_served(port: int) -> str:
    status, body = get(port, "analyst", RECORDS)
    assert status == 200
    return body["version"]


def test_a_new_snapshot_is_served_by_every_replica_after_its_next_check(cluster):
    ws, started, balancer = cluster
    ports = [port for proc, port in started if proc.poll() is None]
    old = {version_served(port) for port in ports}
    new = publish_new_incidents(ws, rows=36)
    assert old != {new}
    deadline = time.monotonic() + CHECK_EVERY + 5
    for port in ports:
        while version_served(port) != new:
            assert time.monotonic() < deadline, f"replica on {port} keeps {old}"
            time.sleep(0.1)
    oracle = expected(ws, "analyst")
    for port in ports:
        for _ in range(5):  # and it stays on it
            status, body = get(port, "analyst", RECORDS)
            assert body["version"] == new and is_right(oracle, RECORDS, status, body)
