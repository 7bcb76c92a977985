"""The served DCAT-AP catalog against the shapes in the package (pyshacl).

The catalog `GET api/dcat.jsonld` serves (the real application, in-process: only the hub's
user lookup is replaced) conforms to DCAT-AP 3.0.1's mandatory and recommended properties and
to data.gouv.fr's extras, with no warning; so does the demo catalog refreshed for real, for
every caller without row rules. The shapes really check: a catalog missing a mandatory
property is a violation, one missing a recommended property a warning.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pyshacl
import pytest
import rdflib
from rdflib import RDF, Namespace

from hub.config.settings import DataSettings, HubSettings, PublishingSettings, Settings
from hub.demo_data import generate
from hub.login import demo_accounts as demo
from hub.pipeline.recipe import load_catalog
from hub.pipeline.refresh import RefreshEnv, refresh_many
from hub.pipeline.store import SnapshotStore
from hub.services.datasets.http.app import app_from_settings
from hub.services.datasets.http.identity import Identity, StaticGroups
from hub.services.datasets.published.dcat import dcat_catalog
from hub.services.datasets.published.shacl import DCAT_AP, DCAT_AP_FR, SHAPE_FILES
from hub.services.datasets.read.registry import DatasetRegistry
from tests.datasets_support import build_workspace
from tests.unit.test_datasets_service import get, start_service

pytestmark = pytest.mark.filterwarnings(  # inside rdflib 7.6 JSON-LD parser
    "ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
SH = Namespace("http://www.w3.org/ns/shacl#")
CATALOGS = Path(__file__).resolve().parents[2] / "catalogs"
DEMO_KEY = "unit-test-pseudonym-key-0123456789"


def shapes(*files: Path) -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in files or SHAPE_FILES:
        graph.parse(path, format="turtle")
    return graph


def parsed(document: dict | str) -> rdflib.Graph:
    text = document if isinstance(document, str) else json.dumps(document)
    return rdflib.Graph().parse(data=text, format="json-ld")


def results(graph: rdflib.Graph, shape_graph: rdflib.Graph | None = None) -> list[tuple]:
    """(severity, message) of every validation result; conforming means none."""
    conforms, report, _ = pyshacl.validate(graph, shacl_graph=shape_graph or shapes())
    found = [(str(report.value(r, SH.resultSeverity)).rsplit("#", 1)[-1],
              str(report.value(r, SH.resultMessage)))
             for r in report.subjects(RDF.type, SH.ValidationResult)]
    assert conforms == (not found)
    return sorted(found)


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    return build_workspace(tmp_path_factory.mktemp("dcat-shacl"))


@pytest.fixture(scope="module")
def served(ws):
    server = start_service(ws)
    response = get(server, "api/dcat.jsonld", "analyst")
    server.stop()
    assert response.status_code == 200
    return parsed(response.text)


def test_the_shapes_ship_in_the_package_and_parse():
    assert DCAT_AP.parent.name == "shapes" and DCAT_AP.is_file() and DCAT_AP_FR.is_file()
    assert "DCAT-AP 3.0.1" in DCAT_AP.read_text().splitlines()[0]
    graph = shapes()
    assert set(graph.objects(None, SH.targetClass)) >= {DCAT.Catalog, DCAT.Dataset,
                                                       DCAT.Distribution}


def test_the_served_catalog_conforms_without_a_warning(served):
    assert (None, RDF.type, DCAT.Dataset) in served
    assert results(served) == []


def test_a_missing_mandatory_property_is_a_violation(served):
    copy = served + rdflib.Graph()
    copy.remove((next(copy.subjects(RDF.type, DCAT.Catalog)), DCT.title, None))
    assert results(copy, shapes(DCAT_AP)) == [("Violation", "Catalogue: title is mandatory")]


def test_a_distribution_without_access_url_is_a_violation(served):
    copy = served + rdflib.Graph()
    distribution = next(copy.subjects(RDF.type, DCAT.Distribution))
    copy.remove((distribution, DCAT.accessURL, None))
    assert ("Violation", "Distribution: access URL is mandatory") in results(copy)


def test_data_gouv_fr_needs_the_dataset_identifier(served):
    copy = served + rdflib.Graph()
    copy.remove((next(copy.subjects(RDF.type, DCAT.Dataset)), DCT.identifier, None))
    assert results(copy, shapes(DCAT_AP)) == []  # optional in DCAT-AP
    assert results(copy, shapes(DCAT_AP_FR)) == [
        ("Violation", "data.gouv.fr keys a harvested dataset by its dct:identifier")]


def test_a_missing_recommended_property_is_a_warning(served):
    copy = served + rdflib.Graph()
    dataset = next(copy.subjects(RDF.type, DCAT.Dataset))
    copy.remove((dataset, DCAT.contactPoint, None))
    found = results(copy)
    assert ("Warning", "Dataset: contact point is recommended") in found
    assert {severity for severity, _ in found} == {"Warning"}


@pytest.fixture(scope="module")
def demo_registry(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo-dcat")
    generate(root / "sources", seed=42, scale="small")
    store = SnapshotStore(root / "store")
    environ = {"AGORA_PSEUDONYM_KEY": DEMO_KEY,
               "AGORA_DEMO_SOCIAL_AID_DB": f"sqlite:///{root / 'sources/aides_sociales.sqlite'}"}
    env = RefreshEnv(store, root / "sources", environ, max_dropped_fraction=0.5)
    assert not [r.dataset for r in refresh_many(load_catalog(CATALOGS), env) if r.failed]
    return DatasetRegistry(CATALOGS, store, has_key=True, check_every=0)


def demo_catalog_of(registry: DatasetRegistry, account) -> tuple[int, rdflib.Graph]:
    groups = StaticGroups({n: g["properties"] for n, g in demo.load_groups().items()})
    model = {"name": account.name, "groups": list(account.groups), "admin": account.admin}
    visible = registry.visible(asyncio.run(Identity(groups).caller(model)))
    document = dcat_catalog(visible, "https://agora.example.org/services/datasets/",
                            PublishingSettings(publisher="Métropole de Val-de-Lière"))
    return len(visible), parsed(document)


@pytest.mark.parametrize("account", demo.ACCOUNTS, ids=lambda a: a.name)
def test_the_demo_catalog_conforms_for_every_account(demo_registry, account):
    count, graph = demo_catalog_of(demo_registry, account)
    found = results(graph)
    assert count and not [r for r in found if r[0] == "Violation"]
    if account.name.startswith("elu-"):  # row rules: no dates of rows they cannot see
        assert {m for _, m in found} <= {"Dataset: temporal coverage is recommended"}
    else:
        assert found == []


def test_the_production_app_describes_itself_from_the_publishing_settings(tmp_path):
    settings = Settings(hub=HubSettings(data_dir=tmp_path),
                        data=DataSettings(catalog_dir=tmp_path / "catalog"),
                        publishing=PublishingSettings(publisher="Métropole de Val-de-Lière"))
    app = app_from_settings(settings, {})
    try:
        assert app.settings["publishing"].publisher == "Métropole de Val-de-Lière"
    finally:
        app.settings["engine"].shutdown()
