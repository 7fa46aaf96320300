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
