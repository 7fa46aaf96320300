"""Pages must run through streamlit_app.py's st.navigation (shared sidebar, titles, URLs).

Streamlit decides per process whether an app is a v1 "pages/ folder" app before it ever runs the
main script, because a pages/ folder exists (the project layout fixes that name). If the first
request of a fresh server opens /model directly, Streamlit would run pages/model.py on its own. A
page that finds itself outside the router switches the process to st.navigation and reruns."""

from __future__ import annotations

import streamlit as st

ROUTER_FLAG = "_routed_by_streamlit_app"


def mark_routed() -> None:
    st.session_state[ROUTER_FLAG] = True


def require_router() -> None:
    if st.session_state.pop(ROUTER_FLAG, False):
        return
    from streamlit.runtime.pages_manager import PagesManager  # private, but the only switch there is

    PagesManager.uses_pages_directory = False
    st.rerun()
