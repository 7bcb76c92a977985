"""The SHACL shapes the DCAT-AP catalog (dcat.py) is checked against, shipped in shapes/.

``dcat-ap-3.0.1.ttl``: DCAT-AP 3.0.1's mandatory (violation) and recommended (warning)
properties of Catalogue, Dataset and Distribution. ``dcat-ap-fr.ttl``: what data.gouv.fr's
DCAT harvester needs on top. Each file's header names its sources. Validate a catalog with
``pyshacl.validate(graph, shacl_graph=...)`` over :data:`SHAPE_FILES` (tests/unit/test_dcat_shacl.py).
"""

from __future__ import annotations

from pathlib import Path

SHAPES = Path(__file__).with_name("shapes")
DCAT_AP = SHAPES / "dcat-ap-3.0.1.ttl"
DCAT_AP_FR = SHAPES / "dcat-ap-fr.ttl"
SHAPE_FILES = (DCAT_AP, DCAT_AP_FR)
