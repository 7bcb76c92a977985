"""Latency of the datasets service on 1 and on 2 replicas behind a round-robin balancer.

The replicas are tests/replica_app.py processes (the real app, a token -> user seam) over the
small workspace of tests/datasets_support.py; tests/balancer.py balances them. CLIENTS threads
loop on catalog + records + aggregate as four users with different rights, for SECONDS per
setting, with no think time (a closed loop: the worst case for one machine).

    python bench/replicas.py [--clients 8] [--seconds 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.balancer import Balancer  # noqa: E402
from tests.datasets_support import build_workspace  # noqa: E402
from tests.integration.test_datasets_replicas import (  # noqa: E402
    AGGREGATE,
    CATALOG,
    RECORDS,
    USERS,
    get,
    start_replica,
)


def clients_loop(port: int, user: str, stop: threading.Event, latencies: list) -> None:
    while not stop.is_set():
        for path in (CATALOG, RECORDS, AGGREGATE):
            started = time.perf_counter()
            status, _ = get(port, user, path)
            latencies.append((time.perf_counter() - started, status))


def measure(root: Path, replicas: int, clients: int, seconds: float) -> list:
    started = [start_replica(root) for _ in range(replicas)]
    try:
        for proc, _ in started:
            assert proc.stdout.readline().strip() == "ready"
        balancer = Balancer([port for _, port in started])
        port = balancer.start()
        stop, latencies = threading.Event(), []
        threads = [threading.Thread(target=clients_loop,
                                    args=(port, USERS[i % len(USERS)], stop, latencies))
                   for i in range(clients)]
        for thread in threads:
            thread.start()
        time.sleep(seconds)
        stop.set()
        for thread in threads:
            thread.join(30)
        return latencies
    finally:
        for proc, _ in started:
            proc.kill()
            proc.wait(10)


def report(replicas: int, latencies: list, seconds: float) -> str:
    times = sorted(t for t, _ in latencies)
    p50, p95 = statistics.median(times), times[int(0.95 * (len(times) - 1))]
    bad = sum(1 for _, status in latencies if status >= 500)
    return (f"{replicas} replica(s): {len(times)} requests, {len(times) / seconds:.0f}/s, "
            f"p50 {1000 * p50:.1f} ms, p95 {1000 * p95:.1f} ms, 5xx {bad}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ws = build_workspace(Path(tmp) / "ws")
        for replicas in (1, 2):
            latencies = measure(ws.root, replicas, args.clients, args.seconds)
            print(report(replicas, latencies, args.seconds), flush=True)


if __name__ == "__main__":
    main()
