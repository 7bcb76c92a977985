"""A DCAT-AP 3 catalog in JSON-LD (`GET api/dcat.jsonld`) for partners' portals and harvesters.

It describes the datasets the caller may read (the same :class:`VisibleDataset` list as the
Intake catalog): each with one ``dcat:Distribution`` per export format, served by one
``dcat:DataService`` (the datasets API). Values come from the recipes, the snapshots and the
``publishing`` settings; vocabularies from vocabularies.py. The catalog passes the shapes in
shapes/ (DCAT-AP 3.0.1 mandatory and recommended properties, data.gouv.fr's extras) when every
recipe has its metadata. Where a recipe lacks a recommended value, it is left out, never made
up, and the shapes warn: contact point, spatial coverage, a theme of the EU table, licence.
Temporal coverage is the first and last date of the date columns, or the snapshot's day when
it has none (visible.visible_temporal); a caller under row rules, or who cannot see every date
column plainly, gets none. Every distribution is ``RESTRICTED`` (an Agora account is needed)
and ``AVAILABLE`` (its URL lasts as long as the recipe). The catalogue's release date is
``publishing.issued``, else the oldest snapshot kept; its homepage and the datasets' landing
pages are the portal's pages.
"""

from __future__ import annotations

from typing import Any

from hub.config.settings import PublishingSettings

from ..http.paths import (
    DCAT_JSONLD,
    EXPORT_FORMATS,
    OPENAPI_JSON,
    base,
    dataset_url,
    export_formats,
    export_url,
    portal_url,
)
from ..read.visible import VisibleDataset
from .vocabularies import (
    AVAILABLE,
    DATA_THEMES,
    EU,
    IANA,
    LANGUAGES,
    RESTRICTED,
    licence_node,
    theme_node,
)

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dcatap": "http://data.europa.eu/r5r/",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


def agent(name: str) -> dict[str, Any]:
    return {"@type": "foaf:Agent", "foaf:name": name}


def date_time(value: str) -> dict[str, str]:
    return {"@value": value, "@type": "xsd:dateTime"}


def date(value: str) -> dict[str, str]:
    return {"@value": value, "@type": "xsd:date"}


def ref(uri: str, kind: str) -> dict[str, str]:
    return {"@id": uri, "@type": kind}


def location(label: str) -> dict[str, Any]:
    return {"@type": "dct:Location", "rdfs:label": label}


def distribution(d: VisibleDataset, service_url: str, fmt: str) -> dict[str, Any]:
    media_type, file_type = EXPORT_FORMATS[fmt]
    url = export_url(service_url, d.id, fmt)
    node = {
        "@id": url, "@type": "dcat:Distribution",
        "dct:title": f"{d.title} ({fmt.upper()})",
        "dct:description": f"The current snapshot of “{d.title}” as {fmt.upper()}, read "
                           "through the Agora datasets API with the reader's rights applied.",
        "dcat:accessURL": {"@id": url}, "dcat:downloadURL": {"@id": url},
        "dcat:accessService": {"@id": service_url},
        "dcat:mediaType": ref(IANA + media_type, "dct:MediaType"),
        "dct:format": ref(f"{EU}file-type/{file_type}", "dct:MediaTypeOrExtent"),
        "dct:accessRights": ref(RESTRICTED, "dct:RightsStatement"),
        "dcatap:availability": ref(AVAILABLE, "skos:Concept"),
        **licence_node(d.licence),
    }
    if d.updated:
        node["dct:modified"] = date_time(d.updated)
    return node


def contact(d: VisibleDataset) -> dict[str, Any]:
    node = {"@type": "vcard:Kind", "vcard:fn": d.contact_name or d.contact_email}
    if d.contact_email:
        node["vcard:hasEmail"] = {"@id": "mailto:" + d.contact_email}
    return node


def _recommended(d: VisibleDataset) -> dict[str, Any]:
    """The recommended and optional properties the recipe and snapshot provide."""
    node: dict[str, Any] = {}
    if theme_node(d.theme):
        node["dcat:theme"] = theme_node(d.theme)
    if d.contact_name or d.contact_email:
        node["dcat:contactPoint"] = contact(d)
    if d.frequency_uri:
        node["dct:accrualPeriodicity"] = ref(d.frequency_uri, "dct:Frequency")
    if d.spatial:
        node["dct:spatial"] = location(d.spatial)
    if d.temporal:
        node["dct:temporal"] = {"@type": "dct:PeriodOfTime", "dcat:startDate": date(
            d.temporal[0]), "dcat:endDate": date(d.temporal[1])}
    if d.issued:
        node["dct:issued"] = date_time(d.issued)
    if d.updated:
        node["dct:modified"] = date_time(d.updated)
    return node


def dcat_dataset(d: VisibleDataset, service_url: str, publisher: str) -> dict[str, Any]:
    """One dcat:Dataset node, its @id being its metadata URL in the service."""
    keywords = list(d.keywords) + (["synthetic data"] if d.synthetic else [])
    return {
        "@id": dataset_url(service_url, d.id), "@type": "dcat:Dataset",
        "dct:identifier": d.id,
        "dct:title": d.title,
        "dct:description": d.description,
        "dcat:keyword": keywords,
        "dct:publisher": agent(d.publisher or publisher),
        "dcat:landingPage": ref(f"{portal_url(service_url)}datasets/{d.id}", "foaf:Document"),
        "dct:accessRights": ref(RESTRICTED, "dct:RightsStatement"),
        **_recommended(d),
        **licence_node(d.licence),
        "dcat:distribution": [distribution(d, service_url, f)
                              for f in export_formats(d.is_geo)],
    }


def data_service(datasets: list[VisibleDataset], service_url: str) -> dict[str, Any]:
    """The datasets API that serves every distribution."""
    return {
        "@id": service_url, "@type": "dcat:DataService",
        "dct:title": "Agora datasets API",
        "dcat:endpointURL": {"@id": service_url},
        "dcat:endpointDescription": {"@id": service_url + OPENAPI_JSON},
        "dcat:servesDataset": [{"@id": dataset_url(service_url, d.id)} for d in datasets],
        "dct:accessRights": ref(RESTRICTED, "dct:RightsStatement"),
    }


def _catalog_dates(datasets: list[VisibleDataset], publishing: PublishingSettings) -> dict:
    dates: dict[str, Any] = {}
    issued = min((d.issued for d in datasets if d.issued), default=None)
    if publishing.issued or issued:
        dates["dct:issued"] = date(publishing.issued) if publishing.issued else \
            date_time(issued)
    modified = max((d.updated for d in datasets if d.updated), default=None)
    if modified:
        dates["dct:modified"] = date_time(modified)
    return dates


def _coverage(datasets: list[VisibleDataset]) -> dict[str, Any]:
    places = sorted({d.spatial for d in datasets if d.spatial})
    return {"dct:spatial": [location(p) for p in places]} if places else {}


def dcat_catalog(datasets: list[VisibleDataset], base_url: str,
                 publishing: PublishingSettings) -> dict[str, Any]:
    """The DCAT-AP JSON-LD document of `datasets` served by the service at `base_url`."""
    service_url = base(base_url)
    return {
        "@context": CONTEXT,
        "@id": service_url + DCAT_JSONLD,
        "@type": "dcat:Catalog",
        "dct:title": publishing.title,
        "dct:description": publishing.description,
        "dct:publisher": agent(publishing.publisher),
        "foaf:homepage": ref(portal_url(service_url) + "catalog", "foaf:Document"),
        "dct:language": [ref(LANGUAGES[code], "dct:LinguisticSystem")
                         for code in publishing.languages],
        **licence_node(publishing.licence),
        **_catalog_dates(datasets, publishing),
        **_coverage(datasets),
        "dcat:themeTaxonomy": ref(DATA_THEMES, "skos:ConceptScheme"),
        "dcat:service": data_service(datasets, service_url),
        "dcat:dataset": [dcat_dataset(d, service_url, publishing.publisher)
                         for d in datasets],
    }
