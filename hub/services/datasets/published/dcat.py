"""A DCAT-AP (2.1 / 3.0) catalog in JSON-LD (`GET api/dcat.jsonld`) for partners' portals.

It describes the datasets the caller may read (the same :class:`VisibleDataset` list as the
Intake catalog), each with one ``dcat:Distribution`` per export format of the service. Values
use the EU controlled vocabularies DCAT-AP asks for: data themes, frequencies, file types; media
types are IANA URIs; licences given as SPDX ids (``etalab-2.0``, ``CC-BY-4.0``...) become SPDX
licence URIs, a URL is kept as is, anything else (``proprietary``) becomes a ``dct:rights``
statement. Every distribution is ``RESTRICTED`` (``dct:accessRights``): the service requires an
Agora account and applies its rights.
"""

from __future__ import annotations

from typing import Any

from ..http.paths import DCAT_JSONLD, EXPORT_FORMATS, base, dataset_url, export_formats, export_url
from ..read.visible import VisibleDataset

EU = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"
SPDX = "http://spdx.org/licenses/"

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

THEME_CODES = {"AGRI", "ECON", "EDUC", "ENER", "ENVI", "GOVE", "HEAL", "INTR", "JUST", "OP_DATPRO",
               "REGI", "SOCI", "TECH", "TRAN"}
# Free labels a recipe may use for `theme` (English and French) -> EU data-theme code.
THEME_LABELS = {
    "agriculture": "AGRI", "fisheries": "AGRI", "food": "AGRI", "forestry": "AGRI",
    "economy": "ECON", "économie": "ECON", "economie": "ECON", "finance": "ECON",
    "budget": "ECON", "education": "EDUC", "éducation": "EDUC", "culture": "EDUC",
    "sport": "EDUC", "energy": "ENER", "énergie": "ENER", "energie": "ENER",
    "environment": "ENVI", "environnement": "ENVI", "government": "GOVE",
    "public sector": "GOVE", "administration": "GOVE", "health": "HEAL", "santé": "HEAL",
    "sante": "HEAL", "international": "INTR", "justice": "JUST", "legal": "JUST",
    "regions": "REGI", "cities": "REGI", "territoire": "REGI", "territory": "REGI",
    "population": "SOCI", "society": "SOCI", "social": "SOCI", "société": "SOCI",
    "science": "TECH", "technology": "TECH", "transport": "TRAN", "mobility": "TRAN",
    "mobilité": "TRAN",
}
SPDX_LICENCES = {name.lower(): name for name in (
    "etalab-2.0", "ODbL-1.0", "ODC-By-1.0", "PDDL-1.0", "CC-BY-4.0", "CC-BY-SA-4.0",
    "CC0-1.0", "CC-BY-3.0", "CC-BY-NC-4.0", "OGL-UK-3.0", "DL-DE-BY-2.0", "DL-DE-ZERO-2.0",
    "NLOD-2.0", "MIT", "Apache-2.0")}
RESTRICTED = EU + "access-right/RESTRICTED"


def theme_uri(theme: str | None) -> str | None:
    """EU data-theme URI for a code (ENVI) or a known label (environment), else None."""
    if not theme:
        return None
    code = theme.strip().upper()
    code = code if code in THEME_CODES else THEME_LABELS.get(theme.strip().lower())
    return f"{EU}data-theme/{code}" if code else None


def licence_node(licence: str | None) -> dict[str, Any]:
    """dct:license for an SPDX id or a URL; dct:rights for anything else."""
    if not licence:
        return {}
    if licence.startswith(("http://", "https://")):
        return {"dct:license": {"@id": licence, "@type": "dct:LicenseDocument"}}
    spdx = SPDX_LICENCES.get(licence.lower())
    if spdx:
        return {"dct:license": {"@id": SPDX + spdx, "@type": "dct:LicenseDocument"}}
    return {"dct:rights": {"@type": "dct:RightsStatement", "rdfs:label": licence}}


def agent(name: str) -> dict[str, Any]:
    return {"@type": "foaf:Agent", "foaf:name": name}


def date_time(value: str) -> dict[str, str]:
    return {"@value": value, "@type": "xsd:dateTime"}


def distribution(d: VisibleDataset, service_url: str, fmt: str) -> dict[str, Any]:
    media_type, file_type = EXPORT_FORMATS[fmt]
    url = export_url(service_url, d.id, fmt)
    node = {
        "@id": url, "@type": "dcat:Distribution",
        "dct:title": f"{d.title} ({fmt.upper()})",
        "dcat:accessURL": {"@id": url}, "dcat:downloadURL": {"@id": url},
        "dcat:mediaType": {"@id": IANA + media_type, "@type": "dct:MediaType"},
        "dct:format": {"@id": f"{EU}file-type/{file_type}", "@type": "dct:MediaTypeOrExtent"},
        "dct:accessRights": {"@id": RESTRICTED, "@type": "dct:RightsStatement"},
        **licence_node(d.licence),
    }
    if d.updated:
        node["dct:modified"] = date_time(d.updated)
    return node


def _optional(d: VisibleDataset) -> dict[str, Any]:
    node: dict[str, Any] = {}
    if theme_uri(d.theme):
        node["dcat:theme"] = {"@id": theme_uri(d.theme), "@type": "skos:Concept"}
    if d.contact_name or d.contact_email:
        contact = {"@type": "vcard:Kind", "vcard:fn": d.contact_name or d.contact_email}
        if d.contact_email:
            contact["vcard:hasEmail"] = {"@id": "mailto:" + d.contact_email}
        node["dcat:contactPoint"] = contact
    if d.frequency_uri:
        node["dct:accrualPeriodicity"] = {"@id": d.frequency_uri, "@type": "dct:Frequency"}
    if d.spatial:
        node["dct:spatial"] = {"@type": "dct:Location", "rdfs:label": d.spatial}
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
        "dct:accessRights": {"@id": RESTRICTED, "@type": "dct:RightsStatement"},
        **_optional(d),
        **licence_node(d.licence),
        "dcat:distribution": [distribution(d, service_url, f)
                              for f in export_formats(d.is_geo)],
    }


def dcat_catalog(datasets: list[VisibleDataset], base_url: str, publisher: str,
                 title: str = "Agora data catalogue") -> dict[str, Any]:
    """The DCAT-AP JSON-LD document of `datasets` served by the service at `base_url`."""
    service_url = base(base_url)
    modified = max((d.updated for d in datasets if d.updated), default=None)
    catalog = {
        "@context": CONTEXT,
        "@id": service_url + DCAT_JSONLD,
        "@type": "dcat:Catalog",
        "dct:title": title,
        "dct:description": "Datasets published through Agora, as visible to the requester.",
        "dct:publisher": agent(publisher),
        "foaf:homepage": {"@id": service_url, "@type": "foaf:Document"},
        "dcat:dataset": [dcat_dataset(d, service_url, publisher) for d in datasets],
    }
    if modified:
        catalog["dct:modified"] = date_time(modified)
    return catalog
