"""geo_join: attach to each geometry the attributes of the boundary polygon that holds it.

The boundaries are another catalog dataset (``context.load_dataset(dataset)`` must return a
GeoDataFrame, e.g. communes with ``code_insee``), reprojected to the data's CRS. Matching uses
the boundaries' spatial index (``within``: the geometry lies inside the polygon; ``intersects``
also takes points on a border). A geometry matching several polygons takes the first one in
the boundaries' order (noted as ``multiple_matches``); one matching none is counted as
``unmatched_geometries`` with examples; null geometries never match.
"""

from __future__ import annotations

from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from pydantic import Field

from ..interfaces import Params, ProcessContext, ProcessingError, Processor
from ._common import require_columns
from ._lookup import attach


class GeoJoinParams(Params):
    dataset: str = Field(pattern=r"^[a-z][a-z0-9_]{1,62}$")
    columns: list[str] = Field(min_length=1)
    prefix: str = ""
    predicate: Literal["within", "intersects"] = "within"
    how: Literal["left", "inner"] = "left"


class GeoJoin(Processor):
    """Spatial join of geometries (points) to the polygons of another dataset.

        - geo_join: {dataset: communes, columns: [code_insee, nom], prefix: commune_}
    """

    name = "geo_join"
    summary = "Add attributes of the boundary polygon containing each point (spatial join)"
    Params = GeoJoinParams

    def apply(self, frame: pd.DataFrame, context: ProcessContext) -> gpd.GeoDataFrame:
        if not isinstance(frame, gpd.GeoDataFrame):
            raise ProcessingError(f"{self.name}: the data has no geometry (use geo_points first)")
        boundaries = self._boundaries(context, frame.crs)
        positions, multiple = self._positions(frame, boundaries)
        present = frame.geometry.notna().to_numpy() & ~frame.geometry.is_empty.to_numpy()
        unmatched = present & (positions < 0)
        if unmatched.any():
            shown = frame.geometry[unmatched].head(5).to_wkt().tolist()
            context.quality.count(frame.geometry.name, "unmatched_geometries",
                                  int(unmatched.sum()), shown)
        context.note("unmatched_geometries", int(unmatched.sum()))
        context.note("multiple_matches", multiple)
        out = attach(frame, boundaries, positions, self.params.columns, self.params.prefix,
                     self.name)
        return out[positions >= 0] if self.params.how == "inner" else out

    def _boundaries(self, context: ProcessContext, crs) -> gpd.GeoDataFrame:
        if context.load_dataset is None:
            raise ProcessingError(f"{self.name}: no dataset loader in this context")
        boundaries = context.load_dataset(self.params.dataset)
        if not isinstance(boundaries, gpd.GeoDataFrame):
            raise ProcessingError(
                f"{self.name}: dataset {self.params.dataset!r} has no geometry (not boundaries)"
            )
        require_columns(boundaries, self.params.columns, f"{self.name} ({self.params.dataset})")
        if boundaries.crs is not None and crs is not None and boundaries.crs != crs:
            boundaries = boundaries.to_crs(crs)
        return boundaries

    def _positions(self, frame, boundaries) -> tuple[np.ndarray, int]:
        """Row number of the first polygon matching each geometry (-1: none), and how many
        geometries matched more than one."""
        rows, polygons = boundaries.sindex.query(frame.geometry.values,
                                                 predicate=self.params.predicate)
        order = np.lexsort((polygons, rows))
        rows, polygons = rows[order], polygons[order]
        first = np.ones(len(rows), dtype=bool)
        first[1:] = rows[1:] != rows[:-1]
        positions = np.full(len(frame), -1, dtype=np.int64)
        positions[rows[first]] = polygons[first]
        return positions, int(len(np.unique(rows[~first])))
