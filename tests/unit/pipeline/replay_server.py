"""A replay HTTP server on 127.0.0.1 for connector tests: real sockets, recorded-style answers.

Routes map a path to ``(status, headers, body)`` or to a function of the query string returning
one (for paged APIs). ``Slow(seconds, answer)`` delays an answer (timeouts), ``Truncated(answer,
missing)`` announces more bytes than it sends then hangs up, ``Chunked(answer)`` sends the
body with ``Transfer-Encoding: chunked`` (no Content-Length: the size is known at the end only).
Every request is recorded so tests can assert paging parameters and headers.

Use the `replay` fixture: ``replay.route("/x", (200, {"Content-Type": "text/csv"}, b"a\\n1\\n"))``
then ``replay.url("/x")``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

Answer = tuple[int, dict, bytes]


@dataclass
class Slow:
    seconds: float
    answer: Answer


@dataclass
class Truncated:
    answer: Answer
    missing: int = 100


@dataclass
class Chunked:
    answer: Answer | Callable[[dict], Answer]
    chunk_bytes: int = 64 * 1024


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class ReplayServer:
    routes: dict[str, object] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    base: str = ""

    def route(self, path: str,
              answer: Answer | Callable[[dict], Answer] | Slow | Truncated | Chunked) -> None:
        self.routes[path] = answer

    def url(self, path: str = "") -> str:
        return self.base + path

    def requests_to(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]


def _handler(server: ReplayServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 (http.server API)
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            server.requests.append(Request("GET", parts.path, query, dict(self.headers)))
            answer = server.routes.get(parts.path, (404, {"Content-Type": "text/plain"}, b"not found"))
            self._send(answer, query)

        def _send(self, answer, query):
            missing, chunked = 0, None
            if isinstance(answer, Slow):
                time.sleep(answer.seconds)
                answer = answer.answer
            if isinstance(answer, Truncated):
                answer, missing = answer.answer, answer.missing
            if isinstance(answer, Chunked):
                chunked, answer = answer, answer.answer
            if callable(answer):
                answer = answer(query)
            status, headers, body = answer
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(len(body) + missing))
            if missing:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if chunked:
                self._write_chunks(body, chunked.chunk_bytes)
            else:
                self.wfile.write(body)

        def _write_chunks(self, body: bytes, size: int):
            try:
                for start in range(0, len(body), size):
                    piece = body[start:start + size]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):  # the client stopped reading
                self.close_connection = True

        def log_message(self, *args):  # keep test output quiet
            pass

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """Clients hanging up on slow or cut answers is what those tests do: no traceback."""


@pytest.fixture
def replay():
    server = ReplayServer()
    httpd = _QuietServer(("127.0.0.1", 0), _handler(server))
    server.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield server
    httpd.shutdown()
    httpd.server_close()
