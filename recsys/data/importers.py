"""Importers: real restaurant formats -> validated restaurant rows (`python -m recsys ingest`
and the Restaurants page's upload, through one function, ``check_import``: a CSV is checked whole
and then yielded a chunk at a time, in bounded memory; ``import_file`` returns it all at once).

1. tripadvisor: the TripAdvisor/Factual JSON the seed recipe used ({"restaurants": [...]}).
2. osm: OpenStreetMap Overpass JSON ({"elements": [...]}) - free, real San Francisco places.
3. csv: one items CSV with the restaurant columns, or a contract directory.

Each importer returns an ImportResult: the valid rows as a Dataset and the rejected rows with the
reason. Without skip_invalid any rejected row fails the whole import (DatasetError naming the
file, row and field) and nothing is written; an import that keeps no restaurant always fails.
A record without an id gets ``place_id`` (the same place gives the same id in every file), and
two records of one file with the same id are a problem of the second, never merged. Every file
is read within the limits of recsys.data.contract (MAX_FILE_BYTES, ...), checked before parsing,
and an imported place must lie within the city's bounds (recsys.data.city).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Iterator

import pandas as pd

from recsys.data.city import CITY
from recsys.data.contract import (
    CSV_CHUNK_ROWS,
    MAX_ROWS,
    Dataset,
    DatasetError,
    Problem,
    Schema,
    check_output_file,
    check_table,
    iter_csv_table,
    read_text,
    unique_problems,
    write_directory,
    write_tables,
)
from recsys.data.hours import DAY_NAMES, MINUTES_PER_WEEK, HoursError, WeeklyHours
from recsys.data.ids import check_id
from recsys.data.record import CHOICE_FIELDS, FIELDS, UNKNOWN
from recsys.data.restaurants import (
    ITEM_SCHEMA,
    REQUIRED_COLUMNS,
    by_row_and_field,
    check_restaurant_rows,
    city_problems,
    clean_labels,
    merge_unquoted_hours,
    validate_restaurant_directory,
)

FORMATS = ("tripadvisor", "osm", "csv")
OSM_AMENITIES = {"restaurant", "cafe", "fast_food", "bar", "pub", "food_court", "ice_cream", "biergarten"}
_OSM_TEXT_TAGS = ("amenity", "name", "cuisine", "opening_hours", "addr:housenumber", "addr:street", "addr:city",
                  "addr:suburb", "outdoor_seating", "wheelchair", "reservation")
# OSM has no price level or rating: imported places get the middle price and "unrated" (0).
OSM_DEFAULT_PRICE = 2
UNRATED = 0.0
_PRICE_SYMBOLS = {"$": 1, "$$": 2, "$$$": 3, "$$$$": 4}
_REFERENCE_MONDAY = datetime(2026, 1, 12)  # a week with no US public holiday
ITEM_COLUMNS = ("item_id", *REQUIRED_COLUMNS)
# The Factual/TripAdvisor flags for the record's choice fields (True/False; absent: unknown).
TRIPADVISOR_FLAGS = {"seating_outdoor": "outdoor_seating", "accessible_wheelchair": "wheelchair"}
_SNIFF_BYTES = 64 * 1024


@dataclass
class ImportResult:
    dataset: Dataset  # .items holds the validated rows, ready to store or index
    rejects: list[Problem] = field(default_factory=list)  # one per problem; a record may have several
    format: str = ""  # the format that was read: tripadvisor, osm or csv
    rows: int | None = None  # rows imported, when .items holds only the first chunk of them (ingest)

    @property
    def imported(self) -> int:
        """How many restaurants were imported."""
        return len(self.dataset.items) if self.rows is None else self.rows

    @property
    def rejected_records(self) -> int:
        """How many records (rows) were left out; ``len(rejects)`` counts problems."""
        return len({(p.file, p.row) for p in self.rejects})

    def write_rejects(self, path: str | Path) -> None:
        frame = pd.DataFrame([{"file": p.file, "row": p.row, "field": p.field, "problem": p.message}
                              for p in self.rejects], columns=["file", "row", "field", "problem"])
        frame.to_csv(path, index=False)


def place_id(name: object, address: object, lat: object, lon: object) -> str:
    """A stable id for a record that has none: the same place (name and address compared without
    case or extra spaces, coordinates to ~10 m) gets the same id in every file and every import,
    and two different places practically never share one (64 bits of SHA-1)."""
    def text(value: object) -> str:
        return " ".join(str(value if value is not None else "").casefold().split())

    def coordinate(value: object) -> str:
        try:
            return f"{float(value):.4f}"  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return text(value)

    key = "|".join((text(name), text(address), coordinate(lat), coordinate(lon)))
    return "p" + hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _items_schema(frame: pd.DataFrame) -> dict[str, str]:
    return {col: kind for col, kind in ITEM_SCHEMA.items()
            if all(c in frame.columns for c in col.split(","))}


def _row_frame(rows: list[dict]) -> tuple[pd.DataFrame, list[int]]:
    """Built rows as a frame, and each one's record number in the source file ("_row")."""
    frame = pd.DataFrame(rows) if rows else pd.DataFrame(columns=["_row", *ITEM_COLUMNS])
    return frame.drop(columns=["_row"]), frame["_row"].tolist()


def _normalise(kept: pd.DataFrame, file: str) -> pd.DataFrame:
    """Rows that passed the checks, with their values converted (numbers, labels, choices)."""
    if not kept.empty:
        kept, _ = check_table(kept, "items", _items_schema(kept), file)
        kept, _ = check_restaurant_rows(kept, file)
    return kept


def _check_rows(rows: list[dict], file: str, seen_ids: set[str],
                normalise: bool = True) -> tuple[pd.DataFrame, list[Problem]]:
    """The restaurant checks on built rows (all of a file's, or a chunk's): the valid rows
    (normalised when ``normalise``) and the problems found. Every row carries "_row", its record
    number in the source file, and the problems are numbered by it. ``seen_ids`` holds the ids
    of the rows before these (updated): an id seen before is a duplicate, as within the rows."""
    records, source_row = _row_frame(rows)
    # The restaurant checks first: they word coordinates and prices for this product.
    checked, specific = check_restaurant_rows(records, file)
    _, generic = check_table(records, "items", _items_schema(records), file)
    ids = records["item_id"].fillna("").astype(str).str.strip().tolist()
    earlier = [Problem(file, i + 1, "item_id", f"duplicate id {value!r}") for i, value in enumerate(ids)
               if value and value in seen_ids]
    seen_ids.update(value for value in ids if value)
    found = unique_problems(specific + city_problems(checked, file) + generic + earlier)
    bad_positions = {p.row - 1 for p in found if p.row is not None}
    problems = [Problem(p.file, source_row[p.row - 1] if p.row else None, p.field, p.message) for p in found]
    kept = records.drop(index=sorted(bad_positions)).reset_index(drop=True)
    return (_normalise(kept, file) if normalise else kept), problems


def _decide(problems: list[Problem], kept_rows: int, file: str, skip_invalid: bool) -> list[Problem]:
    """The import's verdict once every record is checked: DatasetError when a problem concerns
    the whole file, when any record is invalid and not ``skip_invalid``, or when nothing would be
    kept; otherwise the rejected records' problems, in file order."""
    problems = sorted(problems, key=by_row_and_field)
    if any(p.row is None for p in problems) or (problems and not skip_invalid):
        raise DatasetError(problems)
    if not kept_rows:
        raise DatasetError(problems + [Problem(file, None, None, "no restaurant could be imported: every record "
                                                                 "has a problem")])
    return problems


def _schema(items: pd.DataFrame) -> Schema:
    return Schema(items=_items_schema(items), users={"user_id": "id"})


def _finish(rows: list[dict], problems: list[Problem], file: str, skip_invalid: bool,
            users: pd.DataFrame | None = None, interactions: pd.DataFrame | None = None) -> ImportResult:
    """Check the built rows and split them into kept and rejected; ``problems`` are those found
    while building the rows (those records are not in ``rows``)."""
    if not rows and not problems:
        raise DatasetError([Problem(file, None, None, "contains no restaurants: nothing was imported")])
    items, found = _check_rows(rows, file, set())
    problems = _decide(problems + found, len(items), file, skip_invalid)
    if users is None or interactions is None:
        users, interactions = _no_users(), _no_interactions()
    else:
        interactions = interactions[interactions["item_id"].isin(set(items["item_id"]))].reset_index(drop=True)
        users = users[users["user_id"].isin(set(interactions["user_id"]))].reset_index(drop=True)
    return ImportResult(Dataset(items=items, users=users, interactions=interactions, schema=_schema(items)), problems)


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
        if intervals is not None and not isinstance(intervals, list):
            raise HoursError(f"{name}: expected a list of [open, close], got {intervals!r}")
        for pair in intervals or []:
            if not isinstance(pair, (list, tuple)) or len(pair) != 2 or not all(isinstance(t, str) for t in pair):
                raise HoursError(f"{name}: interval {pair!r} is not [open, close]")
            days.setdefault(lookup[str(name).lower()], []).append((pair[0], pair[1]))
    return WeeklyHours.from_day_intervals(days)


def _price(value: object) -> object:
    if isinstance(value, str) and value.strip() in _PRICE_SYMBOLS:
        return _PRICE_SYMBOLS[value.strip()]
    return value


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _review_stats(reviews: list) -> dict:
    # Plain arithmetic, not a pandas Series per restaurant: this runs once per record.
    ratings = [float(r["review_rating"]) for r in reviews if isinstance(r, dict) and _is_number(r.get("review_rating"))]
    if not ratings:
        return {"review_count": 0, "review_mean": math.nan, "review_std": math.nan,
                "review_min": math.nan, "review_max": math.nan}
    mean = sum(ratings) / len(ratings)
    std = math.sqrt(sum((r - mean) ** 2 for r in ratings) / len(ratings))
    return {"review_count": len(ratings), "review_mean": round(mean, 3), "review_std": round(std, 3),
            "review_min": min(ratings), "review_max": max(ratings)}


def _timestamps(values: list) -> list[float]:
    """Seconds since the epoch for review dates (NaN when absent or unreadable), converted in one
    vectorised call: parsing dates one by one was most of a large file's import time."""
    out = [float(v) if _is_number(v) else math.nan for v in values]
    positions = [i for i, v in enumerate(values) if isinstance(v, str)]
    if positions:
        text = pd.Series([values[i] for i in positions], dtype=object)
        parsed = pd.to_datetime(text, errors="coerce", utc=True)  # fast when the format is uniform
        retry = parsed.isna()
        if retry.any():
            parsed[retry] = pd.to_datetime(text[retry], errors="coerce", utc=True, format="mixed")
        for i, stamp in zip(positions, parsed):
            out[i] = stamp.timestamp() if pd.notna(stamp) else math.nan
    return out


def _load_json(path: Path, name: str) -> object:
    text = read_text(path, name)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DatasetError([Problem(name, None, None, f"is not valid JSON at line {exc.lineno}, column {exc.colno}: "
                                                      f"{exc.msg}")]) from None
    except RecursionError:
        raise DatasetError([Problem(name, None, None, "is not usable JSON: it nests too deeply")]) from None


def _records(data: object, key: str, name: str, what: str) -> list:
    records = data.get(key) if isinstance(data, dict) else data if key == "restaurants" else None
    if not isinstance(records, list):
        raise DatasetError([Problem(name, None, key, f"expected {what}")])
    if len(records) > MAX_ROWS:
        raise DatasetError([Problem(name, None, key, f"has {len(records):,} records; at most {MAX_ROWS:,} "
                                                     "are allowed (MAX_ROWS)")])
    if not records:
        raise DatasetError([Problem(name, None, key, "is an empty list: contains no restaurants, nothing was imported")])
    return records


def import_tripadvisor(path: str | Path, skip_invalid: bool = False, name: str | None = None) -> ImportResult:
    path = Path(path)
    name = name or path.name
    records = _records(_load_json(path, name), "restaurants", name, "a list of restaurants under 'restaurants'")
    rows, problems, interactions = [], [], []
    authors: dict[object, str | None] = {}
    for i, rec in enumerate(records, start=1):
        if not isinstance(rec, dict):
            problems.append(Problem(name, i, None, "a restaurant must be a JSON object"))
            continue
        try:
            hours = _hours_from_day_map(rec.get("hours")).to_text()
        except HoursError as exc:
            problems.append(Problem(name, i, "hours", str(exc)))
            continue
        cuisine = rec.get("cuisine") or rec.get("cuisines") or []
        cuisine = [cuisine] if isinstance(cuisine, str) else cuisine
        reviews = rec.get("reviews") or []
        raw_id = rec.get("id") or rec.get("factual_id")
        bad = [f for f, ok in (("cuisine", isinstance(cuisine, list) and all(isinstance(c, str) for c in cuisine)),
                               ("reviews", isinstance(reviews, list)),
                               ("name", isinstance(rec.get("name"), str)),
                               ("address", isinstance(rec.get("address", ""), (str, type(None)))),
                               ("locality", isinstance(rec.get("locality", ""), (str, type(None)))),
                               *((flag, isinstance(rec.get(flag), (bool, type(None)))) for flag in TRIPADVISOR_FLAGS),
                               ("item_id", raw_id is None or (isinstance(raw_id, (str, int))
                                                              and not isinstance(raw_id, bool))))
               if not ok]
        if bad:
            problems += [Problem(name, i, f, "has the wrong type" if f != "name" or "name" in rec else "is missing")
                         for f in bad]
            continue
        item_id = str(raw_id) if raw_id is not None else place_id(rec.get("name"), rec.get("address"),
                                                                    rec.get("latitude"), rec.get("longitude"))
        neighbourhood = rec.get("neighborhood")
        row = {
            "_row": i, "item_id": item_id, "name": rec.get("name"),
            "address": ", ".join(str(p) for p in (rec.get("address"), rec.get("locality")) if p),
            "locality": neighbourhood if isinstance(neighbourhood, str) else str(rec.get("locality") or ""),
            "lat": rec.get("latitude"), "lon": rec.get("longitude"),
            "cuisines": "|".join(clean_labels(cuisine)), "price": _price(rec.get("price")),
            "rating": rec.get("rating"), "hours": hours, **_review_stats(reviews),
            **{name: rec.get(flag) for flag, name in TRIPADVISOR_FLAGS.items()},
        }
        for key, value in rec.items():  # the boolean amenity flags (meal_dinner, wifi, ...)
            if isinstance(value, bool) and key not in row and key != "_row" and key not in TRIPADVISOR_FLAGS:
                row[key] = value
        rows.append(row)
        for review in reviews:
            author = (review.get("user_id") or review.get("author")) if isinstance(review, dict) else None
            if not isinstance(author, (str, int)) or isinstance(author, bool):
                continue
            if author not in authors:  # authors recur across reviews: check each once
                try:  # an author that breaks the id rule (a ',' in "Smith, J.") links no interaction
                    authors[author] = check_id(author, "user_id")
                except ValueError:
                    authors[author] = None
            user_id = authors[author]
            if user_id is None:
                continue
            rating = review.get("review_rating")
            interactions.append({"user_id": user_id, "item_id": item_id,
                                 "weight": float(rating) if _is_number(rating) and rating > 0 else 1.0,
                                 "timestamp": review.get("date") or review.get("timestamp")})
    users = inter = None
    if interactions:
        inter = pd.DataFrame(interactions)
        inter["timestamp"] = _timestamps(inter["timestamp"].tolist())
        if inter["timestamp"].isna().any():
            inter = inter.drop(columns=["timestamp"])
        users = pd.DataFrame({"user_id": sorted(set(inter["user_id"]))})
    return _finish(rows, problems, name, skip_invalid, users, inter)


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


def import_osm(path: str | Path, skip_invalid: bool = False, name: str | None = None) -> ImportResult:
    path = Path(path)
    name = name or path.name
    elements = _records(_load_json(path, name), "elements", name, "Overpass JSON with an 'elements' list")
    rows, problems = [], []
    for i, el in enumerate(elements, start=1):
        if not isinstance(el, dict):
            problems.append(Problem(name, i, None, "an element must be a JSON object"))
            continue
        tags = el.get("tags") if el.get("tags") is not None else {}
        if not isinstance(tags, dict):
            problems.append(Problem(name, i, "tags", f"must be an object of text tags, not {type(tags).__name__} "
                                                     f"{str(tags)[:40]!r}"))
            continue
        if not isinstance(tags.get("amenity"), str) or tags["amenity"] not in OSM_AMENITIES:
            continue  # not a place to eat: skipped silently, as Overpass results mix kinds
        wrong = [key for key in _OSM_TEXT_TAGS if key in tags and not isinstance(tags[key], str)]
        if wrong:
            problems += [Problem(name, i, f"tags.{key}", f"must be text, not {type(tags[key]).__name__}") for key in wrong]
            continue
        kind, number = el.get("type", "node"), el.get("id")
        if not isinstance(kind, str) or not isinstance(number, int) or isinstance(number, bool):
            problems.append(Problem(name, i, "id", "an element needs a type and a numeric id"))
            continue
        center = el.get("center") if isinstance(el.get("center"), dict) else {}
        lat = el.get("lat", center.get("lat"))
        lon = el.get("lon", center.get("lon"))
        try:
            hours = osm_hours(tags.get("opening_hours", "")).to_text()
        except HoursError as exc:
            problems.append(Problem(name, i, "opening_hours", str(exc)))
            continue
        if not hours:  # named as OSM names it; the restaurant checks would say "hours"
            problems.append(Problem(name, i, "opening_hours", "missing or never open: the place would never be "
                                                               "found open; give its opening_hours tag"))
            continue
        cuisines = [c for c in tags.get("cuisine", "").split(";") if c.strip()]
        if tags["amenity"] in ("cafe", "fast_food", "bar", "pub", "ice_cream", "biergarten"):
            cuisines.append(tags["amenity"])
        street = " ".join(p for p in (tags.get("addr:housenumber"), tags.get("addr:street")) if p)
        rows.append({
            "_row": i, "item_id": f"osm-{kind}-{number}",
            "name": tags.get("name", ""),
            "address": ", ".join(p for p in (street, tags.get("addr:city", "")) if p),
            "locality": tags.get("addr:suburb", ""),
            "lat": lat, "lon": lon, "cuisines": "|".join(clean_labels(cuisines)),
            "price": OSM_DEFAULT_PRICE, "rating": UNRATED, "hours": hours,
            "review_count": 0,
            # OSM's values are free-form ("terrace", "sidewalk", ...): the record reads the common
            # ones, and any other value counts as unknown rather than rejecting the place.
            **{f.name: f.choice(tags.get(f.name)) or UNKNOWN for f in CHOICE_FIELDS},
            "takes_reservations": tags.get("reservation") in ("yes", "required", "recommended"),
        })
    if not rows and not problems:
        raise DatasetError([Problem(name, None, "elements", "contains no restaurants: no element has an amenity "
                                                            f"tag of {', '.join(sorted(OSM_AMENITIES))}")])
    return _finish(rows, problems, name, skip_invalid)


Progress = Callable[[int, int, str], None]  # (done, total, what is being done)
CHECKING = "Checking the file"  # the progress stage of the first pass (done and total are bytes)


def _csv_checked_chunks(path: Path, name: str, chunk_rows: int | None = None, progress: Progress | None = None,
                        bad_rows: set[int] | None = None) -> Iterator[tuple[pd.DataFrame, list[Problem]]]:
    """An items CSV read a chunk at a time. Without ``bad_rows`` (the first pass) each chunk is
    checked: its valid rows (not normalised) and its problems. With ``bad_rows`` (the record
    numbers the first pass rejected) the other rows are only normalised, with no problem. Whole-
    file problems (a missing column, a limit) raise DatasetError; a file with a header and no
    row yields one empty chunk."""
    seen_ids: set[str] = set()
    renames = missing = None
    for chunk in iter_csv_table(path, name, merge_unquoted_hours, chunk_rows):
        frame = chunk.frame
        if renames is None:
            # A record field written another way ("Outdoor Seating", "WHEELCHAIR") is that field.
            spelled = {c: c.strip().lower().replace(" ", "_") for c in frame.columns}
            renames = {c: f for c, f in spelled.items()
                       if f != c and f in FIELDS and f not in frame.columns and list(spelled.values()).count(f) == 1}
            missing = [c for c in REQUIRED_COLUMNS if c not in set(frame.columns) | set(renames.values())]
            if missing:
                raise DatasetError([Problem(name, None, c, "column is missing (restaurants need it)") for c in missing])
        frame = frame.rename(columns=renames)
        derived = [place_id(*values) for values in zip(frame["name"], frame["address"], frame["lat"], frame["lon"])]
        if "item_id" in frame.columns:
            frame["item_id"] = frame["item_id"].where(frame["item_id"].notna(), pd.Series(derived, index=frame.index))
        else:
            frame.insert(0, "item_id", derived)
        unreadable = {p.row for p in chunk.problems}  # a row whose fields do not line up is not checked further
        frame.insert(0, "_row", range(chunk.first_row, chunk.first_row + len(frame)))
        rows = [row for row in frame.to_dict("records") if row["_row"] not in unreadable]
        if bad_rows is not None:
            yield _normalise(_row_frame([row for row in rows if row["_row"] not in bad_rows])[0], name), []
            continue
        kept, problems = _check_rows(rows, name, seen_ids, normalise=False)
        if progress:
            progress(chunk.position, chunk.size, CHECKING)
        yield kept, chunk.problems + problems


def _no_rows(name: str) -> DatasetError:
    return DatasetError([Problem(name, None, None, "has a header but no rows: contains no restaurants, "
                                                   "nothing was imported")])


def import_csv_file(path: str | Path, skip_invalid: bool = False, name: str | None = None) -> ImportResult:
    """One items CSV with the restaurant columns, all in memory (check_import, joined). Rows
    without an item_id (no column, or an empty cell) get their place_id. Hours written without
    quotes are read when hours is the last column (see merge_unquoted_hours); any other row with
    surplus fields, or with a field over MAX_FIELD_CHARS, is a problem of that row."""
    checked = check_import(path, "csv", skip_invalid, name=name)
    chunks = list(checked.chunks())
    items = pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]
    return ImportResult(Dataset(items, _no_users(), _no_interactions(), _schema(items)), checked.rejects)


def _no_users() -> pd.DataFrame:
    return pd.DataFrame(columns=["user_id"])


def _no_interactions() -> pd.DataFrame:
    return pd.DataFrame(columns=["user_id", "item_id", "weight", "timestamp"])


@dataclass
class CheckedImport:
    """A file checked whole, nothing of it kept in memory for a CSV: ``chunks()`` reads it
    again and yields its valid rows a chunk at a time, to be written as they come."""
    format: str
    rows: int  # how many valid rows chunks() yields
    rejects: list[Problem]  # the rejected records' problems (only with skip_invalid)
    chunks: Callable[[], Iterator[pd.DataFrame]]
    users: pd.DataFrame
    interactions: pd.DataFrame

    def schema(self, items: pd.DataFrame) -> Schema:
        return _schema(items)


def check_import(path: str | Path, fmt: str | None = None, skip_invalid: bool = False, *, name: str | None = None,
                 chunk_rows: int | None = None, progress: Progress | None = None) -> CheckedImport:
    """import_file for writing as a stream, in bounded memory: a CSV file is read twice, a chunk
    of ``chunk_rows`` (CSV_CHUNK_ROWS) at a time, first to check every row (raising DatasetError
    exactly as import_file, before anything is written), then by ``chunks()`` to yield the valid
    rows. ``progress(done, total, CHECKING)`` follows the first pass in bytes of the file. JSON
    files and contract directories are read whole (JSON is parsed whole anyway)."""
    path = Path(path)
    name = name or path.name or str(path)
    if path.is_file() and (fmt or detect_format(path)) == "csv":
        kept_rows, found = 0, []
        for kept, problems in _csv_checked_chunks(path, name, chunk_rows, progress):
            kept_rows += len(kept)
            found += problems
        if not kept_rows and not found:
            raise _no_rows(name)
        rejects = _decide(found, kept_rows, name, skip_invalid)
        bad_rows = {p.row for p in rejects if p.row is not None}

        def chunks() -> Iterator[pd.DataFrame]:
            yielded = 0
            for kept, _ in _csv_checked_chunks(path, name, chunk_rows, bad_rows=bad_rows):
                yielded += len(kept)
                if yielded > kept_rows:
                    break
                if len(kept):
                    yield kept
            if yielded != kept_rows:  # a writer stops before its last write (ingest leaves no directory)
                raise DatasetError([Problem(name, None, None, "changed while it was imported; import it again")])

        return CheckedImport("csv", kept_rows, rejects, chunks, _no_users(), _no_interactions())
    result = import_file(path, fmt, skip_invalid, name=name)
    items, size = result.dataset.items, chunk_rows or CSV_CHUNK_ROWS
    return CheckedImport(result.format, len(items), result.rejects,
                         lambda: (items.iloc[i:i + size] for i in range(0, len(items), size)),
                         result.dataset.users, result.dataset.interactions)


def import_csv_directory(path: str | Path, skip_invalid: bool = False, name: str | None = None) -> ImportResult:
    """A contract directory; with skip_invalid its bad rows (in any table) and the interactions
    that point at them are left out."""
    dataset, rejects = validate_restaurant_directory(path, skip_invalid, city=CITY)
    if dataset.items.empty:
        raise DatasetError(rejects + [Problem(name or "items.csv", None, None, "no restaurant could be imported")])
    return ImportResult(dataset, rejects)


IMPORTERS = {"tripadvisor": import_tripadvisor, "osm": import_osm, "csv": import_csv_file}


def _head(path: Path) -> bytes:
    """The first bytes of the file's content (gunzipped if it is gzip), for detection only."""
    with path.open("rb") as raw:
        head = raw.read(_SNIFF_BYTES)
        if head[:2] == b"\x1f\x8b":
            raw.seek(0)
            try:
                with gzip.GzipFile(fileobj=raw) as unpacked:
                    head = unpacked.read(_SNIFF_BYTES)
            except (OSError, EOFError):
                pass
    return head


def detect_format(path: str | Path) -> str:
    """csv for a directory; for a file, by its content (never its name, which an upload chooses):
    JSON with an "elements" key is osm, other JSON tripadvisor, anything else csv."""
    path = Path(path)
    if path.is_dir():
        return "csv"
    try:
        head = _head(path).decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    except OSError as exc:
        raise DatasetError([Problem(path.name, None, None, f"cannot be read: {exc}")]) from exc
    if head[:1] in ("{", "["):
        return "osm" if '"elements"' in head else "tripadvisor"
    return "csv"


def import_file(path: str | Path, fmt: str | None = None, skip_invalid: bool = False, *,
                name: str | None = None) -> ImportResult:
    """Import one TripAdvisor JSON, OSM Overpass JSON or restaurant CSV file, or a contract
    directory, into validated restaurant rows. ``fmt=None`` detects the format from the content.
    ``name`` is how problems name the file (an upload's own name; default the path's name).

    Raises DatasetError listing every problem (file, row, field) when any record is invalid and
    ``skip_invalid`` is False, when a whole-file problem makes rows meaningless (a missing
    column, a limit exceeded, unreadable text), or when nothing would be kept. Never anything
    else for bad content; ValueError for an unknown ``fmt``."""
    path = Path(path)
    if fmt is not None and fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    name = name or path.name or str(path)
    if not path.exists():
        raise DatasetError([Problem(name, None, None, "does not exist")])
    fmt = fmt or detect_format(path)
    if path.is_dir():
        if fmt != "csv":
            raise DatasetError([Problem(name, None, None, f"is a directory; the {fmt} format is one JSON file")])
        result = import_csv_directory(path, skip_invalid, name)
    else:
        result = IMPORTERS[fmt](path, skip_invalid, name)
    result.format = fmt
    return result


def check_ingest_outputs(out: str | Path, rejects_path: str | Path | None = None, force: bool = False) -> None:
    """Every output of an ingest checked before anything is read or written: OUT must be new,
    empty or a dataset (schema.json) unless ``force``, because it is replaced whole; the rejects
    file's directory must exist."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out}: exists and is not a directory")
    if out.is_dir() and not force and not (out / "schema.json").is_file() and any(out.iterdir()):
        raise ValueError(f"--out {out}: is an existing directory that is not a dataset (no schema.json); its "
                         "contents would be replaced. Choose a new directory, or pass --force to replace it")
    if rejects_path is not None:
        rejects = check_output_file(rejects_path, "--rejects").resolve()
        if rejects.is_relative_to(out.resolve()):
            raise ValueError(f"--rejects {rejects_path}: is inside --out {out}, which is replaced whole; "
                             "leave --rejects out (the rejects are then written into the dataset) or choose "
                             "a file elsewhere")
        if rejects.exists() and not force:
            raise ValueError(f"--rejects {rejects_path}: exists and would be replaced; choose a new file "
                             "name, or pass --force")


def ingest(source: str | Path, out: str | Path, fmt: str | None = None, skip_invalid: bool = False,
           rejects_path: str | Path | None = None, force: bool = False) -> ImportResult:
    """Import ``source`` and write a contract directory to ``out``: both outputs are checked
    first and written only when the whole file was checked (check_import), the directory
    atomically and its items a chunk at a time (the rejects go inside it when no
    ``rejects_path`` is given; an explicit one is written next to its place and moved in once
    the directory is in place). The result's items are the first chunk only: a large file is
    never held whole."""
    check_ingest_outputs(out, rejects_path, force)
    if rejects_path is not None and Path(rejects_path).resolve() == Path(source).resolve():
        raise ValueError(f"--rejects {rejects_path}: is the input file; choose another file name")
    checked = check_import(source, fmt, skip_invalid)
    result = ImportResult(Dataset(pd.DataFrame(), checked.users, checked.interactions, Schema()), checked.rejects,
                          checked.format, checked.rows)
    staged = None
    if rejects_path is not None:
        handle, staged = tempfile.mkstemp(prefix=".rejects.", suffix=".csv", dir=Path(rejects_path).parent)
        os.close(handle)
        result.write_rejects(staged)

    def write(tmp: Path) -> None:
        with (tmp / "items.csv").open("w", encoding="utf-8", newline="") as items:
            for number, chunk in enumerate(checked.chunks()):
                chunk.to_csv(items, index=False, header=number == 0)
                if number == 0:
                    result.dataset.items, result.dataset.schema = chunk, checked.schema(chunk)
        write_tables(tmp, {"users": checked.users, "interactions": checked.interactions}, result.dataset.schema)
        if result.rejects and rejects_path is None:
            result.write_rejects(tmp / "rejects.csv")

    try:
        write_directory(out, write)
        if staged is not None:
            os.replace(staged, rejects_path)
            staged = None
    finally:
        if staged is not None:
            Path(staged).unlink(missing_ok=True)
    return result
