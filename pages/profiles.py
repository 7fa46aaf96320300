"""Profiles: find, create, edit and delete users. A saved profile is embedded by the user tower
at once, so it gets recommendations immediately, without retraining.

Saving is idempotent: the Create form edits one draft profile id until "Start a new profile".
Names are user text: shown with st.text and st.dataframe, never inside Markdown."""

from __future__ import annotations

import uuid

import pandas as pd
import streamlit as st

from recsys.data.contract import split_multilabel
from recsys.data.geo import distance_text
from recsys.data.restaurants import PRICE_BRACKETS, VISIBILITY
from recsys.serving.query import Query
from ui.labels import UNNAMED, profile_labels
from ui.router import start_page
from ui.services import guard
from ui.sidebar import qa_details
from ui.state import HOODS

NAME_MAX_CHARS = 80  # the input stops there (Streamlit also truncates on the server)
# What each account setting means here. They are stored with the profile and the user tower reads
# them as features (recsys.data.record); the demo itself sends nothing and shares nothing.
_AS_FEATURE = " The model also reads it as one of the profile's features."
SETTING_HELP = {
    "newsletter": "Whether this person wants the restaurant newsletter by email. This demo sends no email." + _AS_FEATURE,
    "notifications": "Whether this person wants alerts about new picks. This demo sends none." + _AS_FEATURE,
    "data_sharing": "Whether this person agrees to share their visits with partner restaurants. This demo "
                    "shares nothing." + _AS_FEATURE,
    "profile_visibility": "Who may see this profile: anyone (public), friends, or only the person (private). "
                          "This demo has no sign-in, so every profile is listed here." + _AS_FEATURE,
}

service = start_page("Profiles")
ss = st.session_state


def new_draft_id() -> str:
    return f"p-{uuid.uuid4().hex[:10]}"


def like_options(current: list[str]) -> list[str]:
    """Every cuisine label people can filter by, plus the profile's own likes (kept on edit)."""
    return sorted(set(guard(service.cuisines) or []) | set(current))


def profile_form(form_key: str, current: dict) -> dict | None:
    """The fields of a profile; returns the values when the form is submitted and valid.
    Widget keys start with ``form_key`` (one per profile id), so another profile gets fresh fields."""
    current_likes = split_multilabel(current.get("likes"))
    with st.form(form_key, clear_on_submit=False):
        name = st.text_input("Name", value=current.get("name", ""), max_chars=NAME_MAX_CHARS, key=f"{form_key}-name")
        likes = st.multiselect("Likes", like_options(current_likes), default=current_likes, key=f"{form_key}-likes",
                               select_all=False,
                               help="The cuisines and styles this person likes: the same labels as the filters.")
        bracket = st.radio("Price bracket", PRICE_BRACKETS, horizontal=True, key=f"{form_key}-bracket",
                           index=PRICE_BRACKETS.index(current.get("price_bracket") or "middle"))
        hoods = sorted(HOODS)
        home = current.get("home_neighbourhood") if current.get("home_neighbourhood") in HOODS else "Mission"
        hood = st.selectbox("Home neighbourhood", hoods, index=hoods.index(home), key=f"{form_key}-hood")
        c1, c2, c3, c4 = st.columns(4)
        newsletter = c1.checkbox("Newsletter", value=str(current.get("newsletter")) == "True", key=f"{form_key}-news",
                                 help=SETTING_HELP["newsletter"])
        notifications = c2.checkbox("Notifications", value=str(current.get("notifications", True)) == "True",
                                    key=f"{form_key}-notify", help=SETTING_HELP["notifications"])
        data_sharing = c3.checkbox("Data sharing", value=str(current.get("data_sharing")) == "True",
                                   key=f"{form_key}-sharing", help=SETTING_HELP["data_sharing"])
        visibility = c4.selectbox("Profile visibility", VISIBILITY, key=f"{form_key}-visibility",
                                  index=VISIBILITY.index(current.get("profile_visibility") or "public"),
                                  help=SETTING_HELP["profile_visibility"])
        if not st.form_submit_button("Save profile", type="primary"):
            return None
    if not name.strip():
        st.error("Name: a profile needs a name.")
        return None
    if not likes:
        st.error("Likes: pick at least one, so the model knows the taste.")
        return None
    lat, lon = HOODS[hood]
    return {"user_id": current["user_id"], "name": name.strip(), "likes": likes, "price_bracket": bracket,
            "home_neighbourhood": hood, "home_lat": lat, "home_lon": lon, "newsletter": newsletter,
            "notifications": notifications, "data_sharing": data_sharing, "profile_visibility": visibility}


def save(values: dict) -> dict | None:
    """Store and embed; a refused field is shown as a message (its text may quote user input)."""
    try:
        return guard(service.save_profile, values)
    except ValueError as exc:
        st.error("The profile was not saved:")
        st.text(str(exc))
        return None


def preview(user_id: str, doc: dict) -> None:
    """Recommendations for the profile right away: near home, any time."""
    query = Query(lat=float(doc["home_lat"]), lon=float(doc["home_lon"]), radius_m=3000, k=5, open_only=False)
    results = guard(service.recommend, query, user_id=user_id)
    if results is None:
        return
    hood = doc.get("home_neighbourhood") if doc.get("home_neighbourhood") in HOODS else "home"
    st.markdown(f"**Top picks near {hood}** (any time, 3 km)")
    st.dataframe(pd.DataFrame([{"name": r.name, "cuisines": ", ".join(r.cuisines), "rating": r.rating,
                                "distance": distance_text(r.distance_m), "why": r.why} for r in results.items]),
                 hide_index=True, width="stretch")


def delete(user_id: str, name: str) -> None:
    guard(service.delete_profile, user_id)
    if ss.get("active_user") == user_id:
        ss["active_user"] = ""
    if ss.get("draft_user_id") == user_id:
        ss.pop("draft_user_id")
    # Shown once, on the run that follows this one (st.rerun would drop a message written now).
    ss["profiles_flash"] = name or UNNAMED
    st.rerun()


# Stateful tabs: a form submitted in the second tab reruns the page and the person stays there.
create, find = st.tabs(["Create a profile", "Find and edit"], key="profiles_tab", on_change="rerun")
with create:
    st.caption("New profiles are embedded by the trained user tower from their features: "
               "no retraining, recommendations at once.")
    draft = ss.setdefault("draft_user_id", new_draft_id())
    stored = guard(service.get_profile, draft)
    if stored:
        st.caption("Editing the profile saved from this form; Save again to update it.")
        if st.button("Start a new profile"):
            ss["draft_user_id"] = new_draft_id()
            st.rerun()
    values = profile_form(f"create-{draft}", stored or {"user_id": draft})
    if values:
        doc = save(values)
        if doc:
            stored = doc
            ss["active_user"] = draft  # the sidebar follows it (ui/sidebar.py)
            st.success("Saved and embedded it with the current model — it is now the active profile and "
                       "gets recommendations without retraining:")
            st.text(doc["name"])
    if stored:
        preview(draft, stored)

with find:
    deleted = ss.pop("profiles_flash", None)
    if deleted:
        st.success("Deleted the profile:")
        st.text(deleted)
    text = st.text_input("Search by name or id", key="find_text", placeholder="e.g. Maria or u00042")
    found = guard(service.find_profiles, text, 50) or []
    total = guard(service.count_profiles)
    st.caption(f"{len(found)} shown of {total} profiles")
    if found:
        labels = profile_labels(found)  # names, told apart only where two share one
        st.dataframe(pd.DataFrame([{"name": labels[f["user_id"]], "home neighbourhood": f.get("home_neighbourhood")}
                                   for f in found]), hide_index=True, width="stretch")
        qa_details(frame=pd.DataFrame(found))
        pick = st.selectbox("Profile", list(labels), key="edit_pick", format_func=labels.get)
        doc = guard(service.get_profile, pick)
        if doc:
            values = profile_form(f"edit-{pick}", doc)
            if values:
                saved = save(values)
                if saved:
                    doc = saved
                    st.success("Saved; the embedding was recomputed with the current model.")
            preview(pick, doc)
            c1, c2 = st.columns(2)
            if c1.button("Use this profile on Explore"):
                ss["active_user"] = pick
                st.switch_page("pages/explore.py")
            confirm = c2.checkbox("Yes, delete this profile", key=f"confirm-{pick}")
            if c2.button("Delete profile", disabled=not confirm, type="secondary"):
                delete(pick, doc.get("name", ""))
