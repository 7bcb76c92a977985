"""Vega-Lite specs drawn offline: SVG through vl-convert, interactive through Altair's
JupyterChart with vl-convert's JavaScript bundle (no CDN, no network request).

Building the bundle takes about 3.5 s, so it is cached per version under
``$AGORA_CACHE_DIR`` (default ``~/.cache/agora``, used only when it and the file belong to
the user and nobody else may write them); a later kernel loads it in milliseconds.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .i18n import vega_format_locale, vega_time_format_locale
from .style import BORDER, FONT, MUTED, PALETTE, TEXT

EMBED_OPTIONS = {"actions": False, "renderer": "svg"}  # no "open in the editor" link


def config() -> dict:
    """Agora's chart look: the colour-blind-safe palette, readable fonts, no chart frame."""
    axis = {"labelColor": MUTED, "titleColor": TEXT, "labelFontSize": 12, "titleFontSize": 12,
            "gridColor": "#e8e8e8", "domainColor": BORDER, "tickColor": BORDER}
    return {"font": FONT, "background": "white", "view": {"stroke": None},
            "range": {"category": list(PALETTE)}, "axis": axis,
            "legend": {"labelFontSize": 12, "titleFontSize": 12, "orient": "bottom"}}


def svg(spec: dict, locale: str) -> str:
    """`spec` as an SVG document, numbers and dates in `locale`; no external data allowed."""
    import vl_convert

    return vl_convert.vegalite_to_svg(spec, format_locale=vega_format_locale(locale),
                                      time_format_locale=vega_time_format_locale(locale),
                                      allowed_base_urls=[])


def png(spec: dict, locale: str, scale: float = 2.0) -> bytes:
    """`spec` as PNG bytes (for documents that take no SVG)."""
    import vl_convert

    return vl_convert.vegalite_to_png(spec, scale=scale, allowed_base_urls=[],
                                      format_locale=vega_format_locale(locale),
                                      time_format_locale=vega_time_format_locale(locale))


def _cache_file() -> Path:
    import altair
    import vl_convert

    folder = Path(os.environ.get("AGORA_CACHE_DIR") or Path.home() / ".cache" / "agora")
    return folder / f"jupyterchart-altair{altair.__version__}-vlc{vl_convert.__version__}.js"


def _store(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False,
                                         encoding="utf-8") as out:
            out.write(text)
        os.replace(out.name, path)
    except OSError:
        pass  # a read-only home: the bundle is built again next time, nothing breaks


def _own(path: Path) -> bool:
    """A cached bundle only this user could have written (it is JavaScript for their browser)."""
    try:
        found = [path.stat(), path.parent.stat()]
    except OSError:
        return False
    return all(s.st_uid == os.getuid() and not s.st_mode & 0o022 for s in found)


def enable_offline() -> None:
    """Make every JupyterChart load Vega from vl-convert's bundle, not from a CDN."""
    from altair import JupyterChart

    if JupyterChart._is_offline:
        return
    path = _cache_file()
    if _own(path):
        JupyterChart._esm, JupyterChart._is_offline = path.read_text(encoding="utf-8"), True
    else:
        JupyterChart.enable_offline(True)
        _store(path, JupyterChart._esm)


def jupyter_chart(chart, locale: str):
    """An offline, interactive ipywidget of an Altair chart, numbers and dates in `locale`."""
    from altair import JupyterChart

    enable_offline()
    options = {**EMBED_OPTIONS, "formatLocale": vega_format_locale(locale),
               "timeFormatLocale": vega_time_format_locale(locale)}
    return JupyterChart(chart, embed_options=options)
