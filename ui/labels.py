"""What the pages call things a person picks: names and words, not ids (pure; no streamlit).

A profile is shown by its name. Only where two of the profiles shown together share a name are
they told apart: by their home neighbourhood, and where that is shared too, by a number in id
order (stable from run to run). The ids stay in the "Details for QA" views."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

UNNAMED = "Unnamed profile"
QA_DETAILS = "Details for QA"  # the expanders where ids live: everything else shows names and words
SEPARATOR = " · "


def _key(label: str) -> str:
    return " ".join(label.split()).casefold()


def _number_clashes(labels: dict[str, str]) -> dict[str, str]:
    """Labels that still read the same get " · 1", " · 2", ... in id order."""
    groups: dict[str, list[str]] = defaultdict(list)
    for user_id, label in labels.items():
        groups[_key(label)].append(user_id)
    out = dict(labels)
    for ids in groups.values():
        if len(ids) > 1:
            for n, user_id in enumerate(sorted(ids), start=1):
                out[user_id] = f"{labels[user_id]}{SEPARATOR}{n}"
    return out


def profile_labels(profiles: Iterable[dict]) -> dict[str, str]:
    """user_id -> the label a person reads for each profile (``user_id``, ``name`` and, when
    known, ``home_neighbourhood``); every label differs from the others given together."""
    names = {str(p["user_id"]): " ".join(str(p.get("name") or "").split()) or UNNAMED for p in profiles}
    hoods = {str(p["user_id"]): str(p.get("home_neighbourhood") or "").strip() for p in profiles}
    counts: dict[str, int] = defaultdict(int)
    for name in names.values():
        counts[_key(name)] += 1
    labels = {user_id: f"{name}{SEPARATOR}{hoods[user_id]}" if counts[_key(name)] > 1 and hoods[user_id] else name
              for user_id, name in names.items()}
    return _number_clashes(labels)
