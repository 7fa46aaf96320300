"""Importers: real restaurant formats -> a contract directory (`python -m recsys ingest`).

1. tripadvisor: the TripAdvisor/Factual JSON the seed recipe used ({"restaurants": [...]}).
2. osm: OpenStreetMap Overpass JSON ({"elements": [...]}) - free, real San Francisco places.
3. csv: a contract directory (validated and copied).

Each importer returns an ImportResult: the valid rows as a Dataset and the rejected rows with the
reason. Without skip_invalid any rejected row fails the whole import (DatasetError naming the
file, row and field) and nothing is written.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

from recsys.data.contract import Dataset, DatasetError, Problem, Schema, save_dataset
from recsys.data.hours import DAY_NAMES, MINUTES_PER_WEEK, HoursError, WeeklyHours
from recsys.data.restaurants import ITEM_SCHEMA, check_restaurant_rows, clean_labels, load_restaurant_dataset

FORMATS = ("tripadvisor", "osm", "csv")
OSM_AMENITIES = {"restaurant", "cafe", "fast_food", "bar", "pub", "food_court", "ice_cream", "biergarten"}
# OSM has no price level or rating: imported places get the middle price and "unrated" (0).
OSM_DEFAULT_PRICE = 2
UNRATED = 0.0
_PRICE_SYMBOLS = {"$": 1, "$$": 2, "$$$": 3, "$$$$": 4}
_REFERENCE_MONDAY = datetime(2026, 1, 12)  # a week with no US public holiday
ITEM_COLUMNS = ("item_id", "name", "address", "lat", "lon", "cuisines", "price", "rating", "hours")


@dataclass
class ImportResult:
    dataset: Dataset
    rejects: list[Problem] = field(default_factory=list)

    def write_rejects(self, path: Path) -> None:
        frame = pd.DataFrame([{"file": p.file, "row": p.row, "field": p.field, "problem": p.message}
                              for p in self.rejects], columns=["file", "row", "field", "problem"])
        frame.to_csv(path, index=False)


def _stable_id(*parts: object) -> str:
    return "x" + hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:12]


def _items_schema(frame: pd.DataFrame) -> dict[str, str]:
    return {col: kind for col, kind in ITEM_SCHEMA.items()
            if all(c in frame.columns for c in col.split(","))}


def _finish(rows: list[dict], problems: list[Problem], file: str, skip_invalid: bool,
            users: pd.DataFrame | None = None, interactions: pd.DataFrame | None = None) -> ImportResult:
    """Run the restaurant checks on the built rows and split them into kept and rejected.
    Every row carries "_row", its record number in the source file, for the error messages."""
    frame = pd.DataFrame(rows, columns=None if rows else ["_row", *ITEM_COLUMNS])
    _, found = check_restaurant_rows(frame.drop(columns=["_row"]), file)
    bad_positions = {p.row - 1 for p in found if p.row is not None}
    source_row = frame["_row"].tolist()
    problems = problems + [Problem(p.file, source_row[p.row - 1] if p.row else None, p.field, p.message)
                           for p in found]
    for pos in frame.index[frame["item_id"].duplicated(keep="first")]:
        bad_positions.add(pos)
        problems.append(Problem(file, source_row[pos], "id", f"duplicate id {frame['item_id'].iat[pos]!r}"))
    if any(p.row is None for p in found) or (problems and not skip_invalid):
        raise DatasetError(problems)
    kept = frame.drop(index=sorted(bad_positions)).drop(columns=["_row"]).reset_index(drop=True)
    items, _ = check_restaurant_rows(kept, file)
    if users is None:
        users = pd.DataFrame(columns=["user_id"])
        interactions = pd.DataFrame(columns=["user_id", "item_id", "weight", "timestamp"])
    else:
        interactions = interactions[interactions["item_id"].isin(set(items["item_id"]))].reset_index(drop=True)
        users = users[users["user_id"].isin(set(interactions["user_id"]))].reset_index(drop=True)
    schema = Schema(items=_items_schema(items), users={"user_id": "id"})
    return ImportResult(Dataset(items=items, users=users, interactions=interactions, schema=schema), problems)


def _hours_from_day_map(hours: object) -> WeeklyHours:
    """{"monday": [["11:30", "14:30"], ...], ...}: every interval of every day is kept."""
    if hours in (None, "", {}):
        return WeeklyHours()
    if not isinstance(hours, dict):
        raise HoursError("hours must map day names to lists of [open, close]")
    days: dict[int, list[tuple[str, str]]] = {}
    lookup = {name.lower(): i for i, name in enumerate(DAY_NAMES)} | {name[:3].lower(): i for i, name in enumerate(DAY_NAMES)}
    for name, intervals in hours.items():
        if str(name).lower() not in lookup:
            raise HoursError(f"unknown day {name!r}")
        for pair in intervals or []:
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise HoursError(f"{name}: interval {pair!r} is not [open, close]")
            days.setdefault(lookup[str(name).lower()], []).append((str(pair[0]), str(pair[1])))
    return WeeklyHours.from_day_intervals(days)


def _price(value: object) -> object:
    if isinstance(value, str) and value.strip() in _PRICE_SYMBOLS:
        return _PRICE_SYMBOLS[value.strip()]
    return value


def _review_stats(reviews: list[dict]) -> dict:
    ratings = [float(r["review_rating"]) for r in reviews
               if isinstance(r, dict) and isinstance(r.get("review_rating"), (int, float))]
    if not ratings:
        return {"review_count": 0, "review_mean": math.nan, "review_std": math.nan,
                "review_min": math.nan, "review_max": math.nan}
    series = pd.Series(ratings)
    return {"review_count": len(ratings), "review_mean": round(series.mean(), 3),
            "review_std": round(series.std(ddof=0), 3), "review_min": series.min(), "review_max": series.max()}


def _timestamp(value: object) -> float | None:
    """Seconds since the epoch for a review date, or None when it is absent or unreadable."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    if isinstance(value, str):
        stamp = pd.to_datetime(value, errors="coerce", utc=True)
        return None if pd.isna(stamp) else stamp.timestamp()
    return None


def _load_json(path: Path) -> object:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError([Problem(Path(path).name, None, None, f"cannot be read: {exc}")]) from exc
    except json.JSONDecodeError as exc:
        raise DatasetError([Problem(Path(path).name, exc.lineno, None, f"is not valid JSON: {exc.msg}")]) from exc


def import_tripadvisor(path: str | Path, skip_invalid: bool = False) -> ImportResult:
    path = Path(path)
    data = _load_json(path)
    records = data.get("restaurants") if isinstance(data, dict) else data
    if not isinstance(records, list):
        raise DatasetError([Problem(path.name, None, "restaurants", "expected a list of restaurants")])
    rows, problems, interactions = [], [], []
    for i, rec in enumerate(records, start=1):
        if not isinstance(rec, dict):
            problems.append(Problem(path.name, i, None, "a restaurant must be a JSON object"))
            continue
        try:
            hours = _hours_from_day_map(rec.get("hours")).to_text()
        except HoursError as exc:
            problems.append(Problem(path.name, i, "hours", str(exc)))
            continue
        cuisine = rec.get("cuisine") or rec.get("cuisines") or []
        cuisine = [cuisine] if isinstance(cuisine, str) else cuisine
        reviews = rec.get("reviews") or []
        bad = [f for f, ok in (("cuisine", isinstance(cuisine, list) and all(isinstance(c, str) for c in cuisine)),
                               ("reviews", isinstance(reviews, list)),
                               ("name", isinstance(rec.get("name"), str)),
                               ("address", isinstance(rec.get("address", ""), (str, type(None)))))
               if not ok]
        if bad:
            problems += [Problem(path.name, i, f, "has the wrong type" if f != "name" or "name" in rec else "is missing")
                         for f in bad]
            continue
        item_id = str(rec.get("id") or rec.get("factual_id") or _stable_id(rec.get("name"), rec.get("address")))
        row = {
            "_row": i, "item_id": item_id, "name": rec.get("name"),
            "address": ", ".join(str(p) for p in (rec.get("address"), rec.get("locality")) if p),
            "locality": str(rec.get("neighborhood") or rec.get("locality") or ""),
            "lat": rec.get("latitude"), "lon": rec.get("longitude"),
            "cuisines": "|".join(clean_labels(cuisine)), "price": _price(rec.get("price")),
            "rating": rec.get("rating"), "hours": hours, **_review_stats(reviews),
        }
        for key, value in rec.items():  # the boolean amenity flags (meal_dinner, wifi, ...)
            if isinstance(value, bool) and key not in row:
                row[key] = value
        rows.append(row)
        for review in reviews:
            author = review.get("user_id") or review.get("author") if isinstance(review, dict) else None
            if isinstance(author, (str, int)) and not isinstance(author, bool) and str(author).strip():
                rating = review.get("review_rating")
                numeric = isinstance(rating, (int, float)) and not isinstance(rating, bool) and math.isfinite(rating)
                interactions.append({"user_id": str(author).strip(), "item_id": item_id,
                                     "weight": float(rating) if numeric and rating > 0 else 1.0,
                                     "timestamp": _timestamp(review.get("date") or review.get("timestamp"))})
    users = inter = None
    if interactions:
        inter = pd.DataFrame(interactions)
        if inter["timestamp"].isna().any():
            inter = inter.drop(columns=["timestamp"])
        users = pd.DataFrame({"user_id": sorted(set(inter["user_id"]))})
    return _finish(rows, problems, path.name, skip_invalid, users, inter)


def osm_hours(expression: str) -> WeeklyHours:
    """An OSM opening_hours expression evaluated over a reference week, by opening-hours-py."""
    from opening_hours import OpeningHours, State

    if not expression or not expression.strip():
        return WeeklyHours()
    try:
        oh = OpeningHours(expression.strip())
    except Exception as exc:  # the parser raises its own ParserError / SyntaxError types
        raise HoursError(f"opening_hours {expression!r} cannot be parsed: {str(exc).splitlines()[0]}") from exc
    start = _REFERENCE_MONDAY - timedelta(days=1)  # Sunday, for a Sunday-night close into Monday
    end = _REFERENCE_MONDAY + timedelta(days=7)
    spans = []
    for begin, finish, state, _comment in oh.intervals(start, end):
        if state != State.OPEN:
            continue
        finish = finish or end
        a = max((begin - _REFERENCE_MONDAY).total_seconds() // 60, 0)
        b = min((finish - _REFERENCE_MONDAY).total_seconds() // 60, MINUTES_PER_WEEK)
        if b > a:
            spans.append((int(a), int(b)))
    return WeeklyHours.from_spans(spans)


def import_osm(path: str | Path, skip_invalid: bool = False) -> ImportResult:
    path = Path(path)
    data = _load_json(path)
    elements = data.get("elements") if isinstance(data, dict) else None
    if not isinstance(elements, list):
        raise DatasetError([Problem(path.name, None, "elements", "expected Overpass JSON with an 'elements' list")])
    rows, problems = [], []
    for i, el in enumerate(elements, start=1):
        tags = el.get("tags", {}) if isinstance(el, dict) else {}
        if tags.get("amenity") not in OSM_AMENITIES:
            continue  # not a place to eat: skipped silently, as Overpass results mix kinds
        lat = el.get("lat", (el.get("center") or {}).get("lat"))
        lon = el.get("lon", (el.get("center") or {}).get("lon"))
        try:
            hours = osm_hours(tags.get("opening_hours", "")).to_text()
        except HoursError as exc:
            problems.append(Problem(path.name, i, "opening_hours", str(exc)))
            continue
        cuisines = [c for c in tags.get("cuisine", "").split(";") if c.strip()]
        if tags["amenity"] in ("cafe", "fast_food", "bar", "pub", "ice_cream", "biergarten"):
            cuisines.append(tags["amenity"])
        street = " ".join(p for p in (tags.get("addr:housenumber"), tags.get("addr:street")) if p)
        rows.append({
            "_row": i, "item_id": f"osm-{el.get('type', 'node')}-{el.get('id')}",
            "name": tags.get("name", ""),
            "address": ", ".join(p for p in (street, tags.get("addr:city", "")) if p),
            "locality": tags.get("addr:suburb", ""),
            "lat": lat, "lon": lon, "cuisines": "|".join(clean_labels(cuisines)),
            "price": OSM_DEFAULT_PRICE, "rating": UNRATED, "hours": hours,
            "review_count": 0,
            "outdoor_seating": tags.get("outdoor_seating") == "yes",
            "takes_reservations": tags.get("reservation") in ("yes", "required", "recommended"),
        })
    return _finish(rows, problems, path.name, skip_invalid)


def import_csv_directory(path: str | Path, skip_invalid: bool = False) -> ImportResult:
    # A contract directory is all-or-nothing: its interactions refer to its rows by id.
    return ImportResult(load_restaurant_dataset(path))


IMPORTERS = {"tripadvisor": import_tripadvisor, "osm": import_osm, "csv": import_csv_directory}


def detect_format(path: str | Path) -> str:
    path = Path(path)
    if path.is_dir():
        return "csv"
    head = path.read_text(encoding="utf-8", errors="replace")[:4096]
    if '"elements"' in head:
        return "osm"
    return "tripadvisor"


def ingest(source: str | Path, out: str | Path, fmt: str | None = None, skip_invalid: bool = False,
           rejects_path: str | Path | None = None) -> ImportResult:
    """Import ``source`` and write a contract directory to ``out`` (atomically)."""
    fmt = fmt or detect_format(source)
    if fmt not in IMPORTERS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    result = IMPORTERS[fmt](source, skip_invalid=skip_invalid)
    save_dataset(result.dataset, out)
    if result.rejects:
        result.write_rejects(Path(rejects_path) if rejects_path else Path(out) / "rejects.csv")
    return result
