"""What a dataset page shows, in the visitor's language, from the datasets service's metadata
(``GET api/datasets/{id}``: the service's VisibleDataset for this visitor, plus freshness,
versions and lineage). Nothing here reads data or decides rights: columns, counts and quality
are already what the visitor may see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markupsafe import Markup

from hub.services.datasets.http.paths import export_formats, export_url
from widgets.badges import FreshnessBadge, QualityBadge
from widgets.i18n import format_datetime, format_number
from widgets.quality import quality_summary

from . import labels
from .catalog import theme_name
from .language import t, word
from .markdown import to_html


@dataclass(frozen=True)
class Status:
    """A badge in words: status (good/warn/bad/neutral), its word, the details."""

    status: str
    word: str
    details: str


@dataclass(frozen=True)
class ColumnRow:
    name: str
    title: str | None
    description: str | None
    type: str
    unit: str | None
    note: str | None


@dataclass(frozen=True)
class Download:
    format: str
    label: str
    url: str  # a path on the hub's host: the browser sends the visitor's login with it


@dataclass
class DatasetPage:
    meta: dict
    description: Markup
    facts: list[tuple[str, str | Markup]]
    freshness: Status
    quality: Status
    columns: list[ColumnRow]
    downloads: list[Download]
    snippets: dict[str, str]
    lineage: list[tuple[str, str]] = field(default_factory=list)


def in_language(value: dict | str | None, lang: str) -> str | None:
    if isinstance(value, dict):
        return value.get(lang) or next(iter(value.values()), None)
    return value


def type_word(arrow_type: str, lang: str) -> str:
    """'int64' -> 'nombre entier', 'timestamp[us, tz=UTC]' -> 'date et heure'."""
    head = re.match(r"[a-z_]*", arrow_type or "").group(0)
    for key in (head, head.rstrip("_")):
        if key in labels.TYPES:
            return word(labels.TYPES, key, lang)
    return arrow_type


def column_rows(meta: dict, lang: str) -> list[ColumnRow]:
    return [ColumnRow(c["name"], in_language(c.get("title"), lang),
                      in_language(c.get("description"), lang), type_word(c.get("type", ""), lang),
                      c.get("unit"), word(labels.RULES, c.get("rule"), lang))
            for c in meta.get("columns") or ()]


def freshness(meta: dict, lang: str) -> Status:
    badge = FreshnessBadge(meta, locale=lang)
    status_word, ago = badge.words()
    updated = meta.get("updated")
    return Status(badge.status(), status_word,
                  f"{ago} ({format_datetime(updated, lang)})" if updated else ago)


def quality(meta: dict, lang: str) -> Status:
    """The quality badge's words, naming columns by their titles."""
    report = meta.get("quality") or {}
    if "columns" in report and not report.get("withheld"):
        titles = {c.name: c.title or c.name for c in column_rows(meta, lang)}
        summary = quality_summary(report)
        summary["columns_with_issues"] = [titles.get(n, n) for n in summary["columns_with_issues"]]
        report = summary
    status, status_word, details = QualityBadge({"quality": report}, locale=lang).words()
    return Status(status, status_word, details)


def licence_words(licence: str | None, lang: str) -> str | None:
    return word(labels.LICENCES, (licence or "").lower(), lang) if licence else None


def contact(meta: dict) -> Markup | None:
    person = meta.get("contact") or {}
    if not person.get("name"):
        return None
    if person.get("email"):
        return Markup('{} — <a href="mailto:{}">{}</a>').format(
            person["name"], person["email"], person["email"])
    return Markup("{}").format(person["name"])


def facts(meta: dict, lang: str) -> list[tuple[str, str | Markup]]:
    rows = meta.get("rows")
    pairs = [
        ("theme_label", theme_name(meta.get("theme"), lang)),
        ("publisher", meta.get("publisher")),
        ("licence", licence_words(meta.get("licence"), lang)),
        ("contact", contact(meta)),
        ("frequency", word(labels.FREQUENCIES, meta.get("update_frequency"), lang)),
        ("spatial", meta.get("spatial")),
        ("rows_you_see", format_number(rows, 0, lang) if rows is not None
         else t("not_counted", lang)),
        ("keywords", ", ".join(meta.get("keywords") or ())),
        ("synthetic", t("yes", lang) if meta.get("synthetic") else None),
    ]
    return [(t(key, lang), value) for key, value in pairs if value]


def downloads(meta: dict, datasets_path: str, lang: str) -> list[Download]:
    offered = export_formats(bool(meta.get("geo")))
    return [Download(fmt, word(labels.FORMATS, fmt, lang), export_url(datasets_path, meta["id"], fmt))
            for fmt in labels.FORMATS if fmt in offered]


def snippets(meta: dict, service_url: str, lang: str) -> dict[str, str]:
    """curl and pandas with a placeholder token (never the visitor's), and the workspace line."""
    token = t("token_placeholder", lang)
    csv, parquet = (export_url(service_url, meta["id"], f) for f in ("csv", "parquet"))
    return {
        "curl": f'curl -H "Authorization: token {token}" \\\n     -o {meta["id"]}.csv "{csv}"',
        "pandas": ("import pandas as pd\n\n"
                   f'df = pd.read_parquet("{parquet}",\n'
                   f'                     storage_options={{"Authorization": "token {token}"}})'),
        "workspace": f'from widgets import read\n\ndf = read("{meta["id"]}")',
    }


def unique(items) -> list:
    return list(dict.fromkeys(i for i in items if i))


def lineage(meta: dict, lang: str) -> list[tuple[str, str]]:
    source = (meta.get("lineage") or {})
    steps = unique(word(labels.PROCESSORS, p, lang) for p in source.get("processors") or ())
    fresh = meta.get("freshness") or {}
    version, made = fresh.get("version") or meta.get("version"), fresh.get("created_at")
    pairs = [("source", word(labels.CONNECTORS, source.get("connector"), lang)),
             ("steps", ", ".join(steps)),
             ("snapshot", t("snapshot_value", lang, version=version,
                            date=format_datetime(made, lang)) if version and made else version)]
    kept = len(meta.get("versions") or ())
    if kept > 1:
        pairs.append(("snapshot", t("versions_kept", lang, count=kept)))
    return [(t(key, lang), value) for key, value in pairs if value]


def dataset_page(meta: dict, *, datasets_path: str, service_url: str, lang: str) -> DatasetPage:
    """`datasets_path`: the datasets service's base path on the hub's host (for links);
    `service_url`: the same as an absolute URL (for the snippets)."""
    return DatasetPage(meta, to_html(meta.get("description")), facts(meta, lang),
                       freshness(meta, lang), quality(meta, lang), column_rows(meta, lang),
                       downloads(meta, datasets_path, lang), snippets(meta, service_url, lang),
                       lineage(meta, lang))
