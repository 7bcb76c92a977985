"""A zipped Shapefile -> GeoDataFrame, keeping its CRS (.prj) and encoding (.cpg).

Only the members of the chosen layer (same stem as its .shp) are extracted, each under its bare
file name in a private temporary folder: a zip entry such as ``../../etc/x.shp`` cannot write
outside it ("zip slip").
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from ..interfaces import SourceError

MEMBER_SUFFIXES = {".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx"}


def read_shapefile_zip_bytes(data: bytes, source: str, layer: str | None = None,
                             encoding: str | None = None):
    import geopandas as gpd
    from pyogrio.errors import DataSourceError

    archive = _open_zip(data, source)
    shp = _pick_shp(archive, source, layer)
    with tempfile.TemporaryDirectory(prefix="agora-shp-") as folder:
        target = _extract_layer(archive, shp, Path(folder))
        try:
            return gpd.read_file(target, engine="pyogrio", encoding=encoding)
        except (DataSourceError, ValueError, RuntimeError) as exc:
            raise SourceError(f"{source}: the Shapefile {shp} is not readable ({exc})") from None


def _open_zip(data: bytes, source: str) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        bad = archive.testzip()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise SourceError(f"{source}: not a readable zip archive ({exc})") from None
    if bad:
        raise SourceError(f"{source}: the zip archive is corrupt (bad CRC in {bad})")
    return archive


def _pick_shp(archive: zipfile.ZipFile, source: str, layer: str | None) -> str:
    shps = [n for n in archive.namelist() if n.lower().endswith(".shp") and not n.startswith("__MACOSX")]
    if layer is not None:
        shps = [n for n in shps if PurePosixPath(n).stem == layer]
    if len(shps) == 1:
        return shps[0]
    stems = sorted(PurePosixPath(n).stem for n in archive.namelist() if n.lower().endswith(".shp"))
    if not shps:
        wanted = f"named {layer!r} " if layer else ""
        raise SourceError(f"{source}: no .shp layer {wanted}in the zip (layers: {stems or 'none'})")
    raise SourceError(f"{source}: the zip holds several layers {stems}; choose one with `layer`")


def _extract_layer(archive: zipfile.ZipFile, shp: str, folder: Path) -> Path:
    stem = PurePosixPath(shp).with_suffix("")
    for name in archive.namelist():
        member = PurePosixPath(name)
        if member.with_suffix("") == stem and member.suffix.lower() in MEMBER_SUFFIXES:
            (folder / (member.stem + member.suffix.lower())).write_bytes(archive.read(name))
    return folder / (stem.name + ".shp")
