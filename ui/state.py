"""The Explore view (pin, radius, time, filters, profile) kept in st.query_params, so a link
reproduces exactly what a PM is showing. Widgets read their first values from the URL and write
every change back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import streamlit as st

from recsys.data.hours import DAYS
from recsys.data.sf_geography import NEIGHBOURHOODS

DEFAULT_CENTER = (37.7793, -122.4193)  # Civic Center
DAY_LABELS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
PRICE_LABELS = {1: "$", 2: "$$", 3: "$$$", 4: "$$$$"}
HOODS = {h.name: (h.lat, h.lon) for h in NEIGHBOURHOODS}


@dataclass
class View:
    lat: float = DEFAULT_CENTER[0]
    lon: float = DEFAULT_CENTER[1]
    radius_m: int = 1500
    day: int = 0  # 0 = Monday
    time: str = "19:00"
    price: tuple[int, int] = (1, 4)
    min_rating: float = 0.0
    cuisines: list[str] = field(default_factory=list)
    k: int = 10
    open_only: bool = True
    user: str = ""

    def when(self, tz: str) -> datetime:
        """The next moment (from today) that has this weekday and time, in ``tz``."""
        now = datetime.now(ZoneInfo(tz))
        hour, minute = (int(x) for x in self.time.split(":"))
        date = now.date() + timedelta(days=(self.day - now.weekday()) % 7)
        return datetime(date.year, date.month, date.day, hour, minute, tzinfo=ZoneInfo(tz))


def now_view(tz: str) -> View:
    now = datetime.now(ZoneInfo(tz))
    return View(day=now.weekday(), time=f"{now.hour:02d}:{now.minute:02d}")


def from_params(params: dict[str, str], tz: str) -> tuple[View, list[str]]:
    """Parse URL parameters; anything unreadable keeps its default and is reported."""
    view = now_view(tz)
    bad: list[str] = []

    def number(name: str, cast, low, high):
        if name not in params:
            return None
        try:
            value = cast(params[name])
            if low <= value <= high:
                return value
        except ValueError:
            pass
        bad.append(name)
        return None

    for name, cast, low, high in (("lat", float, -90, 90), ("lon", float, -180, 180),
                                  ("radius", int, 100, 50_000), ("rating", float, 0, 5), ("k", int, 1, 50)):
        value = number(name, cast, low, high)
        if value is not None:
            setattr(view, {"radius": "radius_m", "rating": "min_rating"}.get(name, name), value)
    if "day" in params:
        if params["day"] in DAYS:
            view.day = DAYS.index(params["day"])
        else:
            bad.append("day")
    if "time" in params:
        parts = params["time"].split(":")
        if len(parts) == 2 and all(p.isdigit() for p in parts) and int(parts[0]) < 24 and int(parts[1]) < 60:
            view.time = f"{int(parts[0]):02d}:{int(parts[1]):02d}"
        else:
            bad.append("time")
    if "price" in params:
        try:
            low, high = (int(x) for x in params["price"].split("-"))
            if 1 <= low <= high <= 4:
                view.price = (low, high)
            else:
                bad.append("price")
        except ValueError:
            bad.append("price")
    if params.get("cuisines"):
        view.cuisines = [c for c in params["cuisines"].split(",") if c]
    if "open" in params:
        view.open_only = params["open"] != "0"
    view.user = params.get("user", "")
    return view, bad


def to_params(view: View) -> dict[str, str]:
    params = {"lat": f"{view.lat:.5f}", "lon": f"{view.lon:.5f}", "radius": str(view.radius_m),
              "day": DAYS[view.day], "time": view.time, "price": f"{view.price[0]}-{view.price[1]}",
              "rating": f"{view.min_rating:g}", "k": str(view.k)}
    if view.cuisines:
        params["cuisines"] = ",".join(view.cuisines)
    if not view.open_only:
        params["open"] = "0"
    if view.user:
        params["user"] = view.user
    return params


def sync_url(view: View) -> None:
    wanted = to_params(view)
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)
