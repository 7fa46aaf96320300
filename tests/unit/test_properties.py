"""Property-based tests: no input crashes the importers or query validation with anything but
the documented errors, and a failed import writes nothing."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recsys.data.contract import DatasetError
from recsys.data.geo import LAT_RANGE, LON_RANGE
from recsys.data.hours import HoursError, WeeklyHours
from recsys.data.importers import ingest
from recsys.serving.query import Query

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                    st.text(max_size=12))
clock = st.one_of(st.text(max_size=6), st.from_regex(r"\A[0-2]?[0-9]:[0-5][0-9]\Z"))
hours = st.one_of(scalars, st.dictionaries(st.sampled_from(["monday", "friday", "sun", "funday", ""]),
                                           st.lists(st.one_of(st.lists(clock, max_size=3), scalars), max_size=3),
                                           max_size=3))
restaurant = st.fixed_dictionaries({}, optional={
    "name": scalars, "address": scalars, "latitude": scalars, "longitude": scalars,
    "cuisine": st.one_of(scalars, st.lists(st.text(max_size=10), max_size=3)),
    "price": st.one_of(scalars, st.sampled_from(["$", "$$", "$$$$"])), "rating": scalars, "hours": hours,
    "reviews": st.one_of(scalars, st.lists(st.dictionaries(st.sampled_from(["review_rating", "author"]), scalars), max_size=3)),
})
overpass = st.fixed_dictionaries({"elements": st.lists(st.fixed_dictionaries({
    "type": st.sampled_from(["node", "way"]), "id": st.integers(0, 10**9),
    "lat": st.floats(-100, 100), "lon": st.floats(-200, 200),
    "tags": st.fixed_dictionaries({"amenity": st.sampled_from(["restaurant", "cafe", "bench"])},
                                  optional={"name": st.text(max_size=10), "cuisine": st.text(max_size=15),
                                            "opening_hours": st.one_of(st.text(max_size=25),
                                                                       st.sampled_from(["Mo-Fr 09:00-17:00", "24/7",
                                                                                        "Sa 20:00-02:00"]))})}),
    max_size=4)})


def _ingest(payload: object, fmt: str, skip: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source, out = Path(tmp) / "in.json", Path(tmp) / "out"
        source.write_text(json.dumps(payload, default=str))
        try:
            result = ingest(source, out, fmt, skip_invalid=skip)
        except DatasetError:
            assert not out.exists(), "a failed import must write nothing"
            return
        assert (out / "items.csv").is_file()
        for text in result.dataset.items["hours"]:
            WeeklyHours.parse(text)  # whatever was written parses back


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({"restaurants": st.lists(restaurant, max_size=4)}), st.booleans())
def test_tripadvisor_import_never_crashes(payload, skip):
    _ingest(payload, "tripadvisor", skip)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(overpass, st.booleans())
def test_osm_import_never_crashes(payload, skip):
    _ingest(payload, "osm", skip)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_hours_parse_raises_only_hours_error(text):
    try:
        WeeklyHours.parse(text)
    except HoursError:
        pass


numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**7, 10**7), st.booleans(),
                    st.integers(-10**4, 10**4).map(np.int64), st.floats(width=32).map(np.float32))
whole = st.one_of(st.integers(-5, 500), st.integers(-5, 500).map(np.int64), st.booleans(), st.floats(-5, 500))


@settings(max_examples=300, deadline=None)
@given(lat=numbers, lon=numbers, radius=numbers, pmin=whole, pmax=whole, rating=numbers, k=whole,
       cuisines=st.lists(st.text(max_size=8), max_size=3))
def test_query_validation_accepts_only_sane_queries(lat, lon, radius, pmin, pmax, rating, k, cuisines):
    query = Query(lat=lat, lon=lon, radius_m=radius, price_min=pmin, price_max=pmax, min_rating=rating, k=k,
                  cuisines=cuisines)
    known = ["pizza", "thai"]
    try:
        query.validate(known)
    except ValueError as exc:
        assert str(exc).startswith("invalid query:")
        return
    # Accepted: within Redis GEO's range and every limit, and normalised to plain Python numbers.
    assert LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1] and 0 < radius <= 50_000
    assert 1 <= pmin <= pmax <= 4 and 0 <= rating <= 5 and 1 <= k <= 100 and not math.isnan(lat)
    assert not any(isinstance(v, bool) for v in (lat, lon, radius, pmin, pmax, rating, k))
    assert type(query.k) is int and type(query.price_min) is int and type(query.lat) is float
    assert set(cuisines) <= set(known)
