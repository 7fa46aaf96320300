"""What makes a contract dataset a restaurant dataset: the columns the map, the filters and the
Redis index need, and their checks. The model never sees this module."""

from __future__ import annotations

import re
from dataclasses import field, make_dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from recsys.data.city import CITY, City
from recsys.data.contract import (
    MAX_FIELD_CHARS,
    MULTILABEL_SEP,
    Dataset,
    DatasetError,
    Problem,
    Schema,
    split_multilabel,
    unique_problems,
    validate_directory,
)
from recsys.data.geo import LAT_RANGE, LON_RANGE, check_coordinate
from recsys.data.hours import HoursError, WeeklyHours
from recsys.data.ids import check_id
from recsys.data.record import (  # noqa: F401  (PRICE_BRACKETS and VISIBILITY are read from here)
    CHOICE_FIELDS,
    PRICE_BRACKETS,
    REQUIRED_COLUMNS,
    RESTAURANT_FIELDS,
    TEXT_COLUMNS,
    UNKNOWN,
    VISIBILITY,
    item_schema,
    unseen_text_problem,
    user_schema,
)

PRICE_RANGE = (1, 4)
RATING_RANGE = (0.0, 5.0)
# Cuisine labels become Redis tags and UI chips: plain words only.
_LABEL_RE = re.compile(r"[^a-z0-9 '&-]+")

ITEM_SCHEMA = item_schema()
USER_SCHEMA = user_schema()


def clean_label(text: str) -> str:
    return re.sub(r"\s+", " ", _LABEL_RE.sub(" ", str(text).lower().replace("_", " "))).strip()


def clean_labels(values: list[str]) -> list[str]:
    return list(dict.fromkeys(label for label in (clean_label(v) for v in values) if label))


def check_restaurant_rows(items: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Check and normalise the restaurant columns of an items table (rows are 1-based). Every
    problem of every row is reported, each naming its row and field."""
    missing = [c for c in REQUIRED_COLUMNS if c not in items.columns]
    if missing:
        return items, [Problem(file, None, c, "column is missing (restaurants need it)") for c in missing]
    problems: list[Problem] = []
    items = items.copy()
    if "item_id" in items.columns:  # absent ids (a new restaurant) are given one by the caller
        for i, value in enumerate(items["item_id"].tolist()):
            if _text(value) or isinstance(value, str):
                try:
                    check_id(value, "item_id")
                except ValueError as exc:
                    problems.append(Problem(file, i + 1, "item_id", str(exc)))
    for col in TEXT_COLUMNS:
        if col in items.columns:
            for i, value in enumerate(items[col].tolist()):
                if isinstance(value, str) and len(value) > MAX_FIELD_CHARS:
                    problems.append(Problem(file, i + 1, col, f"is {len(value):,} characters long; at most "
                                                              f"{MAX_FIELD_CHARS:,} are allowed (MAX_FIELD_CHARS)"))
    # Coordinates: Redis GEO's range, not the globe's, or the place would be stored and never found.
    for col, bounds in (("lat", LAT_RANGE), ("lon", LON_RANGE)):
        values = []
        for i, raw in enumerate(items[col].tolist()):
            try:
                values.append(check_coordinate(col, _number(raw), bounds))
            except ValueError as exc:
                problems.append(Problem(file, i + 1, col, str(exc)))
                values.append(float("nan"))
        items[col] = pd.Series(values, index=items.index, dtype=float)
    for col, (low, high) in (("price", PRICE_RANGE), ("rating", RATING_RANGE)):
        raw = items[col]
        values = pd.to_numeric(raw, errors="coerce")
        for i, value in enumerate(values.tolist()):
            if pd.isna(value):
                problems.append(Problem(file, i + 1, col, f"{raw.iloc[i]!r} is not a number"))
            elif not low <= value <= high:
                problems.append(Problem(file, i + 1, col, f"{value:g} is outside {low}..{high}"))
            elif col == "price" and value != int(value):
                problems.append(Problem(file, i + 1, col, f"{value:g} is not a whole number {low}..{high}"))
        items[col] = values
    for i, text in enumerate(items["hours"].map(_text)):
        problem = hours_problem(text)
        if problem:
            problems.append(Problem(file, i + 1, "hours", problem))
    for col in ("name", "address", "hours"):
        items[col] = items[col].map(_text)
    for i, name in enumerate(items["name"]):
        problem = "is empty" if not name else unseen_text_problem(name)
        if problem:
            problems.append(Problem(file, i + 1, "name", problem))
    items["cuisines"] = items["cuisines"].map(lambda v: "|".join(clean_labels(split_multilabel(v))))
    for choice in CHOICE_FIELDS:  # optional: a file without the column knows nothing about it
        values = [choice.choice(v) for v in items[choice.name]] if choice.name in items.columns \
            else [UNKNOWN] * len(items)
        for i, value in enumerate(values):
            if value is None:
                problems.append(Problem(file, i + 1, choice.name, f"{str(items[choice.name].iloc[i])[:60]!r} is not one of "
                                                                  f"{', '.join(choice.choices)} (or empty)"))
        items[choice.name] = [v or UNKNOWN for v in values]
    if not problems:
        items["price"] = items["price"].round().astype(int)
    return items, sorted(problems, key=by_row_and_field)


def by_row_and_field(problem: Problem) -> tuple[int, int, str]:
    """The order problems are reported in: by row, then the record's column order."""
    order = REQUIRED_COLUMNS.index(problem.field) if problem.field in REQUIRED_COLUMNS else -1
    return (problem.row or 0, order, problem.field or "")


def city_problems(items: pd.DataFrame, file: str, city: City = CITY) -> list[Problem]:
    """A problem for each row's lat or lon outside the city's declared bounds (City.lat_range,
    City.lon_range): a place in London imported into a San Francisco catalogue would be stored
    and never on the map. Rows are 1-based; coordinates already refused (NaN) are not named again."""
    problems = []
    for col, word, (low, high) in (("lat", "latitude", city.lat_range), ("lon", "longitude", city.lon_range)):
        for i, value in enumerate(pd.to_numeric(items[col], errors="coerce").tolist()):
            if value == value and not low <= value <= high:
                problems.append(Problem(file, i + 1, col, f"{value:g} is outside {city.name}: this catalogue's "
                                                          f"places have a {word} between {low:g} and {high:g}"))
    return problems


def hours_problem(text: str) -> str | None:
    """Why opening hours cannot be kept, or None: hours that do not parse, and hours that parse
    but are never open (empty, only ';', every day closed). A never-open place would be stored
    and then never found by an "open now" search, with no word to anyone: it is refused instead,
    by NewRestaurant and for that row by every importer (hours unknown are not hours)."""
    try:
        hours = WeeklyHours.parse(text)
    except HoursError as exc:
        return str(exc)
    if hours.intervals:
        return None
    if not text.replace(";", "").strip():
        return "is empty: give the opening hours, e.g. 'Mo-Su 11:00-22:00' or '24/7'"
    return (f"{text[:60]!r} is never open (every day is closed); give the opening hours, "
            "e.g. 'Mo-Fr 11:00-22:00' or '24/7'")


def _number(value: object) -> object:
    """CSV text such as '37.7' as a number for check_coordinate; anything else unchanged."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def merge_unquoted_hours(header: list[str], fields: list[str]) -> list[str] | None:
    """A row with more fields than the header, read the one way it can be: when ``hours`` is the
    last column, the README's own format ``Mo-Fr 11:30-14:30,17:00-22:00`` written without
    quotes spills into extra fields, and joined back they must be valid hours. Any other surplus
    (an unquoted comma in an address, hours in the middle, joined text that is not hours) is
    ambiguous and left to the caller to report for that row."""
    if not header or header[-1] != "hours":
        return None
    joined = ",".join(fields[len(header) - 1:])
    try:
        WeeklyHours.parse(joined)
    except HoursError:
        return None
    return fields[:len(header) - 1] + [joined]


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def restaurant_checks(dataset: Dataset, city: City | None = None) -> list[Problem]:
    """The restaurant checks of a contract dataset's items; with ``city``, also its bounds."""
    items, problems = check_restaurant_rows(dataset.items, "items.csv")
    if city is not None:
        problems = sorted(unique_problems(problems + city_problems(items, "items.csv", city)), key=by_row_and_field)
    if not problems:
        dataset.items = items
    return problems


def load_restaurant_dataset(directory: str | Path) -> Dataset:
    return validate_restaurant_directory(directory)[0]


def validate_restaurant_directory(directory: str | Path, skip_invalid: bool = False,
                                  city: City | None = None) -> tuple[Dataset, list[Problem]]:
    """A restaurant contract directory, and with ``skip_invalid`` the problems of the rows it
    dropped; with ``city`` (an import into that city's catalogue) rows outside it are problems."""
    checks = restaurant_checks if city is None else (lambda dataset: restaurant_checks(dataset, city))
    return validate_directory(directory, checks, skip_invalid, repair=merge_unquoted_hours)


def restaurant_schema() -> Schema:
    return Schema(items=dict(ITEM_SCHEMA), users=dict(USER_SCHEMA))


_PYTHON_TYPES = {"text": str, "labels": list, "int": int, "float": float, "coordinate": float, "hours": str,
                 "choice": str, "id": str}


def _new_restaurant_fields() -> list[tuple]:
    """(name, type, default) for NewRestaurant, from the record: the required columns first,
    then the optional fields a person enters (review statistics come from reviews, not a form)."""
    required = [(f.name, _PYTHON_TYPES[f.kind]) for f in RESTAURANT_FIELDS if f.required]
    optional = [(f.name, _PYTHON_TYPES[f.kind], field(default=UNKNOWN if f.kind == "choice" else ""))
                for f in RESTAURANT_FIELDS if not f.required and f.kind in ("text", "choice")]
    return [*required, *optional, ("item_id", str | None, field(default=None))]


def _typed(values: dict) -> tuple[dict, list[Problem]]:
    """The fields of a NewRestaurant checked against their record kind, as plain Python values
    (numpy numbers to int/float): a value of another type is a problem naming its field, never
    converted into another meaning (the text "pizza" as the labels p, i, z, a; True as price 1;
    b"x" as the name "b'x'"). A refused field is left out of the returned values."""
    clean: dict = {}
    problems: list[Problem] = []

    def refuse(name: str, message: str) -> None:
        problems.append(Problem("new restaurant", None, name, message))

    for f in RESTAURANT_FIELDS:
        if f.name not in values:
            continue
        value = values[f.name]
        shown = f"{type(value).__name__} {str(value)[:40]!r}"
        if f.kind in ("text", "hours"):
            if value is not None and not isinstance(value, str):
                refuse(f.name, f"must be text, got {shown}")
                continue
        elif f.kind == "labels":
            if not isinstance(value, (list, tuple)):
                refuse(f.name, f"must be a list of labels such as ['thai'], got {shown}")
                continue
            bad = [v for v in value if not isinstance(v, str) or MULTILABEL_SEP in v]
            if bad:
                refuse(f.name, f"each label must be text without '{MULTILABEL_SEP}' (the label separator; "
                               f"give two labels as two items), got {[str(v)[:40] for v in bad[:3]]!r}")
                continue
            value = list(value)
        elif f.kind == "int":
            if not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)):
                refuse(f.name, f"must be a whole number, got {shown}")
                continue
            value = int(value)
        elif f.kind in ("float", "coordinate"):
            if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(value, (bool, np.bool_)):
                refuse(f.name, f"must be a number, got {shown}")
                continue
            try:
                value = float(value)  # the row checks below name NaN, inf and the range
            except OverflowError:  # an int beyond any float (10**400)
                refuse(f.name, f"{str(value)[:20]}... is far outside the allowed range")
                continue
        clean[f.name] = value
    return clean, problems


def _to_row(self) -> dict:
    """The validated row this restaurant is stored as (DatasetError naming each bad field)."""
    values, problems = _typed(self.__dict__)
    refused = {p.field for p in problems}
    cuisines = values.get("cuisines", [])
    # A refused field is sent as None (every column present), so the other fields are still checked.
    frame = pd.DataFrame([{**dict.fromkeys(refused), **values, "cuisines": MULTILABEL_SEP.join(cuisines)}])
    checked, found = check_restaurant_rows(frame, "new restaurant")
    problems += [p for p in found if p.field not in refused]  # a refused field is named once
    if "cuisines" not in refused and not clean_labels(cuisines):
        problems.append(Problem("new restaurant", None, "cuisines", "name at least one cuisine"))
    if problems:
        order = [f.name for f in RESTAURANT_FIELDS]  # reported in the record's order, as a row's are
        problems.sort(key=lambda p: order.index(p.field) if p.field in order else len(order))
        raise DatasetError([Problem(p.file, None, p.field, p.message) for p in problems])
    row = checked.iloc[0].to_dict()
    row["hours"] = WeeklyHours.parse(row["hours"]).to_text()
    row.update(review_count=0, review_mean=float(row["rating"]), review_std=float("nan"),
               review_min=float("nan"), review_max=float("nan"))
    return row


# A restaurant entered in the app or given to the API; ``to_row`` validates it. Its fields are
# the record's (recsys.data.record), so a new attribute reaches the add form without an edit here.
NewRestaurant = make_dataclass("NewRestaurant", _new_restaurant_fields(), namespace={"to_row": _to_row})
NewRestaurant.__doc__ = "A restaurant entered in the app or given to the API; ``to_row`` validates it."
