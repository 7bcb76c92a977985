"""The interactive side of the maps: folium layers, legend and points, all rendered offline.

Every text that comes from the data (names, values, popups) reaches the page as JSON and is
put in with ``textContent`` or escaped in Python: a commune called ``<b>x</b>`` shows as such.
"""

from __future__ import annotations

import html
import json

import folium
from branca.element import MacroElement
from folium.template import Template
from folium.utilities import JsCode

from .map_assets import InlineJS, OfflineMap, add_inline, markercluster_html
from .map_classes import NO_DATA_COLOR, NO_DATA_EDGE

BACKGROUND = "#f3f3f0"
MAX_ZOOM, FIT_MAX_ZOOM = 18, 15
FILL_OPACITY = 0.9  # the legend's swatches have the same, so colours match
# Clusters in neutral greys: markercluster's green/yellow/orange would read as categories.
CLUSTER_CSS = """<style>
.marker-cluster-small { background-color: rgba(120,120,120,.35); }
.marker-cluster-medium { background-color: rgba(85,85,85,.4); }
.marker-cluster-large { background-color: rgba(50,50,50,.45); }
.marker-cluster-small div { background-color: rgba(95,95,95,.85); }
.marker-cluster-medium div { background-color: rgba(65,65,65,.88); }
.marker-cluster-large div { background-color: rgba(35,35,35,.9); }
.marker-cluster div { color: #ffffff; font-weight: 600; }
</style>"""
# More specific than leaflet.css's own .leaflet-container rule, which comes later.
BACKGROUND_CSS = f"<style>.folium-map.leaflet-container {{ background: {BACKGROUND}; }}</style>"
LEGEND_CSS = """<style>
.agora-legend { background: rgba(255,255,255,.94); padding: 6px 9px; border-radius: 4px;
  box-shadow: 0 0 4px rgba(0,0,0,.3); font: 12px/1.5 system-ui, sans-serif; color: #222;
  max-width: 260px; }
.agora-legend strong { display: block; margin-bottom: 3px; }
.agora-legend i { display: inline-block; width: 14px; height: 14px; margin-right: 6px;
  vertical-align: -2px; border: 1px solid rgba(0,0,0,.25); opacity: OPACITY; }
.agora-legend i.dot { border-radius: 50%; }
.agora-legend i.nodata { background: repeating-linear-gradient(45deg, GREY 0 3px, EDGE 3px 4px); }
</style>""".replace("OPACITY", str(FILL_OPACITY)).replace("GREY", NO_DATA_COLOR).replace(
    "EDGE", NO_DATA_EDGE)

TOOLTIP_JS = """function(feature, layer) {
    var p = feature.properties, box = document.createElement("div"),
        name = document.createElement("strong");
    name.textContent = p.agora_name;
    box.appendChild(name);
    box.appendChild(document.createElement("br"));
    box.appendChild(document.createTextNode(p.agora_text));
    layer.bindTooltip(box, {sticky: true});
}"""


def base_map(bounds, tiles: str | None, attribution: str | None) -> OfflineMap:
    """A map on `bounds` ([[south, west], [north, east]]) over a neutral background, with
    tiles only if given (add a :class:`Fit` last to fit them around the legend)."""
    (south, west), (north, east) = bounds
    m = OfflineMap(location=[(south + north) / 2, (west + east) / 2], zoom_start=10,
                   tiles=None, control_scale=False)
    m.add_child(MetricScale())
    m.options.update(minZoom=2, maxZoom=MAX_ZOOM)  # folium gives these to tiles only
    if not tiles:
        m.options.update(zoomSnap=0.25)  # fit the area closely; tiles would blur between levels
    add_inline(m, "agora_background", BACKGROUND_CSS)
    if tiles:
        folium.TileLayer(tiles=tiles, attr=attribution, max_zoom=MAX_ZOOM).add_to(m)
    m.fit_bounds(bounds, padding=(12, 12), max_zoom=FIT_MAX_ZOOM)
    return m


def legend_html(title: str | None, subtitle: str | None, entries, shape: str = "box") -> str:
    """`entries`: (colour, label) pairs; the colour NO_DATA_COLOR is drawn hatched."""
    rows = [f"<strong>{html.escape(title)}</strong>"] if title else []
    rows += [f"<div>{html.escape(subtitle)}</div>"] if subtitle else []
    for color, label in entries:
        kind = "nodata" if color == NO_DATA_COLOR else shape
        swatch = "" if kind == "nodata" else f' style="background:{color}"'
        rows.append(f'<div><i class="{kind}"{swatch}></i>{html.escape(label)}</div>')
    return "".join(rows)


class Legend(MacroElement):
    """A plain HTML/CSS legend in a Leaflet control (no d3, no branca colormap)."""

    _template = Template("""
        {% macro header(this, kwargs) %}{{ this.css }}{% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function () {
                var box = L.DomUtil.create("div", "agora-legend");
                box.innerHTML = {{ this.content|tojson }};
                L.DomEvent.disableClickPropagation(box);
                return box;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
    """)

    def __init__(self, content: str):
        super().__init__()
        self._name = "Legend"
        self.content = content
        self.css = LEGEND_CSS


class MetricScale(MacroElement):
    """A scale bar in metres and kilometres only (Leaflet's default adds miles)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self):
        super().__init__()
        self._name = "MetricScale"


class Fit(MacroElement):
    """Fit `bounds`, leaving room for the legend when the map is wide enough, again whenever
    the map is resized until the reader moves it: a map drawn in a hidden or not yet laid-out
    output (JupyterLab, a dashboard tab) still opens on the whole area."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }}, container = map.getContainer(),
                touched = false;
            function fit() {
                if (touched || !map.getSize().x) return;
                var legend = container.querySelector(".agora-legend"),
                    width = legend ? legend.offsetWidth : 0,
                    right = map.getSize().x > 3 * width ? width + 24 : 12;
                map.fitBounds({{ this.bounds|tojson }}, {paddingTopLeft: [12, 12],
                    paddingBottomRight: [right, 12], maxZoom: {{ this.max_zoom }}});
            }
            ["pointerdown", "wheel", "keydown", "touchstart"].forEach(function (name) {
                container.addEventListener(name, function () { touched = true; });
            });
            map.on("resize", fit);
            fit();
        })();
        {% endmacro %}
    """)

    def __init__(self, bounds):
        super().__init__()
        self._name = "Fit"
        self.bounds, self.max_zoom = bounds, FIT_MAX_ZOOM


def polygons(geojson: dict, *, tooltips: bool, interactive: bool = True) -> folium.GeoJson:
    """Polygons styled from their ``agora_fill`` property; tooltips from ``agora_name`` and
    ``agora_text``. Features without data get a dashed outline."""
    def style(feature):
        fill = feature["properties"]["agora_fill"]
        missing = fill == NO_DATA_COLOR
        return {"fillColor": fill, "fillOpacity": FILL_OPACITY, "weight": 1,
                "color": NO_DATA_EDGE if missing else "#ffffff",
                "dashArray": "4 3" if missing else None}

    return folium.GeoJson(
        geojson, style_function=style, interactive=interactive,
        highlight_function=(lambda f: {"weight": 3, "color": "#222222"}) if tooltips else None,
        on_each_feature=JsCode(TOOLTIP_JS) if tooltips else None)


class Points(MacroElement):
    """Circle markers from compact rows ``[lat, lon, colour index, popup text]``, clustered
    with Leaflet.markercluster (inlined) or in a plain feature group."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var rows = {{ this.rows|tojson }}, colors = {{ this.colors|tojson }};
            var markers = rows.map(function (r) {
                var marker = L.circleMarker([r[0], r[1]], {radius: {{ this.radius }},
                    color: "#ffffff", weight: 1, fillColor: colors[r[2]], fillOpacity: 0.9});
                if (r[3]) {
                    var text = document.createElement("div");
                    text.style.whiteSpace = "pre-line";
                    text.textContent = r[3];
                    marker.bindPopup(text);
                }
                return marker;
            });
            {%- if this.cluster %}
            var group = L.markerClusterGroup({showCoverageOnHover: false}).addLayers(markers);
            {%- else %}
            var group = L.featureGroup(markers);
            {%- endif %}
            group.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
    """)

    def __init__(self, rows, colors, *, cluster: bool = True, radius: int = 6):
        super().__init__()
        self._name = "Points"
        self.rows, self.colors = rows, list(colors)
        self.cluster, self.radius = cluster, int(radius)

    def render(self, **kwargs):
        if self.cluster:
            add_inline(self, "markercluster", markercluster_html() + CLUSTER_CSS)
        super().render(**kwargs)


def describe_map(m: folium.Map, text: str) -> None:
    """Give the map container an accessible name (what the PNG's alt text says)."""
    m.add_child(InlineJS(
        'document.getElementById("{map}").setAttribute("role", "region");'
        f'document.getElementById("{{map}}").setAttribute("aria-label", {js_string(text)});'))


def js_string(text: str) -> str:
    """A JavaScript string literal safe inside ``<script>`` (no ``</script>`` way out)."""
    return (json.dumps(text).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026"))
