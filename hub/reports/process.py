"""Start and end of a report's own processes (the worker, the Papermill runner), made cheap.

Each PDF pays these twice, so they count (bench/reports.py, docs/performance.md "Reports"):

- :func:`skip_uri_grammar`: nbformat validates notebooks with jsonschema, which imports
  ``rfc3987_syntax`` when it is installed and builds a Lark grammar for it, about a second
  of CPU per process, only to check ``uri``/``iri`` formats that notebook schemas do not use.
  Made unimportable, jsonschema skips that one check (it treats the package as absent).
- :func:`exit_now`: leave with ``os._exit`` once everything is flushed, instead of tearing
  down pandas, nbconvert and WeasyPrint module by module.
"""

from __future__ import annotations

import logging
import os
import sys


def skip_uri_grammar() -> None:
    """Call before the first import of nbformat or jsonschema."""
    sys.modules.setdefault("rfc3987_syntax", None)


def exit_now(code: int) -> None:
    """Flush what this process wrote (stdout, stderr, logs), then exit with `code`. Files the
    caller wrote must be closed already."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed or broken: nothing more can be said
            pass
    os._exit(code)
