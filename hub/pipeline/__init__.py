"""The write side of Agora: sources -> connectors -> processors -> versioned snapshots.

- interfaces.py: the Connector and Processor interfaces, the quality report.
- connectors/: one module per source family (files, SQL, Opendatasoft, CKAN, WFS).
- processors/: one module per processor family (text, dates, numbers, validate, anonymise...).
- registry.py: connectors and processors by name, built-in and from plugins (entry points).
- recipe.py: a dataset recipe (catalogs/<id>.yaml) loaded and validated with file:line errors.
- store.py: immutable, versioned snapshots with an atomic `current` pointer.
- refresh.py: run a recipe end to end; a failure keeps the last good snapshot
  (execute.py: the steps; deps.py: dependency order; status.py: the per-dataset status file).
- schedule.py: unattended refreshes from the recipes' cron schedules (cron.py).
- commands.py, display.py: `agora refresh`, `agora refresh --watch`, `agora status`.
"""
