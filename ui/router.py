"""The router: st.navigation over pages/, the shared sidebar, and a guard every page calls.

Streamlit decides per process, before it runs anything, whether an app is a v1 "pages/ folder"
app, because a pages/ folder exists (the project layout fixes that name). Then a request for
/model can run pages/model.py on its own, without this router: AppTest does so on every run, a
fresh server on its first request. A page that finds itself outside the router runs the router
right there (which runs the page again, inside it) and stops its own, outer run."""

from __future__ import annotations

import streamlit as st

ROUTED = "_routed_by_streamlit_app"
PAGES = (  # file, title, icon, url path
    ("pages/explore.py", "Explore", "🗺️", "explore"),
    ("pages/profiles.py", "Profiles", "🧑", "profiles"),
    ("pages/restaurants.py", "Restaurants", "🍜", "restaurants"),
    ("pages/model.py", "Model", "🧠", "model"),
    ("pages/system.py", "System", "🩺", "system"),
)


def route() -> None:
    from ui.services import get_service
    from ui.sidebar import sidebar

    st.set_page_config(page_title="SF Restaurant Recommender", page_icon="🍽️", layout="wide")
    navigation = st.navigation([st.Page(path, title=title, icon=icon, url_path=url, default=(i == 0))
                                for i, (path, title, icon, url) in enumerate(PAGES)])
    sidebar(get_service(show_error=False))
    st.session_state[ROUTED] = True
    navigation.run()


def require_router() -> None:
    if st.session_state.pop(ROUTED, False):
        return
    route()
    st.stop()


def start_page(title: str, caption: str = "", needs_service: bool = True):
    """What every page does first: run under the router, show its title, get the service.
    Without a service (Redis down) the error is shown and, if the page needs it, the page stops."""
    from ui.services import get_service

    require_router()
    st.title(title)
    if caption:
        st.caption(caption)
    service = get_service()
    if service is None and needs_service:
        st.stop()
    return service
