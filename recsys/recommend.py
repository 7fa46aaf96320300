"""Recommending: a validated Query -> RedisVL filtered KNN -> Recommendation rows.

Every filter (distance, open at the time, price, rating, cuisines, excluded ids) runs inside
Redis as a pre-filter of the vector search, so every result satisfies all of them exactly.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
from geopy.distance import geodesic
from redisvl.query import CountQuery, VectorQuery
from redisvl.query.filter import FilterExpression, Geo, GeoRadius, Num, Tag

from recsys.data.hours import WeeklyHours, minute_of_week, query_tags
from recsys.connection import redis_errors
from recsys.store import RestaurantStore, parse_item

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

    def validate(self, known_cuisines: list[str] | None = None) -> None:
        """Raise ValueError naming the parameter for anything out of range."""
        problems = []
        for name, value, low, high in (("lat", self.lat, -90, 90), ("lon", self.lon, -180, 180)):
            if not isinstance(value, (int, float)) or math.isnan(value) or not low <= value <= high:
                problems.append(f"{name}={value!r} must be a number between {low} and {high}")
        if not isinstance(self.radius_m, (int, float)) or not 0 < self.radius_m <= MAX_RADIUS_M:
            problems.append(f"radius_m={self.radius_m!r} must be more than 0 and at most {MAX_RADIUS_M} (50 km)")
        for name in ("price_min", "price_max"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or not 1 <= value <= 4:
                problems.append(f"{name}={value!r} must be a whole number from 1 to 4")
        if isinstance(self.price_min, int) and isinstance(self.price_max, int) and self.price_min > self.price_max:
            problems.append(f"price range {self.price_min}..{self.price_max} is inverted (min above max)")
        if not isinstance(self.min_rating, (int, float)) or not 0 <= self.min_rating <= 5:
            problems.append(f"min_rating={self.min_rating!r} must be between 0 and 5")
        if not isinstance(self.k, (int, np.integer)) or not 1 <= self.k <= MAX_K:
            problems.append(f"k={self.k!r} must be a whole number from 1 to {MAX_K}")
        if self.when is not None and self.when.tzinfo is None:
            problems.append("when must be timezone-aware (for example datetime.now(ZoneInfo('America/Los_Angeles')))")
        if not isinstance(self.cuisines, (list, tuple)) or not all(isinstance(c, str) for c in self.cuisines):
            problems.append("cuisines must be a list of strings")
        elif known_cuisines is not None:
            unknown = [c for c in self.cuisines if c not in set(known_cuisines)]
            if unknown:
                problems.append(f"unknown cuisine(s) {', '.join(map(repr, unknown))}; "
                                f"known: {', '.join(known_cuisines[:40])}")
        if not all(isinstance(i, str) and i for i in self.exclude_ids):
            problems.append("exclude_ids must be non-empty strings")
        if problems:
            raise ValueError("invalid query: " + "; ".join(problems))


@dataclass
class Recommendation:
    item_id: str
    name: str
    address: str
    lat: float
    lon: float
    cuisines: list[str]
    price: int
    rating: float
    distance_m: float
    score: float
    open_until: str
    reason: str
    locality: str = ""


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

    def __init__(self, store: RestaurantStore, tz: str = "America/Los_Angeles"):
        self.store = store
        self.tz = tz

    @redis_errors
    def count(self, query: Query) -> int:
        return int(self.store.index().query(CountQuery(build_filter(query, self.tz))))

    @property
    def client(self):
        return self.store.client

    @redis_errors
    def search(self, vector: np.ndarray, query: Query, likes: list[str] | None = None,
               known_cuisines: list[str] | None = None) -> Results:
        started = time.perf_counter()
        query.validate(known_cuisines)
        when = query.when or datetime.now(ZoneInfo(self.tz))
        query.when = when
        index = self.store.index()
        layout = self.store.live_layout
        knn = VectorQuery(vector=[float(x) for x in vector], vector_field_name="embedding",
                          return_fields=layout.return_fields, filter_expression=build_filter(query, self.tz),
                          num_results=query.k, dtype=layout.datatype)
        rows = index.query(knn)
        items = []
        for row in rows:
            item = parse_item(row)
            distance = geodesic((query.lat, query.lon), (item["lat"], item["lon"])).meters
            hours = WeeklyHours.parse(item["hours"])
            open_until = hours.open_until_text(when, self.tz) if query.open_only else "hours not checked"
            items.append(Recommendation(
                item_id=item["item_id"], name=item["name"], address=item["address"], lat=item["lat"],
                lon=item["lon"], cuisines=item["cuisines"], price=item["price"], rating=item["rating"],
                distance_m=round(distance, 1), score=round(1.0 - float(row["vector_distance"]), 4),
                open_until=open_until, reason=explain(item, distance, open_until, likes or []),
                locality=item["locality"]))
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
