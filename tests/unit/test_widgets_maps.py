"""Maps (widgets/maps.py): offline interactive HTML, static PNG for reports, legends, alt text.

Every test runs with sockets to anything but loopback refused, to prove that building and
rendering a map needs no network.
"""

from __future__ import annotations

import base64
import html
import io
import re
import socket
import warnings

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from PIL import Image
from shapely.geometry import Point, box

from widgets import maps, render
from widgets.i18n import format_number
from widgets.map_assets import ASSETS, LEAFLET_VERSION, MARKERCLUSTER_VERSION
from widgets.map_classes import CATEGORY_COLORS, NO_DATA_COLOR, classify
from widgets.maps import ChoroplethMap, PointMap

NAMES = ["Rivemont", "Valbois", "Lierre", "Saint-Aubin", "Montclair", "Beaulieu", "Fontenay",
         "Les Ormes", "Bréval", "Castelnau", "Arcy", "Vernon"]
STATIONS = [48, 12, 0, 5, 22, 31, 7, 16, 3, 40, 9]  # Vernon, the 12th, has no value
# src=/href=/url( pointing at http(s): what a browser would fetch (links <a href> are not).
FETCHED = re.compile(r"""(?<![\w-])(src|href)\s*=\s*["']?\s*https?:|url\(\s*["']?\s*https?:""",
                     re.IGNORECASE)
ANCHOR = re.compile(r"<a\s[^>]*$", re.IGNORECASE)


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """No connection leaves the machine; the locale is French, no tiles, interactive mode."""
    real_connect = socket.socket.connect

    def connect(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        if sock.family == socket.AF_UNIX or host in ("127.0.0.1", "::1", "localhost"):
            return real_connect(sock, address)
        raise OSError(f"network access refused in tests: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", connect)
    for name in ("AGORA_TILES_URL", "AGORA_TILES_ATTRIBUTION", "AGORA_WIDGETS_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AGORA_LOCALE", "fr")
    yield
    render.set_mode(None)


@pytest.fixture
def communes():
    cells = [box(4.80 + 0.05 * (i % 4), 45.70 + 0.05 * (i // 4),
                 4.85 + 0.05 * (i % 4), 45.75 + 0.05 * (i // 4)) for i in range(12)]
    return gpd.GeoDataFrame({"commune_code": [f"991{i:02d}" for i in range(12)],
                             "commune_name": NAMES}, geometry=cells, crs="EPSG:4326")


@pytest.fixture
def stations(communes):
    return pd.DataFrame({"commune_code": communes["commune_code"][:11], "stations": STATIONS})


@pytest.fixture
def choropleth(stations, communes):
    return ChoroplethMap(stations, communes, key="commune_code", value="stations",
                         name="commune_name", label="bornes de recharge", noun="communes",
                         title="Bornes de recharge par commune")


@pytest.fixture
def bins_points():
    rng = np.random.default_rng(7)
    return pd.DataFrame({"lat": rng.uniform(45.70, 45.85, 120),
                         "lon": rng.uniform(4.80, 5.00, 120),
                         "kind": rng.choice(["verre", "papier", "ordures"], 120),
                         "id": [f"B{i}" for i in range(120)]})


def fetched_urls(page: str) -> list[str]:
    """http(s) URLs a browser would load from `page` (anchors' href excepted)."""
    return [page[max(m.start() - 40, 0):m.end() + 40] for m in FETCHED.finditer(page)
            if not ANCHOR.search(page[max(m.start() - 300, 0):m.start()])]


def decode_img(tag: str) -> bytes:
    return base64.b64decode(re.search(r'src="data:image/png;base64,([^"]+)"', tag).group(1))


def grey_pixels(png: bytes) -> int:
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    return int((np.abs(pixels - 0xCF).max(axis=2) <= 3).sum())


# --- offline ---------------------------------------------------------------------------------

def test_the_network_is_really_blocked():
    with pytest.raises(OSError, match="refused"):
        socket.create_connection(("192.0.2.1", 80), timeout=1)


def test_choropleth_html_inlines_leaflet_and_fetches_nothing(choropleth):
    page = choropleth.html()
    assert "L.map(" in page and f"Leaflet {LEAFLET_VERSION}" in page
    assert f't.version="{LEAFLET_VERSION}"' in page
    assert fetched_urls(page) == []
    assert "<script src" not in page and "<link" not in page
    assert "sourceMappingURL" not in page
    assert "d3" not in re.findall(r"<script[^>]*>", page)


def test_point_map_inlines_markercluster_and_fetches_nothing(bins_points, communes):
    page = PointMap(bins_points, lat="lat", lon="lon", boundaries=communes).html()
    assert "L.markerClusterGroup(" in page and "MarkerClusterGroup" in page
    assert ".marker-cluster-small" in page
    assert fetched_urls(page) == []
    unclustered = PointMap(bins_points, lat="lat", lon="lon", cluster=False).html()
    assert "markerClusterGroup" not in unclustered and fetched_urls(unclustered) == []


def test_the_url_check_catches_what_a_browser_fetches():
    assert fetched_urls('<script src="https://cdn.example.org/x.js"></script>')
    assert fetched_urls('<link rel="stylesheet" href="http://cdn.example.org/x.css">')
    assert fetched_urls("<style>a { background: url('https://x.example/i.png') }</style>")
    assert not fetched_urls('<a href="https://leafletjs.com">Leaflet</a>')


def test_leaflet_images_are_data_uris(choropleth):
    page = choropleth.html()
    assert "url(images/" not in page
    assert 'url("data:image/png;base64,' in page
    assert "L.Icon.Default.mergeOptions" in page


def test_foliums_own_repr_of_our_map_is_offline(choropleth):
    iframe = choropleth.to_folium()._repr_html_()
    assert "srcdoc=" in iframe and fetched_urls(html.unescape(iframe)) == []


def test_foliums_class_lists_are_not_modified(choropleth, bins_points):
    js, css = list(folium.Map.default_js), list(folium.Map.default_css)
    choropleth.html()
    PointMap(bins_points, lat="lat", lon="lon").html()
    assert folium.Map.default_js == js and folium.Map.default_css == css


def test_the_leaflet_attribution_is_plain_text(choropleth):
    assert "setPrefix('Leaflet')" in choropleth.html()


def test_vendored_assets_are_complete():
    for path in ("leaflet/leaflet.js", "leaflet/leaflet.css", "leaflet/LICENSE",
                 "leaflet/images/layers.png", "leaflet/images/marker-icon.png",
                 "leaflet.markercluster/leaflet.markercluster.js",
                 "leaflet.markercluster/MarkerCluster.css",
                 "leaflet.markercluster/MarkerCluster.Default.css",
                 "leaflet.markercluster/MIT-LICENCE.txt", "README.md"):
        assert (ASSETS / path).is_file(), path
    readme = (ASSETS / "README.md").read_text()
    assert LEAFLET_VERSION in readme and MARKERCLUSTER_VERSION in readme


# --- tiles ---------------------------------------------------------------------------------

def test_no_tiles_by_default(choropleth):
    assert "L.tileLayer(" not in choropleth.html()


def test_a_tile_server_from_the_workspace_setting(monkeypatch, stations, communes):
    monkeypatch.setenv("AGORA_TILES_URL", "https://tiles.intranet/{z}/{x}/{y}.png")
    monkeypatch.setenv("AGORA_TILES_ATTRIBUTION", "© Service SIG")
    page = ChoroplethMap(stations, communes, key="commune_code", value="stations").html()
    assert "L.tileLayer(" in page and "https://tiles.intranet/{z}/{x}/{y}.png" in page
    assert "Service SIG" in page
    none = ChoroplethMap(stations, communes, key="commune_code", value="stations", tiles=False)
    assert "L.tileLayer(" not in none.html()


def test_a_tile_server_given_directly(stations, communes):
    m = ChoroplethMap(stations, communes, key="commune_code", value="stations",
                      tiles="https://tiles.intranet/{z}/{x}/{y}.png")
    assert m.attribution == "tiles.intranet" and "L.tileLayer(" in m.html()
    with pytest.raises(ValueError, match=r"\{z\}"):
        ChoroplethMap(stations, communes, key="commune_code", value="stations",
                      tiles="https://tiles.intranet/map.png")


# --- classes, colours, legend --------------------------------------------------------------

def test_legend_classes_cover_every_value(choropleth):
    classes = choropleth.classes
    assert len(classes.colors) == 5 and len(classes.breaks) == 6
    assert classes.breaks[0] <= min(STATIONS) and classes.breaks[-1] >= max(STATIONS)
    for value in STATIONS:
        i = classes.index(value)
        assert classes.breaks[i] <= value <= classes.breaks[i + 1]
    assert [label for _, label in choropleth.legend()] == [
        "0 – 5", "6 – 9", "10 – 16", "17 – 31", "32 – 48", "pas de données"]


@pytest.mark.parametrize("values", [[0.5, 1.25, 3.75, 9.99], [7, 7, 7], list(range(1000)),
                                    [-3.2, 0, 2.7], [1e6, 2.5e6, 9.1e6]])
@pytest.mark.parametrize("scheme", ["quantiles", "equal"])
def test_classes_cover_any_values(values, scheme):
    classes = classify(values, 5, scheme, decimals=1)
    assert classes.breaks[0] <= min(values) and classes.breaks[-1] >= max(values)
    assert all(b < c for b, c in zip(classes.breaks[1:], classes.breaks[2:], strict=False))
    for value in values:
        i = classes.index(value)
        assert classes.breaks[i] <= value <= classes.breaks[i + 1]


def test_explicit_bins_are_kept_and_widened():
    classes = classify([1, 2, 3, 100], bins=[0, 10, 50])
    assert classes.breaks == (0, 10, 50, 100)
    assert classes.labels(str) == ["0.0 – 10.0", "11.0 – 50.0", "51.0 – 100.0"]


def test_the_palette_goes_light_to_dark(choropleth):
    def luminance(color):
        r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    lums = [luminance(c) for c in choropleth.classes.colors]
    assert lums == sorted(lums, reverse=True)


def test_a_commune_without_value_is_grey_and_said_no_data(choropleth):
    vernon = list(choropleth.frame["agora_name"]).index("Vernon")
    assert choropleth.colors()[vernon] == NO_DATA_COLOR
    assert choropleth.colors().count(NO_DATA_COLOR) == 1
    assert (NO_DATA_COLOR, "pas de données") in choropleth.legend()
    layer = next(c for c in choropleth.to_folium()._children.values()
                 if isinstance(c, folium.GeoJson))
    vernon_feature = next(f["properties"] for f in layer.data["features"]
                          if f["properties"]["agora_name"] == "Vernon")
    assert vernon_feature == {"agora_name": "Vernon", "agora_text": "pas de données",
                              "agora_fill": NO_DATA_COLOR}
    assert "pas de donn\\u00e9es" in choropleth.html().split("agora-legend", 2)[-1]


def test_no_data_in_english(monkeypatch, choropleth):
    monkeypatch.setenv("AGORA_LOCALE", "en")
    assert (NO_DATA_COLOR, "no data") in choropleth.legend()
    assert choropleth.format_value(float("nan")) == "no data"


def test_the_png_draws_the_missing_commune_grey(choropleth, stations, communes):
    assert grey_pixels(choropleth.png()) > 2000
    full = stations.assign(stations=STATIONS).set_index("commune_code")
    complete = pd.concat([full, pd.DataFrame({"stations": [1]}, index=["99111"])])
    everyone = ChoroplethMap(complete.reset_index(names="commune_code"), communes,
                             key="commune_code", value="stations")
    assert grey_pixels(everyone.png()) < 500  # anti-aliased edges only


# --- static rendering ----------------------------------------------------------------------

def test_static_png_is_produced(choropleth):
    png = choropleth.png()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    assert image.width > 600 and image.height > 400
    assert maps.map_png.png_size(png) == image.size


def test_static_html_is_an_img_with_alt(choropleth):
    tag = choropleth.static_html()
    assert tag.startswith('<img src="data:image/png;base64,')
    assert Image.open(io.BytesIO(decode_img(tag))).width > 600
    assert f'alt="{html.escape(choropleth.alt_text(), quote=True)}"' in tag


def test_alt_text_summarises_the_map(choropleth):
    assert choropleth.alt_text() == (
        "Carte de 12 communes\u00a0: bornes de recharge, de 0 à 48\u202f; "
        "valeur la plus élevée\u00a0: Rivemont\u202f; 1 sans données.")


def test_alt_text_in_english(monkeypatch, choropleth):
    monkeypatch.setenv("AGORA_LOCALE", "en")
    assert choropleth.alt_text() == ("Map of 12 communes by bornes de recharge, from 0 to 48; "
                                     "highest: Rivemont; 1 with no data.")


def test_numbers_follow_the_locale(monkeypatch, communes):
    data = pd.DataFrame({"commune_code": communes["commune_code"],
                         "budget": np.linspace(1000.5, 250000.5, 12)})
    m = ChoroplethMap(data, communes, key="commune_code", value="budget", unit="€")
    assert m.format_value(1234.5) == "1\u202f234,5 €"
    assert "1\u202f000,5" in m.legend()[0][1]
    monkeypatch.setenv("AGORA_LOCALE", "en")
    assert m.format_value(1234.5) == "1,234.5 €"
    assert "from 1,000.5 to 250,000.5 €" in m.alt_text()


def test_no_pyplot_figure_is_left_behind(choropleth, bins_points):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    choropleth.png()
    PointMap(bins_points, lat="lat", lon="lon").png()
    assert plt.get_fignums() == before


# --- rendering protocol --------------------------------------------------------------------

def test_static_mode_gives_the_png(choropleth, monkeypatch):
    monkeypatch.setenv("AGORA_WIDGETS_MODE", "static")
    bundle = choropleth._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"} and bundle["text/html"].startswith("<img ")
    render.set_mode("interactive")
    assert "application/vnd.jupyter.widget-view+json" in choropleth._repr_mimebundle_()


def test_interactive_is_a_sandboxed_iframe_widget(choropleth):
    import ipywidgets

    widget = choropleth.interactive()
    assert isinstance(widget, ipywidgets.HTML)
    assert widget.value.startswith('<iframe srcdoc="') and 'sandbox="allow-scripts"' in widget.value
    assert "height:480px" in widget.value and "<script" not in widget.value
    srcdoc = html.unescape(re.search(r'srcdoc="([^"]*)"', widget.value).group(1))
    assert "L.map(" in srcdoc and fetched_urls(srcdoc) == []
    assert 'title="Carte de 12 communes' in widget.value


# --- data handling -------------------------------------------------------------------------

def test_text_from_the_data_is_never_markup(stations, communes):
    evil = communes.assign(commune_name=["<img src=x onerror=alert(1)>"] + NAMES[1:])
    m = ChoroplethMap(stations, evil, key="commune_code", value="stations",
                      name="commune_name", label="<b>bornes</b>", title="<i>t</i>")
    page = m.html()
    assert "<img src=x" not in page and "<b>bornes" not in page and "<i>t" not in page
    assert "textContent = p.agora_name" in page


def test_boundaries_in_lambert93_are_reprojected(stations, communes):
    lambert = communes.to_crs("EPSG:2154")
    m = ChoroplethMap(stations, lambert, key="commune_code", value="stations")
    (south, west), (north, east) = m.bounds()
    assert 45.6 < south < north < 45.9 and 4.7 < west < east < 5.1


def test_keys_of_another_type_still_join(stations, communes):
    numeric = stations.assign(commune_code=stations["commune_code"].astype(int))
    m = ChoroplethMap(numeric, communes, key="commune_code", value="stations")
    assert m.frame["agora_value"].notna().sum() == 11


def test_a_geodataframe_alone_is_enough(communes):
    m = ChoroplethMap(communes.assign(area=range(12)), value="area", name="commune_name")
    assert m.frame["agora_value"].tolist() == list(range(12))


def test_name_may_come_from_the_data(stations, communes):
    named = stations.assign(label=[f"C{i}" for i in range(11)])
    m = ChoroplethMap(named, communes.drop(columns="commune_name"), key="commune_code",
                      value="stations", name="label")
    assert m.frame["agora_name"].tolist()[:2] == ["C0", "C1"]
    assert m.frame["agora_name"].tolist()[-1] == "99111"


def test_clear_errors(stations, communes):
    with pytest.raises(ValueError, match="several rows for commune_code 99101"):
        ChoroplethMap(pd.concat([stations, stations.iloc[[1]]]), communes,
                      key="commune_code", value="stations")
    with pytest.raises(KeyError, match="no column 'nope'"):
        ChoroplethMap(stations, communes, key="commune_code", value="nope")
    with pytest.raises(TypeError, match="must hold numbers"):
        ChoroplethMap(stations.assign(stations="many"), communes, key="commune_code",
                      value="stations")


def test_unmatched_data_keys_are_reported(stations, communes):
    extra = pd.concat([stations, pd.DataFrame({"commune_code": ["12345"], "stations": [3]})])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ChoroplethMap(extra, communes, key="commune_code", value="stations")
    assert any("12345" in str(w.message) for w in caught)


def test_all_values_missing(communes):
    data = pd.DataFrame({"commune_code": communes["commune_code"], "v": [np.nan] * 12})
    m = ChoroplethMap(data, communes, key="commune_code", value="v")
    assert m.legend() == [(NO_DATA_COLOR, "pas de données")]
    assert m.alt_text().endswith("12 sans données.")
    assert m.png() and fetched_urls(m.html()) == []


# --- point map -----------------------------------------------------------------------------

def test_point_map_alt_text_and_legend(bins_points):
    bins_points.loc[3, "lat"] = None
    m = PointMap(bins_points, lat="lat", lon="lon", color_by="kind", color_label="type",
                 noun="bacs")
    counts = bins_points.dropna(subset=["lat"])["kind"].value_counts()
    parts = ", ".join(f"{k} ({n})" for k, n in counts.items())
    assert m.alt_text() == f"Carte de 119 bacs, par type\u00a0: {parts}\u202f; 1 sans coordonnées."
    assert [label for _, label in m.legend()] == list(counts.index)
    assert [color for color, _ in m.legend()] == list(CATEGORY_COLORS[:3])


def test_point_map_static_draws_points_over_boundaries(bins_points, communes):
    png = PointMap(bins_points, lat="lat", lon="lon", boundaries=communes,
                   color_by="kind").png()
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    blue = (np.abs(pixels - [0x00, 0x72, 0xB2]).max(axis=2) <= 8).sum()
    context = (np.abs(pixels - [0xEE, 0xEE, 0xEA]).max(axis=2) <= 2).sum()
    assert blue > 100 and context > 10000


def test_many_categories_fold_into_other(bins_points):
    many = bins_points.assign(kind=[f"k{i % 12}" for i in range(120)])
    many.loc[0, "kind"] = None
    m = PointMap(many, lat="lat", lon="lon", color_by="kind")
    labels = [label for _, label in m.legend()]
    assert len(labels) == 9 and labels[-2:] == ["autres", "pas de données"]
    assert m.legend()[-1][0] == NO_DATA_COLOR
    assert max(m.color_index()) == 8


def test_popups_are_text_with_formatted_numbers(bins_points):
    data = bins_points.assign(capacity=1500.5)
    m = PointMap(data, lat="lat", lon="lon", popup={"id": "Bac", "capacity": "Capacité"})
    first = m._rows()[0]
    assert first[3] == "Bac: B0\nCapacité: 1\u202f500,5"
    assert "text.textContent = r[3]" in m.html()


def test_a_geodataframe_of_points(communes):
    points = gpd.GeoDataFrame({"n": [1, 2, 3]},
                              geometry=[Point(4.81, 45.71), Point(4.9, 45.8), None],
                              crs="EPSG:4326").to_crs("EPSG:2154")
    m = PointMap(points, popup="n")
    assert m.dropped == 1
    assert [round(r[0], 2) for r in m._rows()] == [45.71, 45.8]
    (south, _), (_, east) = m.bounds()
    assert south == pytest.approx(45.71) and east == pytest.approx(4.9)


def test_coordinates_win_over_a_geometry(communes):
    points = gpd.GeoDataFrame({"lat": [45.71, None], "lon": [4.81, 4.9]},
                              geometry=[Point(0, 0), Point(0, 0)], crs="EPSG:4326")
    m = PointMap(points, lat="lat", lon="lon")
    assert m._rows() == [[45.71, 4.81, 0, ""]] and m.dropped == 1


def test_a_single_point_still_renders():
    m = PointMap(pd.DataFrame({"lat": [45.7], "lon": [4.8]}), lat="lat", lon="lon")
    assert m.png() and fetched_urls(m.html()) == []


# --- docs ----------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", [ChoroplethMap, PointMap])
def test_the_docstring_example_runs(cls):
    example = cls.__doc__.split("Example::", 1)[1]
    code = "\n".join(line[8:] for line in example.splitlines())
    namespace: dict = {}
    exec(compile(code, f"{cls.__name__} example", "exec"), namespace)  # noqa: S102
    alt = namespace["m"].alt_text()
    expected = re.search(r"m\.alt_text\(\)\s+# '([^']*)", example).group(1).rstrip(". ")
    assert alt.replace("\u00a0", " ").replace("\u202f", " ").startswith(expected)


def test_format_number(monkeypatch):
    assert format_number(1234.5) == "1\u202f234,5"
    assert format_number(1234567) == "1\u202f234\u202f567"
    assert format_number(0.5, 2) == "0,50"
    monkeypatch.setenv("AGORA_LOCALE", "en")
    assert format_number(1234.5) == "1,234.5" and format_number(3, 1) == "3.0"


def test_values_are_classed_as_shown_and_no_class_is_empty():
    """16.999 shows as 17,0: it is classed as 17,0; quantile classes nobody is in are merged."""
    values = [18.0, 25.0, 16.5, 12.0, 16.999, 30.0, 16.5, 17.0]
    classes = classify(values, k=5, decimals=1)  # quantile edges 16.5, 16.9: nobody between
    counts = np.bincount([classes.index(v) for v in values], minlength=len(classes.colors))
    assert counts.min() >= 1, (classes.breaks, counts)
    assert classes.index(16.999) == classes.index(17.0)
    explicit = classify(values, bins=[0, 5, 10, 30], decimals=0)
    assert len(explicit.colors) == 3  # the reader's own bins stay, even an empty one


def test_a_single_value_is_one_class_labelled_with_it():
    classes = classify([23.2449, 23.2449], decimals=2)  # was one class "23.24 – 23.25"
    assert classes.labels(lambda x: f"{x:.2f}") == ["23.24"]
    assert len(classes.colors) == 1 and classes.index(23.2449) == 0
