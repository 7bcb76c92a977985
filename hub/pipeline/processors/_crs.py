"""CRS helpers shared by the geo processors (pyproj), with parameter validation."""

from __future__ import annotations

import numpy as np
import pyproj

WGS84 = "EPSG:4326"
AREA_MARGIN = 1.0  # degrees around a CRS's area of use still accepted


def check_crs(value: str) -> str:
    """Pydantic validator body: the CRS must be known to pyproj (EPSG:2154, EPSG:4326...)."""
    try:
        pyproj.CRS.from_user_input(value)
    except pyproj.exceptions.CRSError as exc:
        raise ValueError(f"unknown CRS {value!r} (e.g. EPSG:4326, EPSG:2154)") from exc
    return value


def to_wgs84(x: np.ndarray, y: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lon, lat, plausible) for coordinates given in `crs`.

    Plausible: finite, within ±180/±90, and inside the CRS's area of use (with a margin), so
    swapped or misplaced Lambert-93 coordinates do not land in the ocean unnoticed.
    """
    source = pyproj.CRS.from_user_input(crs)
    if source.equals(pyproj.CRS.from_user_input(WGS84)):
        lon, lat = x, y
    else:
        transformer = pyproj.Transformer.from_crs(source, WGS84, always_xy=True)
        lon, lat = transformer.transform(x, y, errcheck=False)
        lon, lat = np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64")
    ok = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
    area = source.area_of_use
    if area is not None and area.west < area.east:
        m = AREA_MARGIN
        ok &= (lon >= area.west - m) & (lon <= area.east + m)
        ok &= (lat >= area.south - m) & (lat <= area.north + m)
    return lon, lat, ok
