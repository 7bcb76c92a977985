"""hub/proxy.py in-process: the stock PythonProxy with Agora's handler, a target that is
down, and the hub's error page served by a stand-in (the proxy's --error-target)."""

from __future__ import annotations

import asyncio
import threading

import pytest
import requests
from configurable_http_proxy import configproxy
from tornado import web

from hub import proxy
from tests.support import free_port

DATASETS = "/agora/services/datasets/"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


class HubErrorPage(web.RequestHandler):
    def get(self, code):
        self.set_header("Content-Type", "text/html")
        self.write(f"<h1>{code}: Your server appears to be down</h1>")


class Running:
    """The proxy and the stand-in hub on one tornado loop in a thread."""

    def __init__(self, monkeypatch, json_paths):
        monkeypatch.setattr(configproxy, "ProxyHandler", proxy.program_answers(json_paths))
        self.port, hub_port, self.ready = free_port(), free_port(), threading.Event()
        self.proxy = configproxy.PythonProxy({
            "error_target": f"http://127.0.0.1:{hub_port}/agora/hub/error",
            "proxy_timeout": 5, "timeout": 5})
        dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
        for route in (DATASETS.rstrip("/"), "/agora/user/ana", "/agora/services/portal"):
            self.proxy.add_route(route, {"target": dead})
        self.hub = web.Application([(r"/agora/hub/error/(\d+)", HubErrorPage)])
        self.hub_port = hub_port
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self.ready.wait(5)

    def _run(self):
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.servers = [self.proxy.proxy_app.listen(self.port, "127.0.0.1"),
                        self.hub.listen(self.hub_port, "127.0.0.1")]
        self.ready.set()
        self.loop.run_forever()

    def get(self, path, accept=None):
        headers = {"Accept": accept} if accept else {}
        return requests.get(f"http://127.0.0.1:{self.port}{path}", headers=headers, timeout=10)

    def stop(self):
        for server in self.servers:
            self.loop.call_soon_threadsafe(server.stop)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def running(monkeypatch):
    proxied = Running(monkeypatch, [DATASETS])
    yield proxied
    proxied.stop()


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "text/csv"])
def test_a_program_gets_a_json_503_while_the_datasets_service_is_down(running, accept):
    response = running.get(DATASETS + "api/datasets/air_quality/export.csv", accept)
    assert response.status_code == 503
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["Retry-After"] == str(proxy.RETRY_AFTER_SECONDS)
    assert response.json() == proxy.UNAVAILABLE and response.json()["status"] == 503


def test_a_browser_still_gets_the_hubs_page(running):
    response = running.get(DATASETS + "api/datasets", BROWSER)
    assert response.status_code == 503 and "appears to be down" in response.text


def test_the_access_log_never_shows_a_query_string(running, caplog):
    """4xx and 5xx answers are logged at warning, the proxy's level: with their query string,
    a `?token=` would be in the log."""
    with caplog.at_level("WARNING", logger="tornado.access"):
        running.get(DATASETS + "api/datasets?token=secret-token-value", "application/json")
    lines = [r.getMessage() for r in caplog.records if r.name == "tornado.access"]
    assert lines and all("secret-token-value" not in line for line in lines), lines
    assert "503 GET /agora/services/datasets/api/datasets (127.0.0.1)" in lines[0]


@pytest.mark.parametrize("path", ["/agora/user/ana/lab", "/agora/services/portal/"])
def test_other_targets_keep_the_hubs_page(running, path):
    response = running.get(path, "application/json")
    assert response.status_code == 503 and "appears to be down" in response.text


def test_without_the_option_the_proxy_is_the_stock_one(monkeypatch):
    stock = Running(monkeypatch, [])
    try:
        assert "appears to be down" in stock.get(DATASETS + "api/datasets").text
    finally:
        stock.stop()


def test_our_option_is_taken_out_of_the_stock_command_line():
    paths, rest = proxy.split_options(["--json-errors-under=/a/", "--log-level", "warning",
                                       "--json-errors-under", "/b/", "--port", "8000"])
    assert paths == ["/a/", "/b/"]
    assert rest == ["--log-level", "warning", "--port", "8000"]
