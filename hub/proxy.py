"""`python -m hub.proxy`: the pure-Python configurable-http-proxy, with room for slow pages
and JSON errors for programs.

The proxy (configurable-http-proxy 0.4 on PyPI, tornado) forwards each HTTP request with
tornado's ``AsyncHTTPClient`` and its defaults: at most 10 requests in flight (the others
wait in a queue), 20 s for the whole answer, 20 s in the queue, the answer buffered whole
before a byte reaches the browser. A Voilà dashboard is one long answer (the page streams
while the notebook runs): 5 viewers at once on 2 cores took 16 s each, 10 took over 20 s,
and every page got the hub's "503 Service Unavailable / Your server appears to be down"
("Timeout during request" in the proxy's log) though its kernel was running.

Here the client gets :data:`MAX_CLIENTS` slots, and the command line (hub/configure.py)
``--proxy-timeout`` :data:`PROXY_TIMEOUT_MS`. Our one option, ``--json-errors-under PATH``
(repeatable, before the stock ones): when the target under PATH does not answer (a service
restarting), a client that does not ask for HTML gets a JSON 503 with ``Retry-After``
(:class:`ProgramAnswers`) instead of the hub's HTML error page. The access log never shows
query strings (a `?token=`). The rest is the stock command line interface.
"""

from __future__ import annotations

import json

MAX_CLIENTS = 256  # requests forwarded at once (pages, API calls, downloads; not websockets)
PROXY_TIMEOUT_MS = 300_000  # for one whole answer: a dashboard page under load
JSON_ERRORS_OPTION = "--json-errors-under"
RETRY_AFTER_SECONDS = 5  # a crashed datasets service answered again after 4.6-15 s
# (performance.md): a client retries a few times, not hundreds
UNAVAILABLE = {"error": "service unavailable: it is not answering (a service restarts within "
                        "seconds of a failure); retry after Retry-After seconds",
               "status": 503}


def split_options(argv: list[str]) -> tuple[list[str], list[str]]:
    """(the paths given with --json-errors-under, the stock proxy's own arguments)."""
    paths, rest, args = [], [], iter(argv)
    for arg in args:
        if arg == JSON_ERRORS_OPTION:
            paths.append(next(args))
        elif arg.startswith(JSON_ERRORS_OPTION + "="):
            paths.append(arg.split("=", 1)[1])
        else:
            rest.append(arg)
    return paths, rest


def program_answers(json_paths: list[str]) -> type:
    """The stock ProxyHandler, answering programs under `json_paths` with a JSON 503."""
    from configurable_http_proxy.handlers import ProxyHandler

    class ProgramAnswers(ProxyHandler):
        paths = tuple(json_paths)

        def _request_summary(self) -> str:
            """The access log's line without the query string: it may hold a token
            (`?token=`), and 4xx answers are logged even at --log-level warning."""
            return f"{self.request.method} {self.request.path} ({self.request.remote_ip})"

        def answers_program(self) -> bool:
            return (self.request.path.startswith(self.paths) and not self.ws_connection
                    and "text/html" not in self.request.headers.get("Accept", ""))

        async def handle_proxy_error(self, code, err):
            if code != 503 or not self.paths or not self.answers_program():
                return await super().handle_proxy_error(code, err)
            self.proxy.log.error(f"{code} {self.request.method} {self.request.path} {err or ''}")
            self.set_status(503)
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.set_header("Retry-After", str(RETRY_AFTER_SECONDS))
            self.set_header("Cache-Control", "no-store")
            self.finish(json.dumps(UNAVAILABLE))

    return ProgramAnswers


def main(argv: list[str] | None = None) -> None:
    import sys

    from configurable_http_proxy import configproxy
    from configurable_http_proxy.cli import main as proxy_main
    from tornado.httpclient import AsyncHTTPClient

    json_paths, args = split_options(sys.argv[1:] if argv is None else argv)
    AsyncHTTPClient.configure(None, max_clients=MAX_CLIENTS)
    configproxy.ProxyHandler = program_answers(json_paths)  # what PythonProxy routes to
    proxy_main(args=args, prog_name="configurable-http-proxy")


if __name__ == "__main__":
    main()
