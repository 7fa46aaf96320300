"""Recommending: a validated Query -> RedisVL filtered KNN -> Recommendation rows.

Every filter (distance, open at the time, price, rating, cuisines, must-haves such as outdoor
seating, excluded ids) runs inside Redis as a pre-filter of the vector search, so every result
satisfies all of them exactly. Redis measures distance on a sphere, so it is asked for a slightly
wider circle and the places truly within the radius (by the WGS84 geodesic) are kept here.

One round trip in the common case: the KNN alone (the live index version is cached briefly; no
count is needed when k places come back, and when fewer do, they are every match). Only then
does one pipeline count the wider radii for the "widen the radius" suggestion.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable
from zoneinfo import ZoneInfo

import numpy as np
from redisvl.query.filter import FilterExpression, Geo, GeoRadius, Num, Tag

from recsys.data.city import CITY
from recsys.data.geo import SPHERE_MARGIN, distance_text, sphere_radius_for, within_m
from recsys.data.hours import minute_of_week, parse_hours, query_tags
from recsys.data.record import FIELDS
from recsys.serving.query import WIDER_RADII_M, Query, ValidQuery
from recsys.serving.store import LiveIndex, RestaurantStore, parse_item


@dataclass
class Recommendation:
    """One pick: the restaurant as stored (the record's stored fields, recsys.data.record) and
    what the search adds. ``rec.name``, ``rec.price``, ... read the restaurant's fields."""

    restaurant: dict
    distance_m: float
    score: float
    open_until: str
    why: str  # why_picked alone, for a view that shows distance and hours in columns of their own

    @property
    def reason(self) -> str:
        """One line: why it was picked, how far, until when it is open."""
        return f"{self.why}; {distance_text(self.distance_m)} away; {self.open_until}"

    def __getattr__(self, name: str):
        fields = self.__dict__.get("restaurant")
        if fields is None or name not in fields:
            raise AttributeError(f"Recommendation has no field {name!r}")
        return fields[name]


@dataclass
class Results:
    items: list[Recommendation]
    # Restaurants passing every filter: exact when fewer than k came back (then the items are all
    # of them); otherwise the number shown, and at least that many match.
    matches: int
    latency_ms: float = 0.0  # the search itself; the suggestion below is counted when first read
    # Why fewer than k came back and a radius that gives k: counted by Redis only when first read
    # (one pipelined round trip), since a caller that does not show it should not pay for it.
    _suggest: Callable[[], tuple[str, int | None]] | None = field(default=None, repr=False, compare=False)
    _suggestion: tuple[str, int | None] | None = field(default=None, repr=False, compare=False)

    def suggestion(self) -> tuple[str, int | None]:
        """(note, wider_radius_m): empty and None when k came back. May raise
        RedisUnavailableError, as the search itself does."""
        if self._suggestion is None:
            self._suggestion = self._suggest() if self._suggest else ("", None)
        return self._suggestion

    @property
    def note(self) -> str:
        """Why fewer than k came back, and what to widen ("" when k came back)."""
        return self.suggestion()[0]

    @property
    def wider_radius_m(self) -> int | None:
        """A radius that gives at least k matches, when one of the offered radii does."""
        return self.suggestion()[1]


def build_filter(query: Query, tz: str, radius_m: float | None = None) -> FilterExpression:
    """Every filter of ``query`` as one RediSearch expression; ``radius_m`` is the circle Redis
    is asked for (the query's radius unless given)."""
    radius = query.radius_m if radius_m is None else radius_m
    expression = Geo("location") == GeoRadius(query.lon, query.lat, round(radius, 2), "m")
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


def _most_alike(item: dict, places: list[dict]) -> dict | None:
    """Of the places a person liked or visited (newest first), one whose main kitchen (its first
    label) the pick serves, the one sharing the most of the pick's labels, the newest on a tie;
    None when there is none (a sushi bar is not "because you liked" an Indian place that also
    serves brunch)."""
    mine = set(item["cuisines"])
    scored = [(len(mine & set(p["cuisines"])) / max(len(mine | set(p["cuisines"])), 1), -rank, p)
              for rank, p in enumerate(places) if p["cuisines"] and p["cuisines"][0] in mine]
    best = max(scored, default=None, key=lambda s: s[:2])
    return best[2] if best is not None else None


def why_picked(item: dict, likes: list[str], liked: list[dict] | None = None) -> str:
    """What the person did (the liked or visited place most like this one, or this one itself),
    else their taste, else quality or popularity. ``liked``: {item_id, name, cuisines, how} with
    how "liked" or "visited", newest first."""
    shared = [c for c in item["cuisines"] if c in set(likes)]
    liked = list(liked or ())
    itself = next((p for p in liked if p["item_id"] == item.get("item_id")), None)
    because = _most_alike(item, [p for p in liked if p is not itself])
    if itself is not None:
        first = "you liked it" if itself.get("how") == "liked" else "you have been here"
    elif because is not None:
        verb = "liked" if because.get("how") == "liked" else "went to"
        first = f"because you {verb} {because['name']}"
    elif shared:
        first = f"matches your taste for {', '.join(shared[:2])}"
    elif item["rating"] >= 4.5:
        first = f"highly rated ({item['rating']:.1f}★)"
    else:
        first = "popular with people like you"
    return first


MAX_CANDIDATES = 10_000  # the most rows one search reads back (RediSearch's default MAXSEARCHRESULTS)

# Extra candidates fetched beyond k, for the few that lie between the radius and the wider
# circle Redis is asked for (a ring of about 1.4% of the area).
def _candidates(k: int) -> int:
    return k + 2 + k // 5


class Searcher:
    """Runs queries against the live restaurant index (through its store; no Redis of its own)."""

    def __init__(self, store: RestaurantStore, tz: str = CITY.timezone):
        self.store = store
        self.tz = tz

    def search(self, vector: np.ndarray, query: ValidQuery, likes: list[str] | None = None,
               liked: list[dict] | None = None) -> Results:
        """The k best places for ``vector`` that pass every filter of ``query`` (validated once,
        by the caller: Query.validated). ``likes`` (the profile's cuisines) and ``liked`` (places
        from the user's history: name, cuisines) only shape the reasons."""
        if not isinstance(query, ValidQuery):
            raise TypeError(f"search takes a ValidQuery (Query.validated(...)), not {type(query).__name__}")
        started = time.perf_counter()
        live = self.store.live(fresh=False)
        found = self._within(live, vector, query)
        items = [self._recommendation(row, distance, query, likes or [], liked) for row, distance in found[:query.k]]
        matches = len(found) if len(found) < query.k else len(items)
        suggest = (lambda: self._why_few(live, query, matches)) if len(found) < query.k else None
        return Results(items=items, matches=matches, latency_ms=(time.perf_counter() - started) * 1000,
                       _suggest=suggest)

    def _within(self, live: LiveIndex, vector: np.ndarray, query: Query) -> list[tuple[dict, float]]:
        """The best places within the radius by the geodesic, as (row, distance), best first:
        at least k of them, or every one there is. Redis is asked for a wider circle and a few
        more than k; if places beyond the radius left fewer than k while Redis had more, ask
        again for more (rare: only the thin ring between the two circles is dropped)."""
        expression = str(build_filter(query, self.tz, sphere_radius_for(query.radius_m)))
        wanted = _candidates(query.k)
        while True:
            rows = self.store.knn(live, vector, expression, wanted)
            lats = np.fromiter((float(r.get("lat", r.get("$.lat"))) for r in rows), dtype=np.float64, count=len(rows))
            lons = np.fromiter((float(r.get("lon", r.get("$.lon"))) for r in rows), dtype=np.float64, count=len(rows))
            inside, distance = within_m(query.lat, query.lon, lats, lons, query.radius_m)
            kept = [(row, float(d)) for row, keep, d in zip(rows, inside, distance) if keep]
            if len(kept) >= query.k or len(rows) < wanted or wanted >= MAX_CANDIDATES:
                return kept
            wanted = min(wanted * 4, MAX_CANDIDATES)

    def _recommendation(self, row: dict, distance: float, query: Query, likes: list[str],
                        liked: list[dict] | None = None) -> Recommendation:
        item = parse_item(row)
        open_until = parse_hours(item["hours"]).open_until_text(query.when, self.tz) if query.open_only \
            else "hours not checked"
        distance_m = round(distance, 1)  # the one value the table, the popup and the reason all write
        return Recommendation(item, distance_m=distance_m, score=round(1.0 - float(row["vector_distance"]), 4),
                              open_until=open_until, why=why_picked(item, likes, liked))

    def _why_few(self, live: LiveIndex, query: Query, matches: int) -> tuple[str, int | None]:
        when = query.when.astimezone(ZoneInfo(self.tz)).strftime("%a %H:%M")
        count = "No restaurant" if matches == 0 else f"Only {matches} restaurant{'s' if matches != 1 else ''}"
        base = (f"{count} within {distance_text(query.radius_m)} "
                f"{'matches' if matches == 1 or matches == 0 else 'match'} every filter"
                + (f" and {'is' if matches <= 1 else 'are'} open {when}" if query.open_only else "") + ".")
        wider = [radius for radius in WIDER_RADII_M if radius > query.radius_m]
        # Counted by Redis on a circle a little inside each radius (its sphere is within
        # SPHERE_MARGIN of the geodesic): every place counted is truly within, hence "at least".
        inner = [str(build_filter(query, self.tz, radius * (1 - SPHERE_MARGIN) - 1.0)) for radius in wider]
        for radius, found in zip(wider, self.store.counts(live, inner) if wider else []):
            if found >= query.k:
                return f"{base} Widening the radius to {distance_text(radius)} gives at least {found}.", radius
        return f"{base} Try fewer filters or another time.", None
