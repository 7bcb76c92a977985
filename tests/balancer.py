"""A tiny round-robin HTTP balancer on loopback, for the replica tests (one request per connection).

Retry-free: each request goes to the next live replica, and whatever that replica answered
is passed through unchanged. A replica that refuses the connection, or closes it before a
complete answer, gives a 502 for that request only and is dropped (``dropped`` holds when).
Requests carry ``Connection: close``, so an answer ends where the replica closes.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time

BAD_GATEWAY = (b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n"
               b"Connection: close\r\n\r\n")


async def read_request(reader: asyncio.StreamReader) -> bytes:
    """The request head (Connection rewritten to close) and its body."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = [line for line in head.split(b"\r\n")[:-2]
             if not line.lower().startswith(b"connection:")]
    length = next((int(line.split(b":", 1)[1]) for line in lines
                   if line.lower().startswith(b"content-length:")), 0)
    body = await reader.readexactly(length) if length else b""
    return b"\r\n".join([*lines, b"Connection: close", b"", b""]) + body


def complete(answer: bytes) -> bool:
    """Whether `answer` holds its whole body (Content-Length or a chunked terminator)."""
    head, sep, body = answer.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.lower().split(b"\r\n"):
        if line.startswith(b"content-length:"):
            return len(body) >= int(line.split(b":", 1)[1])
        if line.startswith(b"transfer-encoding:") and b"chunked" in line:
            return body.endswith(b"0\r\n\r\n")
    return True  # no length given: it ends where the replica closed


class Balancer:
    def __init__(self, ports: list[int]):
        self.live = list(ports)
        self.dropped: dict[int, float] = {}  # port -> time.monotonic() when dropped
        self.errors = 0
        self._turn = itertools.count()
        self.ready = threading.Event()

    def pick(self) -> int | None:
        live = self.live
        return live[next(self._turn) % len(live)] if live else None

    def drop(self, port: int) -> None:
        if port in self.live:
            self.live.remove(port)
            self.dropped[port] = time.monotonic()

    async def forward(self, port: int, request: bytes) -> bytes | None:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(request)
            await writer.drain()
            answer = await reader.read()
            writer.close()
        except OSError:
            return None
        return answer if complete(answer) else None

    async def handle(self, reader, writer) -> None:
        try:
            request = await read_request(reader)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            writer.close()
            return
        port = self.pick()
        answer = await self.forward(port, request) if port else None
        if answer is None:
            self.errors += 1
            if port:
                self.drop(port)
            answer = BAD_GATEWAY
        writer.write(answer)
        await writer.drain()
        writer.close()

    def start(self) -> int:
        """Serve in a daemon thread; the balancer's port."""
        threading.Thread(target=lambda: asyncio.run(self._serve()), daemon=True).start()
        self.ready.wait(5)
        return self.port

    async def _serve(self) -> None:
        server = await asyncio.start_server(self.handle, "127.0.0.1", 0, backlog=1024)
        self.port = server.sockets[0].getsockname()[1]
        self.ready.set()
        async with server:
            await server.serve_forever()


if __name__ == "__main__":  # python -m tests.balancer PORT...: prints its own port, serves
    import sys

    print(Balancer([int(p) for p in sys.argv[1:]]).start(), flush=True)
    threading.Event().wait()
