"""The sidebar every page shares: who the recommendations are for, and whether Redis is up.

Contract with the pages: a page chooses the profile by setting ``st.session_state["active_user"]``
to a user id ("" is the ad-hoc profile set on Explore). The router draws this sidebar after the
page has run, so the choice shows (by name) in the same run."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from recsys.serving.service import RecommenderService
from ui.labels import QA_DETAILS, profile_labels
from ui.services import SERVICE_ERRORS, guard

ADHOC = ""
ADHOC_LABEL = "Ad-hoc profile (set on Explore)"
ACTIVE = "active_user"
NOTICE = "profile_notice"  # why the chosen profile was dropped; shown once, by a page or the sidebar
MISSING_PROFILE = ("The profile this link or session names does not exist (it may have been deleted). "
                   "Showing recommendations for the ad-hoc profile instead.")


def init_active_user() -> None:
    """On a session's first run the link decides the profile (``?user=``)."""
    if ACTIVE not in st.session_state:
        st.session_state[ACTIVE] = st.query_params.get("user", ADHOC)


def active_profile(service: RecommenderService) -> dict | None:
    """The chosen saved profile, or None for the ad-hoc one. A chosen profile that does not exist
    (deleted, or an old or mistyped link) falls back to the ad-hoc profile and leaves a notice."""
    user_id = st.session_state.get(ACTIVE, ADHOC)
    if not user_id:
        return None
    try:
        doc = service.get_profile(user_id)
    except ValueError:  # not even a valid id
        doc = None
    except SERVICE_ERRORS:
        return None  # the page shows the Redis message; the choice stays for when it is back
    if doc is None:
        st.session_state[ACTIVE] = ADHOC
        st.session_state[NOTICE] = MISSING_PROFILE
    return doc


def qa_details(*lines: str, frame: pd.DataFrame | None = None) -> None:
    """The ids and internals a QA engineer needs, folded away from everyone else: plain text (an
    id may come from a link), and a table when given."""
    with st.expander(QA_DETAILS, icon=":material/info:"):
        if lines:
            st.text("\n".join(lines))
        if frame is not None:
            st.dataframe(frame, hide_index=True, width="stretch")


def _choose_from_sidebar(key: str, options: list[str]) -> None:
    chosen = st.session_state[key]
    if chosen in options:  # an option of this run, never a label the browser kept from an older one
        st.session_state[ACTIVE] = chosen


def sidebar(service: RecommenderService | None) -> None:
    with st.sidebar:
        st.markdown("### :material/restaurant_menu: SF Restaurant Recommender")
        st.caption("Demo data is **synthetic**: generated restaurants, users and visits "
                   "(see the README). Real places can be imported on the Restaurants page.")
        if service is None:
            st.error("Redis: unavailable", icon=":material/power_off:")
            return
        init_active_user()
        doc = active_profile(service)
        current = st.session_state[ACTIVE]
        if st.session_state.get(NOTICE):
            st.warning(st.session_state.pop(NOTICE), icon=":material/person_off:")
        st.markdown("**Profile**")
        search = st.text_input("Find a profile", key="profile_search", placeholder="a name, e.g. Maria")
        matches = guard(service.find_profiles, search, 20) or []
        options = [ADHOC] + [m["user_id"] for m in matches]
        if current and current not in options:
            options.insert(1, current)
        # Names, told apart only where two shown together share one; the ids are in "Details for QA".
        labels = profile_labels([*[m for m in matches if m["user_id"] != current], *([doc] if doc else [])])
        labels[ADHOC] = ADHOC_LABEL
        # Pages set "active_user"; the widget has its own key so they may do so at any time. The key
        # also names the labels: a renamed profile gets a fresh widget, because the browser keeps
        # the labels it was sent and would otherwise show (and send back) the old name.
        key = "sidebar_user_" + hashlib.sha1(repr(sorted(labels.items())).encode()).hexdigest()[:10]
        if st.session_state.get(key) != current:
            st.session_state[key] = current
        st.selectbox("Recommend for", options, key=key, format_func=lambda u: labels.get(u, u),
                     on_change=_choose_from_sidebar, args=(key, options))
        st.success("Redis: connected · model loaded", icon=":material/check_circle:")
        if service.loaded.warning:  # it quotes the broken artifact: plain text, never Markdown
            st.warning("The active model is not serving.", icon=":material/warning:")
            st.text(service.loaded.warning)
        qa_details(f"Profile id: {current or '(none: the ad-hoc profile)'}", f"Model id: {service.loaded.model_id}")
