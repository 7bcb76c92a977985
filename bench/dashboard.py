"""Time from request to drawn dashboard: plain `voila` vs Agora's dashboards service.

ONE real `agora up`; the same notebook (notebooks/dashboards/territory-kpis.ipynb) is opened
by headless Chromium, a fresh page each round, as elu-rivemont, until its KPI cards and
its table are drawn:

- plain: `voila NOTEBOOK --template=agora` on loopback, the kernel given the official's API
  token in its environment (what a workspace's kernel gets); one kernel started per page;
- agora: <dashboards origin>/services/dashboards/d/territory-kpis/ with the official's login
  cookie (the OAuth dance done once before timing): publication lookup, a warm kernel, the identity cell.

Rounds alternate plain/agora; between rounds the service gets `--pause` seconds (its pool
refills, as between two viewers). Prints each round, the medians and their ratio.

`--viewers N` (issue #14: 20 concurrent viewers) measures instead N viewers opening the
dashboard in the same instant: N browser contexts of one headless Chromium, each logged in
beforehand as one of the two demo officials (N/2 sessions each, the per-viewer and total
caps set to let them all in), then every page asked for at once and timed until drawn, as
above. Prints p50/p95/max time to drawn, the errors (any page not drawn, a 503 included),
the RSS and USS of each dashboard kernel while all pages are open (psutil over the service's
child processes) and the load average. Chromium runs on the same cores: its 20 pages are
part of the time measured. A page not drawn is printed with its status, final URL and body
text (whose refusal: Agora's "Dashboards are busy", the hub's 503 page from the proxy...);
the run's `agora up` log is kept in /tmp/bench-dashboard-N-viewers.log.
Usage: PYTHONPATH=. python bench/dashboard.py [--rounds 5] [--pause 4] [--viewers 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support import (  # noqa: E402
    free_port,
    login_form,
    reachable_temp_folder,
    remove_test_accounts,
    running_agora,
    user_api_token,
)

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "dashboards" / "territory-kpis.ipynb"
USER = "elu-rivemont"
DRAWN = ('[role="group"][aria-label="Points de charge en service"]', "table.agora-communes td")


def start_plain_voila(agora, token: str, folder: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTERHUB_", "AGORA_"))}
    env.update(AGORA_DATASETS_URL=agora.url + "services/datasets/", AGORA_TOKEN=token,
               JUPYTER_PATH=str(REPO / "widgets" / "share"),
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])))
    port, log = free_port(), folder / "voila.log"
    proc = subprocess.Popen([sys.executable, "-m", "voila", str(NOTEBOOK), "--no-browser",
                             f"--port={port}", "--Voila.ip=127.0.0.1", "--template=agora"],
                            stdout=open(log, "w"), stderr=subprocess.STDOUT, cwd=folder, env=env)
    while "Voilà is running at" not in log.read_text(errors="replace"):
        assert proc.poll() is None, log.read_text()
        time.sleep(0.2)
    return proc, f"http://127.0.0.1:{port}/"


def time_page(context, url: str) -> float:
    page = context.new_page()
    started = time.monotonic()
    page.goto(url, timeout=120_000)
    for selector in DRAWN:
        page.wait_for_selector(selector, timeout=120_000)
    elapsed = time.monotonic() - started
    page.close(run_before_unload=True)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pause", type=float, default=4.0)
    parser.add_argument("--viewers", type=int, default=0,
                        help="N viewers at once instead of plain vs agora rounds")
    args = parser.parse_args()
    if args.viewers:
        return concurrent_main(args.viewers)
    from playwright.sync_api import sync_playwright

    overrides = {"dashboards": {"max_kernels_per_viewer": 4 * args.rounds,
                                "max_kernels": 4 * args.rounds}}
    folder = reachable_temp_folder("agora-bench-dash-")
    try:
        p, a = run(args, folder, overrides, sync_playwright)
    finally:
        if os.geteuid() == 0:  # the test-prefixed accounts this run made
            remove_test_accounts()
    print(f"median request -> drawn: plain voila {p:.2f} s, agora {a:.2f} s; "
          f"ratio agora/plain {a / p:.2f}x (target <= 1.1x, aim 0.5x)")


def run(args, folder, overrides, sync_playwright) -> tuple[float, float]:
    with running_agora(folder / "agora", overrides) as agora, sync_playwright() as pw:
        session = requests.Session()
        login_form(session, agora.url, USER, "demo")
        token = user_api_token(session, agora.url, USER, "dashboard bench", 3600)
        voila, plain_url = start_plain_voila(agora, token, folder)
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            plain_ctx, agora_ctx = browser.new_context(), browser.new_context()
            page = agora_ctx.new_page()  # log in once, and the service's OAuth dance
            page.goto(agora.dashboards_url)  # to the hub's login page and back
            page.fill("#username_input", USER)
            page.fill("#password_input", "demo")
            page.click("#login_submit")
            page.wait_for_url("**/services/dashboards/")
            page.close()
            time_page(plain_ctx, plain_url)  # first runs: imports cached on disk
            time_page(agora_ctx, agora.dashboards_url + "d/territory-kpis/")
            time.sleep(args.pause)
            plain, ours = [], []
            for i in range(args.rounds):
                plain.append(time_page(plain_ctx, plain_url))
                ours.append(time_page(agora_ctx,
                                      agora.dashboards_url + "d/territory-kpis/"))
                print(f"round {i + 1}: plain voila {plain[-1]:.2f} s, agora {ours[-1]:.2f} s",
                      flush=True)
                time.sleep(args.pause)
        finally:
            browser.close()
            voila.terminate()
            voila.wait(10)
    return statistics.median(plain), statistics.median(ours)


# -- N viewers at once ---------------------------------------------------------------------------

OFFICIALS = ("elu-rivemont", "elu-bellecombe")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def kernel_memory(agora) -> list[tuple[float, float]]:
    """(RSS, USS) in MiB of each kernel the running Agora started."""
    import psutil

    found = []
    for child in psutil.Process(agora.proc.pid).children(recursive=True):
        try:
            if "ipykernel_launcher" in " ".join(child.cmdline()):
                info = child.memory_full_info()
                found.append((info.rss / 2**20, info.uss / 2**20))
        except psutil.Error:
            continue
    return found


async def logged_in_context(browser, agora, user: str):
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(agora.dashboards_url)  # to the hub's login page and back
    await page.fill("#username_input", user)
    await page.fill("#password_input", "demo")
    await page.click("#login_submit")
    await page.wait_for_url("**/services/dashboards/")
    await page.close()
    return context


async def time_drawn(context, url: str):
    """(seconds to drawn, or None, and the error), leaving the page open."""
    page = await context.new_page()
    started = time.monotonic()
    try:
        answer = await page.goto(url, timeout=120_000)
        if answer.status != 200:  # whose refusal: Agora's "busy" page, the proxy's, the hub's
            body = " ".join((await page.inner_text("body")).split())
            return None, f"HTTP {answer.status} {answer.url}: {body[:160]}"
        for selector in DRAWN:
            await page.wait_for_selector(selector, timeout=120_000)
        return time.monotonic() - started, None
    except Exception as exc:  # a timeout: not drawn
        return None, str(exc).splitlines()[0]


async def concurrent_run(agora, viewers: int) -> dict:
    from playwright.async_api import async_playwright

    url = agora.dashboards_url + "d/territory-kpis/"
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            contexts = [await logged_in_context(browser, agora, OFFICIALS[i % 2])
                        for i in range(viewers)]
            await asyncio.sleep(5)  # the warm pool refilled, the machine quiet
            load_before = os.getloadavg()[0]
            results = await asyncio.gather(*(time_drawn(c, url) for c in contexts))
            memory = kernel_memory(agora)
            load_after = os.getloadavg()[0]
        finally:
            await browser.close()
    return {"results": results, "memory": memory, "load": (load_before, load_after)}


def concurrent_main(viewers: int) -> None:
    per_viewer = -(-viewers // len(OFFICIALS))
    overrides = {"dashboards": {"max_kernels_per_viewer": per_viewer, "max_kernels": viewers}}
    folder = reachable_temp_folder("agora-bench-dash-")
    try:
        with running_agora(folder / "agora", overrides) as agora:
            found = asyncio.run(concurrent_run(agora, viewers))
    finally:
        if os.geteuid() == 0:
            remove_test_accounts()
        kept = Path(f"/tmp/bench-dashboard-{viewers}-viewers.log")  # the folder goes at exit
        kept.write_text(agora.log())
        print(f"agora log: {kept}")
    report(viewers, found)


def report(viewers: int, found: dict) -> None:
    times = [t for t, _ in found["results"] if t is not None]
    errors = [e for t, e in found["results"] if t is None]
    print(f"{viewers} viewers at once ({len(OFFICIALS)} officials, {viewers // len(OFFICIALS)} "
          f"sessions each): drawn {len(times)}, errors {len(errors)}")
    for error in sorted(set(errors)):
        print(f"  {errors.count(error)} x {error}")
    if times:
        print(f"time to drawn: p50 {statistics.median(times):.2f} s, "
              f"p95 {percentile(times, 0.95):.2f} s, max {max(times):.2f} s")
    rss = [r for r, _ in found["memory"]]
    uss = [u for _, u in found["memory"]]
    if rss:
        print(f"{len(rss)} kernels (warm ones included): RSS median {statistics.median(rss):.0f} MiB, "
              f"USS median {statistics.median(uss):.0f} MiB, total RSS {sum(rss):.0f} MiB")
    print("load average (1 min) before {:.2f}, after {:.2f}; {} cores".format(
        *found["load"], os.cpu_count()))


if __name__ == "__main__":
    main()
