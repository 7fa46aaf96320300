"""The Explore view as a shareable link: the query (recsys.serving.query) plus the profile it is
ranked for, with its URL codec (from_params / to_params) as pure functions. A link reproduces
exactly what a PM is showing, the ad-hoc profile included."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from recsys.data.city import CITY
from recsys.data.geo import distance_text
from recsys.data.hours import DAYS
from recsys.data.ids import check_id
from recsys.data.record import MUST_HAVE
from recsys.data.restaurants import PRICE_BRACKETS, PRICE_RANGE, RATING_RANGE
from recsys.serving.query import MAX_K, MAX_RADIUS_M, WIDER_RADII_M, Query

DEFAULT_CENTER = CITY.centre
DAY_LABELS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
PRICE_LABELS = {1: "$", 2: "$$", 3: "$$$", 4: "$$$$"}
HOODS = CITY.places
# The area the app covers (the map, the pin boxes, links): the city with a margin.
CITY_LAT, CITY_LON = CITY.lat_range, CITY.lon_range
# Radius steps that suit 250 m to 50 km: fine near by, coarse far out. They include every radius
# the "widen the radius" suggestion can offer, and end at the search's own limit.
RADIUS_STEPS_M = tuple(sorted({*WIDER_RADII_M, 750, 1_500, 3_000, 7_500, 15_000, 30_000, MAX_RADIUS_M}))
assert max(RADIUS_STEPS_M) == MAX_RADIUS_M and set(WIDER_RADII_M) <= set(RADIUS_STEPS_M)
MAX_HOW_MANY = min(50, MAX_K)  # a link's (and the "How many" slider's) most picks; the search allows MAX_K
DEFAULT_LIKES = ("italian", "cocktails")
# Places an ad-hoc profile's link may carry as liked, visited or hidden: the newest this many of each (a link must
# stay a link, and the user tower reads far fewer).
MAX_SESSION_FEEDBACK = 30
# An ad-hoc profile's feedback lists (View fields and link parameters), by the feedback event that
# puts a place on one (recsys.serving.feedback.FEEDBACK_EVENTS); a reason says "visited" too.
SESSION_FEEDBACK = {"been_there": "visited", "liked": "liked", "not_for_me": "hidden"}
MAX_MORE_LIKE = 3  # places "More like these" starts from (the service takes 1 to 3)
DEFAULT_BRACKET = "middle"


def radius_label(metres: int) -> str:
    """The radius as the slider, the "widen" button and the search's messages write it."""
    return distance_text(metres)


@dataclass
class View:
    lat: float = DEFAULT_CENTER[0]
    lon: float = DEFAULT_CENTER[1]
    radius_m: int = 1500
    day: int = 0  # 0 = Monday
    time: str = "19:00"
    price: tuple[int, int] = PRICE_RANGE
    min_rating: float = 0.0
    cuisines: list[str] = field(default_factory=list)
    k: int = 10
    open_only: bool = True
    must_have: list[str] = field(default_factory=list)  # record fields of MUST_HAVE (outdoor seating, ...)
    user: str = ""
    # The ad-hoc profile (used when no saved profile is chosen)
    likes: list[str] = field(default_factory=lambda: list(DEFAULT_LIKES))
    bracket: str = DEFAULT_BRACKET
    liked: list[str] = field(default_factory=list)  # places liked this session: its history, with visited
    visited: list[str] = field(default_factory=list)  # places marked "been there" this session
    hidden: list[str] = field(default_factory=list)  # places marked "not for me" this session
    more_like: list[str] = field(default_factory=list)  # "More like these": the places it starts from

    def when(self, tz: str) -> datetime:
        """The next moment (from today) that has this weekday and time, in ``tz``."""
        now = datetime.now(ZoneInfo(tz))
        hour, minute = (int(x) for x in self.time.split(":"))
        date = now.date() + timedelta(days=(self.day - now.weekday()) % 7)
        return datetime(date.year, date.month, date.day, hour, minute, tzinfo=ZoneInfo(tz))

    def query(self, tz: str) -> Query:
        """The search this view asks for: the one place a view becomes a Query."""
        return Query(lat=self.lat, lon=self.lon, radius_m=self.radius_m, when=self.when(tz),
                     price_min=self.price[0], price_max=self.price[1], min_rating=self.min_rating,
                     cuisines=list(self.cuisines), k=self.k, open_only=self.open_only, must_have=list(self.must_have))

    def profile(self) -> dict:
        """The ad-hoc profile this view carries (used when no saved profile is chosen)."""
        return {"likes": list(self.likes), "price_bracket": self.bracket, "home_lat": self.lat, "home_lon": self.lon}


def now_view(tz: str) -> View:
    now = datetime.now(ZoneInfo(tz))
    return View(day=now.weekday(), time=f"{now.hour:02d}:{now.minute:02d}")


def from_params(params: dict[str, str], tz: str, labels: set[str] | frozenset[str] = frozenset()
                ) -> tuple[View, list[str], list[str]]:
    """Parse URL parameters. ``labels`` are the cuisine labels the catalogue knows (what cuisines
    and likes may name). Returns the view, the names of unreadable parameters (each keeps its
    default) and sentences about values that were changed to fit (a pin outside the city, a
    radius between steps)."""
    view = now_view(tz)
    bad: list[str] = []
    notes: list[str] = []

    def number(name: str, cast, low, high):
        if name not in params:
            return None
        try:
            value = cast(params[name])
            if low <= value <= high:
                return value
        except (ValueError, OverflowError):
            pass
        bad.append(name)
        return None

    lat, lon = number("lat", float, -90, 90), number("lon", float, -180, 180)
    if lat is not None and lon is not None:
        if CITY_LAT[0] <= lat <= CITY_LAT[1] and CITY_LON[0] <= lon <= CITY_LON[1]:
            view.lat, view.lon = lat, lon
        else:
            notes.append(f"The link's pin ({lat:.5f}, {lon:.5f}) is outside the area this app covers "
                         f"(latitude {CITY_LAT[0]} to {CITY_LAT[1]}, longitude {CITY_LON[0]} to {CITY_LON[1]}), "
                         f"so the pin is at {CITY.centre_name} instead.")
    elif (lat is None) != (lon is None):
        bad.append("lon" if lat is not None else "lat")
    radius = number("radius", int, 1, MAX_RADIUS_M)
    if radius is not None:
        view.radius_m = min(RADIUS_STEPS_M, key=lambda step: (abs(step - radius), step))
        if view.radius_m != radius:
            notes.append(f"The link's radius {radius} m is shown as {radius_label(view.radius_m)}, the nearest step.")
    for name, cast, low, high, attribute in (("rating", float, *RATING_RANGE, "min_rating"), ("k", int, 1, MAX_HOW_MANY, "k")):
        value = number(name, cast, low, high)
        if value is not None:
            setattr(view, attribute, value)
    if "day" in params:
        if params["day"] in DAYS:
            view.day = DAYS.index(params["day"])
        else:
            bad.append("day")
    if "time" in params:
        # ASCII digits only, at most two each: str.isdigit() also takes "¹⁹", which int() refuses.
        clock = re.fullmatch(r"([0-9]{1,2}):([0-9]{1,2})", params["time"])
        if clock and int(clock[1]) < 24 and int(clock[2]) < 60:
            view.time = f"{int(clock[1]):02d}:{int(clock[2]):02d}"
        else:
            bad.append("time")
    if "price" in params:
        try:
            low, high = (int(x) for x in params["price"].split("-"))
            if PRICE_RANGE[0] <= low <= high <= PRICE_RANGE[1]:
                view.price = (low, high)
            else:
                bad.append("price")
        except ValueError:
            bad.append("price")
    if params.get("cuisines"):
        cuisines = [c for c in params["cuisines"].split(",") if c]
        view.cuisines = [c for c in cuisines if c in labels]
        if len(view.cuisines) != len(cuisines):
            bad.append("cuisines")
    if "open" in params:
        view.open_only = params["open"] != "0"
    if params.get("need"):
        needs = [n for n in params["need"].split(",") if n]
        view.must_have = list(dict.fromkeys(n for n in needs if n in MUST_HAVE))
        if len(view.must_have) != len(set(needs)):
            bad.append("need")
    view.user = params.get("user", "")
    if "likes" in params:
        likes = [like for like in params["likes"].split(",") if like]
        if all(like in labels for like in likes):
            view.likes = likes
        else:
            bad.append("likes")
    if "bracket" in params:
        if params["bracket"] in PRICE_BRACKETS:
            view.bracket = params["bracket"]
        else:
            bad.append("bracket")
    for name in SESSION_FEEDBACK.values():
        if params.get(name):
            try:
                ids = [check_id(i, name) for i in params[name].split(",")]
                setattr(view, name, list(dict.fromkeys(ids))[-MAX_SESSION_FEEDBACK:])
            except ValueError:
                bad.append(name)
    if params.get("more"):
        try:
            more = list(dict.fromkeys(check_id(i, "more") for i in params["more"].split(",")))
            if len(more) > MAX_MORE_LIKE:
                raise ValueError("too many")
            view.more_like = more
        except ValueError:
            bad.append("more")
    return view, list(dict.fromkeys(bad)), notes  # a parameter is named once, however it failed


def to_params(view: View) -> dict[str, str]:
    params = {"lat": f"{view.lat:.5f}", "lon": f"{view.lon:.5f}", "radius": str(view.radius_m),
              "day": DAYS[view.day], "time": view.time, "price": f"{view.price[0]}-{view.price[1]}",
              "rating": f"{view.min_rating:g}", "k": str(view.k)}
    if view.cuisines:
        params["cuisines"] = ",".join(view.cuisines)
    if not view.open_only:
        params["open"] = "0"
    if view.must_have:
        params["need"] = ",".join(view.must_have)
    if view.more_like:
        params["more"] = ",".join(view.more_like)
    if view.user:
        params["user"] = view.user
    else:  # the ad-hoc profile travels with the link, so a new tab ranks the same way
        params["likes"] = ",".join(view.likes)
        params["bracket"] = view.bracket
        for name in SESSION_FEEDBACK.values():
            if getattr(view, name):
                params[name] = ",".join(getattr(view, name)[-MAX_SESSION_FEEDBACK:])
    return params
