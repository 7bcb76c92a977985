"""Built-in connectors, one module per source family (registry.py lists the modules).

The modules starting with `_` are shared helpers (HTTP, file location, format readers).
Connectors are documented in docs/connectors.md.
"""
