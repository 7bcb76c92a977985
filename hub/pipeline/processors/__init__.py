"""Built-in processors; importing this package registers them (see base.register_processor).

One module per family; modules starting with `_` are shared helpers. Every processor is
documented in docs/processors.md (a test checks it).
"""

from . import (  # noqa: F401
    anonymise,
    columns,
    dates,
    dedupe,
    geo,
    geo_join,
    join,
    numeric,
    text,
    validate,
)
