"""Commune boundaries, twice: the reference GeoJSON and an old-style zipped Shapefile.

- ``communes.geojson`` (EPSG:4326, UTF-8): one feature per commune, properties ``code_insee``
  (text), ``nom``, ``population``, ``superficie_km2``, ``donnees_fictives``; the collection
  carries ``synthetic: true`` and the notice. Clean on purpose: it is the reference that other
  datasets are joined to.
- ``communes_lambert93.zip`` (ESRI Shapefile in Lambert-93, EPSG:2154): the same polygons as a
  GIS department would hand them over. Mess: projected coordinates (must be reprojected), DBF
  field names cut to 10 upper-case characters (``INSEE_COM``, ``NOM_COM``, ``POPULATION``,
  ``SUPERF_KM2``), population stored as text with a thousands space in every row ("142 318").
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from .common import NOTICE, PUBLISHER
from .territory import Territory, geometry_to_wgs84
from .writers import write_geojson, write_shapefile_zip

GEOJSON = "communes.geojson"
SHAPEFILE_ZIP = "communes_lambert93.zip"


def write(out_dir: Path, territory: Territory, seed: int, scale) -> list[Path]:
    communes = territory.communes
    wgs84 = gpd.GeoDataFrame(
        {
            "code_insee": [c.code for c in communes],
            "nom": [c.name for c in communes],
            "population": [c.population for c in communes],
            "superficie_km2": [c.area_km2 for c in communes],
            "donnees_fictives": [True] * len(communes),
        },
        geometry=[geometry_to_wgs84(c.geometry) for c in communes],
        crs="EPSG:4326",
    )
    lambert = gpd.GeoDataFrame(
        {
            "INSEE_COM": [c.code for c in communes],
            "NOM_COM": [c.name for c in communes],
            "POPULATION": [f"{c.population:,}".replace(",", " ") for c in communes],
            "SUPERF_KM2": [c.area_km2 for c in communes],
        },
        geometry=[c.geometry for c in communes],
        crs="EPSG:2154",
    )
    extra = {"name": "communes", "synthetic": True, "publisher": PUBLISHER, "notice": NOTICE}
    return [
        write_geojson(wgs84, out_dir / GEOJSON, extra),
        write_shapefile_zip(lambert, out_dir / SHAPEFILE_ZIP, layer="communes_lambert93"),
    ]
