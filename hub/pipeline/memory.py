"""The allocator behind every Arrow buffer of a refresh: jemalloc when pyarrow has it, else the
system allocator (pyarrow's default, mimalloc, made the ingestion benchmark's refresh 0.8 s
slower: docs/performance.md). An administrator's ``ARROW_DEFAULT_MEMORY_POOL`` is left alone.
"""

from __future__ import annotations

import os
import threading

import pyarrow as pa

_lock = threading.Lock()
_configured = False


def use_fast_memory_pool() -> str:
    """Make jemalloc (else the system allocator) pyarrow's default pool, once per process;
    return the backend in use. Buffers already allocated keep the pool they came from."""
    global _configured
    with _lock:
        if not _configured and not os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
            pa.set_memory_pool(_fast_pool())
        _configured = True
    return pa.default_memory_pool().backend_name


def _fast_pool() -> pa.MemoryPool:
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:  # a pyarrow built without jemalloc
        return pa.system_memory_pool()
