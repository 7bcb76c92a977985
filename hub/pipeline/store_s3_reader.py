"""What DuckDB reads ``s3://`` snapshot files through: pyarrow's S3 client behind fsspec.

A snapshot's data.parquet never changes (a new version is a new key), so its size and time
are asked for once per process: fsspec's pyarrow wrapper asked the store again for every
``info`` and ``modified``, 10 of the ~14 round trips of a query before its ranged reads.
Only DuckDB's reads of snapshot files go through here (store_fs.register_buckets).
"""

from __future__ import annotations

import pyarrow.fs as pafs
from fsspec.implementations.arrow import ArrowFile, ArrowFSWrapper

KEPT_FILES = 4096  # file infos kept (a few hundred bytes each)


class SnapshotFiles(ArrowFSWrapper):
    """Read-only; each file's info is asked for once (opening still costs pyarrow one HEAD)."""

    def __init__(self, fs: pafs.FileSystem, **kwargs):
        super().__init__(fs, **kwargs)
        self._infos: dict[str, pafs.FileInfo] = {}

    def _file_info(self, path: str) -> pafs.FileInfo:
        path = self._strip_protocol(path)
        info = self._infos.get(path)
        if info is None:
            [info] = self.fs.get_file_info([path])
            if info.type == pafs.FileType.File:  # not found: asked again next time
                if len(self._infos) >= KEPT_FILES:
                    self._infos.clear()
                self._infos[path] = info
        return info

    def info(self, path, **kwargs):
        return self._make_entry(self._file_info(path))

    def modified(self, path):
        return self._file_info(path).mtime

    def _open(self, path, mode="rb", block_size=None, seekable=True, **kwargs):
        if mode != "rb" or not seekable:
            raise ValueError(f"{path}: snapshot files are read-only here (mode {mode!r})")
        stream = self.fs.open_input_file(self._strip_protocol(path))  # one HEAD (pyarrow's)
        return ArrowFile(self, stream, path, mode, block_size, **kwargs)
