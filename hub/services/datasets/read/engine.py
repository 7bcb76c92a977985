"""DuckDB for the datasets service: one connection per worker thread, the pseudonym UDF on each.

Queries run in :attr:`Engine.executor` (a thread pool), never on the tornado loop. Each worker
thread keeps its own in-memory DuckDB connection (connections are not shared across threads);
streaming exports use one connection per export thread (see exports.py). Each connection runs
at most :data:`DUCKDB_THREADS` threads: by default DuckDB starts one per core in every
connection, so 8 query threads on 2 cores asked for 16 busy threads and throughput fell under
load; concurrency comes from the pool instead (and a query under a row rule reads one or two
row groups of a clustered snapshot, which DuckDB scans one per thread anyway). Every
connection has ``agora_pseudonym(text VARCHAR, type VARCHAR) -> VARCHAR``: the keyed HMAC of
hub/policy/pseudonym.py over Arrow arrays, given each value's text and its column's type (DuckDB
``typeof``). Without a key the function raises, and the registry never serves a dataset that
needs it (fail closed, never an unkeyed hash).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

import duckdb
import pyarrow as pa

from hub.pipeline.store_fs import register_buckets
from hub.policy.pseudonym import pseudonyms

from .query import Compiled

DEFAULT_WORKERS = 8
DUCKDB_THREADS = max(1, (os.cpu_count() or 2) // 4)  # per connection: 1 on up to 7 cores
FLOAT_TYPES = frozenset({"FLOAT", "DOUBLE"})


def pseudonym_udf(key: bytes):
    def agora_pseudonym(texts: pa.Array, types: pa.Array) -> pa.Array:
        is_float = len(types) > 0 and types[0].as_py() in FLOAT_TYPES  # one column: one type
        return pa.array(pseudonyms(texts.to_pylist(), key, is_float=is_float), pa.string())
    return agora_pseudonym


def connect(key: bytes, threads: int | None = DUCKDB_THREADS) -> duckdb.DuckDBPyConnection:
    """A new in-memory connection with the pseudonym UDF registered, `threads` DuckDB threads
    at most (None: DuckDB's default, one per core)."""
    con = duckdb.connect(":memory:")
    varchar = duckdb.sqltype("VARCHAR")
    con.create_function("agora_pseudonym", pseudonym_udf(key), [varchar, varchar], varchar,
                        type="arrow", side_effects=False)
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    # snapshot files are immutable (a new version is a new path): their footers can be kept
    con.execute("SET parquet_metadata_cache = true")
    register_buckets(con)  # s3:// snapshots, read through pyarrow
    return con


class Engine:
    """The thread pool and per-thread connections the handlers run queries on."""

    def __init__(self, key: bytes, workers: int = DEFAULT_WORKERS, export_workers: int = 4):
        self.key = key
        self.executor = ThreadPoolExecutor(workers, thread_name_prefix="datasets-query")
        self.export_executor = ThreadPoolExecutor(export_workers,
                                                  thread_name_prefix="datasets-export")
        self._local = threading.local()
        self._counts: OrderedDict = OrderedDict()
        self._counts_lock = threading.Lock()

    def connection(self) -> duckdb.DuckDBPyConnection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = self._local.con = connect(self.key)
        return con

    def arrow(self, compiled: Compiled) -> pa.Table:
        """Run a compiled query in the calling (worker) thread; the result as an Arrow table."""
        return self.connection().sql(compiled.sql, params=compiled.params).to_arrow_table()

    def rows(self, compiled: Compiled) -> list[tuple]:
        """The same, as Python tuples: for small results (aggregates), where building an
        Arrow table costs more than the query."""
        return self.connection().execute(compiled.sql, compiled.params).fetchall()

    def cached_count(self, cache_key) -> int | None:
        """A count already in the cache (no thread hop needed), else None."""
        with self._counts_lock:
            rows = self._counts.get(cache_key)
            if rows is not None:
                self._counts.move_to_end(cache_key)
            return rows

    def count(self, compiled: Compiled, cache_key=None) -> int:
        """Rows of a compiled (unpaged) query; cached by `cache_key` (e.g. version + filters)."""
        if cache_key is not None:
            with self._counts_lock:
                if cache_key in self._counts:
                    self._counts.move_to_end(cache_key)
                    return self._counts[cache_key]
        sql = f"SELECT count(*) FROM ({compiled.sql}) AS counted"
        rows = self.connection().execute(sql, compiled.params).fetchall()[0][0]
        if cache_key is not None:
            with self._counts_lock:
                self._counts[cache_key] = rows
                while len(self._counts) > 4096:
                    self._counts.popitem(last=False)
        return rows

    def shutdown(self) -> None:
        for pool in (self.executor, self.export_executor):
            pool.shutdown(wait=False, cancel_futures=True)
