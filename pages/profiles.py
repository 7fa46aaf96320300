"""Profiles: find, create, edit and delete users. A saved profile is embedded by the user tower
at once, so it gets recommendations immediately, without retraining."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from recsys.data.contract import split_multilabel
from recsys.data.restaurants import LIKES, PRICE_BRACKETS, VISIBILITY
from recsys.recommend import Query
from ui.services import guard
from ui.state import HOODS
from ui.router import start_page


service = start_page("Profiles")
ss = st.session_state


def profile_form(prefix: str, current: dict) -> dict | None:
    """The fields of a profile; returns the values when the form is submitted."""
    with st.form(f"{prefix}-form", clear_on_submit=False):
        name = st.text_input("Name", value=current.get("name", ""), max_chars=80)
        likes = st.multiselect("Likes", LIKES, default=[l for l in split_multilabel(current.get("likes")) if l in LIKES])
        bracket = st.radio("Price bracket", PRICE_BRACKETS, horizontal=True,
                           index=PRICE_BRACKETS.index(current.get("price_bracket") or "middle"))
        hoods = sorted(HOODS)
        home = current.get("home_neighbourhood") if current.get("home_neighbourhood") in HOODS else "Mission"
        hood = st.selectbox("Home neighbourhood", hoods, index=hoods.index(home))
        c1, c2, c3, c4 = st.columns(4)
        newsletter = c1.checkbox("Newsletter", value=str(current.get("newsletter")) == "True")
        notifications = c2.checkbox("Notifications", value=str(current.get("notifications", True)) == "True")
        data_sharing = c3.checkbox("Data sharing", value=str(current.get("data_sharing")) == "True")
        visibility = c4.selectbox("Profile visibility", VISIBILITY,
                                  index=VISIBILITY.index(current.get("profile_visibility") or "public"))
        if not st.form_submit_button("Save profile", type="primary"):
            return None
    if not name.strip():
        st.error("A profile needs a name.")
        return None
    if not likes:
        st.error("Pick at least one like, so the model knows the taste.")
        return None
    lat, lon = HOODS[hood]
    return {"user_id": current.get("user_id"), "name": name.strip(), "likes": likes, "price_bracket": bracket,
            "home_neighbourhood": hood, "home_lat": lat, "home_lon": lon, "newsletter": newsletter,
            "notifications": notifications, "data_sharing": data_sharing, "profile_visibility": visibility}


def preview(user_id: str, doc: dict) -> None:
    """Recommendations for the profile right away: near home, any time."""
    query = Query(lat=float(doc["home_lat"]), lon=float(doc["home_lon"]), radius_m=3000, k=5, open_only=False)
    results = guard(service.recommend, query, user_id=user_id)
    if results is None:
        return
    st.markdown(f"**Top picks near {doc.get('home_neighbourhood') or 'home'}** (any time, 3 km)")
    st.dataframe(pd.DataFrame([{"name": r.name, "cuisines": ", ".join(r.cuisines), "rating": r.rating,
                                "distance (m)": round(r.distance_m), "why": r.reason} for r in results.items]),
                 hide_index=True, width="stretch")


create, find = st.tabs(["Create a profile", "Find and edit"])
with create:
    st.caption("New profiles are embedded by the trained user tower from their features: "
               "no retraining, recommendations at once.")
    values = profile_form("create", {})
    if values:
        doc = guard(service.save_profile, values)
        if doc:
            ss["active_user"] = doc["user_id"]
            ss["created_user"] = doc["user_id"]
    created = ss.get("created_user")
    if created:
        doc = guard(service.users.get, created)
        if doc:
            st.success(f"Saved **{doc['name']}** ({created}) and embedded it with the current model — "
                       "it is now the active profile and gets recommendations without retraining.")
            preview(created, doc)

with find:
    text = st.text_input("Search by name or id", key="find_text", placeholder="e.g. Maria or u00042")
    found = guard(service.users.search, text, 50) or []
    total = guard(service.users.count)
    st.caption(f"{len(found)} shown of {total} profiles")
    if found:
        st.dataframe(pd.DataFrame(found), hide_index=True, width="stretch")
        pick = st.selectbox("Profile", [f["user_id"] for f in found], key="edit_pick",
                            format_func=lambda u: next(f"{f['name']} ({u})" for f in found if f["user_id"] == u))
        doc = guard(service.users.get, pick)
        if doc:
            values = profile_form("edit", doc)
            if values:
                if guard(service.save_profile, values):
                    st.success("Saved; the embedding was recomputed with the current model.")
                    doc = service.users.get(pick)
            preview(pick, doc)
            c1, c2 = st.columns(2)
            if c1.button("Use this profile on Explore"):
                ss["active_user"] = pick
                st.switch_page("pages/explore.py")
            confirm = c2.checkbox("Yes, delete this profile", key=f"confirm-{pick}")
            if c2.button("Delete profile", disabled=not confirm, type="secondary"):
                guard(service.users.delete, pick)
                if ss.get("active_user") == pick:
                    ss["active_user"] = ""
                st.success(f"Deleted {pick}.")
                st.rerun()
