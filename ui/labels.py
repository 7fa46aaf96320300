"""What the pages call things a person picks: names and words, not ids (pure; no streamlit).

A profile or a restaurant is shown by its name. Only where two shown together share a name are
they told apart: by a detail (a profile's home neighbourhood, a restaurant's address), and where
that is shared too, by a number in id order (stable from run to run). The ids stay in the
"Details for QA" views."""

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


def distinct_labels(entries: Iterable[tuple[str, str, str]], unnamed: str = UNNAMED) -> dict[str, str]:
    """id -> the label a person reads, from (id, name, detail) triples: the name, and only where
    two entries given together share a name, " · detail" (a neighbourhood, an address) and then a
    number in id order. Every label differs from the others given together."""
    entries = [(str(i), " ".join(str(name or "").split()) or unnamed, str(detail or "").strip())
               for i, name, detail in entries]
    counts: dict[str, int] = defaultdict(int)
    for _, name, _ in entries:
        counts[_key(name)] += 1
    return _number_clashes({i: f"{name}{SEPARATOR}{detail}" if counts[_key(name)] > 1 and detail else name
                            for i, name, detail in entries})


def profile_labels(profiles: Iterable[dict]) -> dict[str, str]:
    """user_id -> label for profiles (``user_id``, ``name``, ``home_neighbourhood`` when known)."""
    return distinct_labels((p["user_id"], p.get("name"), p.get("home_neighbourhood")) for p in profiles)
