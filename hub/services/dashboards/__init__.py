"""The dashboards service: published notebooks rendered by Voilà under each viewer's rights.

`publications.py` is the store (publish, versions, who may open what), kept in files
(`publication_files.py`) or in the shared state database (`publication_tables.py`); the
service itself (`app.py`, `kernels.py`, `access.py`) renders a publication for one viewer. See
docs/dashboards.md and docs/decisions/0004-dashboards.md.
"""
