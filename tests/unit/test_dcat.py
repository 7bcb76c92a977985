"""The DCAT-AP JSON-LD catalog: shape, EU vocabularies, and the triples partners will read."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import rdflib
from rdflib import RDF, Literal, Namespace, URIRef

from hub.config.settings import PublishingSettings
from hub.services.datasets.published.dcat import dcat_catalog
from hub.services.datasets.published.vocabularies import licence_node, theme_uri

from .fake_datasets_service import fake_datasets

pytestmark = pytest.mark.filterwarnings(  # inside rdflib 7.6 JSON-LD parser
    "ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU = "http://publications.europa.eu/resource/authority/"
BASE = "https://agora.example.org/services/datasets/"
AIR = URIRef(BASE + "api/datasets/air_quality")
STATIONS = URIRef(BASE + "api/datasets/ev_stations")


@pytest.fixture(scope="module")
def document():
    return dcat_catalog(fake_datasets(), BASE.rstrip("/"),
                        PublishingSettings(publisher="Métropole de Val-de-Lière"))


@pytest.fixture(scope="module")
def graph(document):
    return rdflib.Graph().parse(data=json.dumps(document), format="json-ld")


def test_document_is_json_with_a_context(document):
    again = json.loads(json.dumps(document, ensure_ascii=False))
    assert again["@type"] == "dcat:Catalog"
    assert again["@context"]["dcat"] == str(DCAT)
    assert [d["dct:identifier"] for d in again["dcat:dataset"]] == ["air_quality", "ev_stations"]


def test_catalog_links_every_dataset(graph):
    catalog = URIRef(BASE + "api/dcat.jsonld")
    assert (catalog, RDF.type, DCAT.Catalog) in graph
    assert set(graph.objects(catalog, DCAT.dataset)) == {AIR, STATIONS}
    publisher = graph.value(catalog, DCT.publisher)
    assert graph.value(publisher, FOAF.name) == Literal("Métropole de Val-de-Lière")


def test_dataset_core_properties(graph):
    assert (AIR, RDF.type, DCAT.Dataset) in graph
    assert graph.value(AIR, DCT.title) == Literal("Air quality")
    assert graph.value(AIR, DCT.description) == Literal("Hourly PM10 readings.")
    assert graph.value(AIR, DCT.identifier) == Literal("air_quality")
    assert {str(k) for k in graph.objects(AIR, DCAT.keyword)} == {"air", "PM10",
                                                                  "synthetic data"}
    modified = graph.value(AIR, DCT.modified)
    assert modified.datatype == rdflib.XSD.dateTime
    assert str(modified) == "2026-11-28T13:10:55+00:00"


def test_eu_vocabularies(graph):
    assert graph.value(AIR, DCAT.theme) == URIRef(EU + "data-theme/ENVI")
    assert graph.value(STATIONS, DCAT.theme) == URIRef(EU + "data-theme/TRAN")  # "transport"
    assert graph.value(AIR, DCT.accrualPeriodicity) == URIRef(EU + "frequency/HOURLY")
    assert graph.value(AIR, DCT.accessRights) == URIRef(EU + "access-right/RESTRICTED")


def test_publisher_contact_licence_spatial(graph):
    publisher = graph.value(AIR, DCT.publisher)
    assert (publisher, RDF.type, FOAF.Agent) in graph
    contact = graph.value(AIR, DCAT.contactPoint)
    assert (contact, RDF.type, VCARD.Kind) in graph
    assert graph.value(contact, VCARD.hasEmail) == URIRef("mailto:environnement@example.org")
    assert graph.value(AIR, DCT.license) == URIRef("http://spdx.org/licenses/etalab-2.0")
    spatial = graph.value(AIR, DCT.spatial)
    assert (spatial, RDF.type, DCT.Location) in graph
    assert str(graph.value(spatial, rdflib.RDFS.label)) == "Val-de-Lière"
    # a dataset without its own publisher takes the catalog's
    assert str(graph.value(graph.value(STATIONS, DCT.publisher), FOAF.name)) == \
        "Métropole de Val-de-Lière"


def test_a_distribution_per_export_format(graph):
    def formats(dataset):
        return {str(graph.value(d, DCT["format"])).rsplit("/", 1)[-1]
                for d in graph.objects(dataset, DCAT.distribution)}

    assert formats(AIR) == {"PARQUET", "CSV", "XLSX"}
    assert formats(STATIONS) == {"PARQUET", "CSV", "XLSX", "GEOJSON"}
    parquet = URIRef(BASE + "api/datasets/air_quality/export.parquet")
    assert (parquet, RDF.type, DCAT.Distribution) in graph
    assert graph.value(parquet, DCAT.downloadURL) == parquet
    assert graph.value(parquet, DCAT.accessURL) == parquet
    assert graph.value(parquet, DCAT.mediaType) == URIRef(
        "https://www.iana.org/assignments/media-types/application/vnd.apache.parquet")
    geojson = URIRef(BASE + "api/datasets/ev_stations/export.geojson")
    assert graph.value(geojson, DCAT.mediaType) == URIRef(
        "https://www.iana.org/assignments/media-types/application/geo+json")


def test_a_proprietary_licence_is_a_licence_document_named_by_the_recipe(graph):
    licence = graph.value(STATIONS, DCT.license)
    assert isinstance(licence, rdflib.BNode)  # no public URI, and none made up
    assert (licence, RDF.type, DCT.LicenseDocument) in graph
    assert str(graph.value(licence, rdflib.RDFS.label)) == "proprietary"


@pytest.mark.parametrize(("theme", "code"), [
    ("ENVI", "ENVI"), ("envi", "ENVI"), ("Environment", "ENVI"), ("environnement", "ENVI"),
    ("GOVE", "GOVE"), ("REGI", "REGI"), ("budget", "ECON"), ("santé", "HEAL"),
])
def test_theme_mapping(theme, code):
    assert theme_uri(theme) == f"{EU}data-theme/{code}"


def test_unknown_theme_has_no_uri():
    assert theme_uri("potatoes") is None and theme_uri(None) is None


def test_licence_as_url_is_kept():
    url = "https://www.etalab.gouv.fr/licence-ouverte-open-licence"
    assert licence_node(url)["dct:license"]["@id"] == url
    assert licence_node("CC-BY-4.0")["dct:license"]["@id"] == \
        "http://spdx.org/licenses/CC-BY-4.0"


def test_empty_catalog_is_valid():
    document = dcat_catalog([], BASE, PublishingSettings(publisher="Org"))
    assert document["dcat:dataset"] == [] and "dct:modified" not in document
    assert "dct:issued" not in document
    assert len(rdflib.Graph().parse(data=json.dumps(document), format="json-ld")) > 0


PORTAL = "https://agora.example.org/services/portal/"


def test_catalogue_describes_itself_from_the_publishing_settings(graph):
    catalog = URIRef(BASE + "api/dcat.jsonld")
    assert graph.value(catalog, FOAF.homepage) == URIRef(PORTAL + "catalog")
    assert set(graph.objects(catalog, DCT.language)) == {URIRef(EU + "language/FRA"),
                                                        URIRef(EU + "language/ENG")}
    assert graph.value(catalog, DCT.license) == URIRef("http://spdx.org/licenses/etalab-2.0")
    assert graph.value(catalog, DCAT.themeTaxonomy) == URIRef(EU + "data-theme")
    places = {str(graph.value(p, rdflib.RDFS.label)) for p in graph.objects(catalog, DCT.spatial)}
    assert places == {"Val-de-Lière"}  # the datasets' coverages
    assert graph.value(catalog, DCT.issued) is None  # no setting, no snapshot history given


def test_a_set_release_date_is_the_catalogues():
    document = dcat_catalog(fake_datasets(), BASE, PublishingSettings(issued="2025-03-01"))
    assert document["dct:issued"] == {"@value": "2025-03-01", "@type": "xsd:date"}


def test_the_datasets_api_is_the_service_of_every_distribution(graph):
    service = URIRef(BASE)
    assert (service, RDF.type, DCAT.DataService) in graph
    assert graph.value(service, DCAT.endpointDescription) == URIRef(BASE + "api/openapi.json")
    assert set(graph.objects(service, DCAT.servesDataset)) == {AIR, STATIONS}
    for distribution in graph.objects(AIR, DCAT.distribution):
        assert graph.value(distribution, DCAT.accessService) == service
        assert graph.value(distribution, URIRef("http://data.europa.eu/r5r/availability")) == \
            URIRef(EU + "planned-availability/AVAILABLE")


def test_landing_page_and_theme_labels(graph):
    assert graph.value(AIR, DCAT.landingPage) == URIRef(PORTAL + "datasets/air_quality")
    theme = graph.value(AIR, DCAT.theme)
    labels = {(str(label), label.language) for label in
              graph.objects(theme, rdflib.SKOS.prefLabel)}
    assert labels == {("Environnement", "fr"), ("Environment", "en")}


def test_temporal_coverage_and_release_date_of_a_dataset():
    dated = replace(fake_datasets()[0], temporal=("2025-01-01", "2025-12-31"),
                    issued="2025-01-02T06:00:00+00:00")
    node = dcat_catalog([dated], BASE, PublishingSettings())["dcat:dataset"][0]
    assert node["dct:temporal"]["dcat:startDate"] == {"@value": "2025-01-01", "@type": "xsd:date"}
    assert node["dct:temporal"]["dcat:endDate"]["@value"] == "2025-12-31"
    assert node["dct:issued"]["@value"] == "2025-01-02T06:00:00+00:00"
