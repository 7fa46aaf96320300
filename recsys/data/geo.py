"""Coordinates the whole system can store and search: Redis GEO indexes only latitudes within
±85.05112878 (the Web Mercator limit), so a place or pin beyond it would be accepted and then never
found. Every entry point (records, queries, profiles) checks against these ranges."""

from __future__ import annotations

import math

LAT_RANGE = (-85.05112878, 85.05112878)  # Redis GEO's limit, not the globe's ±90
LON_RANGE = (-180.0, 180.0)


def check_coordinate(name: str, value: object, bounds: tuple[float, float]) -> float:
    """``value`` as a finite float within ``bounds``, or ValueError naming ``name``."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number, not {value!r}")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name} must be a number, got {str(value)[:40]!r}") from None
    low, high = bounds
    if not math.isfinite(number) or not low <= number <= high:
        raise ValueError(f"{name} must be between {low} and {high} (Redis GEO's range), got {value!r}")
    return number
