"""Colour classes for maps: class breaks, colour-blind-safe palettes, legend labels.

The same :class:`Classes` colours the interactive map, the PNG and the legends of both, so a
value is drawn the same colour everywhere. Breaks are rounded to the decimals shown in the
legend, and so are the values before they are classed: what the reader sees is what decided
the colour. A value ``v`` is in class ``i`` when ``breaks[i] < v <= breaks[i + 1]`` (the first
class also holds ``breaks[0]``). Computed classes that no value falls in are merged into the
next one, so that the legend never shows an empty class (explicit ``bins`` are kept).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

NO_DATA_COLOR = "#cfcfcf"
NO_DATA_EDGE = "#7a7a7a"
# Okabe & Ito's colour-blind-safe qualitative palette (black last: it reads as "no colour").
CATEGORY_COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
                   "#F0E442", "#000000")
SCHEMES = ("quantiles", "equal")


@dataclass(frozen=True)
class Classes:
    breaks: tuple[float, ...]
    colors: tuple[str, ...]
    integers: bool = False
    decimals: int | None = None  # values are rounded so before they are classed

    def index(self, value) -> int | None:
        """The class of `value` as shown (rounded), None for a missing value."""
        if value is None or (isinstance(value, float) and math.isnan(value)) or not self.colors:
            return None
        shown = round(float(value), self.decimals) if self.decimals is not None else value
        return int(np.searchsorted(self.breaks[1:-1], shown, side="left"))

    def color(self, value) -> str:
        i = self.index(value)
        return NO_DATA_COLOR if i is None else self.colors[i]

    def labels(self, fmt: Callable[[float], str]) -> list[str]:
        """One label per class, "0 – 10"; integer classes do not overlap: "0 – 10", "11 – 20"."""
        return [self._label(i, fmt) for i in range(len(self.colors))]

    def _label(self, i: int, fmt) -> str:
        low, high = self.breaks[i], self.breaks[i + 1]
        if self.integers and i > 0:
            low += 1
        return fmt(low) if low >= high else f"{fmt(low)} – {fmt(high)}"


def sequential_colors(k: int, palette: str = "viridis") -> tuple[str, ...]:
    """`k` colours of a matplotlib colormap, light for low values and dark for high ones.

    viridis and cividis (the default choices) stay ordered for colour-blind readers and in grey.
    """
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    cmap = colormaps[palette]
    light, dark = (0.95, 0.1) if sum(cmap(1.0)[:3]) > sum(cmap(0.0)[:3]) else (0.1, 0.95)
    positions = np.linspace(light, dark, k) if k > 1 else [(light + dark) / 2]
    return tuple(to_hex(cmap(p)) for p in positions)


def classify(values: Sequence[float], k: int = 5, scheme: str = "quantiles",
             bins: Sequence[float] | None = None, decimals: int = 0,
             palette: str = "viridis") -> Classes:
    """Classes for `values` (missing values ignored): `k` quantile or equal-width classes,
    or the explicit `bins` edges (widened to cover every value)."""
    data = np.asarray([v for v in values if v is not None and not math.isnan(v)], dtype=float)
    if not data.size:
        return Classes((), ())
    shown = np.round(data, decimals)
    if bins is not None:
        edges = _dedupe(_cover(sorted(map(float, bins)), data, decimals))
    elif np.all(shown == shown[0]):  # one value: one class, labelled with it
        edges = [float(shown[0]), float(shown[0])]
    else:
        edges = _without_empty_classes(_dedupe(_edges(data, k, scheme, decimals)), shown)
    if len(edges) == 1:
        edges = [edges[0], edges[0]]
    integers = decimals == 0 and bool(np.all(data == np.round(data)))
    return Classes(tuple(edges), sequential_colors(len(edges) - 1, palette), integers, decimals)


def _without_empty_classes(edges: list[float], shown) -> list[float]:
    """`edges` less the upper edge of every class no value falls in (merged upwards)."""
    if len(edges) < 3:
        return edges
    used = set(np.searchsorted(edges[1:-1], shown, side="left").tolist())
    return [edges[0], *(edges[i + 1] for i in range(len(edges) - 1) if i in used)]


def _cover(edges: list[float], data, decimals: int) -> list[float]:
    first, last = _round_outward(data.min(), data.max(), decimals)
    return [*([first] if first < edges[0] else []), *edges, *([last] if last > edges[-1] else [])]


def _edges(data, k: int, scheme: str, decimals: int) -> list[float]:
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}, not {scheme!r}")
    first, last = _round_outward(data.min(), data.max(), decimals)
    if scheme == "quantiles":
        inner = np.quantile(data, np.linspace(0, 1, k + 1)[1:-1])
    else:
        inner = np.linspace(first, last, k + 1)[1:-1]
    return [first, *(round(float(e), decimals) for e in inner), last]


def _round_outward(lo: float, hi: float, decimals: int) -> tuple[float, float]:
    scale = 10.0 ** decimals
    return math.floor(lo * scale) / scale, math.ceil(hi * scale) / scale


def _dedupe(edges: Sequence[float]) -> list[float]:
    out: list[float] = []
    for e in edges:
        if not out or e > out[-1]:
            out.append(float(e))
    return out


def auto_decimals(values: Sequence[float]) -> int:
    """0 when every value is a whole number, else 1 (2 when the values span less than 1)."""
    data = np.asarray([v for v in values if v is not None and not math.isnan(v)], dtype=float)
    if not data.size or np.all(data == np.round(data)):
        return 0
    return 2 if data.max() - data.min() < 1 else 1
