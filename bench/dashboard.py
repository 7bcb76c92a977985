"""Time from request to drawn dashboard: plain `voila` vs Agora's dashboards service.

ONE real `agora up`; the same notebook (notebooks/dashboards/territory-kpis.ipynb) is opened
by headless Chromium, a fresh page each round, as elu-rivemont, until its KPI cards and
its table are drawn:

- plain: `voila NOTEBOOK --template=agora` on loopback, the kernel given the official's API
  token in its environment (what a workspace's kernel gets); one kernel started per page;
- agora: <hub>/services/dashboards/d/territory-kpis/ with the official's login cookie (the
  OAuth dance done once before timing): publication lookup, a warm kernel, the identity cell.

Rounds alternate plain/agora; between rounds the service gets `--pause` seconds (its pool
refills, as between two viewers). Prints each round, the medians and their ratio.
Usage: PYTHONPATH=. python bench/dashboard.py [--rounds 5] [--pause 4]
"""

from __future__ import annotations

import argparse
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
    args = parser.parse_args()
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
            page.goto(f"{agora.url}hub/login?next={agora.url[agora.url.index('/', 8):]}"
                      "services/dashboards/")
            page.fill("#username_input", USER)
            page.fill("#password_input", "demo")
            page.click("#login_submit")
            page.wait_for_url("**/services/dashboards/")
            page.close()
            time_page(plain_ctx, plain_url)  # first runs: imports cached on disk
            time_page(agora_ctx, agora.url + "services/dashboards/d/territory-kpis/")
            time.sleep(args.pause)
            plain, ours = [], []
            for i in range(args.rounds):
                plain.append(time_page(plain_ctx, plain_url))
                ours.append(time_page(agora_ctx,
                                      agora.url + "services/dashboards/d/territory-kpis/"))
                print(f"round {i + 1}: plain voila {plain[-1]:.2f} s, agora {ours[-1]:.2f} s",
                      flush=True)
                time.sleep(args.pause)
        finally:
            browser.close()
            voila.terminate()
            voila.wait(10)
    return statistics.median(plain), statistics.median(ours)


if __name__ == "__main__":
    main()
