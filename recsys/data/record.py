"""The restaurant and profile records: every field each has, declared once.

Each Field says what kind of value it holds, whether every restaurant dataset must have it, how
the item tower sees it (a contract feature kind), how Redis indexes it and whether people filter
by it. The contract columns (REQUIRED_COLUMNS), the item feature schema (ITEM_SCHEMA), the Redis
index and stored document (recsys.serving.store), the fields a search returns, the add form's record
(NewRestaurant) and the Explore "must have" filter are all derived from RESTAURANT_FIELDS: a new
attribute is one line here plus where its values come from (importers, demo generator)."""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

import numpy as np

# Values that mean "not known" for a choice field, in any source (CSV cells, JSON, pandas).
UNKNOWN = "unknown"
_TRUE = {"yes", "true", "1", "y", "t"}
_FALSE = {"no", "false", "0", "n", "f"}


@dataclass(frozen=True)
class Field:
    name: str
    # How a value is read and checked: id, text, labels (a |-separated list), int, float,
    # coordinate, hours (recsys.data.hours), count, stat (a review statistic), choice, flag (True/False).
    kind: str
    required: bool = False  # every restaurant dataset has this column (a contract column)
    feature: str | None = None  # the item tower's kind for it (recsys.data.contract), None: not a feature
    index: str | None = None  # how Redis indexes it: tag, text, numeric; None: stored or not at all
    stored: bool = True  # kept in the Redis document and returned with search results
    choices: tuple[str, ...] = ()  # a choice field's values, UNKNOWN last
    # A choice field people can require ("must have"): its label and the values that satisfy it.
    must_have: str = ""
    satisfied_by: tuple[str, ...] = ()
    aliases: tuple[tuple[str, str], ...] = ()  # other spellings of a choice value (OSM's "designated")
    blank: str = ""  # what is stored for an empty text value (a tag needs a word to be found)
    # Size limits, checked where the field is validated (recsys.data.profiles): characters of a
    # text value or of each label, and how many labels. None: no limit of its own here.
    max_chars: int | None = None
    max_labels: int | None = None

    def choice(self, value: object) -> str | None:
        """A choice field's value in its own words: a choice, UNKNOWN for an empty cell, or None
        when the value is none of them (the caller reports it, naming the row and field)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return UNKNOWN
        if isinstance(value, bool):
            text = "yes" if value else "no"
        else:
            text = str(value).strip().lower()
        if text in ("", UNKNOWN, "nan", "none"):
            return UNKNOWN
        text = dict(self.aliases).get(text, text)
        if "yes" in self.choices and text in _TRUE:
            return "yes"
        if "no" in self.choices and text in _FALSE:
            return "no"
        return text if text in self.choices else None

    def flag(self, value: object) -> bool | None:
        """A flag field's value as True/False, None when unknown (empty, NaN) or unreadable. A
        CSV holds flags as text ("True", "false", "1"): this reads them back as booleans."""
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        if isinstance(value, str):
            text = value.strip().lower()
            return True if text in _TRUE else False if text in _FALSE else None
        return None


# Characters that show nothing on their own: spaces and separators, zero-width and format
# characters (U+200B, U+FEFF), combining marks (they attach to a letter), private and unassigned
# code points, control characters.
_UNSEEN_CATEGORIES = frozenset(("Zs", "Zl", "Zp", "Cf", "Mn", "Me", "Mc", "Co", "Cn", "Cc"))


def unseen_text_problem(text: str) -> str | None:
    """Why a name would show as nothing or break on its way, or None when it is fine. A name must
    show at least one letter, digit, punctuation mark or symbol; it may hold no control character
    (NUL and the like are never typed text: C code and terminals cut or act on them) and no lone
    surrogate (not Unicode text: it cannot be encoded to UTF-8 for Redis or the page)."""
    categories = {unicodedata.category(ch) for ch in text}
    if "Cc" in categories:
        return "contains a control character (such as NUL or a tab); remove it"
    if "Cs" in categories:
        return "contains a lone surrogate, which is not valid Unicode text"
    if categories <= _UNSEEN_CATEGORIES:
        return "shows nothing (only spaces, zero-width or combining characters); give a visible name"
    return None


RESTAURANT_FIELDS: tuple[Field, ...] = (
    Field("item_id", "id", feature="id", index="tag"),
    # The contract columns, in the order problems are reported.
    Field("name", "text", required=True, feature="text", index="text"),
    Field("address", "text", required=True, index="text"),
    Field("lat", "coordinate", required=True),  # with lon: the "lat,lon" geo feature and the GEO index
    Field("lon", "coordinate", required=True),
    Field("cuisines", "labels", required=True, feature="multilabel", index="tag"),
    Field("price", "int", required=True, feature="numeric", index="numeric"),
    Field("rating", "float", required=True, feature="numeric", index="numeric"),
    Field("hours", "hours", required=True),  # indexed as open_slots tags (recsys.data.hours)
    # Optional columns.
    Field("locality", "text", feature="categorical", index="tag", blank=UNKNOWN),
    Field("review_count", "count", feature="numeric"),
    Field("review_mean", "stat", feature="numeric", stored=False),
    Field("review_std", "stat", feature="numeric", stored=False),
    Field("review_min", "stat", feature="numeric", stored=False),
    Field("review_max", "stat", feature="numeric", stored=False),
    # OpenStreetMap's outdoor_seating and wheelchair tags.
    Field("outdoor_seating", "choice", feature="categorical", index="tag", choices=("yes", "no", UNKNOWN),
          must_have="Outdoor seating", satisfied_by=("yes",),
          aliases=tuple((kind, "yes") for kind in ("terrace", "garden", "sidewalk", "patio", "veranda",
                                                   "pedestrian_zone", "balcony", "roof", "parklet"))),
    Field("wheelchair", "choice", feature="categorical", index="tag", choices=("yes", "limited", "no", UNKNOWN),
          must_have="Wheelchair access", satisfied_by=("yes", "limited"), aliases=(("designated", "yes"),)),
)
FIELDS = {f.name: f for f in RESTAURANT_FIELDS}

REQUIRED_COLUMNS = tuple(f.name for f in RESTAURANT_FIELDS if f.required)
TEXT_COLUMNS = tuple(f.name for f in RESTAURANT_FIELDS if f.kind in ("text", "labels", "hours", "choice"))
CHOICE_FIELDS = tuple(f for f in RESTAURANT_FIELDS if f.kind == "choice")
MUST_HAVE = {f.name: f.must_have for f in RESTAURANT_FIELDS if f.must_have}  # filter name -> label
STORED = tuple(f.name for f in RESTAURANT_FIELDS if f.stored)


def item_schema() -> dict[str, str]:
    """The item side of the contract schema: each feature's kind, coordinates as one geo pair."""
    schema = {f.name: f.feature for f in RESTAURANT_FIELDS if f.feature and f.kind != "coordinate"}
    schema["lat,lon"] = "geo"
    return schema


def describe_choices(restaurant: dict) -> str:
    """The known choice fields in words ("Outdoor seating: yes · Wheelchair access: limited");
    empty when none is known."""
    return " · ".join(f"{f.must_have or f.name}: {restaurant[f.name]}" for f in CHOICE_FIELDS
                      if restaurant.get(f.name, UNKNOWN) != UNKNOWN)


PRICE_BRACKETS = ("low", "middle", "high")
VISIBILITY = ("public", "friends", "private")

# The profile (a user of the app, or a user row of a dataset): what the user tower reads, what the
# profile store indexes, what normalise_profile checks. Choice values are kept as typed (a dataset
# may use its own brackets); the app's forms offer PRICE_BRACKETS and VISIBILITY. The size limits
# (max_chars, max_labels) are declared here only: generous for people, and small enough that no
# profile can bloat Redis, the name search or the user tower's input.
PROFILE_RECORD: tuple[Field, ...] = (
    Field("user_id", "id", feature="id", index="tag"),
    # Also searched by its words (recsys.serving.profile_store). 200: any real name (the form stops at 80).
    Field("name", "text", index="text", max_chars=200),
    # 200 labels of up to 100 characters: far more than the catalogue's cuisines, each a few words.
    Field("likes", "labels", feature="multilabel", max_chars=100, max_labels=200),
    # The choice-like texts: 200 characters, as they are short words, never essays.
    Field("price_bracket", "text", feature="categorical", choices=PRICE_BRACKETS, max_chars=200),
    Field("home_lat", "coordinate"),  # with home_lon: the "home_lat,home_lon" geo feature
    Field("home_lon", "coordinate"),
    Field("home_neighbourhood", "text", feature="categorical", index="tag", max_chars=200),
    Field("newsletter", "flag", feature="categorical"),
    Field("notifications", "flag", feature="categorical"),
    Field("profile_visibility", "text", feature="categorical", choices=VISIBILITY, max_chars=200),
    Field("data_sharing", "flag", feature="categorical"),
)
PROFILE_FIELDS = tuple(f.name for f in PROFILE_RECORD)


def user_schema() -> dict[str, str]:
    """The user side of the contract schema; the home coordinates are one geo feature, where
    the first of them is declared."""
    schema: dict[str, str] = {}
    coordinates = [f.name for f in PROFILE_RECORD if f.kind == "coordinate"]
    for f in PROFILE_RECORD:
        if f.kind == "coordinate":
            schema.setdefault(",".join(coordinates), "geo")
        elif f.feature:
            schema[f.name] = f.feature
    return schema
