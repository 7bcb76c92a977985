"""widgets.data's one connection pool: kept alive between requests, no cookie kept."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from widgets import data


class CookieSetter(BaseHTTPRequestHandler):
    seen: list = []

    def do_GET(self):
        CookieSetter.seen.append((self.headers.get("Cookie"), self.headers.get("Authorization")))
        self.send_response(200)
        self.send_header("Set-Cookie", "session=of-the-first-caller; Path=/")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def service():
    server = ThreadingHTTPServer(("127.0.0.1", 0), CookieSetter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    CookieSetter.seen = []
    yield f"http://127.0.0.1:{server.server_address[1]}/services/datasets/"
    server.shutdown()


def test_a_cookie_from_the_service_is_never_sent_back(service):
    first = {"AGORA_DATASETS_URL": service, "AGORA_TOKEN": "first-token"}
    second = {"AGORA_DATASETS_URL": service, "AGORA_TOKEN": "second-token"}
    data.get(service + "api/catalog.json", environ=first)
    data.get(service + "api/catalog.json", environ=second)
    assert CookieSetter.seen == [(None, "token first-token"), (None, "token second-token")]
    assert len(data._http().cookies) == 0
