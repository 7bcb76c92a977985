"""A cheap start for a report's own processes (the worker, the Papermill runner); they leave
with hub.lifecycle.exit_now. Each PDF pays both twice (bench/reports.py, docs/performance.md
"Reports"):

- :func:`skip_uri_grammar`: nbformat validates notebooks with jsonschema, which imports
  ``rfc3987_syntax`` when it is installed and builds a Lark grammar for it, about a second
  of CPU per process, only to check ``uri``/``iri`` formats that notebook schemas do not use.
  Made unimportable, jsonschema skips that one check (it treats the package as absent).
- ``exit_now``: leave with ``os._exit`` once everything is flushed, instead of tearing
  down pandas, nbconvert and WeasyPrint module by module.
"""

from __future__ import annotations

import sys


def skip_uri_grammar() -> None:
    """Call before the first import of nbformat or jsonschema."""
    sys.modules.setdefault("rfc3987_syntax", None)
