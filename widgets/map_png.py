"""The static side of the maps: a PNG drawn with matplotlib (no tiles), for PDF reports.

Figures are made with ``matplotlib.figure.Figure`` and a ``FigureCanvasAgg``: no pyplot
figure is created and the backend is never switched, so inline images in the notebook keep
working (``matplotlib.use("agg")`` in a report notebook would suppress them).
"""

from __future__ import annotations

import base64
import html
import io
import math
import struct

from .map_classes import NO_DATA_COLOR, NO_DATA_EDGE

DPI = 150
EDGE = "#ffffff"


def new_axes(figsize=(8, 6)):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, facecolor="white")
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.02, 0.02, 0.7, 0.88))
    ax.set_axis_off()
    return fig, ax


def draw_polygons(ax, frame, colors) -> None:
    """`frame`'s polygons filled with `colors`; no-data ones hatched grey."""
    missing = [c == NO_DATA_COLOR for c in colors]
    known = [not m for m in missing]
    if any(known):
        frame[known].plot(ax=ax, color=[c for c in colors if c != NO_DATA_COLOR],
                          edgecolor=EDGE, linewidth=0.7)
    if any(missing):
        frame[missing].plot(ax=ax, facecolor=NO_DATA_COLOR, edgecolor=NO_DATA_EDGE,
                            hatch="///", linewidth=0.5)


def draw_context(ax, frame) -> None:
    """Boundaries drawn light, under points."""
    frame.plot(ax=ax, facecolor="#eeeeea", edgecolor="#9a9a9a", linewidth=0.6)


def draw_points(ax, lon, lat, colors, size: float = 22) -> None:
    ax.scatter(lon, lat, c=colors, s=size, edgecolors="white", linewidths=0.5, zorder=3)


def set_geographic_aspect(ax, south: float, north: float) -> None:
    """Degrees of longitude are shorter than degrees of latitude away from the equator."""
    ax.set_aspect(1 / max(math.cos(math.radians((south + north) / 2)), 0.01))


def fit(ax, bounds, margin: float = 0.03) -> None:
    (south, west), (north, east) = bounds
    dx, dy = max(east - west, 1e-3) * margin, max(north - south, 1e-3) * margin
    ax.set_xlim(west - dx, east + dx)
    ax.set_ylim(south - dy, north + dy)
    set_geographic_aspect(ax, south, north)


def add_legend(ax, title: str | None, entries, shape: str = "box") -> None:
    """`entries`: (colour, label) pairs, placed right of the map."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [_handle(color, label, shape, Patch, Line2D) for color, label in entries]
    if handles:
        ax.legend(handles=handles, title=title, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                  frameon=False, fontsize=9, title_fontsize=10, alignment="left")


def _handle(color, label, shape, Patch, Line2D):
    if color == NO_DATA_COLOR:
        return Patch(facecolor=NO_DATA_COLOR, edgecolor=NO_DATA_EDGE, hatch="///", label=label)
    if shape == "dot":
        return Line2D([], [], marker="o", linestyle="", markersize=8, markerfacecolor=color,
                      markeredgecolor="white", label=label)
    return Patch(facecolor=color, edgecolor="#999999", label=label)


def set_title(ax, title: str | None) -> None:
    if title:  # on the axes, which the geographic aspect shrinks to the map's own box
        ax.set_title(title, loc="left", fontsize=13, fontweight="bold", pad=12)


def to_png(fig, dpi: int = DPI) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.15)
    return buffer.getvalue()


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) in pixels, read from the PNG header."""
    return struct.unpack(">II", data[16:24])


def img_tag(data: bytes, alt: str) -> str:
    return (f'<img src="data:image/png;base64,{base64.b64encode(data).decode()}" '
            f'alt="{html.escape(alt, quote=True)}" style="max-width:100%;height:auto">')
