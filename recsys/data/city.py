"""The city the app and the demo generator are about, in one place: name, timezone, the area the
app covers, its centre, neighbourhoods and shoreline. The demo generator places restaurants and
people with it; the UI draws the map, bounds the pin and names the neighbourhoods with it; the
settings take its timezone. Another city is another City value (recsys.data.sf_geography holds
San Francisco's raw geography)."""

from __future__ import annotations

from dataclasses import dataclass, field

from recsys.data import sf_geography
from recsys.data.sf_geography import Neighbourhood


@dataclass(frozen=True)
class City:
    name: str
    timezone: str  # opening hours and "now" are this city's wall clock
    lat_range: tuple[float, float]  # the area the app covers (map, pin, links), with a margin
    lon_range: tuple[float, float]
    centre_name: str  # the neighbourhood the map opens on
    neighbourhoods: tuple[Neighbourhood, ...]
    shoreline: tuple[tuple[float, float], ...]  # (lat, lon) polygon of the land
    # Parks by name: (south, west, north, east) boxes with no restaurants.
    no_restaurants: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)

    @property
    def centre(self) -> tuple[float, float]:
        return self.places[self.centre_name]

    @property
    def places(self) -> dict[str, tuple[float, float]]:
        """Neighbourhood name -> its centre (lat, lon)."""
        return {h.name: (h.lat, h.lon) for h in self.neighbourhoods}

    def covers(self, lat: float, lon: float) -> bool:
        return self.lat_range[0] <= lat <= self.lat_range[1] and self.lon_range[0] <= lon <= self.lon_range[1]

    def on_land(self, lat: float, lon: float) -> bool:
        """Ray casting against the shoreline polygon."""
        inside, points = False, self.shoreline
        j = len(points) - 1
        for i in range(len(points)):
            (yi, xi), (yj, xj) = points[i], points[j]
            if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
                inside = not inside
            j = i
        return inside

    def restaurant_allowed(self, lat: float, lon: float) -> bool:
        return self.on_land(lat, lon) and not any(s <= lat <= n and w <= lon <= e for s, w, n, e in self.no_restaurants.values())


SAN_FRANCISCO = City(name="San Francisco", timezone="America/Los_Angeles", lat_range=(37.6, 37.9),
                     lon_range=(-122.6, -122.3), centre_name="Civic Center",
                     neighbourhoods=sf_geography.NEIGHBOURHOODS, shoreline=sf_geography.SHORELINE,
                     no_restaurants=sf_geography.NO_RESTAURANTS)
CITY = SAN_FRANCISCO  # the city this deployment serves
