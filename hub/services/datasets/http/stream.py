"""Run a chunk iterator in a worker thread and hand its chunks to the tornado loop, bounded.

The producer blocks when :data:`DEPTH` chunks wait unsent (a slow client slows the export, it
does not fill the memory); :meth:`ChunkStream.cancel` (client gone, service stopping) makes the
producer stop and close its iterator, whose ``finally`` blocks delete temporary files.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import Executor

DEPTH = 4
_END = object()


class ChunkStream:
    def __init__(self, loop: asyncio.AbstractEventLoop, depth: int = DEPTH):
        self.loop = loop
        self.queue: asyncio.Queue = asyncio.Queue()
        self.slots = threading.Semaphore(depth)
        self.cancelled = threading.Event()

    def _put(self, item) -> None:
        self.loop.call_soon_threadsafe(self.queue.put_nowait, item)

    def _wait_for_slot(self) -> bool:
        while not self.slots.acquire(timeout=0.25):
            if self.cancelled.is_set():
                return False
        return not self.cancelled.is_set()

    def produce(self, chunks: Iterator[bytes]) -> None:
        """Worker-thread side: push every chunk, then the end (or the exception)."""
        try:
            for chunk in chunks:
                if not self._wait_for_slot():
                    return
                self._put(chunk)
            self._put(_END)
        except BaseException as exc:  # handed to the loop, which decides the HTTP answer
            self._put(exc)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    def start(self, executor: Executor, chunks: Iterator[bytes]):
        return self.loop.run_in_executor(executor, self.produce, chunks)

    async def next(self) -> bytes | None:
        """The next chunk, None at the end; re-raises the producer's exception."""
        item = await self.queue.get()
        if item is _END:
            return None
        if isinstance(item, BaseException):
            raise item
        self.slots.release()
        return item

    def cancel(self) -> None:
        self.cancelled.set()
