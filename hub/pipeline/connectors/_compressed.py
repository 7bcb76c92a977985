"""Compressed sources read transparently: gzip, bzip2, xz, zstd and single-file zip archives.

The format is recognised by its magic bytes, whatever the file is called (an export named
``.csv`` that is really gzipped, a ``.gz`` the server already inflated). Text never starts with
these bytes: the bzip2 test reads its whole 10-byte header. A zip that is itself the file
(an .xlsx workbook, an OOXML package) is left as it is, and so is any zip for a connector that
reads zips (``shapefile_zip``).

The inflated bytes are limited like the stored ones (``max_source_bytes``): reading stops one
chunk past the limit, so a zip bomb fails with the size message instead of filling memory. A
truncated or corrupt archive fails the source: nothing of it is ever published.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import re
import zipfile
import zlib
from collections.abc import Callable
from typing import BinaryIO

import pyarrow as pa

from ..interfaces import ByteBudget, SourceError

CHUNK_BYTES = 4 << 20
BZIP2 = re.compile(rb"BZh[1-9]1AY&SY")
IGNORED_MEMBERS = re.compile(r"(^|/)(__MACOSX/|\.[^/]*$)")  # Finder's litter, hidden files


def _zstd(data: bytes) -> BinaryIO:
    return pa.CompressedInputStream(pa.BufferReader(data), "zstd")


# name -> (does `data` start like it, open a reader of the inflated bytes)
STREAMS: dict[str, tuple[Callable[[bytes], bool], Callable[[bytes], BinaryIO]]] = {
    "gzip": (lambda d: d.startswith(b"\x1f\x8b\x08"), lambda d: gzip.GzipFile(fileobj=io.BytesIO(d))),
    "bzip2": (lambda d: BZIP2.match(d[:10]) is not None, lambda d: bz2.BZ2File(io.BytesIO(d))),
    "xz": (lambda d: d.startswith(b"\xfd7zXZ\x00"), lambda d: lzma.LZMAFile(io.BytesIO(d))),
    "zstd": (lambda d: d.startswith(b"\x28\xb5\x2f\xfd"), _zstd),
}
BROKEN = (EOFError, OSError, zlib.error, lzma.LZMAError, zipfile.BadZipFile, pa.ArrowException)


def compression(data: bytes, unzip: bool = True) -> str | None:
    """The compression `data` is in ("gzip", "bzip2", "xz", "zstd", "zip"), or None."""
    for name, (matches, _) in STREAMS.items():
        if matches(data):
            return name
    return "zip" if unzip and data.startswith(b"PK\x03\x04") and not _is_package(data) else None


def decompress(data: bytes, source: str, limit: int | None, member: str | None = None,
               unzip: bool = True) -> tuple[bytes, dict]:
    """(the inflated bytes, details) of `data`; plain data is returned as it is."""
    kind = compression(data, unzip)
    if kind is None:
        if member is not None:
            raise SourceError(f"{source}: `member` {member!r} names a file in a zip archive, "
                              "and this source is not one to unpack; remove `member`")
        return data, {}
    details = {"compression": kind, "compressed_bytes": len(data)}
    try:
        if kind == "zip":
            name, reader = _zip_member(data, source, member)
            details["member"] = name
        else:
            reader = STREAMS[kind][1](data)
        inflated = _read_all(reader, ByteBudget(limit), f"{source} (decompressed)")
    except BROKEN as exc:
        raise SourceError(f"{source}: the {kind} archive is truncated or corrupt ({_short(exc)}); "
                          "it was probably cut while copying — fetch it again") from None
    return inflated, details


def _read_all(reader: BinaryIO, budget: ByteBudget, source: str) -> bytes:
    if budget.limit is None:
        return reader.read()
    chunks = []
    while chunk := reader.read(CHUNK_BYTES):
        budget.take(len(chunk), source)
        chunks.append(chunk)
    return b"".join(chunks)


def _is_package(data: bytes) -> bool:
    """An .xlsx (any OOXML or ODF package) is a zip that is the file itself."""
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except zipfile.BadZipFile:
        return False  # a broken zip: reading it says why
    return "[Content_Types].xml" in names or "mimetype" in names


def _zip_member(data: bytes, source: str, member: str | None) -> tuple[str, BinaryIO]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    files = [i.filename for i in archive.infolist()
             if not i.is_dir() and not IGNORED_MEMBERS.search(i.filename)]
    if member is not None and member not in files:
        raise SourceError(f"{source}: the zip archive has no file {member!r}; it holds "
                          f"{', '.join(files) or 'nothing'}")
    if member is None and not files:
        raise SourceError(f"{source}: the zip archive holds no file")
    if member is None and len(files) > 1:
        listed = ", ".join(files[:10]) + (", …" if len(files) > 10 else "")
        raise SourceError(f"{source}: the zip archive holds {len(files)} files ({listed}); name "
                          "the one to read with `member:`")
    return (member or files[0]), archive.open(member or files[0])


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] if text else type(exc).__name__
