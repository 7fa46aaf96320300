"""Names for the demo's restaurants: unique in the catalogue and plausible for their kitchen and street.

A name is one of its kitchen's templates filled from word lists that fit that kitchen (Spanish
words for a taqueria, Italian towns for a trattoria, San Francisco's own words for a diner). The
only place words are the restaurant's own street, so nothing names a neighbourhood it is not in.
No person names from Faker: "Da Ricky" or "Taqueria Gross" read as generated.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import product

import numpy as np

SPANISH = ("Farolito", "Palmar", "Nopal", "Girasol", "Toro", "Gallo", "Charro", "Sol", "Cielo", "Rancho",
           "Molcajete", "Maguey", "Coyote", "Jalisco", "Oaxaca", "Puebla", "Sinaloa", "Yucatan", "Durango",
           "Zacatecas", "Colibri", "Tule", "Mezcal", "Huarache", "Cancun", "Guadalajara", "Michoacan", "Tijuana",
           "Morelia", "Acapulco", "Veracruz", "Tulum", "Chiapas", "Sonora", "Colima", "Hidalgo", "Merida", "Jarocho",
           "Pescador", "Tapatio")
SPANISH_F = ("Palma", "Luna", "Paloma", "Milpa", "Reina", "Fonda", "Estrella", "Parrilla", "Palapa", "Catrina",
             "Cocina", "Frontera", "Sirena", "Lupita", "Tapatia", "Casita", "Michoacana", "Jarochita", "Poblana",
             "Huerta", "Gaviota", "Morena", "Cabana", "Alameda")
ITALIAN = ("Lucca", "Siena", "Parma", "Amalfi", "Capri", "Portofino", "Verona", "Bologna", "Trastevere", "Napoli",
           "Sorrento", "Toscana", "Vesuvio", "Liguria", "Umbria", "Positano", "Ischia", "Modena", "Palermo",
           "Genova", "Firenze", "Orvieto", "Bellagio", "Taormina", "Lucania", "Calabria", "Abruzzo", "Murano",
           "Cortona", "Volterra", "Assisi", "Pisa", "Rimini", "Salerno")
ITALIAN_FIRST = ("Marco", "Lucia", "Paolo", "Gino", "Franco", "Rosa", "Nino", "Enzo", "Carla", "Giulia", "Sergio",
                 "Teresa", "Aldo", "Bruno", "Pietro", "Vittorio", "Tonino", "Nonna", "Angelo", "Luigi", "Rocco",
                 "Silvia", "Matteo", "Chiara")
CHINESE_ADJ = ("Golden", "Jade", "Lucky", "Imperial", "Red", "Happy", "Royal", "Great", "Silver", "Double", "Eight",
               "Bright")
CHINESE_NOUN = ("Dragon", "Garden", "Palace", "Lantern", "Phoenix", "Pavilion", "Bowl", "Wok", "Village", "Star",
                "Lotus", "Pearl", "Kitchen", "House")
CHINESE_REGION = ("Hunan", "Sichuan", "Canton", "Shanghai", "Beijing", "Taipei", "Yunnan", "Fujian", "Hong Kong",
                  "Xian", "Chongqing")
JAPANESE = ("Hana", "Kaze", "Sora", "Umi", "Yuki", "Kai", "Tomo", "Mizu", "Hoshi", "Kumo", "Take", "Ume", "Koi",
            "Sakura", "Nami", "Kiku", "Matsu", "Tsuki", "Kawa", "Yama", "Shiro", "Aoi", "Hikari", "Kasa", "Nishiki",
            "Ginza", "Kyoto", "Osaka", "Nara", "Hakata", "Sapporo", "Tsukiji", "Ebisu", "Asakusa", "Kobe", "Shibuya")
KOREAN = ("Seoul", "Busan", "Jeju", "Gangnam", "Hanok", "Arirang", "Namsan", "Daebak", "Gogi", "Bada", "Mapo",
          "Insadong", "Hanam", "Suwon", "Daegu", "Gwangju", "Incheon", "Hallasan", "Bukchon", "Myeongdong",
          "Itaewon", "Hongdae")
THAI = ("Siam", "Lanna", "Chiang Mai", "Sukhothai", "Ayutthaya", "Jasmine", "Lemongrass", "Basil", "Mango",
        "Tamarind", "Kinnaree", "Erawan", "Phuket", "Isan", "Krabi", "Lotus", "Bangkok", "Pattaya", "Hua Hin",
        "Khao San", "Samui", "Chao Phraya", "Sabai", "Orchid", "Papaya", "Coconut", "Galangal", "Elephant",
        "Lampang", "Korat")
VIETNAMESE = ("Saigon", "Hanoi", "Hue", "Mekong", "Dalat", "Hoi An", "Ha Long", "Nha Trang", "Can Tho", "Bamboo",
              "Lemongrass", "Lotus", "Ben Thanh", "Cho Lon", "Phu Quoc", "Vung Tau", "Sapa", "Hai Phong", "Da Nang",
              "Mui Ne", "Hoa Binh", "Thanh Long", "Kim Son", "Song Huong", "Tay Ho", "Quang Ngai")
BURMESE = ("Mandalay", "Rangoon", "Bagan", "Inle", "Shwe", "Yoma", "Irrawaddy", "Pagoda", "Golden Land", "Mogok")
INDIAN = ("Tandoor", "Masala", "Saffron", "Chutney", "Himalaya", "Punjab", "Kerala", "Bombay", "Delhi", "Jaipur",
          "Goa", "Madras", "Udupi", "Mehfil", "Curry Leaf", "Shalimar", "Tamarind", "Lucknow", "Amritsar", "Mysore",
          "Hyderabad", "Chennai", "Kolkata", "Bengal", "Rajasthan", "Kashmir", "Mughal", "Nawab", "Cardamom")
ETHIOPIAN = ("Addis", "Lalibela", "Axum", "Gondar", "Harar", "Abyssinia", "Blue Nile", "Sheba", "Tana", "Selam",
             "Enat", "Meskel", "Bahir Dar", "Dire Dawa", "Simien", "Awash", "Entoto", "Adulis", "Sidamo", "Yirga")
MEDITERRANEAN = ("Olive", "Aegean", "Levant", "Zaytoon", "Cyprus", "Athena", "Santorini", "Crete", "Byblos",
                 "Beirut", "Anatolia", "Izmir", "Sumac", "Zaatar", "Rhodes", "Aleppo", "Sidon", "Smyrna", "Paphos",
                 "Nicosia", "Hummus", "Pita")
FRENCH = ("Lune", "Jardin", "Mistral", "Provence", "Soleil", "Rivage", "Marais", "Lyon", "Bordeaux", "Normandie",
          "Papillon", "Rouge", "Etoile", "Fleur", "Bastille", "Montmartre", "Avignon", "Chablis", "Rivoli",
          "Lafayette", "Toulouse", "Marseille", "Alsace", "Cassis", "Vendome", "Cluny")
FRENCH_FIRST = ("Marcel", "Colette", "Henri", "Odile", "Lucien", "Margot", "Jules", "Amelie", "Pascal", "Yvette",
                "Celine", "Gaston", "Mathilde", "Andre")
# San Francisco's own words: the fog, the bay, its trees and birds; no landmark ("Twin Peaks
# Burger" in Union Square points to the wrong part of town) and no near twins (Fig and Fog).
LOCAL = ("Oak", "Cypress", "Ember", "Anchor", "Copper", "Sage", "Juniper", "Cedar", "Laurel", "Maple",
         "Willow", "Ash", "Iron", "Flint", "Harbor", "Fog", "Cable", "Poppy", "Tide", "Lantern",
         "Salt", "Hearth", "Stone", "Ivy", "Acorn", "Marigold", "Heron", "Pelican", "Sparrow", "Thistle", "Clover",
         "Birch", "Alder", "Redwood", "Bay Leaf", "Sea Lion", "Lighthouse",
         "Dune", "Foghorn", "Kelp", "Driftwood", "Beacon", "Sunflower", "Lupine",
         "Manzanita", "Buckeye", "Quail")

POOLS: dict[str, tuple[str, ...]] = {
    "es": SPANISH, "es_f": SPANISH_F, "it": ITALIAN, "it_first": ITALIAN_FIRST, "cn_adj": CHINESE_ADJ,
    "cn_noun": CHINESE_NOUN, "cn_region": CHINESE_REGION, "jp": JAPANESE, "kr": KOREAN, "th": THAI,
    "vn": VIETNAMESE, "mm": BURMESE, "in": INDIAN, "et": ETHIOPIAN, "med": MEDITERRANEAN, "fr": FRENCH,
    "fr_first": FRENCH_FIRST, "local": LOCAL, "local2": LOCAL,
}

# Kitchen (the generator's archetype) -> name templates; {street} is the place's own street.
TEMPLATES: dict[str, tuple[str, ...]] = {
    "taqueria": ("Taqueria {es}", "El {es}", "La {es_f}", "Taqueria El {es}", "Taqueria La {es_f}", "Taqueria {street}",
                 "{street} Taqueria"),
    "mexican": ("La {es_f}", "Casa {es}", "Cocina {es}", "El {es} Cantina", "Casa {es_f}", "Cantina {es_f}"),
    "trattoria": ("Trattoria {it}", "Osteria {it}", "Da {it_first}", "{it} Trattoria", "Ristorante {it}", "Cucina {it}"),
    "pizzeria": ("{street} Pizza", "Pizzeria {it}", "{it_first}'s Pizza", "{it} Pizza", "{it} Pizzeria", "Pizza {it}"),
    "chinese": ("{cn_adj} {cn_noun}", "{cn_region} {cn_noun}", "{cn_region} Kitchen on {street}"),
    "dim sum": ("{cn_adj} {cn_noun} Dim Sum", "{cn_adj} {cn_noun} Tea House", "{cn_region} Dim Sum"),
    "sushi": ("Sushi {jp}", "{jp} Sushi", "{jp} Sushi Bar", "Sushi {jp} Omakase"),
    "ramen": ("{jp} Ramen", "Ramen {jp}", "Menya {jp}", "{street} Ramen"),
    "korean bbq": ("{kr} BBQ", "{kr} Korean BBQ", "{kr} House", "{kr} Grill", "{kr} Kitchen"),
    "thai": ("{th} Thai", "{th} Thai Kitchen", "Baan {th}", "{th} Thai Cuisine", "{th} Noodle Bar", "Krua {th}"),
    "vietnamese": ("Pho {vn}", "{vn} Pho", "{vn} Banh Mi", "{vn} Noodle House", "{vn} Kitchen", "{vn} Cafe", "{vn} Grill"),
    "burmese": ("{mm} Burmese", "{mm} Kitchen", "Burma {local}"),
    "indian": ("{in} Indian Cuisine", "{in} Curry House", "{in} Tandoori", "Taste of {in}", "{in} Kitchen", "{in} Grill"),
    "ethiopian": ("{et} Ethiopian", "Cafe {et}", "{et} Restaurant", "{et} Kitchen", "{et} Injera House"),
    "mediterranean": ("{med} Grill", "{med} Mezze", "{med} Kitchen", "Cafe {med}", "{med} Taverna", "{med} Bistro"),
    "french": ("Bistro {fr}", "Chez {fr_first}", "Cafe {fr}", "Brasserie {fr}", "Le Petit {fr}"),
    "fine dining": ("{local}", "{local} & {local2}", "The {local} Room", "{local} House"),
    "steakhouse": ("{local} Chophouse", "{street} Steakhouse", "The {local} Grill"),
    "burger joint": ("{street} Burgers", "{local} Burger", "The {local} Burger Bar"),
    "diner": ("{street} Diner", "The {local} Diner", "{local} Griddle"),
    "bbq": ("{local} Smokehouse", "{street} BBQ", "{local} Barbecue"),
    "seafood": ("{local} Oyster Bar", "{local} Fish House", "{street} Crab House", "The {local} Crab"),
    "brunch cafe": ("{local} Brunch", "The {local} Table", "{local} & Egg", "{street} Breakfast Club"),
    "cafe": ("{local} Coffee", "{street} Cafe", "{local} Coffee Roasters", "Cafe {local}"),
    "bakery": ("{local} Bakery", "{street} Bakehouse", "{local} Bread Co.", "{local} Patisserie"),
    "fast food": ("{local} Express", "{local} Fried Chicken", "{street} Burger Stand", "{local} Drive-In"),
    "cocktail bar": ("The {local} Bar", "{local} Lounge", "{local} Room", "{local} & {local2}"),
    "brewery": ("{street} Brewing", "{local} Beer Hall", "{local} Brewing Co.", "{local} Taproom"),
    "sandwich shop": ("{street} Deli", "{local} Sandwiches", "{local} Deli", "{street} Sandwich Shop"),
    "vegetarian": ("{local} Greens", "{local} Vegetarian Kitchen", "The {local} Garden"),
}


SUFFIXES = {"St": "Street", "Ave": "Avenue", "Blvd": "Boulevard"}


def street_word(street: str) -> str:
    """'Van Ness Ave' -> 'Van Ness', '24th St' -> '24th Street', '9th Ave' -> '9th Avenue': the
    street as a name says it."""
    words = street.split()
    name = " ".join(words[:-1]) if len(words) > 1 else street
    return f"{name} {SUFFIXES.get(words[-1], words[-1])}" if name[:1].isdigit() and len(words) > 1 else name


@lru_cache(maxsize=None)
def candidate_names(kitchen: str, street: str) -> tuple[str, ...]:
    """Every name the kitchen's templates can make on this street, in a fixed order."""
    names: list[str] = []
    for template in TEMPLATES[kitchen]:
        keys = [key for key in POOLS if "{" + key + "}" in template]
        for values in product(*(POOLS[key] for key in keys)):
            slots = dict(zip(keys, values))
            if slots.get("local2", None) is not None and slots["local2"] == slots["local"]:
                continue
            names.append(template.format(street=street_word(street), **slots))
    # No word twice ("Golden House Tea House", "Curry Leaf Curry House").
    return tuple(n for n in dict.fromkeys(names) if len(set(n.split())) == len(n.split()))


def restaurant_names(kitchens: list[str], streets: list[str], rng: np.random.Generator) -> list[str]:
    """One unique name per restaurant, drawn from its kitchen's (a TEMPLATES key) names on its street."""
    used: set[str] = set()
    names = []
    for kitchen, street in zip(kitchens, streets):
        free = [name for name in candidate_names(kitchen, street) if name not in used]
        if free:
            name = free[int(rng.integers(len(free)))]
        else:  # every name taken: say which one, as a city does ("Golden Dragon on Clement")
            bases = [n for n in candidate_names(kitchen, street) if " on " not in n]  # never "X on Clement on Clement"
            base = bases[int(rng.integers(len(bases)))]
            name, count = f"{base} on {street_word(street)}", 2
            while name in used:
                name, count = f"{base} on {street_word(street)} No. {count}", count + 1
        used.add(name)
        names.append(name)
    candidate_names.cache_clear()  # tens of MB for a big catalogue, needed only here
    return names
