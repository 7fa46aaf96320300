"""The profile record as the user tower reads it: its fields and how a profile is validated and
normalised before it is embedded or stored."""

from __future__ import annotations

import math
import uuid

import numpy as np

from recsys.data.contract import MULTILABEL_SEP
from recsys.data.geo import LAT_RANGE, LON_RANGE, check_coordinate
from recsys.data.ids import check_id
from recsys.data.record import PROFILE_FIELDS, PROFILE_RECORD, unseen_text_problem

DEFAULT_NAME = "Anonymous"  # a profile given without a name (an ad-hoc one never has one)
_FIELDS = {f.name: f for f in PROFILE_RECORD}
_TEXT_FIELDS = tuple(f.name for f in PROFILE_RECORD if f.kind == "text" and f.name != "name")
_FLAG_FIELDS = tuple(f.name for f in PROFILE_RECORD if f.kind == "flag")
_COORDINATES = tuple(f.name for f in PROFILE_RECORD if f.kind == "coordinate")


def normalise_profile(profile: dict) -> dict:
    """A profile as the user tower reads it: known fields only, likes joined with '|', an id,
    plain Python values. Raises ValueError naming every field that is wrong (all at once).

    Text is kept literally (a name is stored and shown exactly as typed); missing values stay
    None. A name must show something; text and likes keep to the record's size limits
    (PROFILE_RECORD's max_chars and max_labels). Home coordinates must be finite and inside Redis
    GEO's range, and come as a pair."""
    problems: list[str] = []
    out = {k: profile.get(k) for k in PROFILE_FIELDS if k in profile}

    if out.get("user_id") is None:
        out["user_id"] = f"p-{uuid.uuid4().hex[:10]}"
    else:
        out["user_id"] = _checked(problems, check_id, out["user_id"], "user_id")

    name = out.get("name")
    if _missing(name):
        out["name"] = DEFAULT_NAME
    elif not isinstance(name, str):
        problems.append(f"name must be text, got {type(name).__name__} {str(name)[:40]!r}")
    elif not name.strip():
        problems.append("name is empty (only spaces); give the profile a name")
    elif too_long := _too_long("name", name):  # first: a huge name is not scanned further
        problems.append(too_long)
    elif unseen := unseen_text_problem(name):
        problems.append(f"name {unseen}")

    if "likes" in out:
        out["likes"] = _likes(out["likes"], problems)

    for field in (f for f in _TEXT_FIELDS if f in out):
        value = out[field]
        if _missing(value):
            out[field] = None
        elif not isinstance(value, str):
            problems.append(f"{field} must be text, got {value!r}")
        elif too_long := _too_long(field, value):
            problems.append(too_long)
    for field in (f for f in _FLAG_FIELDS if f in out):
        value = out[field]
        if _missing(value):
            out[field] = None
        elif isinstance(value, (bool, np.bool_)):
            out[field] = bool(value)
        else:
            problems.append(f"{field} must be True or False, got {value!r}")

    given = [f for f in _COORDINATES if out.get(f) is not None]
    if len(given) == 1:
        other = next(f for f in _COORDINATES if f not in given)
        problems.append(f"{given[0]} is given without {other}: give both home coordinates or neither")
    for field, bounds in zip(_COORDINATES, (LAT_RANGE, LON_RANGE)):
        if out.get(field) is not None:
            out[field] = _checked(problems, check_coordinate, field, out[field], bounds)

    if problems:
        raise ValueError("invalid profile: " + "; ".join(problems))
    return out


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _too_long(field: str, text: str) -> str | None:
    """The problem of a text longer than the record allows for ``field``; None when it fits."""
    limit = _FIELDS[field].max_chars
    if limit is not None and len(text) > limit:
        return f"{field} is {len(text):,} characters long; at most {limit:,} are allowed"
    return None


def _checked(problems: list[str], check, *args):
    try:
        return check(*args)
    except ValueError as exc:
        problems.append(str(exc))
        return None


def _likes(value: object, problems: list[str]) -> str | None:
    """Labels joined with the multilabel separator; a label may hold any text but that separator,
    within the record's limits (how many labels, how long each)."""
    if value is None:
        return None
    if isinstance(value, str):
        labels = value.split(MULTILABEL_SEP) if value else []
    elif isinstance(value, (list, tuple, set, frozenset)):
        labels = sorted(value, key=str) if isinstance(value, (set, frozenset)) else list(value)
    else:
        problems.append(f"likes must be a list of labels, got {str(value)[:60]!r}")
        return None
    field = _FIELDS["likes"]
    if field.max_labels is not None and len(labels) > field.max_labels:  # checked first: no scan of 10**6 labels
        problems.append(f"likes has {len(labels):,} labels; at most {field.max_labels:,} are allowed")
        return None
    bad = [v for v in labels if not isinstance(v, str) or not v.strip() or MULTILABEL_SEP in v]
    if bad:  # the same rule for a list and for "a|b" text
        shown = [v[:40] if isinstance(v, str) else v for v in bad[:3]]
        problems.append(f"likes must be non-empty labels without '{MULTILABEL_SEP}', got {shown!r}")
        return None
    longest = max(labels, key=len, default="")
    if field.max_chars is not None and len(longest) > field.max_chars:
        problems.append(f"likes has a label of {len(longest):,} characters ({longest[:20]!r}...); "
                        f"at most {field.max_chars:,} are allowed")
        return None
    return MULTILABEL_SEP.join(labels)
