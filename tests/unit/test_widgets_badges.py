"""Freshness and quality badges, from a dataset's metadata."""

from datetime import UTC, datetime

import pytest

import widgets as w
from widgets.badges import freshness_status

from .widgets_fakes import (  # noqa: F401
    METADATA,
    check_static,
    default_mode_and_locale,  # noqa: F401 (autouse)
)

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("updated", "frequency", "refresh", "status"), [
    ("2026-12-01T06:00:00+00:00", "daily", {}, "good"),
    ("2026-11-29T10:00:00+00:00", "daily", {}, "good"),   # within twice the period
    ("2026-11-28T06:00:00+00:00", "daily", {}, "warn"),   # overdue
    ("2026-11-28T06:00:00+00:00", "weekly", {}, "good"),
    ("2026-11-28T06:00:00+00:00", "irregular", {}, "neutral"),
    ("2026-11-28T06:00:00+00:00", None, {}, "neutral"),
    (None, "daily", {}, "neutral"),
    ("2026-12-01T06:00:00+00:00", "daily", {"last_result": "failed",
                                            "consecutive_failures": 2}, "bad"),
])
def test_freshness_status(updated, frequency, refresh, status):
    metadata = {"updated": updated, "update_frequency": frequency, "refresh": refresh}
    assert freshness_status(metadata, NOW) == status


def test_freshness_badge_in_both_languages():
    french = w.FreshnessBadge(METADATA, now=NOW)
    html = french.static_html()
    check_static(html)
    assert "En retard" in html and "mis à jour il y a 3 jours" in html
    assert "version 20261128T060000123456Z" in html and "!" in html
    english = w.FreshnessBadge(METADATA, now=NOW, locale="en")
    assert english.text() == "Overdue: updated 3 days ago"


def test_a_failing_refresh_says_so_and_keeps_the_age():
    badge = w.FreshnessBadge({**METADATA, "refresh": {"last_result": "failed"}}, now=NOW,
                             locale="en")
    assert badge.text() == "Refresh failing: updated 3 days ago" and "✗" in badge.static_html()


def test_quality_badge_from_describe_or_listing_shapes():
    badge = w.QualityBadge(METADATA, locale="en")
    assert badge.text() == "To check: 2 values to check (pm10)"
    check_static(badge.static_html())
    listing = w.QualityBadge({"quality": {"issues": 0, "columns_with_issues": []}}, locale="en")
    assert listing.text() == "Quality checked: no issue found by the checks"
    withheld = w.QualityBadge({"quality": {"columns": {}, "withheld": "…"}}, locale="en")
    assert "not shown" in withheld.text()
    assert "no checks declared" in w.QualityBadge({}, locale="en").text()


def test_the_badge_and_the_service_listing_count_issues_alike():
    from hub.services.datasets.http.handlers import quality_summary
    from widgets.badges import quality_summary as used_by_badges

    assert used_by_badges is quality_summary


def test_badges_of_a_dataset_read_describe_and_refresh(fake_source):
    badge = w.QualityBadge.of("air_quality", locale="en")
    assert "2 values" in badge.text()
    fake_source.metadata = {**METADATA, "quality": {"columns": {"pm10": {"checked": 5}}}}
    badge.refresh()
    assert "no issue" in badge.text()
    assert [c[1] for c in fake_source.calls] == ["air_quality", "air_quality"]
