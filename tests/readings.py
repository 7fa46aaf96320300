"""Reading back what the app writes for a person, for assertions (the inverse of its formatters)."""

from __future__ import annotations


def metres(text: str) -> float:
    """A distance as recsys.data.geo.distance_text writes it ("897 m", "1.2 km") in metres."""
    number, unit = str(text).split()
    return float(number) * (1000 if unit == "km" else 1)
