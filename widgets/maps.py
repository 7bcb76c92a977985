"""Maps for notebooks, dashboards and reports: a choropleth and a point map, offline.

Interactive (JupyterLab, Voilà): a Leaflet map drawn by folium, with Leaflet and
Leaflet.markercluster inlined from ``widgets/assets`` and no tiles by default, so nothing is
fetched from the network. Static (PDF reports, ``AGORA_WIDGETS_MODE=static``): a PNG drawn
with matplotlib, same classes and colours, with a legend, a title and an alt text.

A tile server is an option: ``tiles="https://tiles.intranet/{z}/{x}/{y}.png"`` with
``attribution=...``; the default is the workspace's ``AGORA_TILES_URL`` (and
``AGORA_TILES_ATTRIBUTION``), none when unset; ``tiles=False`` never draws tiles.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from . import map_data, map_leaflet, map_png
from .i18n import format_number, locale
from .map_classes import CATEGORY_COLORS, NO_DATA_COLOR, auto_decimals, classify
from .render import View

LABELS = {
    "fr": {"no_data": "pas de données", "areas": "zones", "points": "points",
           "other": "autres", "and": " et ", "map_of": "Carte de {n} {noun}",
           "values": "\u00a0: {label}, de {low} à {high}", "all_missing": "\u00a0: {label}",
           "highest": "\u202f; valeur la plus élevée\u00a0: {names}",
           "missing": "\u202f; {n} sans données", "by": ", par {label}\u00a0: {parts}",
           "no_location": "\u202f; {n} sans coordonnées"},
    "en": {"no_data": "no data", "areas": "areas", "points": "points",
           "other": "other", "and": " and ", "map_of": "Map of {n} {noun}",
           "values": " by {label}, from {low} to {high}", "all_missing": " by {label}",
           "highest": "; highest: {names}", "missing": "; {n} with no data",
           "by": ", by {label}: {parts}", "no_location": "; {n} without coordinates"},
}


def label(key: str) -> str:
    """A map label in the workspace language (French unless ``AGORA_LOCALE=en``)."""
    return LABELS.get(locale(), LABELS["en"])[key]


def tile_setting(tiles, attribution) -> tuple[str | None, str | None]:
    """(url, attribution) to draw, or (None, None): see the module docstring."""
    if tiles is None:
        tiles = os.environ.get("AGORA_TILES_URL") or None
        attribution = attribution or os.environ.get("AGORA_TILES_ATTRIBUTION")
    if not tiles:
        return None, None
    if not all(part in tiles for part in ("{z}", "{x}", "{y}")):
        raise ValueError(f"tiles must be a URL template with {{z}}, {{x}} and {{y}}: {tiles!r}")
    return tiles, attribution or urlsplit(tiles).hostname or tiles


class _MapView(View):
    """What both maps share: tiles, the HTML page, the widget, the PNG and its <img>."""

    def __init__(self, *, title, tiles, attribution, height, figsize):
        self.title = title
        self.tiles, self.attribution = tile_setting(tiles, attribution)
        self.height, self.figsize = int(height), figsize

    def to_folium(self):
        """A new ``folium.Map`` of this map (add your own layers; it stays offline)."""
        m = map_leaflet.base_map(self.bounds(), self.tiles, self.attribution)
        self._add_layers(m)
        legend = map_leaflet.legend_html(self.title, self._legend_title(), self.legend(),
                                         self._shape)
        if legend:
            m.add_child(map_leaflet.Legend(legend))
        m.add_child(map_leaflet.Fit(self.bounds()))
        map_leaflet.describe_map(m, self.alt_text())
        return m

    def html(self) -> str:
        """The interactive map as a standalone HTML page (no external resource)."""
        return self.to_folium().get_root().render()

    def interactive(self):
        """An ``ipywidgets.HTML`` holding the map in a sandboxed ``<iframe srcdoc>``."""
        import ipywidgets

        return ipywidgets.HTML(value=self.iframe())

    def iframe(self) -> str:
        return (f'<iframe srcdoc="{html.escape(self.html(), quote=True)}" '
                f'title="{html.escape(self.alt_text(), quote=True)}" sandbox="allow-scripts" '
                f'style="width:100%;height:{self.height}px;border:0"></iframe>')

    def png(self) -> bytes:
        """The static map as PNG bytes (no tiles)."""
        fig, ax = map_png.new_axes(self.figsize)
        self._draw(ax)
        map_png.fit(ax, self.bounds())
        map_png.set_title(ax, self.title)
        map_png.add_legend(ax, self._legend_title(), self.legend(), self._shape)
        return map_png.to_png(fig)

    def static_html(self) -> str:
        """``<img src="data:image/png;base64,..." alt="...">`` for reports."""
        return map_png.img_tag(self.png(), self.alt_text())

    def _legend_title(self) -> str | None:
        return None


class ChoroplethMap(_MapView):
    """Areas (e.g. communes) coloured by a value, in classes of a colour-blind-safe palette.

    ``data`` (a DataFrame) is joined to ``boundaries`` (a GeoDataFrame of polygons) on
    ``key`` (``boundaries_key`` when the boundaries name it differently); every boundary is
    drawn, and one without a value is grey and said "pas de données" / "no data". ``data``
    may be a GeoDataFrame that already holds the polygons (then ``boundaries=None``).

    - ``value``: the column to map; ``label``: how to say it (default: the column name);
      ``unit``: appended to values in tooltips ("bornes", "%").
    - ``name``: the column naming each area in tooltips and the alt text (default: ``key``).
    - ``classes=5`` and ``scheme="quantiles"`` or ``"equal"``, or explicit ``bins`` edges;
      ``palette``: a matplotlib colormap, ``"viridis"`` (default) or ``"cividis"``;
      ``decimals``: shown in the legend and tooltips (default: 0 for whole numbers, else 1).
    - ``noun``: what the areas are, plural, for the alt text ("communes").
    - ``tiles``/``attribution``: see the module docstring; ``height`` of the interactive map
      in pixels, ``figsize`` of the PNG in inches.

    Example::

        import geopandas as gpd, pandas as pd
        from shapely.geometry import box
        from widgets.maps import ChoroplethMap

        communes = gpd.GeoDataFrame(
            {"commune_code": ["99101", "99102", "99103"],
             "commune_name": ["Rivemont", "Valbois", "Lierre"]},
            geometry=[box(4.80, 45.70, 4.85, 45.75), box(4.85, 45.70, 4.90, 45.75),
                      box(4.80, 45.75, 4.85, 45.80)], crs="EPSG:4326")
        stations = pd.DataFrame({"commune_code": ["99101", "99102"], "stations": [48, 12]})
        m = ChoroplethMap(stations, communes, key="commune_code", value="stations",
                          name="commune_name", label="bornes de recharge", noun="communes")
        m                 # the interactive map (the PNG when AGORA_WIDGETS_MODE=static)
        m.alt_text()      # 'Carte de 3 communes : bornes de recharge, de 12 à 48 ; ...'
    """

    _shape = "box"

    def __init__(self, data, boundaries=None, key=None, value=None, *, name=None, label=None,
                 title=None, noun=None, unit=None, classes=5, scheme="quantiles", bins=None,
                 palette="viridis", decimals=None, boundaries_key=None, tiles=None,
                 attribution=None, height=480, figsize=(8, 6)):
        if value is None:
            raise TypeError("ChoroplethMap needs value=, the column to map")
        self.value_label = label or str(value)
        super().__init__(title=title or self.value_label, tiles=tiles,
                         attribution=attribution, height=height, figsize=figsize)
        self.frame = map_data.join_values(data, boundaries, key, boundaries_key or key, value,
                                          name)
        self.noun, self.unit = noun, unit
        values = self.frame["agora_value"].tolist()
        self.decimals = auto_decimals(values) if decimals is None else int(decimals)
        self.classes = classify(values, classes, scheme, bins, self.decimals, palette)

    def bounds(self):
        return map_data.bounds_of([self.frame])

    def format_value(self, value) -> str:
        if pd.isna(value):
            return label("no_data")
        text = format_number(value, self.decimals)
        return f"{text} {self.unit}" if self.unit else text

    def colors(self) -> list[str]:
        """The fill colour of each area, in the order of ``self.frame``."""
        return [self.classes.color(v) for v in self.frame["agora_value"]]

    def legend(self) -> list[tuple[str, str]]:
        """(colour, label) per class, then the no-data entry when an area has no value."""
        labels = self.classes.labels(lambda x: format_number(x, self.decimals))
        entries = list(zip(self.classes.colors, labels, strict=True))
        if self.frame["agora_value"].isna().any():
            entries.append((NO_DATA_COLOR, label("no_data")))
        return entries

    def alt_text(self) -> str:
        """One sentence: how many areas, what, the range, the highest, how many without data."""
        values = self.frame["agora_value"]
        text = label("map_of").format(n=len(self.frame), noun=self.noun or label("areas"))
        if values.notna().any():
            top = self.frame.loc[values == values.max(), "agora_name"].tolist()
            text += label("values").format(label=self.value_label,
                                           low=format_number(values.min(), self.decimals),
                                           high=self.format_value(values.max()))
            text += label("highest").format(names=_names(top))
        else:
            text += label("all_missing").format(label=self.value_label)
        if values.isna().any():
            text += label("missing").format(n=int(values.isna().sum()))
        return text + "."

    def _legend_title(self):
        return self.value_label if self.value_label != self.title else None

    def _add_layers(self, m) -> None:
        texts = [self.format_value(v) for v in self.frame["agora_value"]]
        frame = self.frame.assign(agora_fill=self.colors(), agora_text=texts)
        layer = map_data.geojson(frame, ["agora_name", "agora_text", "agora_fill"])
        map_leaflet.polygons(layer, tooltips=True).add_to(m)

    def _draw(self, ax) -> None:
        map_png.draw_polygons(ax, self.frame, self.colors())


class PointMap(_MapView):
    """Points (stations, bins, incidents) on a map, clustered, optionally coloured by a category.

    - ``data``: a DataFrame with ``lat=`` and ``lon=`` columns, or a GeoDataFrame of points.
      Rows without coordinates are left out (and counted in the alt text).
    - ``popup``: a column, a list of columns, or ``{column: label}``, shown on click.
    - ``cluster=True``: group nearby points (Leaflet.markercluster) in the interactive map.
    - ``color_by``: a column of categories (Okabe-Ito colours, up to 8; the rest as "autres"),
      ``color_label``: how to say it in the legend and alt text (default: the column name).
    - ``boundaries``: a GeoDataFrame drawn under the points for context.
    - ``noun``: what the points are, plural ("bornes"); ``title``, ``tiles``, ``attribution``,
      ``height``, ``figsize`` as for :class:`ChoroplethMap`.

    Example::

        import pandas as pd
        from widgets.maps import PointMap

        bins = pd.DataFrame({"lat": [45.71, 45.72, 45.76], "lon": [4.81, 4.87, 4.83],
                             "kind": ["verre", "papier", "verre"], "id": ["B1", "B2", "B3"]})
        m = PointMap(bins, lat="lat", lon="lon", popup=["id", "kind"], color_by="kind",
                     title="Points de collecte", noun="points de collecte")
        m.alt_text()      # 'Carte de 3 points de collecte, par kind : verre (2), papier (1).'
    """

    _shape = "dot"

    def __init__(self, data, lat=None, lon=None, *, popup=None, cluster=True, color_by=None,
                 color_label=None, boundaries=None, title=None, noun=None, tiles=None,
                 attribution=None, height=480, figsize=(8, 6), radius=6):
        super().__init__(title=title, tiles=tiles, attribution=attribution, height=height,
                         figsize=figsize)
        points = map_data.point_frame(data, lat, lon)
        self.dropped = len(data) - len(points)
        self.points, self.popup, self.cluster = points, map_data.popup_columns(popup), cluster
        self.color_by, self.noun, self.radius = color_by, noun, radius
        self.color_label = color_label or color_by
        self.boundaries = None if boundaries is None else map_data.wgs84(boundaries)
        self.categories = map_data.categories(points[color_by]) if color_by else []

    def bounds(self):
        frames = [self.points] + ([self.boundaries] if self.boundaries is not None else [])
        return map_data.bounds_of(frames)

    def color_index(self) -> list[int]:
        """Each point's index in :meth:`palette`."""
        if not self.color_by:
            return [0] * len(self.points)
        names = [name for name, _ in self.categories]
        return [map_data.category_index(v, names) for v in self.points[self.color_by]]

    def palette(self) -> list[str]:
        return [color for color, _ in self.legend()] or [CATEGORY_COLORS[0]]

    def legend(self) -> list[tuple[str, str]]:
        return [(_category_color(i, name), _category_label(name))
                for i, (name, _) in enumerate(self.categories)]

    def alt_text(self) -> str:
        text = label("map_of").format(n=len(self.points), noun=self.noun or label("points"))
        if self.categories:
            parts = ", ".join(f"{_category_label(name)} ({format_number(count)})"
                              for name, count in self.categories)
            text += label("by").format(label=self.color_label, parts=parts)
        if self.dropped:
            text += label("no_location").format(n=self.dropped)
        return text + "."

    def _legend_title(self):
        return self.color_label

    def _rows(self) -> list[list]:
        lat, lon = self.points.geometry.y.round(6), self.points.geometry.x.round(6)
        texts = [_popup_text(row, self.popup) for _, row in self.points.iterrows()] \
            if self.popup else [""] * len(self.points)
        return [[float(a), float(b), i, t]
                for a, b, i, t in zip(lat, lon, self.color_index(), texts, strict=True)]

    def _add_layers(self, m) -> None:
        if self.boundaries is not None:
            context = self.boundaries.assign(agora_name="", agora_text="", agora_fill="#e8e8e4")
            map_leaflet.polygons(map_data.geojson(context, ["agora_fill"]), tooltips=False,
                                 interactive=False).add_to(m)
        m.add_child(map_leaflet.Points(self._rows(), self.palette(), cluster=self.cluster,
                                       radius=self.radius))

    def _draw(self, ax) -> None:
        if self.boundaries is not None:
            map_png.draw_context(ax, self.boundaries)
        colors = [self.palette()[i] for i in self.color_index()]
        map_png.draw_points(ax, self.points.geometry.x, self.points.geometry.y, colors)


def _popup_text(row, columns: Mapping[str, str]) -> str:
    return "\n".join(f"{title}: {_show(row[col])}" if title else _show(row[col])
                     for col, title in columns.items())


def _show(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return label("no_data")
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return format_number(value)
    return str(value)


def _category_color(i: int, name) -> str:
    if name is map_data.NO_DATA:
        return NO_DATA_COLOR
    return CATEGORY_COLORS[i % len(CATEGORY_COLORS)]


def _category_label(name) -> str:
    return label(name.key) if isinstance(name, map_data.Marker) else _show(name)


def _names(names: list[str]) -> str:
    shown = names[:3] + (["…"] if len(names) > 3 else [])
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + label("and") + shown[-1]
