"""The portal's report form in words, turned into the scheduler's schedule (and back)."""

import pytest

from hub.services.portal.reports_page import (
    FormProblem,
    cron_in_words,
    readable_reports,
    schedule_from_form,
)

FORM = {"title": "Qualité de l'air — élus", "template": "air-quality-bulletin",
        "frequency": "weekly", "weekday": "fri", "time": "8:30", "groups": "officials, analysts",
        "users": "", "emails": "", "run_as": "recipient", "language": "fr"}


@pytest.mark.parametrize(("changes", "cron", "period"), [
    ({}, "30 8 * * fri", "week"),
    ({"frequency": "daily"}, "30 8 * * *", "day"),
    ({"frequency": "monthly", "time": "06:05"}, "5 6 1 * *", "month"),
])
def test_a_frequency_and_a_time_become_a_cron_and_its_period(changes, cron, period):
    schedule = schedule_from_form({**FORM, **changes})
    assert (schedule["cron"], schedule["period"]) == (cron, period)
    assert schedule["name"] == "qualite-de-l-air-elus"
    assert schedule["recipients"] == {"groups": ["officials", "analysts"]}
    assert schedule["run_as"] == "recipient"


@pytest.mark.parametrize(("changes", "problem"), [
    ({"title": " "}, "form_need_title"), ({"time": "25:00"}, "form_bad_time"),
    ({"weekday": "someday"}, "form_bad_weekday"), ({"frequency": "hourly"}, "form_bad_frequency"),
    ({"groups": ""}, "form_need_recipients"),
])
def test_a_bad_field_is_named(changes, problem):
    with pytest.raises(FormProblem) as refused:
        schedule_from_form({**FORM, **changes})
    assert refused.value.label == problem


@pytest.mark.parametrize(("cron", "fr", "en"), [
    ("30 8 * * fri", "chaque vendredi à 08:30", "every Friday at 08:30"),
    ("0 7 * * mon", "chaque lundi à 07:00", "every Monday at 07:00"),
    ("5 6 1 * *", "le 1er de chaque mois à 06:05", "on the 1st of every month at 06:05"),
    ("0 6 * * *", "chaque jour à 06:00", "every day at 06:00"),
    ("*/15 * * * *", "*/15 * * * *", "*/15 * * * *"),
])
def test_schedules_are_shown_in_words(cron, fr, en):
    assert (cron_in_words(cron, "fr"), cron_in_words(cron, "en")) == (fr, en)


def test_my_reports_are_finished_pdfs_made_for_me():
    runs = [{"id": 1, "recipient": "elu", "status": "succeeded", "has_pdf": True},
            {"id": 2, "recipient": "other", "status": "succeeded", "has_pdf": True},
            {"id": 3, "recipient": "elu", "status": "failed", "has_pdf": False},
            {"id": 4, "recipient": "owner", "run_as": "owner", "status": "succeeded",
             "has_pdf": True}]
    assert [r["id"] for r in readable_reports(runs, "elu")] == [1, 4]
