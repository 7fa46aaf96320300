"""The Explore query: one type with its limits and validation. Its URL form (a shareable link)
is recsys.serving.query_link, beside it; the search (recsys.serving.search) runs it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, make_dataclass, replace
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import numpy as np

from recsys.data.geo import LAT_RANGE, LON_RANGE, check_coordinate
from recsys.data.ids import check_id
from recsys.data.record import MUST_HAVE
from recsys.data.restaurants import PRICE_RANGE, RATING_RANGE

MAX_RADIUS_M = 50_000
MAX_K = 100
WIDER_RADII_M = (250, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000)
# The instants a query may be at, in UTC: the calendar (years 1 to 9999) less a year at each end,
# so moving the time into any zone, and the week ahead that "open until" looks at, stay inside it
# (at the very edge, datetime raises OverflowError there).
WHEN_RANGE = (datetime(2, 1, 1, tzinfo=timezone.utc), datetime(9999, 1, 1, tzinfo=timezone.utc))


class _Filters:
    @property
    def filters_price(self) -> bool:
        return (self.price_min, self.price_max) != PRICE_RANGE


@dataclass
class Query(_Filters):
    lat: float
    lon: float
    radius_m: float = 1500
    when: datetime | None = None  # timezone-aware; None means now in the service's timezone
    price_min: int = PRICE_RANGE[0]
    price_max: int = PRICE_RANGE[1]
    min_rating: float = 0.0
    cuisines: list[str] = field(default_factory=list)  # any of these; empty means all
    k: int = 10
    exclude_ids: list[str] = field(default_factory=list)
    open_only: bool = True  # False: ignore opening hours (browse mode)
    must_have: list[str] = field(default_factory=list)  # record fields to require, of MUST_HAVE

    def validated(self, known_cuisines: list[str] | None, tz: str) -> "ValidQuery":
        """This query checked and normalised once (see validate), frozen, with ``when`` resolved
        (None: now in ``tz``): what the search takes. The caller's query is never changed."""
        copy = replace(self)
        copy.validate(known_cuisines)
        values = {f.name: getattr(copy, f.name) for f in fields(Query)}
        values["when"] = values["when"] or datetime.now(ZoneInfo(tz))
        return ValidQuery(**{name: tuple(v) if isinstance(v, list) else v for name, v in values.items()})

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
                if name == "lon" and clean[name] == 180.0:
                    clean[name] = -180.0  # the same meridian; Redis's circle around +180 is one-sided
            except ValueError as exc:
                problems.append(str(exc))
        radius = self.radius_m
        if not _is_number(radius) or not 0 < radius <= MAX_RADIUS_M:
            problems.append(f"radius_m={radius!r} must be a number more than 0 and at most {MAX_RADIUS_M} (50 km)")
        else:
            clean["radius_m"] = _plain(radius)
        for name in ("price_min", "price_max"):
            value = getattr(self, name)
            if not _is_whole(value) or not PRICE_RANGE[0] <= value <= PRICE_RANGE[1]:
                problems.append(f"{name}={value!r} must be a whole number from {PRICE_RANGE[0]} to {PRICE_RANGE[1]}")
            else:
                clean[name] = int(value)
        if "price_min" in clean and "price_max" in clean and clean["price_min"] > clean["price_max"]:
            problems.append(f"price range {clean['price_min']}..{clean['price_max']} is inverted (min above max)")
        if not _is_number(self.min_rating) or not RATING_RANGE[0] <= self.min_rating <= RATING_RANGE[1]:
            problems.append(f"min_rating={self.min_rating!r} must be a number from {RATING_RANGE[0]:g} to {RATING_RANGE[1]:g}")
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


# A Query that passed validate(): the same fields (derived from Query, not declared twice), frozen,
# lists as tuples and ``when`` an aware datetime. The search takes only this, so it never checks,
# copies or normalises again.
ValidQuery = make_dataclass("ValidQuery", [(f.name, f.type) for f in fields(Query)], bases=(_Filters,), frozen=True,
                            namespace={"__doc__": "A validated, frozen Query (Query.validated)."})


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
    """A plain int or float (RedisVL's filters take nothing else). Not ``.item()``: a longdouble's
    item() is a longdouble again."""
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _parse_when(value: object) -> datetime | None:
    """None (now), a timezone-aware datetime, or an ISO-8601 string with an offset, within
    WHEN_RANGE; a naive time is refused because which zone it means is a guess (the hours are
    checked to the minute)."""
    if value is None:
        return None
    parsed = _aware_when(value)
    try:
        inside = WHEN_RANGE[0] <= parsed < WHEN_RANGE[1]
    except OverflowError:  # a custom tzinfo whose offset pushes it past the calendar
        inside = False
    if not inside:
        raise ValueError(f"when={value!r} is out of range: give a time from the year {WHEN_RANGE[0].year} "
                         f"to {WHEN_RANGE[1].year - 1} (in UTC)")
    return parsed


def _aware_when(value: object) -> datetime:
    """``value`` as a timezone-aware datetime, or ValueError saying what it is instead."""
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
