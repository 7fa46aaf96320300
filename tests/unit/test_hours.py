"""Opening hours: exact open-at-T, and the Redis tag encoding agrees with it minute by minute."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recsys.data.hours import (MINUTES_PER_WEEK, HoursError, WeeklyHours, minute_of_week, parse_clock,
                               query_tags)

SF = ZoneInfo("America/Los_Angeles")


def at(day: str, hhmm: str) -> datetime:
    """A local time in the week of Mon 2026-11-23."""
    base = datetime(2026, 11, 23, tzinfo=SF)
    h, m = map(int, hhmm.split(":"))
    return base + timedelta(days=["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"].index(day), hours=h, minutes=m)


def test_split_shifts():
    hours = WeeklyHours.parse("Mo-Fr 11:30-14:30,17:00-22:00")
    assert hours.is_open(at("Mo", "12:00"))
    assert not hours.is_open(at("Mo", "15:00"))  # between lunch and dinner
    assert hours.is_open(at("Fr", "21:59"))
    assert not hours.is_open(at("Fr", "22:00"))  # closing minute is closed
    assert not hours.is_open(at("Sa", "12:00"))  # closed day


def test_past_midnight_opens_the_next_day():
    hours = WeeklyHours.parse("Fr 18:00-02:00")
    assert hours.is_open(at("Sa", "01:00"))
    assert not hours.is_open(at("Fr", "01:00"))  # Thursday night was not open
    assert not hours.is_open(at("Sa", "02:00"))
    assert hours.closes_at(at("Fr", "23:00")).strftime("%a %H:%M") == "Sat 02:00"


def test_sunday_night_wraps_into_monday():
    hours = WeeklyHours.parse("Su 22:00-03:00")
    assert hours.is_open(at("Mo", "02:30"))
    assert hours.open_until_text(at("Su", "23:00")) == "open until 03:00 (Mon)"
    assert hours.to_text() == "Su 22:00-03:00"


def test_24_hours_and_closed():
    assert WeeklyHours.parse("24/7").is_open(at("We", "04:00"))
    assert WeeklyHours.parse("24/7").open_until_text(at("We", "04:00")) == "open 24 hours"
    assert not WeeklyHours.parse("").is_open(at("We", "12:00"))
    assert WeeklyHours.parse("Sa 00:00-24:00").is_open(at("Sa", "23:59"))


def test_dst_days_use_wall_clock_time():
    hours = WeeklyHours.parse("Su 01:00-03:30")
    # 2026-03-08: clocks jump from 02:00 to 03:00 in San Francisco.
    assert hours.is_open(datetime(2026, 3, 8, 3, 15, tzinfo=SF))
    assert hours.is_open(datetime(2026, 3, 8, 10, 15, tzinfo=ZoneInfo("UTC")))  # 03:15 PDT
    # 2026-11-01: 01:30 happens twice; both are inside the interval.
    first = datetime(2026, 11, 1, 8, 30, tzinfo=ZoneInfo("UTC"))  # 01:30 PDT
    assert hours.is_open(first) and hours.is_open(first + timedelta(hours=1))  # 01:30 PST


def test_naive_datetime_is_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        WeeklyHours.parse("24/7").is_open(datetime(2026, 1, 1, 12, 0))


@pytest.mark.parametrize("text", ["Xx 10:00-12:00", "Mo 25:00-26:00", "Mo 10:00", "Mo 10:61-11:00"])
def test_bad_hours_name_the_problem(text):
    with pytest.raises(HoursError):
        WeeklyHours.parse(text)


def test_text_round_trip():
    text = "Mo 11:30-14:30,17:00-22:00; Fr 18:00-02:00; Su 22:00-03:00"
    hours = WeeklyHours.parse(text)
    assert WeeklyHours.parse(hours.to_text()) == hours


clock = st.integers(min_value=0, max_value=24 * 60 - 1)
intervals = st.lists(st.tuples(st.integers(0, 6), clock, clock), max_size=6)


@settings(max_examples=60, deadline=None)
@given(intervals)
def test_redis_tags_match_is_open_for_every_minute(spec):
    days: dict[int, list[tuple[str, str]]] = {}
    for day, start, end in spec:
        if start == end:
            continue
        days.setdefault(day, []).append((f"{start // 60:02d}:{start % 60:02d}", f"{end // 60:02d}:{end % 60:02d}"))
    hours = WeeklyHours.from_day_intervals(days)
    tags = set(hours.redis_tags())
    for minute in range(0, MINUTES_PER_WEEK, 1):
        assert hours.is_open_minute(minute) == any(t in tags for t in query_tags(minute)), minute
    assert WeeklyHours.parse(hours.to_text()) == hours


def test_minute_of_week_and_clock():
    assert minute_of_week(at("Mo", "00:00")) == 0
    assert minute_of_week(at("Su", "23:59")) == MINUTES_PER_WEEK - 1
    assert parse_clock("24:00") == 1440
