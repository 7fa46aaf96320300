"""The Explore view in Streamlit: its widgets and st.query_params. The view, its limits and its
URL codec are recsys.serving.query_link (pure functions); this module maps them onto widget keys,
so no page maps a view by hand."""

from __future__ import annotations

from datetime import time as dtime

import streamlit as st

from recsys.serving.query_link import (  # noqa: F401  (the names pages use, in one place)
    CITY_LAT,
    CITY_LON,
    DAY_LABELS,
    DEFAULT_CENTER,
    HOODS,
    MAX_HOW_MANY,
    MAX_SESSION_FEEDBACK,
    PRICE_LABELS,
    RADIUS_STEPS_M,
    View,
    from_params,
    radius_label,
    to_params,
)

# View field -> the Explore widget that edits it. The pin's widgets are number inputs; the
# ad-hoc profile's live in an expander. Every other field of View is one widget.
WIDGETS = {"lat": "w_lat", "lon": "w_lon", "radius_m": "w_radius", "day": "w_day", "time": "w_time",
           "price": "w_price", "min_rating": "w_rating", "cuisines": "w_cuisines", "k": "w_k",
           "open_only": "w_open", "must_have": "w_need", "likes": "adhoc_likes", "bracket": "adhoc_bracket"}


# View fields kept in session state without a widget: an ad-hoc profile's feedback this session.
SESSION = {"liked": "adhoc_liked", "hidden": "adhoc_hidden"}


def view_to_widgets(view: View, labels: set[str]) -> dict:
    """Widget (and session) values that show ``view`` (likes limited to the labels the catalogue offers)."""
    values = {key: getattr(view, name) for name, key in {**WIDGETS, **SESSION}.items()}
    values["w_time"] = dtime(*(int(x) for x in view.time.split(":")))
    values["adhoc_likes"] = [like for like in view.likes if like in labels]
    return values


def view_from_widgets(state, user: str) -> View:
    """The view the widgets show now, for the profile ``user`` ("" for the ad-hoc one)."""
    values = {name: state[key] for name, key in WIDGETS.items()}
    price = values["price"] if isinstance(values["price"], (tuple, list)) else (values["price"],) * 2
    return View(lat=float(values["lat"]), lon=float(values["lon"]), radius_m=int(values["radius_m"]),
                day=int(values["day"]), time=values["time"].strftime("%H:%M"), price=(int(price[0]), int(price[1])),
                min_rating=float(values["min_rating"]), cuisines=list(values["cuisines"]), k=int(values["k"]),
                open_only=bool(values["open_only"]), must_have=list(values["must_have"]), user=user,
                likes=list(values["likes"]), bracket=values["bracket"],
                liked=list(state.get(SESSION["liked"], [])), hidden=list(state.get(SESSION["hidden"], [])))


def sync_url(view: View) -> None:
    wanted = to_params(view)
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)
