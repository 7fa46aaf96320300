"""Issue 15: distances without geopy per row, and an exact radius. The vectorised distance is
checked against geopy's WGS84 geodesic across latitudes; within_m decides exactly at the border."""

from __future__ import annotations

import numpy as np
import pytest
from geopy.distance import distance as geodesic_distance

from recsys.data.geo import (
    APPROXIMATION_BAND,
    LAT_RANGE,
    LON_RANGE,
    check_coordinate,
    distances_m,
    sphere_radius_for,
    within_m,
)


@pytest.mark.parametrize("lat", [0.0, 37.77, -45.0, 70.0, LAT_RANGE[1] - 0.5, LAT_RANGE[0] + 0.5])
def test_the_vectorised_distance_is_within_its_band_of_the_geodesic(lat):
    rng = np.random.default_rng(int(abs(lat) * 10))
    lon = 179.95  # the antimeridian is crossed on purpose
    metres = rng.uniform(1, 50_000, 300)
    points = [geodesic_distance(meters=m).destination((lat, lon), b) for m, b in zip(metres, rng.uniform(0, 360, 300))]
    got = distances_m(lat, lon, np.array([p.latitude for p in points]), np.array([p.longitude for p in points]))
    assert np.all(np.abs(got - metres) <= metres * APPROXIMATION_BAND / 2)
    if lat == 37.77:  # the demo city: well under a metre at 50 km
        assert np.all(np.abs(got - metres) < 0.2)


@pytest.mark.parametrize("radius", [60.0, 1_000.0, 50_000.0])
def test_within_decides_by_the_geodesic_at_the_border(radius):
    centre = (37.70, -122.47)
    offsets = np.array([-0.5, -0.05, 0.05, 0.5])
    points = [geodesic_distance(meters=radius + o).destination(centre, b) for b in range(0, 360, 45) for o in offsets]
    inside, distance = within_m(*centre, np.array([p.latitude for p in points]), np.array([p.longitude for p in points]),
                                radius)
    expected = np.tile(offsets < 0, 8)
    assert inside.tolist() == expected.tolist()
    assert np.all(distance[inside] <= radius)


def test_the_sphere_radius_covers_the_geodesic_radius():
    """What Redis is asked for covers every place truly inside: its sphere never says a place
    within r by the geodesic is beyond sphere_radius_for(r)."""
    sphere = 6372797.560856
    rng = np.random.default_rng(3)
    for lat in (0.0, 37.7, 84.0):
        for r, bearing in zip(rng.uniform(50, 50_000, 50), rng.uniform(0, 360, 50)):
            p = geodesic_distance(meters=r).destination((lat, 0.0), bearing)
            p1, p2 = np.radians(lat), np.radians(p.latitude)
            a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(p.longitude) / 2) ** 2
            assert 2 * sphere * np.arcsin(np.sqrt(a)) <= sphere_radius_for(r)


@pytest.mark.parametrize("name,value,bounds,words", [
    ("lat", 86.0, LAT_RANGE, "lat must be between -85.05 and 85.05, got 86.0"),
    ("lon", 180.5, LON_RANGE, "lon must be between -180 and 180, got 180.5"),
])
def test_an_out_of_range_coordinate_is_explained_in_plain_words(name, value, bounds, words):
    """Issue 19 item 2: a person's error names the range in plain numbers, no Redis jargon."""
    with pytest.raises(ValueError) as caught:
        check_coordinate(name, value, bounds)
    assert str(caught.value) == words
    assert "Redis" not in str(caught.value) and "GEO" not in str(caught.value)
