"""Recommending: a validated Query -> RedisVL filtered KNN -> Recommendation rows.

Every filter (distance, open at the time, price, rating, cuisines, must-haves such as outdoor
seating, excluded ids) runs inside
Redis as a pre-filter of the vector search, so every result satisfies all of them exactly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
from geopy.distance import geodesic
from redisvl.query import CountQuery, VectorQuery
from redisvl.query.filter import FilterExpression, Geo, GeoRadius, Num, Tag

from recsys.data.city import CITY
from recsys.data.hours import WeeklyHours, minute_of_week, query_tags
from recsys.data.record import FIELDS
from recsys.serving.connection import redis_errors
from recsys.serving.query import WIDER_RADII_M, Query
from recsys.serving.store import RestaurantStore, parse_item


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
    if query.filters_price:
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
            wider = replace(query, radius_m=radius)
            found = self.count(wider)
            if found >= query.k:
                return f"{base} Widening the radius to {radius / 1000:g} km gives {found}.", radius
        return f"{base} Try fewer filters or another time.", None
