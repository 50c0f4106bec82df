"""The reporting calendar at the edges of each period: which half-year a day belongs to, the
due dates, late marking in Swiss time, reminders, 29 February and the turn of the year."""

from datetime import UTC, date, datetime

import pytest

from orders.services import deadlines


@pytest.mark.parametrize(
    ("day", "period"),
    [
        (date(2026, 1, 1), (2026, 1)),
        (date(2024, 2, 29), (2024, 1)),
        (date(2026, 6, 30), (2026, 1)),
        (date(2026, 7, 1), (2026, 2)),
        (date(2026, 12, 31), (2026, 2)),
        (date(2027, 1, 1), (2027, 1)),
    ],
)
def test_half_year_of_a_day(day, period):
    assert deadlines.half_of(day) == period


def test_periods_and_due_dates():
    assert deadlines.period_start(2024, 1) == date(2024, 1, 1)
    assert deadlines.period_end(2024, 1) == date(2024, 6, 30)
    assert deadlines.period_start(2024, 2) == date(2024, 7, 1)
    assert deadlines.period_end(2024, 2) == date(2024, 12, 31)
    assert deadlines.report_due(2024, 1) == date(2024, 7, 31)
    # H2 is due in the next year.
    assert deadlines.report_due(2024, 2) == date(2025, 1, 31)
    assert deadlines.declaration_due(2024) == date(2025, 1, 31)
    assert deadlines.declaration_due(2027) == date(2028, 1, 31)


def test_submission_possible_from_the_day_after_the_period():
    assert not deadlines.period_ended(2026, 1, date(2026, 6, 30))
    assert deadlines.period_ended(2026, 1, date(2026, 7, 1))
    assert not deadlines.period_ended(2026, 2, date(2026, 12, 31))
    assert deadlines.period_ended(2026, 2, date(2027, 1, 1))
    assert not deadlines.year_ended(2026, date(2026, 12, 31))
    assert deadlines.year_ended(2026, date(2027, 1, 1))


@pytest.mark.parametrize(
    ("submitted_utc", "late"),
    [
        # 31 July 23:59 in Solothurn (summer time, UTC+2) is still in time.
        (datetime(2026, 7, 31, 21, 59, tzinfo=UTC), False),
        # 1 August 00:00 in Solothurn is 31 July 22:00 UTC: late.
        (datetime(2026, 7, 31, 22, 0, tzinfo=UTC), True),
        (datetime(2026, 7, 1, 8, 0, tzinfo=UTC), False),
    ],
)
def test_late_marking_of_h1_in_swiss_time(submitted_utc, late):
    assert deadlines.is_late(deadlines.report_due(2026, 1), submitted_utc) is late


@pytest.mark.parametrize(
    ("submitted_utc", "late"),
    [
        # Winter time (UTC+1): 31 January 23:30 in Solothurn is in time.
        (datetime(2027, 1, 31, 22, 30, tzinfo=UTC), False),
        (datetime(2027, 1, 31, 23, 0, tzinfo=UTC), True),
        (datetime(2027, 1, 1, 0, 0, tzinfo=UTC), False),  # New Year's night
    ],
)
def test_late_marking_of_h2_across_the_turn_of_the_year(submitted_utc, late):
    assert deadlines.is_late(deadlines.report_due(2026, 2), submitted_utc) is late


def test_reminders_14_days_before_and_the_day_after():
    assert deadlines.reminder_dates(date(2026, 7, 31)) == {
        "vorher": date(2026, 7, 17),
        "ueberfaellig": date(2026, 8, 1),
    }
    assert deadlines.reminder_dates(date(2027, 1, 31)) == {
        "vorher": date(2027, 1, 17),
        "ueberfaellig": date(2027, 2, 1),
    }


def test_recent_halves_cross_the_turn_of_the_year():
    assert deadlines.recent_halves(date(2024, 2, 29), 4) == [
        (2024, 1),
        (2023, 2),
        (2023, 1),
        (2022, 2),
    ]
    assert deadlines.previous_half(2027, 1) == (2026, 2)
