"""Explore: drop a pin, set the filters, see the best open restaurants nearby as red picks.

Layout is map-first: on a phone the columns stack, so the map comes before the controls."""

from __future__ import annotations

import html

import streamlit as st

from recsys.data.record import MUST_HAVE
from recsys.data.restaurants import PRICE_BRACKETS
from ui import map_view
from ui.catalogue import catalogue, restaurant_dots
from ui.picks import PICKS_CSS, pick_rows, picks_html, shown_columns
from ui.router import start_page
from ui.services import guard, query_latencies
from ui.sidebar import NOTICE, active_profile
from ui.state import (
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
    VIEW,
    change_view,
    commit_view,
    open_view,
    radius_label,
)

service = start_page(
    "Explore",
    "Click the map to drop a pin. The red picks are the restaurants the two-tower model ranks best for the "
    "profile among those within the radius, open at that time and matching the filters.",
)
tz = service.settings.timezone
ss = st.session_state
MAP_KEY = "explore-map"


def _forget_more_like() -> None:
    change_view(more_like=[])


def _show_more_like() -> None:
    change_view(more_like=list(ss.get("more_like_pick") or [])[:MAX_MORE_LIKE])


def _take_map_click() -> tuple[float, float] | None:
    """A click on empty map, before this run draws a widget: streamlit-folium puts the component's
    value in session state (under its key) before the run its click triggers, so the pin moves in
    this run, not one later. Returns a click outside the area (the pin stays), to say so."""
    last = (ss.get(MAP_KEY) or {}).get("last_clicked")
    if not last or (last["lat"], last["lng"]) == ss.get("last_click_seen") or VIEW not in ss:
        return None
    ss["last_click_seen"] = (last["lat"], last["lng"])
    lat, lon = round(last["lat"], 5), round(last["lng"], 5)
    if not (CITY_LAT[0] <= lat <= CITY_LAT[1] and CITY_LON[0] <= lon <= CITY_LON[1]):
        return lat, lon
    change_view(lat=lat, lon=lon)
    _forget_more_like()
    return None


outside = _take_map_click()
# The view: the link decides on a session's first run, this session's view after that (ui/state.py).
_, bad, notes = open_view(tz, set(guard(service.cuisines) or []))
if bad:
    st.warning(f"Ignored unreadable link parameter(s): {', '.join(bad)}.", icon=":material/link_off:")
for note in notes:
    st.info(note, icon=":material/info:")

doc = active_profile(service)  # None: the ad-hoc profile (also when a named one does not exist)
if ss.get(NOTICE):
    st.warning(ss.pop(NOTICE), icon=":material/person_off:")
user_id = doc["user_id"] if doc else ""


def _pick_hood() -> None:
    name = ss.get("w_hood")
    if name in HOODS:
        ss["w_lat"], ss["w_lon"] = HOODS[name]


# -- controls (right of the map on a wide screen, below it on a phone) ---------------------
map_column, controls = st.columns([3, 2], gap="medium")
with controls:
    st.selectbox("Neighbourhood", ["—", *sorted(HOODS)], key="w_hood", on_change=_pick_hood,
                 help="Moves the pin to the centre of a neighbourhood.")
    st.select_slider("Radius", options=RADIUS_STEPS_M, format_func=radius_label, key="w_radius")
    st.selectbox("Day", range(7), format_func=lambda d: DAY_LABELS[d], key="w_day")
    st.time_input("Time (San Francisco)", step=900, key="w_time")
    st.toggle("Open at that time only", key="w_open")
    # A two-value default makes this a range slider on every run, not only the first.
    st.select_slider("Price", options=[1, 2, 3, 4], value=(1, 4), format_func=lambda p: PRICE_LABELS[p],
                     key="w_price")
    st.slider("Minimum rating", 0.0, 5.0, step=0.5, key="w_rating")
    st.multiselect("Cuisines (any of)", guard(service.cuisines) or [], key="w_cuisines", select_all=False)
    st.multiselect("Must have", list(MUST_HAVE), format_func=MUST_HAVE.get, key="w_need", select_all=False,
                   help="Only places known to have it (wheelchair access: full or limited).")
    st.slider("How many", 1, MAX_HOW_MANY, key="w_k")
    with st.expander("Pin coordinates", icon=":material/location_on:"):
        st.number_input("Latitude", min_value=CITY_LAT[0], max_value=CITY_LAT[1], step=0.001, format="%.5f",
                        key="w_lat")
        st.number_input("Longitude", min_value=CITY_LON[0], max_value=CITY_LON[1], step=0.001, format="%.5f",
                        key="w_lon")
    profile = None
    if not user_id:
        with st.expander("Ad-hoc profile", icon=":material/tune:"):
            st.caption("Used while no saved profile is chosen in the sidebar; a shared link carries it.")
            # Likes speak the catalogue's vocabulary: every label the cuisine filter offers.
            st.multiselect("Likes", guard(service.cuisines) or [], key="adhoc_likes", select_all=False)
            st.radio("Price bracket", PRICE_BRACKETS, horizontal=True, key="adhoc_bracket")

view = commit_view(user_id)
if not user_id:
    profile = view.profile()
query = view.query(tz)

# -- recommend ----------------------------------------------------------------------------
more_like = view.more_like  # in the link too, so a shared "More like these" shows the same list
results = None
try:
    if more_like:
        try:
            results = guard(service.more_like, more_like, query, user_id=user_id or None,
                            hidden=[] if user_id else view.hidden)
        except KeyError:  # a link's places deleted since (or never there): not echoed, they are the link's text
            st.warning("The places this link's “More like these” starts from are no longer in the catalogue; "
                       "showing the recommendations for the profile.", icon=":material/link_off:")
            change_view(more_like=[])
            view, more_like = commit_view(user_id), []  # the link without them
    if not more_like:
        results = guard(service.recommend, query, user_id=user_id or None, profile=profile,
                        **({} if user_id else {name: getattr(view, name) for name in SESSION_FEEDBACK.values()}))
except (ValueError, LookupError) as exc:
    st.warning(str(exc))
if results is not None:
    query_latencies().append(results.latency_ms)

# -- map ----------------------------------------------------------------------------------
recs = results.items if results else []
# (drawn last, below: the list's messages then reach the browser before the map's)

# -- results ------------------------------------------------------------------------------
def _feedback(event: str, label: str, ranked: list[str], user_id: str) -> None:
    """A feedback button, before the run it triggers: that run ranks with it (re-ranked at once, a
    "not for me" gone), with no second run."""
    target = ss.get("feedback_pick")
    if target not in ranked:
        return
    if user_id:  # a saved profile: its history and vector change in Redis
        done = guard(service.record_feedback, user_id, target, event)
    else:  # the ad-hoc profile: its session feedback lives in the view (and the link)
        view, keep = ss[VIEW], SESSION_FEEDBACK[event]  # the place moves to its event's list, out of the others
        change_view(**{name: [*[i for i in getattr(view, name) if i != target], *([target] if name == keep else [])]
                       [-MAX_SESSION_FEEDBACK:] for name in SESSION_FEEDBACK.values()})
        done = True
    if done:  # the toast renders Markdown, so it names the pick by rank, not by its name
        st.toast(f"Recorded “{label}” for pick {ranked.index(target) + 1}.")
    # The picks re-rank, and the box's labels carry the rank: set again, it shows the pick at its
    # new rank (left alone, it kept the old label and lost the next press). A pick gone from the
    # list ("not for me") hands the box to the one below it, which takes its rank (the last one:
    # to the one above).
    if event == "not_for_me":
        at = ranked.index(target)
        rest = ranked[at + 1:] + ranked[:at][::-1]
        ss["feedback_pick"] = rest[0] if rest else None
    else:
        ss["feedback_pick"] = target


def _names(item_ids: list[str]) -> list[str]:
    known = catalogue(service).set_index("item_id")["name"]
    return [str(known.get(i, i)) for i in item_ids]


if results is not None:
    note, wider = guard(results.suggestion) or ("", None)  # counted now: only pages that show it pay
    if more_like:
        chosen_names = _names(more_like)
        # Names are shown as text: escaped for HTML, the context st.html renders them in.
        st.html(f"<h3>More like {html.escape(', '.join(chosen_names))} · {len(recs)} shown</h3>")
        st.button("Back to recommendations for the profile", on_click=_forget_more_like,
                  icon=":material/arrow_back:")
    else:
        st.subheader(f"Recommendations · {len(recs)} shown" + (f" of {results.matches} matching" if note else ""))
    if note:
        st.info(note)
        if wider:
            st.button(f"Widen the radius to {radius_label(wider)}", on_click=lambda r=wider: ss.update(w_radius=r))
    if recs:
        similar = f"similar to {', '.join(_names(more_like))}" if more_like else ""
        table = pick_rows(recs, similar)
        st.html(PICKS_CSS)  # a table on a wide screen, cards on a phone (one media query)
        st.html(picks_html(table, shown_columns(view.must_have)))
        names = {r.item_id: f"{i}. {r.name}" for i, r in enumerate(recs, start=1)}
        left, right = st.columns(2, gap="medium")
        with left:
            chosen = st.multiselect("More like these (pick 1 to 3)", list(names), format_func=names.get,
                                    max_selections=MAX_MORE_LIKE, select_all=False, key="more_like_pick")
            # Callbacks run before the next run draws anything: that run shows the result, no second one.
            st.button("Show more like these", disabled=not chosen, icon=":material/auto_awesome:",
                      on_click=_show_more_like)
        with right:
            if ss.get("feedback_pick") not in names:  # not in this list (re-ranked, filtered): the first
                ss.pop("feedback_pick", None)
            st.selectbox("Feedback on", list(names), format_func=names.get, key="feedback_pick")
            with st.container(horizontal=True):
                for event, label, icon in (("been_there", "Been there", ":material/where_to_vote:"),
                                           ("liked", "Liked it", ":material/thumb_up:"),
                                           ("not_for_me", "Not for me", ":material/thumb_down:")):
                    st.button(label, key=f"fb-{event}", icon=icon, on_click=_feedback,
                              args=(event, label, list(names), user_id))


# -- the map, last: its column is above the list, but the browser draws the list first ---------
with map_column:
    # The legend says exactly what map_view draws, in its colours.
    dot = '<span style="display:inline-block;width:{s}px;height:{s}px;border-radius:50%;background:{fill};' \
          'border:2px solid {edge};vertical-align:middle;margin:0 4px 0 10px"></span>'
    st.markdown(
        '<div class="explore-legend" style="font-size:0.85rem;line-height:1.8">'
        + dot.format(s=12, fill=map_view.PICK_COLOUR, edge=map_view.PICK_EDGE) + "picks (click for details)"
        + dot.format(s=8, fill=map_view.DOT_COLOUR, edge=map_view.DOT_COLOUR) + "other restaurants; blue "
        "bubbles group them (the number says how many)"
        + dot.format(s=10, fill=map_view.PIN_FILL, edge="#111") + "your pin"
        + dot.format(s=10, fill="transparent", edge=map_view.RADIUS_COLOUR) + "the radius</div>",
        unsafe_allow_html=True)  # constant markup, no user text
    m = map_view.base_map(DEFAULT_CENTER, 13, restaurant_dots(service))
    group = map_view.overlay((view.lat, view.lon), view.radius_m, recs)
    map_view.show(m, group, key=MAP_KEY)  # its clicks are read before the next run (_take_map_click)
    if outside:
        st.warning(f"That click ({outside[0]:.5f}, {outside[1]:.5f}) is outside the area this app covers; "
                   "the pin stays.", icon=":material/wrong_location:")

