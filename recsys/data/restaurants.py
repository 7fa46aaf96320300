"""What makes a contract dataset a restaurant dataset: the columns the map, the filters and the
Redis index need, and their checks. The model never sees this module."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from recsys.data.contract import Dataset, DatasetError, Problem, Schema, load_dataset, split_multilabel
from recsys.data.hours import HoursError, WeeklyHours

REQUIRED_COLUMNS = ("name", "address", "lat", "lon", "cuisines", "price", "rating", "hours")
PRICE_RANGE = (1, 4)
RATING_RANGE = (0.0, 5.0)
# Cuisine labels become Redis tags and UI chips: plain words only.
_LABEL_RE = re.compile(r"[^a-z0-9 '&-]+")

ITEM_SCHEMA = {
    "item_id": "id",
    "cuisines": "multilabel",
    "price": "numeric",
    "rating": "numeric",
    "review_count": "numeric",
    "review_mean": "numeric",
    "review_std": "numeric",
    "review_min": "numeric",
    "review_max": "numeric",
    "locality": "categorical",
    "lat,lon": "geo",
    "name": "text",
}
USER_SCHEMA = {
    "user_id": "id",
    "likes": "multilabel",
    "price_bracket": "categorical",
    "home_lat,home_lon": "geo",
    "home_neighbourhood": "categorical",
    "newsletter": "categorical",
    "notifications": "categorical",
    "profile_visibility": "categorical",
    "data_sharing": "categorical",
}
# The likes a profile can pick (the seed recipe's list); they are also cuisine/style labels.
LIKES = ("burgers", "shakes", "pizza", "italian", "mexican", "fine dining", "bbq", "cocktails",
         "breweries", "ethiopian", "pasta", "brunch", "fast food")
PRICE_BRACKETS = ("low", "middle", "high")
VISIBILITY = ("public", "friends", "private")


def clean_label(text: str) -> str:
    return re.sub(r"\s+", " ", _LABEL_RE.sub(" ", str(text).lower().replace("_", " "))).strip()


def clean_labels(values: list[str]) -> list[str]:
    return list(dict.fromkeys(label for label in (clean_label(v) for v in values) if label))


def check_restaurant_rows(items: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Check and normalise the restaurant columns of an items table (rows are 1-based)."""
    missing = [c for c in REQUIRED_COLUMNS if c not in items.columns]
    if missing:
        return items, [Problem(file, None, c, "column is missing (restaurants need it)") for c in missing]
    problems: list[Problem] = []
    items = items.copy()
    for col, (low, high) in (("price", PRICE_RANGE), ("rating", RATING_RANGE), ("lat", (-90, 90)), ("lon", (-180, 180))):
        raw = items[col]
        values = pd.to_numeric(raw, errors="coerce")
        for i in range(len(items)):
            value = values.iloc[i]
            if pd.isna(value):
                problems.append(Problem(file, i + 1, col, f"{raw.iloc[i]!r} is not a number"))
            elif not low <= value <= high:
                problems.append(Problem(file, i + 1, col, f"{value:g} is outside {low}..{high}"))
        items[col] = values
    for i, text in enumerate(items["hours"].map(_text)):
        try:
            WeeklyHours.parse(text)
        except HoursError as exc:
            problems.append(Problem(file, i + 1, "hours", str(exc)))
    for col in ("name", "address", "hours"):
        items[col] = items[col].map(_text)
    for i, name in enumerate(items["name"]):
        if not name:
            problems.append(Problem(file, i + 1, "name", "is empty"))
    items["cuisines"] = items["cuisines"].map(lambda v: "|".join(clean_labels(split_multilabel(v))))
    if not problems:
        items["price"] = items["price"].round().astype(int)
    return items, problems


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def restaurant_checks(dataset: Dataset) -> list[Problem]:
    items, problems = check_restaurant_rows(dataset.items, "items.csv")
    if not problems:
        dataset.items = items
    return problems


def load_restaurant_dataset(directory: str | Path) -> Dataset:
    return load_dataset(directory, extra_checks=restaurant_checks)


def restaurant_schema() -> Schema:
    return Schema(items=dict(ITEM_SCHEMA), users=dict(USER_SCHEMA))


@dataclass
class NewRestaurant:
    """A restaurant entered in the app or given to the API; ``to_row`` validates it."""

    name: str
    address: str
    lat: float
    lon: float
    cuisines: list[str]
    price: int
    rating: float
    hours: str
    locality: str = ""
    item_id: str | None = None

    def to_row(self) -> dict:
        frame = pd.DataFrame([{**self.__dict__, "cuisines": "|".join(self.cuisines)}])
        checked, problems = check_restaurant_rows(frame, "new restaurant")
        if not self.cuisines or not clean_labels(self.cuisines):
            problems.append(Problem("new restaurant", None, "cuisines", "name at least one cuisine"))
        if problems:
            raise DatasetError([Problem(p.file, None, p.field, p.message) for p in problems])
        row = checked.iloc[0].to_dict()
        row["hours"] = WeeklyHours.parse(row["hours"]).to_text()
        row.update(review_count=0, review_mean=float(row["rating"]), review_std=float("nan"),
                   review_min=float("nan"), review_max=float("nan"))
        return row
