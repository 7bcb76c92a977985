"""Many simulated users with think time on 1 and 2 replicas of the datasets service, one killed.

Each user (an asyncio task on one aiohttp session) loops on catalog + records + aggregate as
one of four demo users with different rights, pausing a random think time (uniform 0 to twice
THINK) after each request; users start spread over the first 2 x THINK seconds. Every answer
is checked against the oracle of tests/integration/test_datasets_replicas.py. The replicas
(tests/replica_app.py) and the balancer (tests/balancer.py) are processes of their own; the
CPU each process used is printed, the load generator's included.

    python bench/load_users.py [--users 1000] [--think 5] [--seconds 60]

Runs: 1 replica (the anchor), 2 replicas, 2 replicas with one SIGKILLed halfway.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.datasets_api import percentile  # noqa: E402
from tests.datasets_support import build_workspace  # noqa: E402
from tests.integration.test_datasets_replicas import (  # noqa: E402
    AGGREGATE,
    CATALOG,
    RECORDS,
    USERS,
    expected,
    is_right,
    start_replica,
)
from tests.replica_app import PREFIX  # noqa: E402

TARGET_P95 = 0.3
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a live process (children excluded), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class Cluster:
    """`replicas` replica processes behind a balancer process."""

    def __init__(self, root: Path, replicas: int):
        self.replicas = [start_replica(root) for _ in range(replicas)]
        for proc, _ in self.replicas:
            if proc.stdout.readline().strip() != "ready":
                raise SystemExit("a replica did not start")
        ports = [str(port) for _, port in self.replicas]
        self.balancer = subprocess.Popen([sys.executable, "-m", "tests.balancer", *ports],
                                         cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                                         stdout=subprocess.PIPE, text=True)
        self.port = int(self.balancer.stdout.readline())
        self.cpu: dict[str, float] = {}
        self.started_cpu = {p.pid: cpu_seconds(p.pid) for p in self.processes().values()}

    def processes(self) -> dict[str, subprocess.Popen]:
        named = {f"replica {i + 1}": proc for i, (proc, _) in enumerate(self.replicas)}
        return named | {"balancer": self.balancer}

    def used(self, proc: subprocess.Popen) -> float:
        """CPU seconds since the load started (the imports and start excluded)."""
        return cpu_seconds(proc.pid) - self.started_cpu[proc.pid]

    def kill_one(self) -> None:
        victim = self.replicas[-1][0]
        self.cpu["replica killed"] = self.used(victim)
        os.kill(victim.pid, signal.SIGKILL)

    def stop(self) -> None:
        for name, proc in self.processes().items():
            if proc.poll() is None:
                self.cpu[name] = self.used(proc)
                proc.kill()
            proc.wait(10)


async def one_user(session, url: str, user: str, oracle: dict, think: float, until: float,
                   calls: list) -> None:
    import aiohttp

    rng = random.Random()
    headers = {"Authorization": f"token token-of-{user}"}
    await asyncio.sleep(rng.uniform(0, 2 * think))
    while time.monotonic() < until:
        for path in (CATALOG, RECORDS, AGGREGATE):
            started = time.perf_counter()
            try:
                async with session.get(url + path, headers=headers) as response:
                    status, body = response.status, await response.read()
                right = status == 502 or is_right(oracle, path, status,
                                                  response_json(body))
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
                status, right = -1, True  # an error, not a wrong answer
            calls.append((time.monotonic(), path, time.perf_counter() - started, status,
                          right))
            await asyncio.sleep(rng.uniform(0, 2 * think))
            if time.monotonic() >= until:
                return


def response_json(body: bytes):
    return json.loads(body) if body else None


async def load(port: int, oracles: dict, users: int, think: float, seconds: float,
               kill_at=None) -> list:
    import aiohttp

    url = f"http://127.0.0.1:{port}{PREFIX}"
    calls: list = []
    until = time.monotonic() + seconds
    connector = aiohttp.TCPConnector(limit=0, force_close=True)  # the balancer closes each
    async with aiohttp.ClientSession(connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=60)) as session:
        tasks = [one_user(session, url, USERS[i % len(USERS)], oracles[USERS[i % len(USERS)]],
                          think, until, calls) for i in range(users)]
        if kill_at:
            tasks.append(kill_at(seconds / 2))
        await asyncio.gather(*tasks)
    return calls


def run(root: Path, oracles: dict, replicas: int, args, kill: bool) -> dict:
    cluster = Cluster(root, replicas)
    killed = {}

    async def kill_halfway(after: float) -> None:
        await asyncio.sleep(after)
        killed["at"] = time.monotonic()
        cluster.kill_one()

    try:
        cpu_before = time.process_time()
        calls = asyncio.run(load(cluster.port, oracles, args.users, args.think, args.seconds,
                                 kill_halfway if kill else None))
        generator_cpu = time.process_time() - cpu_before
    finally:
        cluster.stop()
    return {"calls": calls, "generator_cpu": generator_cpu, "cpu": cluster.cpu,
            "killed_at": killed.get("at")}


def summary(name: str, result: dict, seconds: float) -> str:
    calls = result["calls"]
    ok = [c for c in calls if c[3] > 0 and c[3] != 502]
    errors = len(calls) - len(ok)
    wrong = sum(1 for c in calls if not c[4])
    times = [c[2] for c in ok] or [float("nan")]
    p = {q: 1000 * percentile(times, q) for q in (50, 95, 99)}
    cpu = ", ".join(f"{k} {v:.1f} s" for k, v in sorted(result["cpu"].items()))
    verdict = "pass" if p[95] < 1000 * TARGET_P95 and wrong == 0 else "FAIL"
    lines = [f"{name}: {len(calls)} requests ({len(calls) / seconds:.0f}/s), p50 {p[50]:.1f} ms, "
             f"p95 {p[95]:.1f} ms, p99 {p[99]:.1f} ms, errors {errors}, wrong {wrong} "
             f"[{verdict}: p95 < {1000 * TARGET_P95:.0f} ms, 0 wrong]",
             f"  CPU: load generator {result['generator_cpu']:.1f} s, {cpu} "
             f"(wall {seconds:.0f} s, 2 cores = {2 * seconds:.0f} core-s)"]
    for path in (CATALOG, RECORDS, AGGREGATE):
        some = [c[2] for c in ok if c[1] == path]
        if some:
            lines.append(f"  {path.split('?')[0]}: p50 {1000 * percentile(some, 50):.1f} ms, "
                         f"p95 {1000 * percentile(some, 95):.1f} ms")
    if result["killed_at"]:
        after = [c for c in calls if c[0] > result["killed_at"] + 1]
        late = [c for c in after if not (c[3] > 0 and c[3] != 502)]
        lines.append(f"  killed at half time; errors later than 1 s after the kill: {len(late)}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--think", type=float, default=5.0, help="mean think time (s)")
    parser.add_argument("--seconds", type=float, default=60.0, help="per run")
    parser.add_argument("--only", default="1,2,2k", help="runs: 1, 2, 2k (2, one killed)")
    args = parser.parse_args()
    print(f"{args.users} users, think {args.think} s, {args.seconds:.0f} s per run, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        ws = build_workspace(Path(tmp) / "ws")
        oracles = {user: expected(ws, user) for user in USERS}
        runs = {"1": (1, False), "2": (2, False), "2k": (2, True)}
        for name in args.only.split(","):
            replicas, kill = runs[name]
            result = run(ws.root, oracles, replicas, args, kill)
            label = f"{replicas} replica(s)" + (", one SIGKILLed halfway" if kill else "")
            print(summary(label, result, args.seconds), flush=True)
    print(f"load average at the end {os.getloadavg()}")


if __name__ == "__main__":
    main()
