"""Router: st.navigation over pages/, a shared sidebar (active profile, connection status)."""

from __future__ import annotations

import streamlit as st

from ui.router import mark_routed
from ui.services import get_service
from ui.sidebar import sidebar

st.set_page_config(page_title="SF Restaurant Recommender", page_icon="🍽️", layout="wide")

pages = [
    st.Page("pages/explore.py", title="Explore", icon="🗺️", default=True, url_path="explore"),
    st.Page("pages/profiles.py", title="Profiles", icon="🧑", url_path="profiles"),
    st.Page("pages/restaurants.py", title="Restaurants", icon="🍜", url_path="restaurants"),
    st.Page("pages/model.py", title="Model", icon="🧠", url_path="model"),
    st.Page("pages/system.py", title="System", icon="🩺", url_path="system"),
]
navigation = st.navigation(pages)
sidebar(get_service(show_error=False))
mark_routed()
navigation.run()
