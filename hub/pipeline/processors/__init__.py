"""Built-in processors, one module per family (registry.py lists the modules).

Modules starting with `_` are shared helpers. Every processor is documented in
docs/processors.md (a test checks it).
"""
