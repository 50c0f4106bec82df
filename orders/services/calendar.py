"""Working days in the canton of Solothurn, for lead times."""

from datetime import date, timedelta
from functools import cache

from dateutil.easter import easter

# Fixed holidays. A day that is a holiday in part of the canton counts as non-working: for a
# lead time, being cautious is the safe side.
FIXED_HOLIDAYS = {(1, 1), (1, 2), (5, 1), (8, 1), (8, 15), (11, 1), (12, 25), (12, 26)}
# Movable holidays as days after Easter Sunday: Good Friday, Easter Monday, Ascension,
# Whit Monday, Corpus Christi.
EASTER_OFFSETS = (-2, 1, 39, 50, 60)


@cache
def holidays(year: int) -> frozenset[date]:
    easter_sunday = easter(year)
    movable = {easter_sunday + timedelta(days=offset) for offset in EASTER_OFFSETS}
    return frozenset(movable | {date(year, month, day) for month, day in FIXED_HOLIDAYS})


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in holidays(day.year)


def working_days_between(start: date, end: date) -> int:
    """Working days after start up to and including end (0 when end is not after start)."""
    count = 0
    day = start + timedelta(days=1)
    while day <= end:
        count += is_working_day(day)
        day += timedelta(days=1)
    return count
