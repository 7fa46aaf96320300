"""Recommending: a validated Query -> RedisVL filtered KNN -> Recommendation rows.

Every filter (distance, open at the time, price, rating, cuisines, must-haves such as outdoor
seating, excluded ids) runs inside
Redis as a pre-filter of the vector search, so every result satisfies all of them exactly.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
from geopy.distance import geodesic
from redisvl.query import CountQuery, VectorQuery
from redisvl.query.filter import FilterExpression, Geo, GeoRadius, Num, Tag

from recsys.data.city import CITY
from recsys.data.geo import LAT_RANGE, LON_RANGE, check_coordinate
from recsys.data.hours import WeeklyHours, minute_of_week, query_tags
from recsys.data.ids import check_id
from recsys.data.record import FIELDS, MUST_HAVE
from recsys.serving.connection import redis_errors
from recsys.serving.store import RestaurantStore, parse_item

MAX_RADIUS_M = 50_000
MAX_K = 100
WIDER_RADII_M = (250, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000)


@dataclass
class Query:
    lat: float
    lon: float
    radius_m: float = 1500
    when: datetime | None = None  # timezone-aware; None means now in the service's timezone
    price_min: int = 1
    price_max: int = 4
    min_rating: float = 0.0
    cuisines: list[str] = field(default_factory=list)  # any of these; empty means all
    k: int = 10
    exclude_ids: list[str] = field(default_factory=list)
    open_only: bool = True  # False: ignore opening hours (browse mode)
    must_have: list[str] = field(default_factory=list)  # record fields to require, of MUST_HAVE

    def validate(self, known_cuisines: list[str] | None = None) -> None:
        """Raise ValueError naming every parameter that is wrong; otherwise normalise in place to
        plain Python values (numpy numbers to int/float, an ISO-8601 ``when`` with an offset to a
        datetime), so nothing odd reaches RedisVL. A rejected query is left as it was."""
        problems: list[str] = []
        clean: dict[str, object] = {}
        for name, bounds in (("lat", LAT_RANGE), ("lon", LON_RANGE)):
            value = getattr(self, name)
            if not _is_number(value):
                problems.append(f"{name}={value!r} must be a number between {bounds[0]} and {bounds[1]}")
                continue
            try:
                clean[name] = check_coordinate(name, value, bounds) + 0.0  # + 0.0 turns -0.0 into 0.0
            except ValueError as exc:
                problems.append(str(exc))
        radius = self.radius_m
        if not _is_number(radius) or not 0 < radius <= MAX_RADIUS_M:
            problems.append(f"radius_m={radius!r} must be a number more than 0 and at most {MAX_RADIUS_M} (50 km)")
        else:
            clean["radius_m"] = _plain(radius)
        for name in ("price_min", "price_max"):
            value = getattr(self, name)
            if not _is_whole(value) or not 1 <= value <= 4:
                problems.append(f"{name}={value!r} must be a whole number from 1 to 4")
            else:
                clean[name] = int(value)
        if "price_min" in clean and "price_max" in clean and clean["price_min"] > clean["price_max"]:
            problems.append(f"price range {clean['price_min']}..{clean['price_max']} is inverted (min above max)")
        if not _is_number(self.min_rating) or not 0 <= self.min_rating <= 5:
            problems.append(f"min_rating={self.min_rating!r} must be a number from 0 to 5")
        else:
            clean["min_rating"] = _plain(self.min_rating)
        if not _is_whole(self.k) or not 1 <= self.k <= MAX_K:
            problems.append(f"k={self.k!r} must be a whole number from 1 to {MAX_K}")
        else:
            clean["k"] = int(self.k)
        try:
            clean["when"] = _parse_when(self.when)
        except ValueError as exc:
            problems.append(str(exc))
        if not isinstance(self.cuisines, (list, tuple)) or not all(isinstance(c, str) for c in self.cuisines):
            problems.append(f"cuisines={self.cuisines!r} must be a list of strings")
        else:
            clean["cuisines"] = list(self.cuisines)
            if known_cuisines is not None:
                known = set(known_cuisines)
                unknown = [c for c in self.cuisines if c not in known]
                if unknown:
                    problems.append(f"unknown cuisine(s) {', '.join(map(repr, unknown))}; "
                                    f"known: {', '.join(known_cuisines[:40])}")
        if not isinstance(self.exclude_ids, (list, tuple)):
            problems.append(f"exclude_ids={self.exclude_ids!r} must be a list of ids")
        else:
            try:
                clean["exclude_ids"] = [check_id(i, "exclude_ids") for i in self.exclude_ids]
            except ValueError as exc:
                problems.append(str(exc))
        if not isinstance(self.must_have, (list, tuple)) or not all(isinstance(m, str) for m in self.must_have):
            problems.append(f"must_have={self.must_have!r} must be a list of names")
        elif set(self.must_have) - set(MUST_HAVE):
            unknown = sorted(set(self.must_have) - set(MUST_HAVE))
            problems.append(f"must_have: unknown {', '.join(repr(u[:40]) for u in unknown[:5])}; "
                            f"known: {', '.join(MUST_HAVE)}")
        else:
            clean["must_have"] = list(dict.fromkeys(self.must_have))
        if not isinstance(self.open_only, (bool, np.bool_)):
            problems.append(f"open_only={self.open_only!r} must be True or False")
        else:
            clean["open_only"] = bool(self.open_only)
        if problems:
            raise ValueError("invalid query: " + "; ".join(problems))
        for name, value in clean.items():
            setattr(self, name, value)


def _is_number(value: object) -> bool:
    """A finite real number; booleans are not numbers here (True is never a meant latitude or k)."""
    if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(value, (bool, np.bool_)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float (10**400) is no meant radius or latitude
        return False


def _is_whole(value: object) -> bool:
    """An integer type (numpy's included): 7.0 is refused rather than guessed at."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _plain(value: int | float | np.number) -> int | float:
    return value.item() if isinstance(value, np.generic) else value


def _parse_when(value: object) -> datetime | None:
    """None (now), a timezone-aware datetime, or an ISO-8601 string with an offset; a naive time
    is refused because which zone it means is a guess (the hours are checked to the minute)."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"when={value!r} is not an ISO-8601 date and time "
                             "(for example 2026-11-27T19:00-08:00)") from None
        if parsed.tzinfo is None:
            raise ValueError(f"when={value!r} has no UTC offset; it must be timezone-aware "
                             "(for example 2026-11-27T19:00-08:00)")
        return parsed
    if not isinstance(value, datetime):  # int, float, date, numpy datetime64, ...
        raise ValueError(f"when={value!r} must be a timezone-aware datetime or an ISO-8601 string with an offset")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("when must be timezone-aware (for example datetime.now(ZoneInfo('America/Los_Angeles')))")
    return value


@dataclass
class Recommendation:
    """One pick: the restaurant as stored (the record's stored fields, recsys.data.record) and
    what the search adds. ``rec.name``, ``rec.price``, ... read the restaurant's fields."""

    restaurant: dict
    distance_m: float
    score: float
    open_until: str
    reason: str

    def __getattr__(self, name: str):
        fields = self.__dict__.get("restaurant")
        if fields is None or name not in fields:
            raise AttributeError(f"Recommendation has no field {name!r}")
        return fields[name]


@dataclass
class Results:
    items: list[Recommendation]
    matches: int  # restaurants passing every filter (the KNN ranks among these)
    note: str = ""  # why fewer than k came back, and what to widen
    wider_radius_m: int | None = None  # a radius that would give at least k matches
    latency_ms: float = 0.0


def build_filter(query: Query, tz: str) -> FilterExpression:
    expression = Geo("location") == GeoRadius(query.lon, query.lat, query.radius_m, "m")
    if query.open_only:
        when = query.when or datetime.now(ZoneInfo(tz))
        expression = expression & (Tag("open_slots") == query_tags(minute_of_week(when, tz)))
    if (query.price_min, query.price_max) != (1, 4):
        expression = expression & Num("price").between(query.price_min, query.price_max)
    if query.min_rating > 0:
        expression = expression & (Num("rating") >= query.min_rating)
    if query.cuisines:
        expression = expression & (Tag("cuisines") == list(query.cuisines))
    for name in query.must_have:
        expression = expression & (Tag(name) == list(FIELDS[name].satisfied_by))
    if query.exclude_ids:
        expression = expression & (Tag("item_id") != list(query.exclude_ids))
    return expression


def _format_distance(metres: float) -> str:
    return f"{metres:.0f} m away" if metres < 1000 else f"{metres / 1000:.1f} km away"


def explain(item: dict, distance_m: float, open_until: str, likes: list[str]) -> str:
    """A one-line reason a person can read: taste, distance, hours."""
    shared = [c for c in item["cuisines"] if c in set(likes)]
    if shared:
        first = f"matches your taste for {', '.join(shared[:2])}"
    elif item["rating"] >= 4.5:
        first = f"highly rated ({item['rating']:.1f}★)"
    else:
        first = "popular with people like you"
    return f"{first}; {_format_distance(distance_m)}; {open_until}"


class Searcher:
    """Runs queries against the live restaurant index."""

    def __init__(self, store: RestaurantStore, tz: str = CITY.timezone):
        self.store = store
        self.tz = tz

    @redis_errors
    def count(self, query: Query) -> int:
        return int(self.store.query(CountQuery(build_filter(query, self.tz))))

    @property
    def client(self):
        return self.store.client

    @redis_errors
    def search(self, vector: np.ndarray, query: Query, likes: list[str] | None = None,
               known_cuisines: list[str] | None = None) -> Results:
        started = time.perf_counter()
        query = replace(query)  # our own copy: the caller's query is never changed
        query.validate(known_cuisines)
        when = query.when or datetime.now(ZoneInfo(self.tz))
        query.when = when
        index = self.store.index()  # the live version, so live_layout describes it
        layout = self.store.live_layout
        knn = VectorQuery(vector=[float(x) for x in vector], vector_field_name="embedding",
                          return_fields=layout.return_fields, filter_expression=build_filter(query, self.tz),
                          num_results=query.k, dtype=layout.datatype)
        rows = self.store.query(knn, index)
        items = []
        for row in rows:
            item = parse_item(row)
            distance = geodesic((query.lat, query.lon), (item["lat"], item["lon"])).meters
            hours = WeeklyHours.parse(item["hours"])
            open_until = hours.open_until_text(when, self.tz) if query.open_only else "hours not checked"
            items.append(Recommendation(
                item, distance_m=round(distance, 1), score=round(1.0 - float(row["vector_distance"]), 4),
                open_until=open_until, reason=explain(item, distance, open_until, likes or [])))
        results = Results(items=items, matches=len(items))
        if len(items) < query.k:
            results.matches = self.count(query)
            results.note, results.wider_radius_m = self._why_few(query, results.matches)
        results.latency_ms = (time.perf_counter() - started) * 1000
        return results

    def _why_few(self, query: Query, matches: int) -> tuple[str, int | None]:
        when = query.when.astimezone(ZoneInfo(self.tz)).strftime("%a %H:%M")
        count = "No restaurant" if matches == 0 else f"Only {matches} restaurant{'s' if matches != 1 else ''}"
        base = (f"{count} within "
                f"{_format_distance(query.radius_m).replace(' away', '')} "
                f"{'matches' if matches == 1 or matches == 0 else 'match'} every filter"
                + (f" and {'is' if matches <= 1 else 'are'} open {when}" if query.open_only else "") + ".")
        for radius in WIDER_RADII_M:
            if radius <= query.radius_m:
                continue
            wider = Query(**{**query.__dict__, "radius_m": radius})
            found = self.count(wider)
            if found >= query.k:
                return f"{base} Widening the radius to {radius / 1000:g} km gives {found}.", radius
        return f"{base} Try fewer filters or another time.", None
