"""The allocator behind every Arrow buffer of a refresh (CSV parsing, pandas' pyarrow-backed
text columns, compute kernels, the Parquet writer).

pyarrow 26 allocates with mimalloc by default. On the ingestion benchmark (1M rows, 123 MB of
CSV, a few GB allocated and freed in large buffers by two threads), mimalloc made the same
refresh about 0.8 s slower than jemalloc or glibc's malloc: reading the CSV alone went from
0.55 s to 1.1 s, the rest spread over every step. jemalloc is used when pyarrow has it, else
the system allocator. An administrator's ``ARROW_DEFAULT_MEMORY_POOL`` is left alone.
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
