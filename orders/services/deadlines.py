"""The reporting calendar: which half-year a day belongs to, when reports and
self-declarations are due, when a submission is late and when reminders go out."""

from datetime import date, datetime, timedelta

from orders.formatting import local_time
from orders.models.types import utcnow

REMINDER_DAYS_BEFORE = 14
# The programme's first year (the tariffs of KRS-GEF-2017/01): no period starts before it.
FIRST_YEAR = 2017


def half_of(day: date) -> tuple[int, int]:
    """(year, half) of the day: H1 is 1 January to 30 June, H2 1 July to 31 December."""
    return day.year, 1 if day.month <= 6 else 2


def period_start(year: int, half: int) -> date:
    return date(year, 1, 1) if half == 1 else date(year, 7, 1)


def period_end(year: int, half: int) -> date:
    return date(year, 6, 30) if half == 1 else date(year, 12, 31)


def report_due(year: int, half: int) -> date:
    """H1 is due on 31 July, H2 on 31 January of the next year."""
    return date(year, 7, 31) if half == 1 else date(year + 1, 1, 31)


def declaration_due(year: int) -> date:
    """The self-declaration for year Y is due on 31 January of Y+1."""
    return date(year + 1, 1, 31)


def period_ended(year: int, half: int, today: date) -> bool:
    """A report can be submitted from the day after the half-year's last day."""
    return today > period_end(year, half)


def year_end(year: int) -> date:
    """The last day of the year that a self-declaration covers."""
    return date(year, 12, 31)


def year_ended(year: int, today: date) -> bool:
    return today > year_end(year)


def is_late(due: date, submitted_at: datetime) -> bool:
    """Late when submitted after the due date, as a day in Switzerland (23:59 on the due date
    in Solothurn is still in time)."""
    return local_time(submitted_at).date() > due


def reminder_dates(due: date) -> dict[str, date]:
    """When reminders go out: 14 days before the due date and on the day after it."""
    return {
        "vorher": due - timedelta(days=REMINDER_DAYS_BEFORE),
        "ueberfaellig": due + timedelta(days=1),
    }


def today_local(now: datetime | None = None) -> date:
    return local_time(now or utcnow()).date()


def previous_half(year: int, half: int) -> tuple[int, int]:
    return (year, 1) if half == 2 else (year - 1, 2)


def last_ended_half(today: date) -> tuple[int, int]:
    """The half-year whose report is asked for now: the one before today's."""
    return previous_half(*half_of(today))


def recent_halves(today: date, count: int = 4) -> list[tuple[int, int]]:
    """The current half-year and the ones before it, most recent first."""
    periods = [half_of(today)]
    while len(periods) < count:
        periods.append(previous_half(*periods[-1]))
    return periods
