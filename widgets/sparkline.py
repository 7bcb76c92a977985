"""A sparkline as inline SVG: no script, no image file, the same in a notebook and on paper."""

from __future__ import annotations

from .i18n import format_number, is_missing, t
from .style import MUTED, PALETTE, esc


def _scale(values: list[float], low: float, high: float, size: float, pad: float) -> list[float]:
    span = (high - low) or 1.0
    return [pad + (size - 2 * pad) * (1 - (v - low) / span) for v in values]


def sparkline(history, target: float | None = None, width: int = 140, height: int = 36,
              locale: str | None = None) -> str:
    """An inline SVG line of `history` (numbers, oldest first), the last point marked and
    `target` as a dashed line; its aria-label says how many periods, from what to what.
    Empty text when there are fewer than two numbers.

    >>> sparkline([3, 5, 4], locale="en")[:40]
    '<svg role="img" aria-label="Trend over 3'
    """
    numbers = [float(v) for v in history if not is_missing(v)]
    if len(numbers) < 2:
        return ""
    bounds = numbers + ([float(target)] if target is not None else [])
    low, high = min(bounds), max(bounds)
    ys = _scale(numbers, low, high, height, 4)
    step = (width - 8) / (len(numbers) - 1)
    points = " ".join(f"{4 + i * step:.1f},{y:.1f}" for i, y in enumerate(ys))
    label = t("sparkline", locale, count=len(numbers),
              first=format_number(numbers[0], locale=locale),
              last=format_number(numbers[-1], locale=locale),
              low=format_number(min(numbers), locale=locale),
              high=format_number(max(numbers), locale=locale))
    line = ""
    if target is not None:
        y = _scale([float(target)], low, high, height, 4)[0]
        line = (f'<line x1="0" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" stroke="{MUTED}" '
                'stroke-width="1" stroke-dasharray="3 3"/>')
    return (f'<svg role="img" aria-label="{esc(label)}" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" style="display:block">{line}'
            f'<polyline points="{points}" fill="none" stroke="{PALETTE[0]}" stroke-width="2" '
            'stroke-linejoin="round" stroke-linecap="round"/>'
            f'<circle cx="{width - 4:.1f}" cy="{ys[-1]:.1f}" r="3" fill="{PALETTE[0]}"/></svg>')
