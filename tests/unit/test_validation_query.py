"""Query validation against the hostile-input catalogue's numbers, times and ids: what is clearly
meant (numpy numbers, ISO-8601 times with an offset) is accepted and normalised to plain Python
values; everything else is a ValueError that names the parameter."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from recsys.data.geo import LAT_RANGE
from recsys.serving.query import MAX_K, MAX_RADIUS_M, Query

SF = ZoneInfo("America/Los_Angeles")


def query(**changes) -> Query:
    return Query(**{"lat": 37.77, "lon": -122.42, **changes})


@pytest.mark.parametrize("changes,expected", [
    ({"k": np.int64(7)}, {"k": 7}),
    ({"k": np.int32(100)}, {"k": 100}),
    ({"lat": np.float32(37.7)}, {"lat": float(np.float32(37.7))}),
    ({"lat": -0.0, "lon": -0.0}, {"lat": 0.0, "lon": 0.0}),
    ({"lat": LAT_RANGE[1], "lon": 180}, {"lat": LAT_RANGE[1], "lon": -180.0}),  # one meridian: see test_view_params
    ({"lat": LAT_RANGE[0], "lon": -180}, {"lat": LAT_RANGE[0], "lon": -180.0}),
    ({"price_min": np.int64(2), "price_max": np.int8(3)}, {"price_min": 2, "price_max": 3}),
    ({"min_rating": np.float32(4.5)}, {"min_rating": 4.5}),
    ({"min_rating": 5}, {"min_rating": 5}),
    ({"radius_m": np.float64(50_000.0)}, {"radius_m": float(MAX_RADIUS_M)}),
    ({"radius_m": 0.5}, {"radius_m": 0.5}),
    ({"exclude_ids": ["a b", "x|y", "@name:(x)", "*", "é-1"]},
     {"exclude_ids": ["a b", "x|y", "@name:(x)", "*", "é-1"]}),
    ({"exclude_ids": [np.int64(5), 7]}, {"exclude_ids": ["5", "7"]}),  # the id rule's str()
    ({"cuisines": ("pizza",)}, {"cuisines": ["pizza"]}),
    ({"open_only": np.bool_(False)}, {"open_only": False}),
])
def test_clearly_meant_values_are_accepted_as_plain_python(changes, expected):
    q = query(**changes)
    q.validate(["pizza", "fish & chips"])
    for name, value in expected.items():
        got = getattr(q, name)
        assert got == value and type(got) is type(value), (name, got)


@pytest.mark.parametrize("text,expected", [
    ("2026-11-27T19:00:00-08:00", datetime(2026, 11, 27, 19, 0, tzinfo=SF)),
    ("2026-11-28T03:00:00Z", datetime(2026, 11, 27, 19, 0, tzinfo=SF)),
    ("2026-11-28 03:00+00:00", datetime(2026, 11, 27, 19, 0, tzinfo=SF)),
])
def test_when_as_iso_8601_with_an_offset(text, expected):
    q = query(when=text)
    q.validate()
    assert isinstance(q.when, datetime) and q.when == expected and q.when.tzinfo is not None


def test_when_as_an_aware_datetime_is_kept():
    when = datetime(2026, 11, 27, 19, 0, tzinfo=timezone(timedelta(hours=2)))
    q = query(when=when)
    q.validate()
    assert q.when is when


NOT_NUMBERS = [float("nan"), float("inf"), float("-inf"), True, False, np.bool_(True), "37.7", None, [1]]


@pytest.mark.parametrize("name,value", [
    *[("lat", v) for v in [*NOT_NUMBERS, 1e308, 85.06, 90, -90, 200, -85.06, np.float64(85.0512288)]],
    *[("lon", v) for v in [*NOT_NUMBERS, 1e308, 180.5, -180.5, np.float32(181)]],
    *[("radius_m", v) for v in [*NOT_NUMBERS, 1e308, 0, -0.0, -1, 50_000.5, MAX_RADIUS_M + 1]],
    *[("price_min", v) for v in [*NOT_NUMBERS, 0, 5, 2.5, 2.0, np.float64(2), -1]],
    *[("price_max", v) for v in [*NOT_NUMBERS, 0, 5, 2.5, 4.0, 1e308]],
    *[("min_rating", v) for v in [*NOT_NUMBERS, 1e308, -0.5, 5.5, -1e308]],
    *[("k", v) for v in [*NOT_NUMBERS, 1e308, 0, -3, 10**9, MAX_K + 1, 7.0, np.float32(7), -0.0]],
    *[("when", v) for v in [0, 1764298800, 1.5, date(2026, 11, 27), "garbage", "", "2026-11-27T19:00",
                            "2026-11-27", datetime(2026, 11, 27, 19, 0), np.datetime64("2026-11-27T19:00"),
                            True]],
    *[("exclude_ids", v) for v in [[""], ["   "], ["a,b"], [None], ["ok", ""], "abc", None, ["x\ny"],
                                   ["x" * 500]]],
    *[("cuisines", v) for v in ["pizza", None, [1], ["pizza", None]]],
    *[("open_only", v) for v in [None, "yes", 1]],
])
def test_hostile_values_are_rejected_naming_the_parameter(name, value):
    q = query(**{name: value})
    with pytest.raises(ValueError, match="invalid query") as err:
        q.validate(["pizza"])
    assert name in str(err.value)


def test_every_problem_is_named_at_once():
    q = query(lat=float("nan"), k=True, when=3, price_min=2.5)
    with pytest.raises(ValueError) as err:
        q.validate()
    for name in ("lat", "k", "when", "price_min"):
        assert name in str(err.value)


def test_a_rejected_query_is_left_as_it_was():
    q = query(k=np.int64(7), lat=float("inf"))
    with pytest.raises(ValueError):
        q.validate()
    assert type(q.k) is np.int64  # nothing half-normalised


def test_must_have_accepts_the_record_filters_only():
    q = query(must_have=("wheelchair", "wheelchair", "outdoor_seating"))
    q.validate()
    assert q.must_have == ["wheelchair", "outdoor_seating"]
    for bad in (["wifi"], "wheelchair", [1], ["<b>x</b>"]):
        with pytest.raises(ValueError, match="must_have"):
            query(must_have=bad).validate()


# -- issue 19 item 14: times at the calendar's edges, numpy scalars of every kind -------------------

@pytest.mark.parametrize("when", [
    "0001-01-01T00:00+00:00", "0001-01-01T00:00+05:00", "0001-01-02T00:00-08:00", "9999-12-31T23:59-08:00",
    "9999-12-31T12:00+00:00", "9999-06-01T00:00-01:00", datetime(1, 1, 1, tzinfo=timezone.utc),
    datetime(9999, 12, 31, 20, 0, tzinfo=timezone(timedelta(hours=-5))), datetime.max.replace(tzinfo=SF),
])
def test_times_at_the_calendars_edges_are_refused_naming_when(when):
    q = query(when=when)
    with pytest.raises(ValueError, match="invalid query") as err:
        q.validate()
    assert "when" in str(err.value) and "year" in str(err.value)


# The first and last minutes in range (in UTC), written in the zones furthest from it.
@pytest.mark.parametrize("when", ["0002-01-01T00:00+00:00", "0001-12-31T12:00-12:00", "0002-01-01T14:00+14:00",
                                  "9998-12-31T23:59+00:00", "9999-01-01T13:59+14:00", "9998-12-31T11:59-12:00"])
def test_the_first_and_last_accepted_times_work_in_every_zone(when):
    from recsys.data.hours import WeeklyHours, minute_of_week

    q = query(when=when)
    q.validate()
    hours = WeeklyHours.parse("Mo-Su 10:00-20:00")
    for tz in ("America/Los_Angeles", "Pacific/Kiritimati", "Etc/GMT+12", None):
        minute_of_week(q.when, tz)
        hours.open_until_text(q.when, tz)  # the week ahead is still inside the calendar
        q.when.astimezone(ZoneInfo(tz or "UTC")).strftime("%a %H:%M")


@pytest.mark.parametrize("changes,expected", [
    ({"min_rating": np.longdouble(3)}, {"min_rating": 3.0}),
    ({"min_rating": np.float16(4.5)}, {"min_rating": 4.5}),
    ({"min_rating": np.int8(4)}, {"min_rating": 4}),
    ({"radius_m": np.longdouble(1500)}, {"radius_m": 1500.0}),
    ({"radius_m": np.uint16(900)}, {"radius_m": 900}),
    ({"lat": np.longdouble(37.5), "lon": np.float16(-122.0)}, {"lat": 37.5, "lon": -122.0}),
    ({"k": np.uint64(5), "price_min": np.uint8(1), "price_max": np.int16(4)}, {"k": 5, "price_min": 1, "price_max": 4}),
])
def test_numpy_scalars_of_every_kind_become_plain_python(changes, expected):
    q = query(**changes)
    q.validate()
    for name, value in expected.items():
        got = getattr(q, name)
        assert got == value and type(got) is type(value), (name, got, type(got))


def test_a_longdouble_rating_reaches_redisvl_as_a_plain_float():
    """The TypeError came from RedisVL's numeric filter, which takes int or float only."""
    from redisvl.query.filter import Num

    q = query(min_rating=np.longdouble(3), radius_m=np.longdouble(800))
    q.validate()
    assert str(Num("rating") >= q.min_rating) == "@rating:[3.0 +inf]"
