"""Coordinates the whole system can store and search: Redis GEO indexes only latitudes within
±85.05112878 (the Web Mercator limit), so a place or pin beyond it would be accepted and then never
found. Every entry point (records, queries, profiles) checks against these ranges."""

from __future__ import annotations

import math

import numpy as np
from geopy.distance import geodesic

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
        # Plain numbers for a person: the range rounded inward to 2 decimals (85.05, not 85.05112878).
        shown_low, shown_high = math.ceil(low * 100) / 100, math.floor(high * 100) / 100
        raise ValueError(f"{name} must be between {shown_low:g} and {shown_high:g}, got {value!r}")
    return number


# WGS84, the ellipsoid GPS coordinates (and geopy's geodesic) are on.
_WGS84_A = 6_378_137.0
_WGS84_F = 1 / 298.257223563
_WGS84_E2 = _WGS84_F * (2 - _WGS84_F)
# Redis GEO measures on a sphere of radius 6,372,797.56 m. The ellipsoid's radii of curvature run
# from 6,335 km to 6,400 km, so a sphere distance is within 0.6% of the geodesic anywhere; a
# search for "within r" asks Redis for r * (1 + SPHERE_MARGIN) + 1 m (its geohash cells are
# ~0.6 m) and keeps the places truly inside on the client.
SPHERE_MARGIN = 0.007
# The most distances_m may be off, relative to the distance, within 50 km anywhere Redis GEO
# reaches (measured: 3e-6 at San Francisco, 4e-4 at latitude 85; tests/unit/test_geo.py): places
# this near the radius are measured with the exact geodesic before they are kept or dropped.
APPROXIMATION_BAND = 1e-3


def sphere_radius_for(radius_m: float) -> float:
    """The radius to ask Redis for, so that every place within ``radius_m`` by the geodesic is in."""
    return radius_m * (1 + SPHERE_MARGIN) + 1.0


def distances_m(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Distances in metres on the WGS84 ellipsoid from (lat, lon) to each place, vectorised: the
    ellipsoid's meridian and prime-vertical radii at the mid latitude (a local flat-earth on the
    ellipsoid). Within 50 km it agrees with the geodesic to 20 cm at San Francisco and within
    APPROXIMATION_BAND anywhere; exact decisions at a radius use within_m."""
    lats, lons = np.asarray(lats, dtype=np.float64), np.asarray(lons, dtype=np.float64)
    mid = np.radians((lats + lat) / 2)
    sin2 = np.sin(mid) ** 2
    meridian = _WGS84_A * (1 - _WGS84_E2) / (1 - _WGS84_E2 * sin2) ** 1.5
    prime = _WGS84_A / np.sqrt(1 - _WGS84_E2 * sin2)
    dlon = (lons - lon + 180.0) % 360.0 - 180.0
    north = meridian * np.radians(lats - lat)
    east = prime * np.cos(mid) * np.radians(dlon)
    return np.hypot(north, east)


def within_m(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray, radius_m: float) -> tuple[np.ndarray, np.ndarray]:
    """(inside, distance): which places are within ``radius_m`` by the WGS84 geodesic, and their
    distances. Places whose approximate distance is near the radius are measured exactly."""
    distance = distances_m(lat, lon, lats, lons)
    near = np.flatnonzero(np.abs(distance - radius_m) <= radius_m * APPROXIMATION_BAND + 0.01)
    for i in near:
        distance[i] = geodesic((lat, lon), (float(lats[i]), float(lons[i]))).meters
    return distance <= radius_m, distance


def distance_text(metres: float) -> str:
    """A distance as a person reads it, everywhere the app writes one (tables, reasons, popups,
    radius labels): whole metres below 1 km, else kilometres to one decimal without a trailing
    ".0" (897 m, 1.2 km, 2 km). Rounded once, so 999.6 m reads "1 km", never "1000 m"."""
    whole = round(metres)
    if whole < 1000:
        return f"{whole} m"
    return f"{round(metres / 1000, 1):g} km"
