"""Where the snapshot store keeps its objects: a local folder, or an S3-compatible bucket.

:class:`LocalFiles` and :class:`S3Files` offer the store the same operations on keys relative
to its root (``air/CURRENT``, ``air/versions/<v>/manifest.json``): read or replace a small
text object at once, list a folder, publish a version staged in a local folder, delete a
folder, and name a *location* that readers open: a local path, or ``s3://bucket/key``.
:func:`resolve` turns a location back into a pyarrow filesystem and path, and
:func:`register_buckets` lets DuckDB read the buckets opened in this process.

An S3 version is published by uploading data.parquet, then manifest.json: a version is
complete when its manifest exists (:meth:`S3Files.versions` lists only those). Each upload
is one object appearing whole, so readers following CURRENT (written after) see complete
versions only. Locks and staging stay on the local disk (``work_dir``): one machine writes.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow.fs as pafs

from .store_files import atomic_write_text, fsync_path, private_dir

DATA_FILE, MANIFEST_FILE = "data.parquet", "manifest.json"
_BUCKETS: dict[str, pafs.S3FileSystem] = {}  # bucket -> filesystem opened in this process


class LocalFiles:
    """The store in a local folder (every folder mode 700)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._root_text = str(self.root)

    def path(self, key: str) -> Path:
        return self.root / key

    def stamp(self, key: str) -> tuple:
        """Changes whenever the object at `key` is replaced (written by os.replace: a new
        inode) or appears or goes; one stat, about 10x cheaper than reading it."""
        try:
            info = os.stat(f"{self._root_text}/{key}")
        except FileNotFoundError:
            return ("missing",)
        return (info.st_ino, info.st_mtime_ns, info.st_size)

    def location(self, key: str) -> str:
        return str(self.root / key)

    def read_text(self, key: str) -> str | None:
        try:
            return self.path(key).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def write_text(self, key: str, text: str) -> None:
        private_dir(self.path(key).parent)
        atomic_write_text(self.path(key), text)

    def folders(self, key: str) -> list[str]:
        folder = self.path(key)
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if p.is_dir())

    def versions(self, dataset: str) -> list[str]:
        return self.folders(f"{dataset}/versions")

    def remove(self, key: str) -> None:
        shutil.rmtree(self.path(key), ignore_errors=True)

    def work_dir(self, dataset: str) -> Path:
        """Where the lock and the staging folder live."""
        private_dir(self.root)
        return private_dir(self.path(dataset))

    def publish(self, staged: Path, key: str) -> None:
        final = self.path(key)
        private_dir(final.parent)
        staged.rename(final)
        fsync_path(final.parent)


class S3Files:
    """The store under ``s3://bucket/prefix``; locks and staging in the local `work_root`."""

    def __init__(self, url: str, work_root: Path, endpoint: str = "", region: str = "",
                 access_key: str = "", secret_key: str = ""):
        parts = urlsplit(url)
        self.bucket, self.prefix = parts.netloc, parts.path.strip("/")
        self.root = url.rstrip("/")
        self.work_root = Path(work_root)
        self.fs = s3_filesystem(endpoint, region, access_key, secret_key)
        _BUCKETS[self.bucket] = self.fs

    def _path(self, key: str) -> str:
        return "/".join(p for p in (self.bucket, self.prefix, key.strip("/")) if p)

    def location(self, key: str) -> str:
        return "s3://" + self._path(key)

    def stamp(self, key: str) -> None:
        """None: no cheaper check than reading the object (see LocalFiles.stamp)."""
        return None

    def key_of(self, location: str) -> str | None:
        """The key of a location under this root (None for any other location)."""
        return location[len(self.root) + 1:] if location.startswith(self.root + "/") else None

    def read_bytes(self, key: str) -> bytes:
        """The object's bytes (FileNotFoundError when there is none)."""
        with self.fs.open_input_stream(self._path(key)) as stream:
            return stream.read()

    def read_text(self, key: str) -> str | None:
        try:
            return self.read_bytes(key).decode("utf-8")
        except FileNotFoundError:
            return None

    def write_text(self, key: str, text: str) -> None:
        with self.fs.open_output_stream(self._path(key)) as stream:  # appears on close
            stream.write(text.encode("utf-8"))

    def _listing(self, key: str, recursive: bool = False) -> list[pafs.FileInfo]:
        selector = pafs.FileSelector(self._path(key), allow_not_found=True, recursive=recursive)
        return self.fs.get_file_info(selector)

    def folders(self, key: str) -> list[str]:
        return sorted(i.base_name for i in self._listing(key)
                      if i.type == pafs.FileType.Directory and not i.base_name.startswith("."))

    def versions(self, dataset: str) -> list[str]:
        """Complete versions: those whose manifest was uploaded."""
        return sorted(i.path.split("/")[-2] for i in self._listing(f"{dataset}/versions", True)
                      if i.base_name == MANIFEST_FILE)

    def remove(self, key: str) -> None:
        try:
            self.fs.delete_dir(self._path(key))
        except FileNotFoundError:
            pass

    def files(self, key: str) -> list[str]:
        """The keys of every object under `key`, sorted."""
        start = len(self._path("")) + 1
        return sorted(i.path[start:] for i in self._listing(key, True)
                      if i.type == pafs.FileType.File)

    def upload(self, local: Path, key: str) -> None:
        """`local` as the object `key`: it appears whole once the upload is complete."""
        pafs.copy_files(str(local), self._path(key), destination_filesystem=self.fs)

    def delete(self, key: str) -> None:
        try:
            self.fs.delete_file(self._path(key))
        except FileNotFoundError:
            pass

    def work_dir(self, dataset: str) -> Path:
        private_dir(self.work_root)
        return private_dir(self.work_root / dataset)

    def publish(self, staged: Path, key: str) -> None:
        """Upload the data, then the manifest (the version is complete from then on)."""
        for name in (DATA_FILE, MANIFEST_FILE):
            self.upload(staged / name, f"{key}/{name}")
        shutil.rmtree(staged, ignore_errors=True)


def s3_files_for(url: str, work_root: Path, data, environ) -> S3Files:
    """An S3Files at `url` with the object store's connection settings (`data`: the
    settings' data section; the keys read from the variables it names in `environ`)."""
    return S3Files(url, work_root, data.s3_endpoint, data.s3_region,
                   environ.get(data.s3_access_key_env, ""),
                   environ.get(data.s3_secret_key_env, ""))


def s3_filesystem(endpoint: str = "", region: str = "", access_key: str = "",
                  secret_key: str = "") -> pafs.S3FileSystem:
    """An S3 client; `endpoint` like ``http://127.0.0.1:9000`` for a non-AWS store; without
    keys, the AWS environment variables and configuration files are used."""
    options: dict = {"region": region} if region else {}
    if endpoint:
        parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
        options |= {"endpoint_override": parts.netloc, "scheme": parts.scheme}
    if access_key and secret_key:
        options |= {"access_key": access_key, "secret_key": secret_key}
    return pafs.S3FileSystem(**options)


def resolve(location: str | Path) -> tuple[pafs.FileSystem | None, str]:
    """(filesystem, path) for a location; the filesystem is None for a local path."""
    text = str(location)
    if not text.startswith("s3://"):
        return None, text
    path = text.removeprefix("s3://")
    bucket = path.split("/", 1)[0]
    if bucket not in _BUCKETS:
        raise FileNotFoundError(f"{text}: no store opened on bucket {bucket!r}")
    return _BUCKETS[bucket], path


def open_input(location: str | Path):
    """A binary file object reading `location`."""
    filesystem, path = resolve(location)
    return open(path, "rb") if filesystem is None else filesystem.open_input_file(path)


def opened_buckets() -> tuple:
    """What :func:`register_buckets` would register now (a cache key for connections)."""
    return tuple((bucket, id(fs)) for bucket, fs in _BUCKETS.items())


def register_buckets(con) -> None:
    """Let a DuckDB connection read ``s3://`` locations of the buckets opened here, through
    pyarrow (DuckDB's httpfs extension is not available offline). One object store per
    process: DuckDB takes one filesystem per protocol."""
    if _BUCKETS:
        from .store_s3_reader import SnapshotFiles

        con.register_filesystem(SnapshotFiles(list(_BUCKETS.values())[-1]))
