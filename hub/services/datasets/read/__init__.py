"""The read layer: what may be served (registry), one caller's view, the DuckDB queries, exports."""
