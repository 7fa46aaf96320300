"""The synthetic San Francisco demo dataset (`python -m recsys demo-data`).

No real dataset can be downloaded here, so the demo is generated, deterministically from a seed:
restaurants clustered along real neighbourhoods and streets with kitchens that fit them, users
made with Faker as in the seed recipe plus a home in the city, and interactions drawn from a
hidden utility (taste vs kitchen, budget vs price, distance from home, quality, popularity,
personal noise). The utility itself is saved in true_utility.npz, so evaluation can report an
oracle (ranks by the whole utility, noise included) and a ceiling (ranks by the utility without
the personal noise, which nothing observable predicts: the best any model could do on this data).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from recsys.data.city import CITY
from recsys.data.contract import Dataset, save_dataset
from recsys.data.demo_names import restaurant_names
from recsys.data.hours import WeeklyHours
from recsys.data.restaurants import PRICE_BRACKETS, VISIBILITY, restaurant_schema
from recsys.data.sf_geography import Neighbourhood

ORACLE_FILE = "true_utility.npz"
KM_PER_DEG_LAT = 111.0
KM_PER_DEG_LON = 111.0 * math.cos(math.radians(37.77))


@dataclass(frozen=True)
class DemoConfig:
    seed: int = 7
    n_restaurants: int = 3000
    n_users: int = 5000
    mean_interactions: float = 20.0  # per user; enough history for warm users, sparse like real logs
    oracle_top: int = 100  # true-utility items kept per user: enough to rank top-50 after removing seen ones
    # Weights of the hidden utility; the model only sees features, never these.
    w_taste: float = 1.6
    w_price: float = 0.7
    w_distance_per_km: float = 0.45
    w_quality: float = 0.9
    w_popularity: float = 0.25
    w_noise: float = 0.35  # personal taste no feature explains: what keeps the oracle out of reach
    choice_temperature: float = 0.8  # randomness of which liked place a user actually visits


# archetype: (labels, base share, price weights for 1..4, hours style)
ARCHETYPES: dict[str, tuple[tuple[str, ...], float, tuple[float, ...], str]] = {
    "taqueria": (("mexican",), 6, (6, 3, 0.2, 0), "late"),
    "mexican": (("mexican", "cocktails"), 3, (1, 4, 2, 0.2), "split"),
    "trattoria": (("italian", "pasta"), 5, (0.5, 4, 3, 0.5), "split"),
    "pizzeria": (("pizza", "italian"), 5, (4, 4, 0.5, 0), "continuous"),
    "chinese": (("chinese",), 6, (4, 3, 0.5, 0), "continuous"),
    "dim sum": (("chinese", "dim sum"), 2, (3, 3, 0.5, 0), "dimsum"),
    "sushi": (("japanese", "sushi"), 4, (0.5, 3, 3, 1), "split"),
    "ramen": (("japanese", "ramen"), 3, (2, 4, 0.3, 0), "split"),
    "korean bbq": (("korean", "bbq"), 2, (0.5, 4, 2, 0), "continuous"),
    "thai": (("thai",), 4, (2, 4, 0.5, 0), "split"),
    "vietnamese": (("vietnamese",), 4, (5, 3, 0.2, 0), "continuous"),
    "burmese": (("burmese",), 1, (1, 4, 1, 0), "split"),
    "indian": (("indian",), 3, (2, 4, 1, 0), "split"),
    "ethiopian": (("ethiopian",), 1.5, (2, 4, 0.5, 0), "continuous"),
    "mediterranean": (("mediterranean",), 3, (2, 4, 1, 0), "continuous"),
    "french": (("french",), 2.5, (0, 1, 4, 2), "split"),
    "fine dining": (("fine dining", "american"), 2, (0, 0, 1, 5), "dinner"),
    "steakhouse": (("fine dining", "steakhouse", "american"), 1, (0, 0.5, 3, 4), "dinner"),
    "burger joint": (("burgers", "american", "shakes"), 4, (5, 3, 0.2, 0), "continuous"),
    "diner": (("american", "burgers", "shakes", "brunch"), 2, (3, 4, 0.2, 0), "diner"),
    "bbq": (("bbq", "american"), 2, (2, 4, 1, 0), "continuous"),
    "seafood": (("seafood",), 2.5, (0.5, 3, 3, 1), "split"),
    "brunch cafe": (("brunch", "cafe"), 4, (2, 4, 1, 0), "morning"),
    "cafe": (("cafe", "bakery"), 4, (6, 2, 0, 0), "morning"),
    "bakery": (("bakery", "cafe"), 1.5, (6, 2, 0, 0), "morning"),
    "fast food": (("fast food", "burgers"), 4, (8, 1, 0, 0), "fastfood"),
    "cocktail bar": (("cocktails", "bar"), 4, (0.2, 3, 4, 1), "bar"),
    "brewery": (("breweries", "american", "bar"), 3, (1, 5, 1, 0), "bar"),
    "sandwich shop": (("sandwiches",), 3, (6, 2, 0, 0), "daytime"),
    "vegetarian": (("vegetarian", "mediterranean"), 1.5, (1, 4, 1, 0), "continuous"),
}
# Only to replay the first release's random draws (see _spend_first_release_name_draws).
FIRST_RELEASE_NAME_PATTERNS: dict[str, tuple[str, ...]] = {
    "taqueria": ("Taqueria {last}", "El {word}", "La {word} Taqueria"),
    "mexican": ("Casa {last}", "Cocina {word}"),
    "trattoria": ("Trattoria {last}", "Osteria {word}", "Da {first}"),
    "pizzeria": ("{street} Pizza", "Pizzeria {last}", "{first}'s Slice"),
    "chinese": ("Golden {word} Kitchen", "{word} Garden", "Hunan {word}"),
    "dim sum": ("{word} Dim Sum", "Dragon {word} Tea House"),
    "sushi": ("Sushi {last}", "{word} Sushi Bar"),
    "ramen": ("Ramen {last}", "{word} Noodle House"),
    "korean bbq": ("{word} Korean BBQ", "Seoul {word}"),
    "thai": ("{word} Thai", "Thai {word} Kitchen"),
    "vietnamese": ("Pho {word}", "Saigon {word}"),
    "burmese": ("Burma {word}", "Mandalay {word}"),
    "indian": ("{word} Tandoori", "Curry {word}"),
    "ethiopian": ("Cafe {word} Ethiopian", "Axum {word}"),
    "mediterranean": ("{word} Mezze", "Olive {word}"),
    "french": ("Bistro {last}", "Chez {first}", "Cafe {word}"),
    "fine dining": ("{last}", "{word} & {last}", "The {word} Room"),
    "steakhouse": ("{last}'s Steakhouse", "The {word} Chophouse"),
    "burger joint": ("{street} Burgers", "{first}'s Burgers"),
    "diner": ("{street} Diner", "{first}'s Diner"),
    "bbq": ("{last}'s BBQ", "{word} Smokehouse"),
    "seafood": ("{word} Oyster Bar", "{last}'s Fish House"),
    "brunch cafe": ("{word} Brunch", "Cafe {word}", "The {word} Table"),
    "cafe": ("{word} Coffee", "{street} Cafe"),
    "bakery": ("{word} Bakery", "{last}'s Bread"),
    "fast food": ("{word} Express", "Quick {word}"),
    "cocktail bar": ("The {word} Bar", "{word} Lounge"),
    "brewery": ("{street} Brewing", "{word} Beer Hall"),
    "sandwich shop": ("{first}'s Deli", "{street} Sandwiches"),
    "vegetarian": ("Green {word}", "{word} Kitchen"),
}
FIRST_RELEASE_WORDS = ("Gate", "Fog", "Bay", "Cable", "Lucky", "Jade", "Pearl", "Sunset", "Harbor", "Oak", "Cypress",
         "Poppy", "Mint", "Sol", "Luna", "Ember", "Anchor", "Copper", "Lotus", "Bamboo", "Fig", "Sage",
         "Saffron", "Coral", "Maple", "Orchid", "Willow", "Cedar", "Laurel", "Juniper")
# Every cuisine/style label the restaurants carry: a user may like any of them, so profiles and
# the cuisine filter speak the same vocabulary. The weights say how many users like each.
TASTE_LABELS = tuple(sorted({label for labels, *_ in ARCHETYPES.values() for label in labels}))
LIKE_WEIGHTS = {"burgers": 1.2, "shakes": 0.6, "pizza": 1.2, "italian": 1.1, "mexican": 1.3,
                "fine dining": 0.5, "bbq": 0.7, "cocktails": 0.9, "breweries": 0.7, "ethiopian": 0.4,
                "pasta": 0.8, "brunch": 1.0, "fast food": 0.7, "american": 0.8, "bakery": 0.7, "bar": 0.6,
                "burmese": 0.4, "cafe": 0.9, "chinese": 1.1, "dim sum": 0.6, "french": 0.6, "indian": 0.9,
                "japanese": 1.0, "korean": 0.7, "mediterranean": 0.7, "ramen": 0.8, "sandwiches": 0.7,
                "seafood": 0.8, "steakhouse": 0.4, "sushi": 1.1, "thai": 1.0, "vegetarian": 0.6,
                "vietnamese": 0.8}
assert set(LIKE_WEIGHTS) == set(TASTE_LABELS), "every label needs a like weight"
PRICE_PREFERENCE = {"low": 1.4, "middle": 2.3, "high": 3.3}


def _clock(minutes: int) -> str:
    return f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"


def make_hours(style: str, rng: np.random.Generator) -> WeeklyHours:
    """Realistic weekly hours for one place: shifts, late nights, brunch, closed days, 24 h."""
    def jitter(base: int) -> int:
        return base + int(rng.choice([0, 0, 0, 30, -30, 15]))

    days: dict[int, list[tuple[str, str]]] = {}
    closed = set()
    if style == "split":
        closed = {int(rng.choice([0, 1]))} if rng.random() < 0.6 else set()
        lunch = (jitter(11 * 60 + 30), jitter(14 * 60 + 30))
        dinner_close = jitter(22 * 60)
        for d in range(7):
            if d in closed:
                continue
            shifts = []
            if d >= 5 and rng.random() < 0.5:
                shifts.append((_clock(10 * 60), _clock(14 * 60 + 30)))  # weekend brunch
            elif d < 5 or rng.random() < 0.7:
                shifts.append((_clock(lunch[0]), _clock(lunch[1])))
            close = dinner_close + (60 if d in (4, 5) else 0)
            shifts.append((_clock(17 * 60 + int(rng.choice([0, 30]))), _clock(close)))
            days[d] = shifts
    elif style == "continuous":
        open_, close = jitter(11 * 60), jitter(21 * 60 + 30)
        closed = {0} if rng.random() < 0.25 else set()
        for d in range(7):
            if d not in closed:
                days[d] = [(_clock(open_), _clock(close + (60 if d in (4, 5) else 0)))]
    elif style == "late":
        open_, close = jitter(10 * 60), jitter(23 * 60)  # one sign for the week, later Thu-Sat
        for d in range(7):
            days[d] = [(_clock(open_), "02:00" if d in (3, 4, 5) else _clock(close))]
    elif style == "dinner":
        closed = {0, 6} if rng.random() < 0.7 else {0, 1}
        for d in range(7):
            if d not in closed:
                days[d] = [(_clock(17 * 60 + 30), _clock(jitter(22 * 60)))]
    elif style == "morning":
        weekday = (jitter(7 * 60 + 30), jitter(15 * 60))
        weekend = (jitter(8 * 60 + 30), jitter(15 * 60 + 30))
        for d in range(7):
            open_, close = weekday if d < 5 else weekend
            days[d] = [(_clock(open_), _clock(close))]
        if rng.random() < 0.3:
            days.pop(int(rng.choice([0, 1])), None)
    elif style == "dimsum":
        for d in range(7):
            if d != 2 or rng.random() < 0.5:
                days[d] = [(_clock(9 * 60), _clock(jitter(15 * 60)))]
    elif style == "bar":
        open_, close = jitter(16 * 60), jitter(23 * 60)
        closed = {0} if rng.random() < 0.5 else set()
        for d in range(7):
            if d not in closed:
                days[d] = [(_clock(open_), "02:00" if d in (3, 4, 5) else _clock(close))]
    elif style in ("diner", "fastfood"):
        if rng.random() < (0.25 if style == "diner" else 0.1):
            return WeeklyHours.always()
        open_, close = jitter(7 * 60 if style == "diner" else 10 * 60), jitter(23 * 60)
        for d in range(7):
            days[d] = [(_clock(open_), "01:00" if d in (4, 5) else _clock(close))]
    elif style == "daytime":
        open_, close = jitter(8 * 60), jitter(16 * 60)
        for d in range(5):
            days[d] = [(_clock(open_), _clock(close))]
        if rng.random() < 0.5:
            days[5] = [(_clock(10 * 60), _clock(15 * 60))]
    else:
        raise ValueError(f"unknown hours style {style!r}")
    return WeeklyHours.from_day_intervals(days)


def _sample_point(rng: np.random.Generator, hood: Neighbourhood, allowed) -> tuple[float, float]:
    for _ in range(200):
        lat = hood.lat + rng.normal(0, hood.spread_km) / KM_PER_DEG_LAT
        lon = hood.lon + rng.normal(0, hood.spread_km) / KM_PER_DEG_LON
        if allowed(lat, lon):
            return round(lat, 6), round(lon, 6)
    return hood.lat, hood.lon


def _restaurants(cfg: DemoConfig, rng: np.random.Generator, faker) -> pd.DataFrame:
    hoods = CITY.neighbourhoods
    hood_p = np.array([h.dining_weight for h in hoods], dtype=float)
    hood_p /= hood_p.sum()
    names_arch = list(ARCHETYPES)
    base = np.array([ARCHETYPES[a][1] for a in names_arch], dtype=float)
    rows = []
    used_names: set[str] = set()
    streets: list[str] = []
    for i in range(cfg.n_restaurants):
        hood = hoods[rng.choice(len(hoods), p=hood_p)]
        weights = base * np.array([hood.boosts.get(a, 1.0) for a in names_arch])
        arch = names_arch[rng.choice(len(names_arch), p=weights / weights.sum())]
        labels, _, price_w, style = ARCHETYPES[arch]
        labels = list(labels)
        price_w = np.array(price_w, dtype=float)
        price = int(rng.choice(4, p=price_w / price_w.sum()) + 1)
        price = int(np.clip(round(price + hood.price_shift * rng.random()), 1, 4))
        if price >= 3 and arch in ("trattoria", "sushi", "french", "seafood") and rng.random() < 0.35:
            labels.append("fine dining")
        if arch in ("trattoria", "brewery", "mexican") and rng.random() < 0.3:
            labels.append("pizza" if arch == "trattoria" else "cocktails")
        if style in ("split", "continuous") and rng.random() < 0.15:
            labels.append("brunch")
        lat, lon = _sample_point(rng, hood, CITY.restaurant_allowed)
        street = str(rng.choice(hood.streets))
        streets.append(street)
        _spend_first_release_name_draws(rng, faker, arch, street, used_names)
        quality = float(np.clip(rng.normal(4.0, 0.45), 2.0, 5.0))
        popularity = float(np.exp(rng.normal(4.2, 1.0)) * (0.6 + hood.dining_weight / 10))
        n_reviews = max(1, int(popularity))
        sample = np.clip(np.round(rng.normal(quality, 0.9, size=min(n_reviews, 300))), 1, 5)
        hours = make_hours(style, rng)
        rows.append({
            "item_id": f"r{i:05d}",
            "name": arch,  # the kitchen, until restaurant_names below names the place
            "address": f"{int(rng.integers(1, 40)) * 100 + int(rng.integers(1, 99))} {street}, San Francisco, CA",
            "locality": hood.name,
            "lat": lat,
            "lon": lon,
            "cuisines": "|".join(dict.fromkeys(labels)),
            "price": price,
            "rating": round(float(np.clip(sample.mean(), 0, 5)) * 2) / 2,
            "review_count": n_reviews,
            "review_mean": round(float(sample.mean()), 3),
            "review_std": round(float(sample.std()), 3),
            "review_min": int(sample.min()),
            "review_max": int(sample.max()),
            "hours": hours.to_text(),
            "outdoor_seating": "yes" if rng.random() < 0.35 else "no",
            "takes_reservations": bool(price >= 3 or rng.random() < 0.2),
            "_quality": quality,
            "_popularity": math.log1p(popularity),
        })
    items = pd.DataFrame(rows)
    # Wheelchair access as OpenStreetMap records it, from a generator of its own so that adding
    # it left every other column of the demo exactly as it was.
    access = np.random.default_rng([cfg.seed, 1]).choice(["yes", "limited", "no", "unknown"], size=len(items),
                                                          p=[0.5, 0.15, 0.1, 0.25])
    items.insert(items.columns.get_loc("takes_reservations"), "wheelchair", access)
    # Names too come from a generator of their own (issue 19: unique, and fitting the kitchen and street).
    items["name"] = restaurant_names(items["name"].tolist(), streets, np.random.default_rng([cfg.seed, 2]))
    return items


def _spend_first_release_name_draws(rng: np.random.Generator, faker, arch: str, street: str, used: set[str]) -> None:
    """Draw from ``rng`` and ``faker`` exactly as the first release's naming did, and throw the
    names away: every other column of the demo and every visit stay as they were (names are a
    text feature, so the model is retrained on them), while the names come from restaurant_names."""
    for _ in range(20):
        pattern = str(rng.choice(FIRST_RELEASE_NAME_PATTERNS[arch]))
        name = pattern.format(last=faker.last_name(), first=faker.first_name(),
                              word=str(rng.choice(FIRST_RELEASE_WORDS)), street=street.split()[0])
        if name not in used:
            break
    used.add(name)


def _users(cfg: DemoConfig, rng: np.random.Generator, faker) -> pd.DataFrame:
    hoods = CITY.neighbourhoods
    hood_p = np.array([h.residential_weight for h in hoods], dtype=float)
    hood_p /= hood_p.sum()
    likes = list(LIKE_WEIGHTS)
    like_p = np.array(list(LIKE_WEIGHTS.values()))
    like_p /= like_p.sum()
    rows = []
    for i in range(cfg.n_users):
        hood = hoods[rng.choice(len(hoods), p=hood_p)]
        # Homes spread wider than restaurants: people live on residential blocks too.
        wide = Neighbourhood(hood.name, hood.lat, hood.lon, hood.spread_km * 1.6, 0, 0, ())
        lat, lon = _sample_point(rng, wide, CITY.on_land)
        n_likes = int(rng.choice([1, 2, 3, 4], p=[0.25, 0.4, 0.25, 0.1]))
        chosen = rng.choice(len(likes), size=n_likes, replace=False, p=like_p)
        rows.append({
            "user_id": f"u{i:05d}",
            "name": faker.name(),
            "likes": "|".join(likes[j] for j in sorted(chosen)),
            "price_bracket": str(rng.choice(PRICE_BRACKETS, p=[0.4, 0.45, 0.15])),
            "home_neighbourhood": hood.name,
            "home_lat": lat,
            "home_lon": lon,
            "newsletter": bool(rng.random() < 0.4),
            "notifications": bool(rng.random() < 0.6),
            "profile_visibility": str(rng.choice(VISIBILITY, p=[0.5, 0.3, 0.2])),
            "data_sharing": bool(rng.random() < 0.5),
        })
    return pd.DataFrame(rows)


def utility_matrix(cfg: DemoConfig, users: pd.DataFrame, items: pd.DataFrame,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The hidden utility of every (user, restaurant) pair and the same without the personal
    noise, both float32 [users, items]. The noise is drawn afresh for every pair, so nothing a
    model can see predicts it for a place the user has not visited: ranking by the noise-free
    part is the best any model can do (the ceiling), while the oracle knows the noise too."""
    labels = [set(c.split("|")) for c in items["cuisines"]]
    like_index = {like: j for j, like in enumerate(TASTE_LABELS)}
    item_likes = np.zeros((len(items), len(TASTE_LABELS)), dtype=np.float32)
    for i, labs in enumerate(labels):
        for lab in labs:
            if lab in like_index:
                item_likes[i, like_index[lab]] = 1.0
    user_likes = np.zeros((len(users), len(TASTE_LABELS)), dtype=np.float32)
    for u, text in enumerate(users["likes"]):
        for lab in text.split("|"):
            user_likes[u, like_index[lab]] = 1.0
    taste = np.minimum(user_likes @ item_likes.T, 2.0)
    pref = users["price_bracket"].map(PRICE_PREFERENCE).to_numpy(np.float32)[:, None]
    price = -np.abs(items["price"].to_numpy(np.float32)[None, :] - pref)
    dy = (users["home_lat"].to_numpy(np.float32)[:, None] - items["lat"].to_numpy(np.float32)[None, :]) * KM_PER_DEG_LAT
    dx = (users["home_lon"].to_numpy(np.float32)[:, None] - items["lon"].to_numpy(np.float32)[None, :]) * KM_PER_DEG_LON
    distance = np.sqrt(dx * dx + dy * dy)
    quality = (items["_quality"].to_numpy(np.float32) - 4.0)[None, :]
    popularity = (items["_popularity"].to_numpy(np.float32) - 4.0)[None, :]
    noise = rng.standard_normal((len(users), len(items)), dtype=np.float32)
    expected = (cfg.w_taste * taste + cfg.w_price * price - cfg.w_distance_per_km * distance
                + cfg.w_quality * quality + cfg.w_popularity * popularity).astype(np.float32)
    return (expected + cfg.w_noise * noise).astype(np.float32), expected


def generate(cfg: DemoConfig = DemoConfig()) -> tuple[Dataset, dict[str, np.ndarray]]:
    """The demo Dataset and the oracle arrays (each user's top items by true utility)."""
    from faker import Faker

    rng = np.random.default_rng(cfg.seed)
    faker = Faker("en_US")
    faker.seed_instance(cfg.seed)
    items = _restaurants(cfg, rng, faker)
    users = _users(cfg, rng, faker)
    utility, expected = utility_matrix(cfg, users, items, rng)
    # Each user visits n places drawn without replacement from softmax(utility / T) (Gumbel top-n).
    counts = np.clip(rng.poisson(cfg.mean_interactions - 5, size=len(users)) + 5, 5, 60)
    start = pd.Timestamp("2025-11-01", tz="UTC").timestamp()
    year = 365 * 24 * 3600
    rows = []
    for u in range(len(users)):
        gumbel = -np.log(-np.log(rng.random(len(items)) + 1e-12) + 1e-12)
        chosen = np.argpartition(-(utility[u] / cfg.choice_temperature + gumbel), counts[u])[: counts[u]]
        stamps = np.sort(start + rng.random(len(chosen)) * year).astype(np.int64)
        rng.shuffle(chosen)
        for item, stamp in zip(chosen, stamps):
            rows.append((users["user_id"].iat[u], items["item_id"].iat[item], 1.0, int(stamp)))
    interactions = pd.DataFrame(rows, columns=["user_id", "item_id", "weight", "timestamp"])
    top = np.argsort(-utility, axis=1)[:, : cfg.oracle_top]
    ceiling = np.argsort(-expected, axis=1)[:, : cfg.oracle_top]
    oracle = {
        "user_ids": users["user_id"].to_numpy(str),
        "item_ids": items["item_id"].to_numpy(str),
        "top_items": top.astype(np.int32),
        "top_utility": np.take_along_axis(utility, top, axis=1).astype(np.float16),
        "ceiling_top_items": ceiling.astype(np.int32),
        "ceiling_top_utility": np.take_along_axis(expected, ceiling, axis=1).astype(np.float16),
    }
    items = items.drop(columns=["_quality", "_popularity"])
    return Dataset(items=items, users=users, interactions=interactions, schema=restaurant_schema()), oracle


def write_demo(directory: str | Path, cfg: DemoConfig = DemoConfig()) -> Path:
    dataset, oracle = generate(cfg)

    def extras(tmp: Path) -> None:
        np.savez_compressed(tmp / ORACLE_FILE, **oracle)

    return save_dataset(dataset, directory, compress=True, write_extras=extras)


def load_oracle(directory: str | Path) -> dict[str, np.ndarray] | None:
    path = Path(directory) / ORACLE_FILE
    if not path.is_file():
        return None
    with np.load(path) as data:
        return {key: data[key] for key in data.files}
