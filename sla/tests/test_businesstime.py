"""The business-time arithmetic, on its own: weekly ranges, holidays, DST."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from sla.businesstime import (
    Calendar,
    add_business_minutes,
    business_minutes_between,
)

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
NEW_YORK = ZoneInfo("America/New_York")
LISBON = ZoneInfo("Europe/Lisbon")
WEEKDAYS_9_TO_18 = {day: [(time(9), time(12)), (time(13), time(18))] for day in range(5)}


def local(zone, *args):
    return datetime(*args, tzinfo=zone)


def test_around_the_clock_without_business_hours():
    calendar = Calendar(zone=SAO_PAULO)
    start = local(SAO_PAULO, 2026, 3, 7, 23, 0)  # a Saturday night

    due = add_business_minutes(calendar, start, 120)

    assert due == local(SAO_PAULO, 2026, 3, 8, 1, 0)
    assert business_minutes_between(calendar, start, due) == 120


def test_minutes_skip_lunch_nights_and_the_weekend():
    calendar = Calendar(zone=SAO_PAULO, week=WEEKDAYS_9_TO_18)
    friday_afternoon = local(SAO_PAULO, 2026, 3, 6, 17, 30)

    due = add_business_minutes(calendar, friday_afternoon, 4 * 60)

    # 30 min on Friday, then Monday 09:00–12:00 (180) and 13:00–13:30 (30)
    assert due == local(SAO_PAULO, 2026, 3, 9, 13, 30)
    assert business_minutes_between(calendar, friday_afternoon, due) == 240


def test_starting_before_opening_counts_from_the_opening():
    calendar = Calendar(zone=SAO_PAULO, week=WEEKDAYS_9_TO_18)

    assert add_business_minutes(calendar, local(SAO_PAULO, 2026, 3, 9, 6, 0), 0) == local(
        SAO_PAULO, 2026, 3, 9, 9, 0
    )
    assert add_business_minutes(calendar, local(SAO_PAULO, 2026, 3, 9, 12, 30), 60) == local(
        SAO_PAULO, 2026, 3, 9, 14, 0
    )


def test_holidays_are_skipped():
    carnival = frozenset({date(2026, 2, 16), date(2026, 2, 17)})  # Monday and Tuesday
    calendar = Calendar(zone=SAO_PAULO, week=WEEKDAYS_9_TO_18, holidays=carnival)
    friday_evening = local(SAO_PAULO, 2026, 2, 13, 18, 0)

    due = add_business_minutes(calendar, friday_evening, 60)

    assert due == local(SAO_PAULO, 2026, 2, 18, 10, 0)
    assert business_minutes_between(calendar, friday_evening, due) == 60


def test_new_york_spring_forward_night_holds_one_hour_less():
    # Clocks jump from 02:00 to 03:00 on 8 March 2026: a 00:00–06:00 range lasts 5 hours.
    calendar = Calendar(zone=NEW_YORK, week={6: [(time(0), time(6))]})
    start = local(NEW_YORK, 2026, 3, 8, 0, 0)
    end = local(NEW_YORK, 2026, 3, 8, 6, 0)

    assert business_minutes_between(calendar, start, end) == 300
    assert add_business_minutes(calendar, start, 180) == local(NEW_YORK, 2026, 3, 8, 4, 0)
    assert add_business_minutes(calendar, start, 180).astimezone(UTC) == datetime(
        2026, 3, 8, 8, 0, tzinfo=UTC
    )


def test_lisbon_fall_back_night_holds_one_hour_more():
    # Clocks go back from 02:00 to 01:00 on 25 October 2026: 00:00–04:00 lasts 5 hours.
    calendar = Calendar(zone=LISBON, week={6: [(time(0), time(4))]})
    start = local(LISBON, 2026, 10, 25, 0, 0)

    assert business_minutes_between(calendar, start, local(LISBON, 2026, 10, 25, 4, 0)) == 300
    assert add_business_minutes(calendar, start, 300) == local(LISBON, 2026, 10, 25, 4, 0)


def test_business_days_across_a_dst_change_keep_their_local_hours():
    calendar = Calendar(zone=NEW_YORK, week=WEEKDAYS_9_TO_18)
    friday = local(NEW_YORK, 2026, 3, 6, 17, 0)  # EST; Monday is EDT

    due = add_business_minutes(calendar, friday, 120)

    assert due == local(NEW_YORK, 2026, 3, 9, 10, 0)
    assert due.astimezone(UTC) == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)


def test_between_is_zero_backwards_and_counts_partial_ranges():
    calendar = Calendar(zone=SAO_PAULO, week=WEEKDAYS_9_TO_18)
    monday_10 = local(SAO_PAULO, 2026, 3, 9, 10, 0)

    assert business_minutes_between(calendar, monday_10, monday_10) == 0
    assert business_minutes_between(calendar, monday_10, local(SAO_PAULO, 2026, 3, 9, 9)) == 0
    assert business_minutes_between(calendar, monday_10, local(SAO_PAULO, 2026, 3, 9, 14)) == 180


def test_a_calendar_without_any_opening_is_an_error():
    calendar = Calendar(zone=SAO_PAULO, week={0: [(time(9), time(9))]})

    with pytest.raises(ValueError):
        add_business_minutes(calendar, local(SAO_PAULO, 2026, 3, 9, 10, 0), 1)
