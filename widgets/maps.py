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
from .dataview import DataView
from .i18n import format_number, locale
from .map_classes import CATEGORY_COLORS, NO_DATA_COLOR, auto_decimals, classify
from .source import Query, measure_column

LABELS = {
    "fr": {"no_data": "pas de données", "areas": "zones", "points": "points",
           "area": "zone", "point": "point",
           "other": "autres", "and": " et ", "map_of": "Carte de {n} {noun}",
           "values": "\u00a0: {label}, de {low} à {high}", "all_missing": "\u00a0: {label}",
           "highest": "\u202f; valeur la plus élevée\u00a0: {names}",
           "missing": "\u202f; {n} sans données", "by": ", par {label}\u00a0: {parts}",
           "no_location": "\u202f; {n} sans coordonnées"},
    "en": {"no_data": "no data", "areas": "areas", "points": "points",
           "area": "area", "point": "point",
           "other": "other", "and": " and ", "map_of": "Map of {n} {noun}",
           "values": " by {label}, from {low} to {high}", "all_missing": " by {label}",
           "highest": "; highest: {names}", "missing": "; {n} with no data",
           "by": ", by {label}: {parts}", "no_location": "; {n} without coordinates"},
}


def label(key: str, language: str | None = None) -> str:
    """A map label in `language`, else the workspace's (French unless ``AGORA_LOCALE=en``)."""
    return LABELS.get(locale(language), LABELS["en"])[key]


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


class _MapView(DataView):
    """What both maps share: tiles, the HTML page, the widget, the PNG and its <img>.

    A map of a DataFrame is laid out at once (bad columns fail at once); a dataset's map
    (``.of``) when first shown, and again after its filters change.
    """

    def __init__(self, data=None, *, title, tiles, attribution, height, figsize, query=None,
                 locale=None, labels=None):
        self._laid_out = False
        super().__init__(data, query=query, locale=locale, title=title, labels=labels)
        self.tiles, self.attribution = tile_setting(tiles, attribution)
        self.height, self.figsize = int(height), figsize

    def _ready(self) -> None:
        if not self._laid_out:
            self._lay_out()
            self._laid_out = True

    def _lay_out(self) -> None:
        """Compute what the map draws from ``self.data``."""

    def refresh(self) -> None:
        self._laid_out = False
        super().refresh()

    def _word(self, key: str) -> str:
        return label(key, self.locale)

    def to_folium(self):
        """A new ``folium.Map`` of this map (add your own layers; it stays offline)."""
        self._ready()
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
        self._ready()
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

    def __init__(self, data=None, boundaries=None, key=None, value=None, *, name=None,
                 label=None, title=None, noun=None, unit=None, classes=5, scheme="quantiles",
                 bins=None, palette="viridis", decimals=None, boundaries_key=None, tiles=None,
                 attribution=None, height=480, figsize=(8, 6), query=None, locale=None,
                 labels=None):
        if value is None:
            raise TypeError("ChoroplethMap needs value=, the column to map")
        self.measure: str | None = None  # a dataset's map: the aggregate measure shown
        self.boundaries, self.key, self.value, self.name = boundaries, key, value, name
        self.boundaries_key, self._label, self._unit = boundaries_key or key, label, unit
        self.noun, self.scheme, self.bins, self.palette = noun, scheme, bins, palette
        self.class_count, self.fixed_decimals = classes, decimals
        super().__init__(data, title=title, tiles=tiles, attribution=attribution, height=height,
                         figsize=figsize, query=query, locale=locale, labels=labels)
        if data is not None:
            self._ready()

    @classmethod
    def of(cls, dataset: str, *, boundaries, key: str, measure: str = "count",
           boundaries_key: str | None = None, where=(), filters=None, **options):
        """Areas coloured by an aggregate `measure` of a dataset per `key` (the service
        computes it, under the reader's rights); `boundaries`: a dataset id (read from the
        service) or a GeoDataFrame of polygons.

        ``ChoroplethMap.of("ev_charging_stations", boundaries="communes",
        key="commune_code", measure="sum:charging_points", name="commune_name",
        filters=panel)``
        """
        params = {"by": [key], "measures": [measure]}
        chart = cls(query=Query(dataset, tuple(where), filters, params), boundaries=boundaries,
                    key=key, value=measure_column(measure), boundaries_key=boundaries_key,
                    **options)
        chart.measure = measure
        return chart

    @property
    def value_label(self) -> str:
        """How the mapped value is said: `label`, else the measure or the column in words."""
        if self._label:
            return self._label
        return self.measure_text(self.measure) if self.measure else self.label(str(self.value))

    @property
    def title(self) -> str:
        return self._title or self.value_label

    @title.setter
    def title(self, title: str | None) -> None:
        self._title = title

    @property
    def unit(self) -> str | None:
        if self._unit is None and self.measure:
            return self.unit_of(self.measure)
        return self._unit

    def _boundary_frame(self):
        if isinstance(self.boundaries, str):  # a dataset: read once, whatever the filters
            from . import source

            self.boundaries = source.read(self.boundaries)
        return self.boundaries

    def _lay_out(self) -> None:
        self.frame = map_data.join_values(self.data, self._boundary_frame(), self.key,
                                          self.boundaries_key, self.value, self.name)
        values = self.frame["agora_value"].tolist()
        self.decimals = (auto_decimals(values) if self.fixed_decimals is None
                         else int(self.fixed_decimals))
        self.classes = classify(values, self.class_count, self.scheme, self.bins,
                                self.decimals, self.palette)

    def bounds(self):
        return map_data.bounds_of([self.frame])

    def _number(self, value) -> str:
        return format_number(value, self.decimals, self.locale)

    def format_value(self, value) -> str:
        if pd.isna(value):
            return self._word("no_data")
        text = self._number(value)
        return f"{text} {self.unit}" if self.unit else text

    def colors(self) -> list[str]:
        """The fill colour of each area, in the order of ``self.frame``."""
        self._ready()
        return [self.classes.color(v) for v in self.frame["agora_value"]]

    def legend(self) -> list[tuple[str, str]]:
        """(colour, label) per class, then the no-data entry when an area has no value."""
        self._ready()
        labels = self.classes.labels(self._number)
        entries = list(zip(self.classes.colors, labels, strict=True))
        if self.frame["agora_value"].isna().any():
            entries.append((NO_DATA_COLOR, self._word("no_data")))
        return entries

    def alt_text(self) -> str:
        """One sentence: how many areas, what, the range, the highest, how many without data."""
        self._ready()
        values, word = self.frame["agora_value"], self._word
        text = word("map_of").format(n=len(self.frame), noun=self.noun or word(
            "area" if len(self.frame) == 1 else "areas"))
        if values.notna().any():
            top = self.frame.loc[values == values.max(), "agora_name"].tolist()
            text += word("values").format(label=self.value_label,
                                          low=self._number(values.min()),
                                          high=self.format_value(values.max()))
            text += word("highest").format(names=_names(top, self.locale))
        else:
            text += word("all_missing").format(label=self.value_label)
        if values.isna().any():
            text += word("missing").format(n=int(values.isna().sum()))
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

    def __init__(self, data=None, lat=None, lon=None, *, popup=None, cluster=True,
                 color_by=None, color_label=None, boundaries=None, title=None, noun=None,
                 tiles=None, attribution=None, height=480, figsize=(8, 6), radius=6,
                 query=None, locale=None, labels=None):
        self.lat, self.lon, self._popup, self.cluster = lat, lon, popup, cluster
        self.color_by, self._color_label, self.noun, self.radius = (color_by, color_label,
                                                                    noun, radius)
        self.boundaries = None if boundaries is None else map_data.wgs84(boundaries)
        super().__init__(data, title=title, tiles=tiles, attribution=attribution, height=height,
                         figsize=figsize, query=query, locale=locale, labels=labels)
        if data is not None:
            self._ready()

    @classmethod
    def of(cls, dataset: str, *, popup=None, color_by: str | None = None, where=(),
           filters=None, limit: int | None = None, **options):
        """The points of a dataset with a point geometry (every matching row, read from the
        service under the reader's rights, or the first `limit`); `popup` and `color_by`
        name its columns.

        ``PointMap.of("ev_charging_stations", popup=["station_name", "power_kw"],
        color_by="status", filters=panel)``
        """
        shown = [*map_data.popup_columns(popup), *([color_by] if color_by else [])]
        params = {"select": list(dict.fromkeys(shown)), "limit": limit}
        return cls(query=Query(dataset, tuple(where), filters, params), popup=popup,
                   color_by=color_by, **options)

    def fetch(self):
        from . import source

        arguments = self.query.arguments()
        geometry = [c["name"] for c in (source.describe(self.query.dataset)["columns"])
                    if c["type"] == "geometry"][:1]
        if not geometry:
            raise TypeError(f"PointMap.of: {self.query.dataset} has no geometry you can read; "
                            f"build a PointMap from a DataFrame with lat= and lon=")
        if arguments.get("select"):
            arguments["select"] = [*arguments["select"], *geometry]
        return source.read(self.query.dataset, **arguments)

    @property
    def color_label(self) -> str | None:
        """How `color_by` is said in the legend and alt text (default: its title)."""
        if self._color_label or not self.color_by:
            return self._color_label
        return self.label(self.color_by)

    @property
    def popup(self) -> dict[str, str]:
        """{column: title} of the popup (a list of columns: titled by their titles)."""
        columns = map_data.popup_columns(self._popup)
        if isinstance(self._popup, (str, Mapping)) or self._popup is None:
            return columns
        return {column: self.label(column) for column in columns}

    def _lay_out(self) -> None:
        data = self.data
        self.points = map_data.point_frame(data, self.lat, self.lon)
        self.dropped = len(data) - len(self.points)
        self.categories = map_data.categories(self.points[self.color_by]) if self.color_by else []

    def bounds(self):
        frames = [self.points] + ([self.boundaries] if self.boundaries is not None else [])
        return map_data.bounds_of(frames)

    def color_index(self) -> list[int]:
        """Each point's index in :meth:`palette`."""
        self._ready()
        if not self.color_by:
            return [0] * len(self.points)
        names = [name for name, _ in self.categories]
        return [map_data.category_index(v, names) for v in self.points[self.color_by]]

    def palette(self) -> list[str]:
        return [color for color, _ in self.legend()] or [CATEGORY_COLORS[0]]

    def legend(self) -> list[tuple[str, str]]:
        self._ready()
        return [(_category_color(i, name), _category_label(name, self.locale))
                for i, (name, _) in enumerate(self.categories)]

    def alt_text(self) -> str:
        self._ready()
        word, count = self._word, len(self.points)
        text = word("map_of").format(n=format_number(count, locale=self.locale),
                                     noun=self.noun or word("point" if count == 1 else "points"))
        if self.categories:
            parts = ", ".join(f"{_category_label(name, self.locale)} "
                              f"({format_number(n, locale=self.locale)})"
                              for name, n in self.categories)
            text += word("by").format(label=self.color_label, parts=parts)
        if self.dropped:
            text += word("no_location").format(n=self.dropped)
        return text + "."

    def _legend_title(self):
        return self.color_label

    def _rows(self) -> list[list]:
        lat, lon = self.points.geometry.y.round(6), self.points.geometry.x.round(6)
        popup = self.popup
        texts = [_popup_text(row, popup, self.locale) for _, row in self.points.iterrows()] \
            if popup else [""] * len(self.points)
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


def _popup_text(row, columns: Mapping[str, str], language: str | None = None) -> str:
    return "\n".join(f"{title}: {_show(row[col], language)}" if title
                     else _show(row[col], language) for col, title in columns.items())


def _show(value, language: str | None = None) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return label("no_data", language)
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return format_number(value, locale=language)
    return str(value)


def _category_color(i: int, name) -> str:
    if name is map_data.NO_DATA:
        return NO_DATA_COLOR
    return CATEGORY_COLORS[i % len(CATEGORY_COLORS)]


def _category_label(name, language: str | None = None) -> str:
    return (label(name.key, language) if isinstance(name, map_data.Marker)
            else _show(name, language))


def _names(names: list[str], language: str | None = None) -> str:
    shown = names[:3] + (["…"] if len(names) > 3 else [])
    return shown[0] if len(shown) == 1 else (", ".join(shown[:-1]) + label("and", language)
                                             + shown[-1])
