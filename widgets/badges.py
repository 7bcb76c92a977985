"""FreshnessBadge and QualityBadge: how recent and how clean a dataset is, from its metadata
(``widgets.describe(id)``), as a status word with a symbol and a colour.
"""

from __future__ import annotations

from datetime import datetime

from . import source
from .i18n import as_datetime, format_ago, format_datetime, t
from .quality import quality_summary
from .render import View
from .style import MUTED, block, css, esc, pill, tag

# the recipe's update_frequency -> hours between two refreshes
PERIOD_HOURS = {"continuous": 1, "hourly": 1, "daily": 24, "weekly": 168, "biweekly": 336,
                "monthly": 744, "quarterly": 2208, "semiannual": 4392, "annual": 8784}
GRACE = 2  # overdue after twice the expected period


def freshness_status(metadata: dict, now: datetime | None = None) -> str:
    """"bad" when the last refresh failed, "warn" when overdue for its update frequency,
    "good" when on time, "neutral" when it has no date or no expected frequency.

    >>> freshness_status({"updated": "2026-11-28T06:00:00+00:00", "update_frequency": "daily"},
    ...                  now=datetime.fromisoformat("2026-12-01T06:00:00+00:00"))
    'warn'
    """
    refresh = metadata.get("refresh") or {}
    if refresh.get("last_result") == "failed" or refresh.get("consecutive_failures"):
        return "bad"
    updated, hours = as_datetime(metadata.get("updated")), PERIOD_HOURS.get(
        metadata.get("update_frequency") or "")
    if updated is None or hours is None:
        return "neutral"
    now = now or datetime.now(updated.tzinfo)
    return "good" if (now - updated).total_seconds() <= GRACE * hours * 3600 else "warn"


class Badge(View):
    """A dataset's metadata shown as one line; ``.of(id)`` reads it from the service."""

    def __init__(self, metadata: dict, *, locale: str | None = None, dataset: str | None = None):
        self.metadata, self.locale, self.dataset = dict(metadata), locale, dataset

    @classmethod
    def of(cls, dataset: str, **options):
        """The badge of a dataset you may read (its metadata from ``widgets.describe``)."""
        return cls(source.describe(dataset), dataset=dataset, **options)

    def refresh(self) -> None:
        if self.dataset:
            self.metadata = dict(source.describe(self.dataset))
        self.redraw()

    def line(self, status: str, word: str, details: list[str]) -> str:
        rest = " · ".join(esc(d) for d in details if d)
        return block(pill(status, word), " ",
                     tag("span", rest, style=css(color=MUTED, font_size="0.85rem")),
                     margin="0.2rem 0")


class FreshnessBadge(Badge):
    """When the data was last updated: "mis à jour il y a 3 jours", on time or overdue.

    >>> badge = FreshnessBadge({"updated": "2026-11-28T06:00:00+00:00",
    ...                         "update_frequency": "weekly"}, locale="en",
    ...                        now=datetime.fromisoformat("2026-12-01T06:00:00+00:00"))
    >>> badge.text()
    'Up to date: updated 3 days ago'
    """

    def __init__(self, metadata: dict, *, now: datetime | None = None, **options):
        super().__init__(metadata, **options)
        self.now = now

    def status(self) -> str:
        return freshness_status(self.metadata, self.now)

    def words(self) -> tuple[str, str]:
        """(status word, "updated ... ago")."""
        loc, updated = self.locale, self.metadata.get("updated")
        word = t(f"fresh_{self.status()}", loc)
        ago = (t("updated_ago", loc, ago=format_ago(updated, self.now, loc)) if updated
               else t("never_updated", loc))
        return word, ago

    def static_html(self) -> str:
        word, ago = self.words()
        updated, version = self.metadata.get("updated"), self.metadata.get("version")
        return self.line(self.status(), word, [
            ago, f"({format_datetime(updated, self.locale)})" if updated else "",
            t("version", self.locale, version=version) if version else ""])

    def text(self) -> str:
        return t("label_value", self.locale, label=self.words()[0], value=self.words()[1])


class QualityBadge(Badge):
    """What the quality checks left: "aucun problème détecté" or "12 valeurs à vérifier".

    >>> QualityBadge({"quality": {"columns": {"pm10": {"checked": 90, "invalid": 3}}}},
    ...              locale="en").text()
    'To check: 3 values to check (pm10)'
    """

    def summary(self) -> dict | None:
        """{issues, columns_with_issues}, or None when withheld or not reported."""
        quality = self.metadata.get("quality") or {}
        if "issues" in quality:
            return quality
        if quality.get("withheld") or "columns" not in quality:
            return None
        return quality_summary(quality)

    def words(self) -> tuple[str, str, str]:
        """(status, status word, details)."""
        loc, summary = self.locale, self.summary()
        if summary is None:
            withheld = (self.metadata.get("quality") or {}).get("withheld")
            return "neutral", t("quality_unknown", loc), t(
                "quality_withheld" if withheld else "quality_not_checked", loc)
        if not summary["issues"]:
            return "good", t("quality_good", loc), t("quality_no_issue", loc)
        columns = ", ".join(summary["columns_with_issues"][:5])
        details = t("quality_issues", loc, count=int(summary["issues"]))
        return "warn", t("quality_warn", loc), f"{details} ({columns})" if columns else details

    def static_html(self) -> str:
        status, word, details = self.words()
        return self.line(status, word, [details])

    def text(self) -> str:
        _, word, details = self.words()
        return t("label_value", self.locale, label=word, value=details)
