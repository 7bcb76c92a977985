"""Agora's notebook library: your datasets in one line, and widgets for dashboards and reports.

    from widgets import aggregate, catalog, datasets, describe, records
    cat = catalog()              # Intake catalog of the datasets you may read
    datasets()                   # DataFrame: id, title, rows, updated, licence, geo
    describe("air_quality")      # one dataset's metadata, with its columns as you see them
    records("air_quality", where=[("pm10", "gt", 50)])   # filtered rows, server side
    read("ev_charging_stations")  # every row (no 10,000 cap), a GeoDataFrame for geo data
    aggregate("air_quality", by="commune_code", measures=["count", "mean:pm10"])  # groups

    from widgets import FilterPanel, TimeSeries, KPICard, Table, PointMap
    panel = FilterPanel.of("air_quality", columns=["commune_code", "measured_at"])
    TimeSeries.of("air_quality", bucket="measured_at:day", measure="mean:pm10", filters=panel)
    PointMap.of("ev_charging_stations", popup=["station_name"], color_by="status")

    from widgets import DatasetBrowser, Explorer
    DatasetBrowser()             # search your datasets; metadata, code and data in a click
    Explorer("air_quality")      # a chart from menus, and "Copier le code" for the same cell
    PublishPanel()               # publish one of your notebooks as a dashboard, by clicking

Widgets show interactively in notebooks and Voilà, and as static HTML in reports
(``widgets.set_mode("static")`` or ``AGORA_WIDGETS_MODE=static``); see docs/user-guide.md.

Note: the functions ``widgets.catalog`` and ``widgets.lineage`` shadow the modules of the
same name on purpose (``from widgets import catalog`` gives the function); the modules stay
importable with ``from widgets.catalog import ...``.
"""

from .aggregates import aggregate
from .badges import FreshnessBadge, QualityBadge
from .bars import BarChart
from .browser import DatasetBrowser
from .catalog import catalog, datasets, describe, read, records
from .data import AgoraError, AgoraParquetReader
from .explorer import Explorer
from .filters import FilterPanel, link
from .i18n import format_date, format_number, format_percent, locale, set_locale, t
from .kpi import KPIBoard, KPICard
from .lineage import Lineage, lineage
from .publish import PublishPanel
from .render import View, html_page, mode, set_mode
from .table import Table
from .timeseries import TimeSeries

__all__ = ["AgoraError", "AgoraParquetReader", "BarChart", "ChoroplethMap", "DatasetBrowser",
           "Explorer", "FilterPanel", "FreshnessBadge", "KPIBoard", "KPICard", "Lineage",
           "PointMap", "PublishPanel", "QualityBadge", "Table", "TimeSeries", "View", "aggregate",
           "catalog", "datasets", "describe", "format_date", "format_number", "format_percent",
           "html_page", "lineage", "link", "locale", "mode", "read", "records", "set_locale",
           "set_mode", "t"]

_MAPS = ("ChoroplethMap", "PointMap")  # imported when first used: geopandas is slow to load


def __getattr__(name: str):
    if name in _MAPS:
        from . import maps

        return getattr(maps, name)
    raise AttributeError(f"module 'widgets' has no attribute {name!r}")
