"""The report period: an ISO week or a month, its first and last day, in words; bad values
get one clear line that says what would be right."""

from datetime import date

import pytest

from hub.reports import PeriodError, parse_period


@pytest.mark.parametrize("text, start, end", [
    ("2026-W48", date(2026, 11, 23), date(2026, 11, 29)),
    ("2025-W01", date(2024, 12, 30), date(2025, 1, 5)),  # week 1 starts in the year before
    ("2026-W53", date(2026, 12, 28), date(2027, 1, 3)),  # 2026 has 53 ISO weeks
    (" 2026-w48 ", date(2026, 11, 23), date(2026, 11, 29)),
    ("2028-02", date(2028, 2, 1), date(2028, 2, 29)),  # a leap year's February
    ("2026-12", date(2026, 12, 1), date(2026, 12, 31)),
])
def test_first_and_last_day(text, start, end):
    period = parse_period(text)
    assert (period.start, period.end) == (start, end)
    assert period.start.weekday() == 0 or period.kind == "month"


@pytest.mark.parametrize("text, french, english", [
    ("2025-W48", "semaine 48 de 2025, du 24 au 30 novembre 2025",
     "week 48 of 2025, 24 to 30 November 2025"),
    ("2025-W44", "semaine 44 de 2025, du 27 octobre au 2 novembre 2025",
     "week 44 of 2025, 27 October to 2 November 2025"),
    ("2025-W01", "semaine 1 de 2025, du 30 décembre 2024 au 5 janvier 2025",
     "week 1 of 2025, 30 December 2024 to 5 January 2025"),
    ("2026-02", "février 2026", "February 2026"),
])
def test_in_words(text, french, english):
    period = parse_period(text)
    assert (period.words("fr"), period.words("en")) == (french, english)


@pytest.mark.parametrize("text, says", [
    ("2025-W53", "2025 has weeks 1 to 52"),
    ("2026-W00", "2026 has weeks 1 to 53"),
    ("2026-13", "is not a period"),
    ("48", "is not a period"),
    ("2026-W4", "is not a period"),
    ("", "is not a period"),
])
def test_a_bad_period_says_what_would_be_right(text, says):
    with pytest.raises(PeriodError) as caught:
        parse_period(text)
    message = str(caught.value)
    assert says in message and repr(text.strip().upper()) in message
    assert '"2026-W48"' in message and '"2026-11"' in message
    assert "\n" not in message
