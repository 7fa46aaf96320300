"""The Explore view in Streamlit, with one owner: a View in session state (``VIEW``), read from
the link once per session, shown by the widgets, and written to the URL once per run. The view,
its limits and its URL codec are recsys.serving.query_link (pure functions); this module maps
them onto widget keys, so no page maps a view by hand.

A run of Explore: ``open_view`` (before any widget), the widgets, ``commit_view`` (after them).
A change made outside the widgets (a map click, a like) goes through ``change_view`` and a rerun:
a widget drawn in this run cannot take a new value, the next run's widgets start from it."""

from __future__ import annotations

from dataclasses import replace
from datetime import time as dtime

import streamlit as st

from recsys.serving.query_link import (  # noqa: F401  (the names pages use, in one place)
    CITY_LAT,
    CITY_LON,
    DAY_LABELS,
    DEFAULT_CENTER,
    HOODS,
    MAX_HOW_MANY,
    MAX_MORE_LIKE,
    MAX_SESSION_FEEDBACK,
    PRICE_LABELS,
    RADIUS_STEPS_M,
    SESSION_FEEDBACK,
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
SESSION = {**{name: f"adhoc_{name}" for name in SESSION_FEEDBACK.values()}, "more_like": "more_like_ids"}


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
                **{name: list(state.get(SESSION[name], [])) for name in (*SESSION_FEEDBACK.values(), "more_like")})


VIEW = "explore_view"  # not a widget key, so it outlives a visit to another page
_REDRAW = "explore_view_redraw"  # fields change_view changed: their widgets take the view next run


def open_view(tz: str, labels: set[str]) -> tuple[View, list[str], list[str]]:
    """Before Explore draws a widget: the session's view, read from the link on its first run
    (with the names of unreadable parameters and notes about values changed to fit, to show).
    Widgets Streamlit forgot (after another page, or the ad-hoc expander not drawn) show it again,
    and so do those of the fields a change_view changed (only those: a slider moved in the same
    run as a map click keeps its new value)."""
    ss = st.session_state
    bad: list[str] = []
    notes: list[str] = []
    redraw = ss.pop(_REDRAW, set())
    if VIEW not in ss:
        ss[VIEW], bad, notes = from_params(dict(st.query_params), tz, labels)
        redraw = set(WIDGETS) | set(SESSION)
    keys = {WIDGETS.get(name) or SESSION[name] for name in redraw}
    for key, value in view_to_widgets(ss[VIEW], labels).items():
        if key in keys or key not in ss:
            ss[key] = value
    return ss[VIEW], bad, notes


def commit_view(user: str) -> View:
    """After the widgets: what they show is the session's view, and the link (written only when
    it differs, so once per run at most)."""
    view = st.session_state[VIEW] = view_from_widgets(st.session_state, user)
    wanted = to_params(view)
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)
    return view


def change_view(**changes) -> None:
    """A change made outside the widgets (the pin from a map click, a session like): the session's
    view now; the widgets show it from the next run (the caller reruns)."""
    st.session_state[VIEW] = replace(st.session_state[VIEW], **changes)
    for name in set(changes) & set(SESSION):  # not widgets: they take it now, in this run too
        st.session_state[SESSION[name]] = list(changes[name])
    st.session_state[_REDRAW] = st.session_state.get(_REDRAW, set()) | (set(changes) - set(SESSION))
