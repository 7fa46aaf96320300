"""Explore: drop a pin, set the filters, see the best open restaurants nearby as red markers."""

from __future__ import annotations

from datetime import time as dtime

import pandas as pd
import streamlit as st

from recsys.data.restaurants import LIKES, PRICE_BRACKETS
from recsys.recommend import Query
from ui import map_view
from ui.catalogue import restaurant_points
from ui.services import guard, query_latencies
from ui.state import DAY_LABELS, HOODS, PRICE_LABELS, View, from_params, sync_url
from ui.router import start_page


service = start_page(
    "Explore",
    "Click the map to drop a pin. Red markers are the restaurants the two-tower model ranks best for the "
    "profile among those nearby, open at that time and matching the filters; blue are all the others.",
)
tz = service.settings.timezone
ss = st.session_state

# -- first visit: the URL decides the view; after that the widgets do ---------------------
if "w_lat" not in ss:
    view, bad = from_params(dict(st.query_params), tz)
    if bad:
        st.warning(f"Ignored unreadable link parameter(s): {', '.join(bad)}.")
    known = set(guard(service.cuisines) or [])
    ss.update(w_lat=view.lat, w_lon=view.lon, w_radius=view.radius_m, w_day=view.day,
              w_time=dtime(*(int(x) for x in view.time.split(":"))), w_price=view.price,
              w_rating=view.min_rating, w_cuisines=[c for c in view.cuisines if c in known], w_k=view.k,
              w_open=view.open_only)
    if view.user:
        ss["active_user"] = view.user
if "pending_pin" in ss:  # a map click from the previous run moves the pin before widgets exist
    ss["w_lat"], ss["w_lon"] = ss.pop("pending_pin")


def _pick_hood() -> None:
    name = ss.get("w_hood")
    if name in HOODS:
        ss["w_lat"], ss["w_lon"] = HOODS[name]


# -- controls -----------------------------------------------------------------------------
where, when, what = st.columns([1.2, 1, 1.4])
with where:
    st.selectbox("Neighbourhood quick-pick", ["—", *sorted(HOODS)], key="w_hood", on_change=_pick_hood)
    c1, c2 = st.columns(2)
    c1.number_input("Latitude", min_value=37.6, max_value=37.9, step=0.001, format="%.5f", key="w_lat")
    c2.number_input("Longitude", min_value=-122.6, max_value=-122.3, step=0.001, format="%.5f", key="w_lon")
    st.slider("Radius (m)", min_value=100, max_value=50_000, step=100, key="w_radius")
with when:
    st.selectbox("Day", range(7), format_func=lambda d: DAY_LABELS[d], key="w_day")
    st.time_input("Time (San Francisco)", step=900, key="w_time")
    st.toggle("Open at that time only", key="w_open")
with what:
    st.select_slider("Price", options=[1, 2, 3, 4], format_func=lambda p: PRICE_LABELS[p], key="w_price")
    st.slider("Minimum rating", 0.0, 5.0, step=0.5, key="w_rating")
    st.multiselect("Cuisines (any of)", guard(service.cuisines) or [], key="w_cuisines")
    st.slider("How many", 1, 50, key="w_k")

user_id = ss.get("active_user", "")
profile = None
if not user_id:
    with st.expander("Ad-hoc profile (no saved profile chosen in the sidebar)", expanded=False):
        likes = st.multiselect("Likes", LIKES, default=["italian", "cocktails"], key="adhoc_likes")
        bracket = st.radio("Price bracket", PRICE_BRACKETS, index=1, horizontal=True, key="adhoc_bracket")
    profile = {"likes": likes, "price_bracket": bracket, "home_lat": ss["w_lat"], "home_lon": ss["w_lon"]}

price = ss["w_price"] if isinstance(ss["w_price"], (tuple, list)) else (ss["w_price"], ss["w_price"])
view = View(lat=float(ss["w_lat"]), lon=float(ss["w_lon"]), radius_m=int(ss["w_radius"]), day=int(ss["w_day"]),
            time=ss["w_time"].strftime("%H:%M"), price=(int(price[0]), int(price[1])), min_rating=float(ss["w_rating"]),
            cuisines=list(ss["w_cuisines"]), k=int(ss["w_k"]), open_only=bool(ss["w_open"]), user=user_id)
sync_url(view)
query = Query(lat=view.lat, lon=view.lon, radius_m=view.radius_m, when=view.when(tz), price_min=view.price[0],
              price_max=view.price[1], min_rating=view.min_rating, cuisines=view.cuisines, k=view.k,
              open_only=view.open_only)

# -- recommend ----------------------------------------------------------------------------
more_like = ss.get("more_like_ids") or []
results = None
try:
    if more_like:
        results = guard(service.more_like, more_like, query)
    else:
        results = guard(service.recommend, query, user_id=user_id or None, profile=profile)
except (ValueError, LookupError) as exc:
    st.warning(str(exc))
if results is not None:
    query_latencies().append(results.latency_ms)

# -- map ----------------------------------------------------------------------------------
recs = results.items if results else []
points = restaurant_points(service)
m = map_view.base_map(HOODS["Civic Center"], 13, points)
group = map_view.overlay((view.lat, view.lon), view.radius_m, recs)
clicked = map_view.show(m, group, center=(view.lat, view.lon), key="explore-map", radius_m=view.radius_m)
last = (clicked or {}).get("last_clicked")
if last and (last["lat"], last["lng"]) != ss.get("last_click_seen"):
    ss["last_click_seen"] = (last["lat"], last["lng"])
    ss["pending_pin"] = (round(last["lat"], 5), round(last["lng"], 5))
    ss.pop("more_like_ids", None)
    st.rerun()

# -- results ------------------------------------------------------------------------------
if results is not None:
    heading = "More like " + ", ".join(more_like) if more_like else "Recommendations"
    st.subheader(f"{heading} · {len(recs)} shown" + (f" of {results.matches} matching" if results.note else ""))
    if more_like:
        st.button("Back to recommendations for the profile", on_click=lambda: ss.pop("more_like_ids", None))
    if results.note:
        st.info(results.note)
        if results.wider_radius_m:
            st.button(f"Widen the radius to {results.wider_radius_m / 1000:g} km",
                      on_click=lambda r=results.wider_radius_m: ss.update(w_radius=r))
    if recs:
        table = pd.DataFrame([{
            "#": i + 1, "name": r.name, "cuisines": ", ".join(r.cuisines), "price": PRICE_LABELS[r.price],
            "rating": r.rating, "distance (m)": round(r.distance_m), "open": r.open_until, "why": r.reason,
            "id": r.item_id} for i, r in enumerate(recs)])
        st.dataframe(table, hide_index=True, width="stretch")
        names = {r.item_id: f"{r.name} ({r.item_id})" for r in recs}
        left, right = st.columns(2)
        with left:
            chosen = st.multiselect("More like these (1-3)", list(names), format_func=names.get,
                                    max_selections=3, key="more_like_pick")
            if st.button("Show more like these", disabled=not chosen):
                ss["more_like_ids"] = list(chosen)
                st.rerun()
        with right:
            target = st.selectbox("Feedback on", list(names), format_func=names.get, key="feedback_pick")
            b1, b2, b3 = st.columns(3)
            for column, event, label in ((b1, "been_there", "Been there"), (b2, "liked", "Liked it"),
                                         (b3, "not_for_me", "Not for me")):
                if column.button(label, key=f"fb-{event}"):
                    if guard(service.feedback.record, user_id or "anonymous", target, event):
                        st.toast(f"Recorded “{label}” for {names[target]}")
