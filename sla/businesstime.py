"""Business time: add business minutes to an instant, and count the business seconds
between two instants, in a company's calendar (weekly opening ranges in its time zone,
minus its holidays). Pure: no database, so it is tested on its own.

Opening ranges are local wall-clock times, turned into instants day by day; every
difference is taken in UTC, so a range that spans a DST change counts the time that really
passed (a 00:00–04:00 range on a spring-forward night holds three hours).
"""

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Far enough for any target: a calendar with no opening at all would otherwise loop forever.
MAX_DAYS_AHEAD = 366 * 5
DAY_START, DAY_END = time(0), None  # `None` closes a range at the next midnight


@dataclass(frozen=True)
class Calendar:
    """When a company works. `week` maps a weekday (Monday 0 … Sunday 6) to its opening
    ranges `(opens, closes)`; an empty `week` means around the clock, every day.
    Holidays are whole local days off."""

    zone: ZoneInfo
    week: Mapping[int, Sequence[tuple[time, time | None]]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()

    def ranges_on(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        """The opening ranges of one local day as UTC instants, in order."""
        if day in self.holidays:
            return
        ranges = self.week.get(day.weekday(), ()) if self.week else [(DAY_START, DAY_END)]
        for opens, closes in sorted(ranges, key=lambda pair: pair[0]):
            start = _instant(day, opens, self.zone)
            end = (
                _instant(day + timedelta(days=1), DAY_START, self.zone)
                if closes is None
                else _instant(day, closes, self.zone)
            )
            if end > start:
                yield start, end


def _instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    # A wall-clock time skipped by DST (02:30 on a spring-forward day) lands on the same
    # UTC instant as the moment after the gap, which is where business resumes.
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def _days_from(calendar: Calendar, moment: datetime) -> Iterator[date]:
    day = moment.astimezone(calendar.zone).date() - timedelta(days=1)
    for offset in range(MAX_DAYS_AHEAD):
        yield day + timedelta(days=offset)
    raise ValueError("The calendar has no business time ahead.")


def add_business_seconds(calendar: Calendar, start: datetime, seconds: float) -> datetime:
    """The instant `seconds` of business time after `start` (UTC). Starting outside business
    hours, the count begins at the next opening; zero gives that opening (or `start`)."""
    start = start.astimezone(UTC)
    remaining = max(seconds, 0)
    for day in _days_from(calendar, start):
        for opens, closes in calendar.ranges_on(day):
            begin = max(opens, start)
            if closes <= begin:
                continue
            span = (closes - begin).total_seconds()
            if remaining <= span:
                return begin + timedelta(seconds=remaining)
            remaining -= span
    raise AssertionError("unreachable")  # pragma: no cover (_days_from raises first)


def add_business_minutes(calendar: Calendar, start: datetime, minutes: float) -> datetime:
    return add_business_seconds(calendar, start, minutes * 60)


def business_seconds_between(calendar: Calendar, start: datetime, end: datetime) -> float:
    """Business time from `start` to `end`, in seconds (0 when `end` is not later)."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    total = 0.0
    first = start.astimezone(calendar.zone).date() - timedelta(days=1)
    last = end.astimezone(calendar.zone).date()
    for offset in range((last - first).days + 1):
        for opens, closes in calendar.ranges_on(first + timedelta(days=offset)):
            overlap = (min(closes, end) - max(opens, start)).total_seconds()
            total += max(overlap, 0)
    return total


def business_minutes_between(calendar: Calendar, start: datetime, end: datetime) -> float:
    return business_seconds_between(calendar, start, end) / 60
