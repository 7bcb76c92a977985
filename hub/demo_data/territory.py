"""The fictional territory: Métropole de Val-de-Lière, 30 communes along the (fictional) Lière.

Geometry is built in Lambert-93 metres: a star-shaped hull around a fictional centre,
30 well-spread seeds inside it (the first, at the centre, is Rivemont), Voronoi edges with
gently jittered borders, all noded and polygonised together. Polygonising the shared edges
makes neighbouring communes share exactly the same vertices: no gaps, no overlaps, and their
union is the hull. Faces cut off by the jitter are merged into the neighbour they share the
longest border with.

Codes are 991xx: INSEE department 99 means "abroad", never a real French commune.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, MultiPoint, Point, Polygon
from shapely.ops import polygonize, unary_union

from .common import rng_for

CENTRE_LONLAT = (2.95, 46.62)  # a fictional place; nothing real is there by that name
HULL_RADIUS_M = 13_000
NAMES = (
    "Rivemont", "Bellecombe", "Saint-Aubin-sur-Lière", "Chantemerle-les-Prés", "Vaudrieu",
    "Montcalvel", "Les Essarts-de-Lière", "Sainte-Gemme-d'Orval", "Frênois-le-Vieux",
    "Courbelin", "Mazerolles-sur-Lière", "L'Étang-Morel", "Bourg-Lamothe",
    "Villeneuve-la-Lière", "Pontchaux", "Roche-Thibault", "Saint-Médard-des-Vignes",
    "Aigueclaire", "Brévannes-la-Forêt", "Castelvieil", "Le Plessis-Fontenoy", "Orvalène",
    "Sauvelande", "Montreuil-d'Aubrive", "Chaumont-Lière", "Fleurac-la-Vallée",
    "Notre-Dame-de-Lière", "Écouvrieux", "La Bastide-Corneille", "Saint-Prix-en-Orval",
)
TO_WGS84 = Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True)
TO_L93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)


@dataclass(frozen=True)
class Commune:
    code: str
    name: str
    population: int
    area_km2: float
    geometry: Polygon  # Lambert-93 (EPSG:2154), metres


@dataclass(frozen=True)
class Territory:
    communes: tuple[Commune, ...]
    hull: Polygon  # Lambert-93

    @property
    def codes(self) -> list[str]:
        return [c.code for c in self.communes]

    def commune(self, code: str) -> Commune:
        return next(c for c in self.communes if c.code == code)

    def population_weights(self) -> np.ndarray:
        pops = np.array([c.population for c in self.communes], dtype=float)
        return pops / pops.sum()

    def random_points(self, rng: np.random.Generator, commune: Commune, n: int) -> np.ndarray:
        """n points (x, y in Lambert-93) drawn uniformly inside a commune."""
        minx, miny, maxx, maxy = commune.geometry.bounds
        found: list[np.ndarray] = []
        total = 0
        while total < n:
            xy = rng.uniform((minx, miny), (maxx, maxy), size=(max(8, 2 * n), 2))
            inside = xy[shapely.contains_xy(commune.geometry, xy[:, 0], xy[:, 1])]
            found.append(inside)
            total += len(inside)
        return np.concatenate(found)[:n]


def to_lonlat(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = TO_WGS84.transform(xy[:, 0], xy[:, 1])
    return np.round(lon, 6), np.round(lat, 6)


def geometry_to_wgs84(geometry: Polygon) -> Polygon:
    def project(coords: np.ndarray) -> np.ndarray:
        lon, lat = TO_WGS84.transform(coords[:, 0], coords[:, 1])
        return np.round(np.column_stack([lon, lat]), 6)

    return shapely.transform(geometry, project)


def _hull(rng: np.random.Generator, centre: tuple[float, float]) -> Polygon:
    theta = np.linspace(0, 2 * np.pi, 96, endpoint=False)
    phase = rng.uniform(0, 2 * np.pi, size=3)
    radius = HULL_RADIUS_M * (1 + 0.10 * np.sin(2 * theta + phase[0])
                              + 0.06 * np.sin(3 * theta + phase[1])
                              + 0.03 * np.sin(5 * theta + phase[2]))
    xs = centre[0] + 1.25 * radius * np.cos(theta)
    ys = centre[1] + 0.85 * radius * np.sin(theta)
    return Polygon(np.round(np.column_stack([xs, ys]), 2))


def _seeds(rng: np.random.Generator, hull: Polygon, centre, n: int) -> np.ndarray:
    min_dist = 0.62 * np.sqrt(hull.area / n)
    seeds = [np.array(centre)]
    minx, miny, maxx, maxy = hull.bounds
    inner = hull.buffer(-min_dist / 3)
    while len(seeds) < n:
        candidate = rng.uniform((minx, miny), (maxx, maxy))
        if not inner.contains(Point(candidate)):
            continue
        if min(np.hypot(*(candidate - s)) for s in seeds) >= min_dist:
            seeds.append(candidate)
    return np.array(seeds)


def _jitter(edge: LineString, rng: np.random.Generator) -> LineString:
    """Wiggle the inside of a border a little (ends fixed), as real borders follow streams."""
    (x0, y0), (x1, y1) = edge.coords[0], edge.coords[-1]
    length = edge.length
    steps = max(2, int(length // 500))
    t = np.linspace(0, 1, steps + 1)
    normal = np.array([-(y1 - y0), x1 - x0]) / length
    amplitude = min(250.0, 0.05 * length)
    offset = amplitude * np.sin(np.pi * t) * rng.uniform(-1, 1, size=t.size)
    xs = x0 + t * (x1 - x0) + offset * normal[0]
    ys = y0 + t * (y1 - y0) + offset * normal[1]
    return LineString(np.round(np.column_stack([xs, ys]), 2))


def _cells(rng: np.random.Generator, hull: Polygon, seeds: np.ndarray) -> list[Polygon]:
    edges = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=hull.buffer(5000),
                                     only_edges=True)
    lines = [_jitter(edge, rng) for edge in shapely.get_parts(edges)]
    noded = unary_union([*lines, hull.exterior])
    faces = [f for f in polygonize(noded) if hull.contains(f.representative_point())]
    cells: list[Polygon | None] = [None] * len(seeds)
    orphans = []
    for face in faces:
        owner = next((i for i, s in enumerate(seeds) if face.contains(Point(s))), None)
        if owner is None:
            orphans.append(face)
        else:
            cells[owner] = face
    for face in orphans:
        shared = [face.boundary.intersection(c.boundary).length for c in cells]
        owner = int(np.argmax(shared))
        cells[owner] = unary_union([cells[owner], face])
    return cells


def _populations(rng: np.random.Generator, distances: np.ndarray) -> np.ndarray:
    spread = distances / distances.max()
    base = np.exp(9.6 - 2.4 * spread + rng.normal(0, 0.45, size=distances.size))
    base[0] = 142_318  # Rivemont, the central city
    base[1] = max(base[1], 31_000)  # Bellecombe, the second town
    return np.round(base).astype(int)


@lru_cache(maxsize=8)
def build_territory(seed: int = 42) -> Territory:
    rng = rng_for(seed, "territory")
    centre = TO_L93.transform(*CENTRE_LONLAT)
    hull = _hull(rng, centre)
    seeds = _seeds(rng, hull, centre, len(NAMES))
    cells = _cells(rng, hull, seeds)
    distances = np.hypot(seeds[:, 0] - centre[0], seeds[:, 1] - centre[1])
    order = np.argsort(distances, kind="stable")  # names go from the centre outwards
    populations = _populations(rng, distances[order])
    communes = tuple(
        Commune(code=f"991{rank + 1:02d}", name=NAMES[rank], population=int(populations[rank]),
                area_km2=round(cells[i].area / 1e6, 2), geometry=cells[i])
        for rank, i in enumerate(order)
    )
    return Territory(communes=communes, hull=hull)
