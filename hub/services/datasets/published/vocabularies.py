"""The controlled vocabularies DCAT-AP asks for, and how recipe words map onto them.

EU authority tables (data themes with their French and English labels, languages,
availability, access rights), IANA media types, SPDX licence URIs. A recipe's ``theme`` may be
a code (ENVI) or a label (environnement); its ``licence`` an SPDX id, a URL, or other words
(``proprietary``), which become a licence document named by those words.
"""

from __future__ import annotations

from typing import Any

EU = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"
SPDX = "http://spdx.org/licenses/"
DATA_THEMES = EU + "data-theme"
RESTRICTED = EU + "access-right/RESTRICTED"
AVAILABLE = EU + "planned-availability/AVAILABLE"
LANGUAGES = {"fr": EU + "language/FRA", "en": EU + "language/ENG"}

# EU data-theme code -> (French label, English label), as the authority table names them.
THEMES = {
    "AGRI": ("Agriculture, pêche, sylviculture et alimentation",
             "Agriculture, fisheries, forestry and food"),
    "ECON": ("Économie et finances", "Economy and finance"),
    "EDUC": ("Éducation, culture et sport", "Education, culture and sport"),
    "ENER": ("Énergie", "Energy"),
    "ENVI": ("Environnement", "Environment"),
    "GOVE": ("Gouvernement et secteur public", "Government and public sector"),
    "HEAL": ("Santé", "Health"),
    "INTR": ("Questions internationales", "International issues"),
    "JUST": ("Justice, système juridique et sécurité publique",
             "Justice, legal system and public safety"),
    "OP_DATPRO": ("Données provisoires", "Provisional data"),
    "REGI": ("Régions et villes", "Regions and cities"),
    "SOCI": ("Population et société", "Population and society"),
    "TECH": ("Science et technologie", "Science and technology"),
    "TRAN": ("Transports", "Transport"),
}
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


def theme_code(theme: str | None) -> str | None:
    """EU data-theme code for a code (ENVI) or a known label (environment), else None."""
    if not theme:
        return None
    code = theme.strip().upper()
    return code if code in THEMES else THEME_LABELS.get(theme.strip().lower())


def theme_uri(theme: str | None) -> str | None:
    code = theme_code(theme)
    return f"{DATA_THEMES}/{code}" if code else None


def theme_node(theme: str | None) -> dict[str, Any] | None:
    """The skos:Concept of the theme, with its labels (harvesters use them as tags)."""
    code = theme_code(theme)
    if code is None:
        return None
    french, english = THEMES[code]
    return {"@id": theme_uri(code), "@type": "skos:Concept",
            "skos:inScheme": {"@id": DATA_THEMES},
            "skos:prefLabel": [{"@value": french, "@language": "fr"},
                               {"@value": english, "@language": "en"}]}


def licence_uri(licence: str) -> str | None:
    """The URI of an SPDX id or a URL licence; None for other words."""
    if licence.startswith(("http://", "https://")):
        return licence
    spdx = SPDX_LICENCES.get(licence.lower())
    return SPDX + spdx if spdx else None


def licence_node(licence: str | None) -> dict[str, Any]:
    """dct:license: the SPDX or URL licence document, else one named by the recipe's words
    (a licence without a public URI, such as ``proprietary``, is still the licence)."""
    if not licence:
        return {}
    uri = licence_uri(licence)
    if uri:
        return {"dct:license": {"@id": uri, "@type": "dct:LicenseDocument"}}
    return {"dct:license": {"@type": "dct:LicenseDocument", "rdfs:label": licence}}
