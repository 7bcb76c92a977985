"""`python -m hub.proxy`: the pure-Python configurable-http-proxy, with room for slow pages.

The proxy (configurable-http-proxy 0.4 on PyPI, tornado) forwards each HTTP request with
tornado's ``AsyncHTTPClient`` and its defaults: at most 10 requests in flight (the others
wait in a queue), 20 s for the whole answer, 20 s in the queue, the answer buffered whole
before a byte reaches the browser. A Voilà dashboard is one long answer (the page streams
while the notebook runs): 5 viewers at once on 2 cores took 16 s each, 10 took over 20 s,
and every page got the hub's "503 Service Unavailable / Your server appears to be down"
("Timeout during request" in the proxy's log) though its kernel was running.

Here the client gets :data:`MAX_CLIENTS` slots, and the command line (hub/configure.py)
``--proxy-timeout`` :data:`PROXY_TIMEOUT_MS`; the rest is the stock command line interface.
"""

from __future__ import annotations

MAX_CLIENTS = 256  # requests forwarded at once (pages, API calls, downloads; not websockets)
PROXY_TIMEOUT_MS = 300_000  # for one whole answer: a dashboard page under load


def main() -> None:
    from configurable_http_proxy.cli import main as proxy_main
    from tornado.httpclient import AsyncHTTPClient

    AsyncHTTPClient.configure(None, max_clients=MAX_CLIENTS)
    proxy_main(prog_name="configurable-http-proxy")


if __name__ == "__main__":
    main()
