"""The published descriptions of what a caller may read: Intake catalog, DCAT-AP, OpenAPI."""
