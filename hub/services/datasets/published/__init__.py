"""The published descriptions of what a caller may read: Intake catalog, DCAT-AP (with the
SHACL shapes it passes, shapes/), harvest lists, OpenAPI."""
