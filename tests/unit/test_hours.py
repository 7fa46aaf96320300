"""Opening hours: exact open-at-T, and the Redis tag encoding agrees with it minute by minute."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recsys.data.hours import MINUTES_PER_WEEK, HoursError, WeeklyHours, minute_of_week, parse_clock, query_tags

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
    assert hours.is_open(datetime(2026, 3, 8, 10, 15, tzinfo=ZoneInfo("UTC")), "America/Los_Angeles")  # 03:15 PDT
    # 2026-11-01: 01:30 happens twice; both are inside the interval.
    first = datetime(2026, 11, 1, 8, 30, tzinfo=ZoneInfo("UTC"))  # 01:30 PDT
    assert hours.is_open(first, "America/Los_Angeles") and hours.is_open(first + timedelta(hours=1), "America/Los_Angeles")
    # Without a zone, the time's own wall clock: 10:15 UTC on a Sunday is after 03:30.
    assert not hours.is_open(datetime(2026, 3, 8, 10, 15, tzinfo=ZoneInfo("UTC")))


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


# -- `closed`/`off` closes that day's own hours given so far (DESIGN.md, README) -----------------

def test_closed_after_a_range_closes_that_day():
    hours = WeeklyHours.parse("Mo-Su 10:00-20:00; Su closed")
    assert not hours.is_open(at("Su", "12:00"))
    assert hours.is_open(at("Sa", "12:00")) and hours.is_open(at("Mo", "12:00"))
    assert WeeklyHours.parse("Mo-Su 10:00-20:00; Su off") == hours  # `off` is the same word


def test_closed_keeps_the_previous_nights_spill_and_later_rules_add():
    hours = WeeklyHours.parse("Sa 18:00-02:00; Su closed")
    assert hours.is_open(at("Su", "01:30"))  # Saturday night still runs into Sunday
    assert not hours.is_open(at("Su", "18:30"))
    # A day's own late close is removed with it: Sunday's 22:00-03:00 no longer spills into Monday.
    assert not WeeklyHours.parse("Su 22:00-03:00; Su closed").is_open(at("Mo", "01:00"))
    # Rules after the `closed` add up again, and `closed` first closes nothing that follows.
    reopened = WeeklyHours.parse("Mo-Su 10:00-20:00; Su closed; Su 12:00-14:00")
    assert reopened.is_open(at("Su", "13:00")) and not reopened.is_open(at("Su", "11:00"))
    assert WeeklyHours.parse("Su closed; Mo-Su 10:00-20:00").is_open(at("Su", "11:00"))


def reference_open_minutes(text: str) -> set[int]:
    """An independent reading of the hours grammar used by the property test below: a plain
    per-day list of (start, end) minutes after that day's midnight, where `closed`/`off` empties
    that day's list and every other rule appends; then each span is laid on the week minute by
    minute (wrapping from Sunday night into Monday)."""
    names = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]
    per_day: list[list[tuple[int, int]]] = [[] for _ in names]
    for rule in [r.strip() for r in text.split(";") if r.strip()]:
        day_text, times = rule.split(" ", 1)
        days = []
        for part in day_text.split(","):
            if "-" in part:
                a, b = names.index(part[:2]), names.index(part[3:])
                days += [(a + i) % 7 for i in range((b - a) % 7 + 1)]
            else:
                days.append(names.index(part))
        if times.strip().lower() in ("closed", "off"):
            for d in days:
                per_day[d] = []
            continue
        for span in times.split(","):
            start_text, end_text = span.split("-")
            start = int(start_text[:2]) * 60 + int(start_text[3:])
            end = int(end_text[:2]) * 60 + int(end_text[3:])
            if end <= start:
                end += 24 * 60
            for d in days:
                per_day[d].append((start, end))
    minutes = set()
    for d, spans in enumerate(per_day):
        for start, end in spans:
            minutes.update((d * 1440 + m) % MINUTES_PER_WEEK for m in range(start, end))
    return minutes


day_names = st.sampled_from(["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"])
day_spec = st.one_of(day_names, st.tuples(day_names, day_names).map(lambda p: f"{p[0]}-{p[1]}"),
                     st.lists(day_names, min_size=2, max_size=3, unique=True).map(",".join))
hhmm = st.integers(0, 24 * 60 - 1).map(lambda m: f"{m // 60:02d}:{m % 60:02d}")
times_spec = st.one_of(st.sampled_from(["closed", "off", "Closed"]),
                       st.lists(st.tuples(hhmm, hhmm).filter(lambda p: p[0] != p[1]).map("-".join),
                                min_size=1, max_size=2).map(",".join))
hours_text = st.lists(st.tuples(day_spec, times_spec).map(" ".join), min_size=1, max_size=5).map("; ".join)


@settings(max_examples=150, deadline=None)
@given(hours_text)
def test_hours_match_the_reference_minute_by_minute(text):
    hours = WeeklyHours.parse(text)
    expected = reference_open_minutes(text)
    for minute in range(MINUTES_PER_WEEK):
        assert hours.is_open_minute(minute) == (minute in expected), (text, minute)
