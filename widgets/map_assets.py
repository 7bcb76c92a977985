"""Leaflet and Leaflet.markercluster, shipped in ``widgets/assets/`` and inlined in each map.

A map's HTML carries the JavaScript in ``<script>`` elements and the CSS in ``<style>``
elements, with Leaflet's images as ``data:`` URIs, so the page needs no server route and no
network: it works in JupyterLab, in Voilà, in an ``<iframe srcdoc>`` and as a saved file.
:class:`OfflineMap` is a ``folium.Map`` that renders that way; the CDN links folium lists in
``folium.Map.default_js``/``default_css`` are left out (those lists belong to folium's class and
are never modified here). ``widgets/assets/README.md`` says where the files come from.
"""

from __future__ import annotations

import base64
import re
from functools import cache
from pathlib import Path
from typing import ClassVar

import folium
from branca.element import Element, MacroElement
from folium.template import Template

ASSETS = Path(__file__).parent / "assets"
LEAFLET_VERSION = "1.9.4"
MARKERCLUSTER_VERSION = "1.5.3"

_SOURCE_MAP = re.compile(r"^//# sourceMappingURL=.*$", re.MULTILINE)
_CSS_URL = re.compile(r"url\((images/[\w.-]+\.png)\)")
_MARKER_ICONS = {"iconUrl": "marker-icon.png", "iconRetinaUrl": "marker-icon-2x.png",
                 "shadowUrl": "marker-shadow.png"}


def _read(relative: str) -> str:
    return _SOURCE_MAP.sub("", (ASSETS / relative).read_text(encoding="utf-8"))


def _png_data_uri(relative: str) -> str:
    return "data:image/png;base64," + base64.b64encode((ASSETS / relative).read_bytes()).decode()


def _script(js: str) -> str:
    if "</script" in js.lower():
        raise ValueError("an inlined script may not contain '</script'")
    return f"<script>{js}</script>"


def _style(css: str) -> str:
    return f"<style>{css}</style>"


def _default_icon_js() -> str:
    # Leaflet finds its marker images from the CSS path; inlined, it needs them given.
    urls = ", ".join(f'{key}: "{_png_data_uri("leaflet/images/" + name)}"'
                     for key, name in _MARKER_ICONS.items())
    return f"L.Icon.Default.imagePath = ''; L.Icon.Default.mergeOptions({{{urls}}});"


@cache
def leaflet_html() -> str:
    """Leaflet's CSS (images inlined) and JavaScript, as ``<style>`` + ``<script>``."""
    css = _CSS_URL.sub(lambda m: f'url("{_png_data_uri("leaflet/" + m.group(1))}")',
                       _read("leaflet/leaflet.css"))
    return _style(css) + _script(_read("leaflet/leaflet.js")) + _script(_default_icon_js())


@cache
def markercluster_html() -> str:
    """Leaflet.markercluster's two CSS files and its JavaScript (load after Leaflet)."""
    css = (_read("leaflet.markercluster/MarkerCluster.css")
           + _read("leaflet.markercluster/MarkerCluster.Default.css"))
    return _style(css) + _script(_read("leaflet.markercluster/leaflet.markercluster.js"))


class Raw(Element):
    """HTML put in the page as it is. A branca ``Element(html)`` would compile `html` as a
    Jinja template at every render (about 25 ms for Leaflet's 150 kB, measured by
    bench/widgets.py) and read any ``{{`` in it as template code."""

    _template = Template("{{ this.html }}")

    def __init__(self, html: str):
        super().__init__()
        self.html = html


def add_inline(element: MacroElement, name: str, html: str) -> None:
    """Put `html` once in the page header of `element`'s figure (later calls replace it)."""
    element.get_root().header.add_child(Raw(html), name=name)


class OfflineMap(folium.Map):
    """A ``folium.Map`` with Leaflet inlined and no CDN link, and "Leaflet" as a plain-text
    attribution prefix (Leaflet's default is a link to its website)."""

    default_js: ClassVar[list] = []
    default_css: ClassVar[list] = []

    def render(self, **kwargs):
        add_inline(self, "leaflet", leaflet_html())
        super().render(**kwargs)
        self.get_root().script.add_child(Raw(self._prefix_js()), name="agora_prefix")

    def _prefix_js(self) -> str:
        name = self.get_name()
        return f"if ({name}.attributionControl) {name}.attributionControl.setPrefix('Leaflet');"


class InlineJS(MacroElement):
    """JavaScript run after the map and its layers exist; ``{map}`` names the map variable."""

    _template = Template("""
        {% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}
    """)

    def __init__(self, code: str):
        super().__init__()
        self._name = "InlineJS"
        self._code = code

    @property
    def code(self) -> str:
        return self._code.replace("{map}", self._parent.get_name())
