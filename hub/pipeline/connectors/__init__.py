"""Built-in connectors; importing this package registers them (see base.register_connector).

One module per source family; the modules starting with `_` are shared helpers (HTTP, file
location, format readers). Connectors are documented in docs/connectors.md.
"""

from . import ckan, files, geofiles, opendatasoft, sql, wfs  # noqa: F401
