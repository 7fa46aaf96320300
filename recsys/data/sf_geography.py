"""San Francisco's raw geography (recsys.data.city builds the City from it): a coarse shoreline, the big parks, and the
neighbourhoods with their commercial streets and typical kitchens. Coordinates are approximate
(read off public maps to ~100 m), good enough to keep pins on land and in the right district."""

from __future__ import annotations

from dataclasses import dataclass, field

# Clockwise from Fort Funston along the ocean, the Golden Gate and the bay, back along the county line.
SHORELINE: tuple[tuple[float, float], ...] = (
    (37.7085, -122.5025), (37.7200, -122.5045), (37.7350, -122.5075), (37.7500, -122.5085),
    (37.7650, -122.5100), (37.7760, -122.5115), (37.7800, -122.5125), (37.7850, -122.5060),
    (37.7880, -122.4950), (37.7875, -122.4870), (37.7930, -122.4840), (37.8030, -122.4800),
    (37.8080, -122.4760), (37.8050, -122.4620), (37.8045, -122.4470), (37.8060, -122.4350),
    (37.8070, -122.4260), (37.8085, -122.4180), (37.8080, -122.4100), (37.8060, -122.4040),
    (37.8010, -122.3990), (37.7960, -122.3935), (37.7900, -122.3895), (37.7820, -122.3875),
    (37.7720, -122.3880), (37.7620, -122.3865), (37.7530, -122.3860), (37.7450, -122.3850),
    (37.7390, -122.3780), (37.7330, -122.3700), (37.7280, -122.3660), (37.7200, -122.3730),
    (37.7130, -122.3810), (37.7085, -122.3930), (37.7082, -122.4200), (37.7082, -122.4500),
    (37.7082, -122.4700), (37.7085, -122.5025),
)
# Parks and other places with no restaurants, as (south, west, north, east) boxes; the map draws
# them by name when its tiles cannot load.
NO_RESTAURANTS: dict[str, tuple[float, float, float, float]] = {
    "Golden Gate Park": (37.7665, -122.5110, 37.7740, -122.4545),
    "Presidio": (37.7860, -122.4850, 37.8040, -122.4500),
    "Lake Merced": (37.7150, -122.5050, 37.7330, -122.4850),  # and the golf courses
    "Twin Peaks": (37.7400, -122.4600, 37.7560, -122.4450),  # and Mount Davidson's slopes
    "McLaren Park": (37.7130, -122.4260, 37.7230, -122.4110),
}


@dataclass(frozen=True)
class Neighbourhood:
    name: str
    lat: float
    lon: float
    spread_km: float  # how far restaurants spread from the centre (1 sigma)
    dining_weight: float  # share of the city's restaurants
    residential_weight: float  # share of the demo users who live here
    streets: tuple[str, ...]
    boosts: dict[str, float] = field(default_factory=dict)  # archetype -> how much more common here
    price_shift: float = 0.0  # pricier (+) or cheaper (-) than the city


NEIGHBOURHOODS: tuple[Neighbourhood, ...] = (
    Neighbourhood("Mission", 37.7599, -122.4148, 0.65, 10, 8, ("Valencia St", "Mission St", "24th St", "16th St"),
                  {"taqueria": 4, "mexican": 3, "brunch cafe": 1.5, "cocktail bar": 1.5}, -0.2),
    Neighbourhood("SoMa", 37.7785, -122.4030, 0.7, 7, 5, ("Folsom St", "Howard St", "3rd St", "Brannan St"),
                  {"brewery": 2.5, "cocktail bar": 2, "sandwich shop": 2, "fast food": 1.5}),
    Neighbourhood("Financial District", 37.7946, -122.3999, 0.35, 6, 1, ("Montgomery St", "California St", "Sansome St"),
                  {"fine dining": 2.5, "sandwich shop": 3, "steakhouse": 2.5, "seafood": 1.5}, 0.5),
    Neighbourhood("Chinatown", 37.7941, -122.4078, 0.22, 5, 3, ("Grant Ave", "Stockton St", "Jackson St"),
                  {"chinese": 8, "dim sum": 8, "bakery": 2}, -0.5),
    Neighbourhood("North Beach", 37.8006, -122.4103, 0.3, 6, 3, ("Columbus Ave", "Grant Ave", "Stockton St"),
                  {"trattoria": 7, "pizzeria": 4, "cocktail bar": 1.5, "cafe": 2}),
    Neighbourhood("Fisherman's Wharf", 37.8075, -122.4177, 0.3, 3, 0.5, ("Jefferson St", "Beach St", "Taylor St"),
                  {"seafood": 7, "fast food": 2, "diner": 2}, 0.3),
    Neighbourhood("Union Square", 37.7880, -122.4075, 0.3, 5, 1, ("Geary St", "Post St", "Powell St"),
                  {"fine dining": 1.5, "diner": 1.5, "steakhouse": 2, "cocktail bar": 2}, 0.3),
    Neighbourhood("Tenderloin", 37.7840, -122.4141, 0.28, 4, 3, ("Larkin St", "Eddy St", "Ellis St"),
                  {"vietnamese": 6, "thai": 3, "indian": 2, "ethiopian": 2}, -0.6),
    Neighbourhood("Nob Hill", 37.7925, -122.4160, 0.3, 2.5, 3, ("Polk St", "Hyde St", "Leavenworth St"),
                  {"cocktail bar": 2, "french": 2, "thai": 1.5}),
    Neighbourhood("Russian Hill", 37.8010, -122.4190, 0.25, 2, 2, ("Polk St", "Hyde St", "Union St"),
                  {"trattoria": 1.5, "brunch cafe": 1.5, "cocktail bar": 1.5}, 0.2),
    Neighbourhood("Marina", 37.8010, -122.4368, 0.35, 5, 4, ("Chestnut St", "Union St", "Lombard St"),
                  {"brunch cafe": 3, "cocktail bar": 2, "mediterranean": 1.5, "sushi": 1.5}, 0.4),
    Neighbourhood("Pacific Heights", 37.7905, -122.4350, 0.35, 3, 4, ("Fillmore St", "Sacramento St", "California St"),
                  {"french": 2.5, "fine dining": 1.5, "cafe": 2}, 0.5),
    Neighbourhood("Japantown", 37.7854, -122.4294, 0.18, 2, 1, ("Post St", "Buchanan St", "Webster St"),
                  {"sushi": 8, "ramen": 8, "korean bbq": 3}),
    Neighbourhood("Hayes Valley", 37.7765, -122.4242, 0.25, 4, 2.5, ("Hayes St", "Gough St", "Octavia St"),
                  {"french": 3, "cocktail bar": 2.5, "brewery": 1.5, "fine dining": 1.5}, 0.4),
    Neighbourhood("Civic Center", 37.7793, -122.4160, 0.22, 2, 1, ("Van Ness Ave", "Market St", "Polk St"),
                  {"sandwich shop": 2, "vietnamese": 1.5}),
    Neighbourhood("Castro", 37.7609, -122.4350, 0.3, 4, 4, ("Castro St", "18th St", "Market St"),
                  {"brunch cafe": 2.5, "cocktail bar": 2.5, "diner": 2, "thai": 1.5}),
    Neighbourhood("Haight-Ashbury", 37.7692, -122.4481, 0.3, 3, 4, ("Haight St", "Cole St", "Stanyan St"),
                  {"cafe": 2, "ethiopian": 2, "pizzeria": 1.5, "vegetarian": 2.5}, -0.3),
    Neighbourhood("Lower Haight", 37.7720, -122.4320, 0.22, 2, 3, ("Haight St", "Fillmore St", "Divisadero St"),
                  {"brewery": 3, "bbq": 2, "ethiopian": 2}, -0.3),
    Neighbourhood("NoPa", 37.7760, -122.4380, 0.25, 2.5, 3, ("Divisadero St", "Fulton St", "Hayes St"),
                  {"bbq": 3, "brewery": 2, "pizzeria": 2, "ethiopian": 2}),
    Neighbourhood("Western Addition", 37.7816, -122.4326, 0.3, 2.5, 4, ("Fillmore St", "Geary Blvd", "Divisadero St"),
                  {"ethiopian": 4, "bbq": 2.5, "korean bbq": 1.5}),
    Neighbourhood("Inner Richmond", 37.7810, -122.4640, 0.45, 5, 6, ("Clement St", "Geary Blvd", "Balboa St"),
                  {"chinese": 3, "burmese": 8, "dim sum": 3, "korean bbq": 3}, -0.3),
    Neighbourhood("Outer Richmond", 37.7770, -122.4920, 0.55, 3, 6, ("Geary Blvd", "Balboa St", "Clement St"),
                  {"chinese": 3, "dim sum": 2, "vietnamese": 1.5}, -0.4),
    Neighbourhood("Inner Sunset", 37.7625, -122.4660, 0.35, 4, 5, ("Irving St", "9th Ave", "Judah St"),
                  {"ramen": 3, "sushi": 2.5, "thai": 2.5, "cafe": 1.5}, -0.2),
    Neighbourhood("Outer Sunset", 37.7550, -122.4940, 0.6, 4, 8, ("Noriega St", "Judah St", "Taraval St", "Irving St"),
                  {"chinese": 3, "vietnamese": 3, "cafe": 2, "dim sum": 2}, -0.5),
    Neighbourhood("Parkside", 37.7420, -122.4880, 0.45, 1.5, 4, ("Taraval St", "Sloat Blvd"),
                  {"chinese": 2, "vietnamese": 1.5, "pizzeria": 1.5}, -0.4),
    Neighbourhood("West Portal", 37.7405, -122.4660, 0.2, 1.5, 2, ("West Portal Ave", "Ulloa St"),
                  {"trattoria": 2, "pizzeria": 2, "sushi": 1.5}),
    Neighbourhood("Noe Valley", 37.7502, -122.4337, 0.3, 3, 4, ("24th St", "Church St", "Castro St"),
                  {"brunch cafe": 3, "cafe": 2, "pizzeria": 1.5}, 0.3),
    Neighbourhood("Glen Park", 37.7339, -122.4336, 0.18, 1, 2, ("Diamond St", "Chenery St"),
                  {"cafe": 2, "mexican": 1.5}),
    Neighbourhood("Bernal Heights", 37.7389, -122.4152, 0.3, 2, 4, ("Cortland Ave", "Mission St"),
                  {"mexican": 2, "brunch cafe": 2, "cafe": 1.5}),
    Neighbourhood("Potrero Hill", 37.7605, -122.4009, 0.3, 2, 3, ("18th St", "20th St", "Connecticut St"),
                  {"brunch cafe": 1.5, "bbq": 1.5, "brewery": 1.5}),
    Neighbourhood("Dogpatch", 37.7585, -122.3895, 0.25, 2, 2, ("3rd St", "22nd St", "Tennessee St"),
                  {"brewery": 4, "bbq": 2, "pizzeria": 1.5}),
    Neighbourhood("Mission Bay", 37.7700, -122.3920, 0.3, 2, 3, ("4th St", "King St", "Owens St"),
                  {"fast food": 2, "sandwich shop": 2, "brewery": 1.5}),
    Neighbourhood("Bayview", 37.7296, -122.3920, 0.5, 2, 4, ("3rd St", "Palou Ave", "Evans Ave"),
                  {"bbq": 4, "fast food": 2, "mexican": 1.5}, -0.6),
    Neighbourhood("Excelsior", 37.7244, -122.4283, 0.4, 2, 5, ("Mission St", "Geneva Ave"),
                  {"mexican": 2.5, "taqueria": 2.5, "chinese": 1.5, "fast food": 1.5}, -0.6),
    Neighbourhood("Outer Mission", 37.7180, -122.4420, 0.35, 1, 3, ("Mission St", "Ocean Ave"),
                  {"taqueria": 2, "fast food": 2, "chinese": 1.5}, -0.6),
    Neighbourhood("Ingleside", 37.7240, -122.4560, 0.3, 1, 3, ("Ocean Ave", "Faxon Ave"),
                  {"ramen": 1.5, "chinese": 1.5, "pizzeria": 1.5}, -0.4),
    Neighbourhood("Visitacion Valley", 37.7140, -122.4040, 0.3, 1, 3, ("Leland Ave", "Bayshore Blvd"),
                  {"chinese": 2, "fast food": 2}, -0.6),
)
