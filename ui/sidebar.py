"""The sidebar every page shares: who the recommendations are for, and whether Redis is up."""

from __future__ import annotations

import streamlit as st

from recsys.service import RecommenderService
from ui.services import guard

ADHOC = ""


def sidebar(service: RecommenderService | None) -> None:
    with st.sidebar:
        st.markdown("### 🍽️ SF Restaurant Recommender")
        st.caption("Demo data is **synthetic**: generated restaurants, users and visits "
                   "(see the README). Real places can be imported on the Restaurants page.")
        if service is None:
            st.error("Redis: unavailable", icon="🔌")
            return
        if "active_user" not in st.session_state:
            st.session_state["active_user"] = st.query_params.get("user", ADHOC)
        st.markdown("**Profile**")
        search = st.text_input("Find a profile", key="profile_search", placeholder="name or id, e.g. u00001")
        matches = guard(service.users.search, search, 20) or []
        options = [ADHOC] + [m["user_id"] for m in matches]
        current = st.session_state["active_user"]
        if current and current not in options:
            options.insert(1, current)
        labels = {m["user_id"]: f"{m['name']} ({m['user_id']})" for m in matches}
        labels[ADHOC] = "Ad-hoc profile (set on Explore)"
        # Pages set "active_user"; the widget has its own key so they may do so at any time.
        if st.session_state.get("sidebar_user") != current:
            st.session_state["sidebar_user"] = current
        st.selectbox("Recommend for", options, key="sidebar_user", format_func=lambda u: labels.get(u, u),
                     on_change=lambda: st.session_state.update(active_user=st.session_state["sidebar_user"]))
        st.success(f"Redis: connected · model {service.loaded.model_id}", icon="✅")
        if service.loaded.warning:
            st.warning(service.loaded.warning)
