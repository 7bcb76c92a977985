"""Agora's notebook library: your datasets in one line, and widgets for dashboards and reports.

    from widgets import aggregate, catalog, datasets, describe, records
    cat = catalog()              # Intake catalog of the datasets you may read
    datasets()                   # DataFrame: id, title, rows, updated, licence, geo
    describe("air_quality")      # one dataset's metadata, with its columns as you see them
    records("air_quality", where=[("pm10", "gt", 50)])   # filtered rows, server side
    aggregate("air_quality", by="commune_code", measures=["count", "mean:pm10"])  # groups

Note: the function ``widgets.catalog`` shadows the module of the same name on purpose
(``from widgets import catalog`` gives the function); the module stays importable as
``widgets.catalog`` through ``import widgets.catalog`` / ``from widgets.catalog import ...``.
"""

from .aggregates import aggregate
from .catalog import catalog, datasets, describe, records
from .data import AgoraError, AgoraParquetReader

__all__ = ["AgoraError", "AgoraParquetReader", "aggregate", "catalog", "datasets", "describe",
           "records"]
