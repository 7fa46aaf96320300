"""What an id (user, restaurant) may be, declared once and checked at every entry point.

Ids land in Redis keys and TAG fields, whose separator is ``,``: an id containing one would be
split into two tags, so "not for me" and "more like" would miss it. Empty ids and control
characters are refused too; everything else (spaces, ``|``, ``/``, non-Latin text) is escaped where
it is queried and shown as text."""

from __future__ import annotations

MAX_ID_LENGTH = 128


def check_id(value: object, field: str = "id") -> str:
    """``value`` as a clean id string, or ValueError naming ``field`` and what is wrong."""
    if value is None or isinstance(value, bool) or (isinstance(value, float) and value != value):
        raise ValueError(f"{field} is missing")
    text = str(value).strip()
    if not text:
        raise ValueError(f"{field} is empty")
    if len(text) > MAX_ID_LENGTH:
        raise ValueError(f"{field} is {len(text)} characters long; at most {MAX_ID_LENGTH} are allowed")
    if "," in text:
        raise ValueError(f"{field} {text!r} contains ',' (the tag separator); use another character")
    if any(not ch.isprintable() for ch in text):
        raise ValueError(f"{field} {text[:40]!r} contains control or line-separator characters")
    return text
