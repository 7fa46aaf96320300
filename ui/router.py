"""The router: st.navigation over pages/, the shared sidebar, and a guard every page calls.

Streamlit decides per process, before it runs anything, whether an app is a v1 "pages/ folder"
app, because a pages/ folder exists (the project layout fixes that name). Then a request for
/model can run pages/model.py on its own, without this router: AppTest does so on every run, a
fresh server on its first request. A page that finds itself outside the router runs the router
right there (which runs the page again, inside it) and stops its own, outer run."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

ROUTED = "_routed_by_streamlit_app"
# Icons are Streamlit's bundled Material Symbols: emoji need an emoji font, which many machines
# (Chromium on a plain Linux) lack, and then show as empty boxes. The tab icon is a local file:
# a Material page_icon would be fetched from fonts.gstatic.com, and the app works offline.
APP_ICON = Path(__file__).resolve().parents[1] / "assets" / "web" / "favicon.png"
PAGES = (  # file, title, icon, url path
    ("pages/explore.py", "Explore", ":material/map:", "explore"),
    ("pages/profiles.py", "Profiles", ":material/person:", "profiles"),
    ("pages/restaurants.py", "Restaurants", ":material/restaurant:", "restaurants"),
    ("pages/model.py", "Model", ":material/model_training:", "model"),
    ("pages/system.py", "System", ":material/monitor_heart:", "system"),
)


def route() -> None:
    from ui.services import get_service
    from ui.sidebar import init_active_user, sidebar

    st.set_page_config(page_title="SF Restaurant Recommender", page_icon=str(APP_ICON), layout="wide")
    navigation = st.navigation([st.Page(path, title=title, icon=icon, url_path=url, default=(i == 0))
                                for i, (path, title, icon, url) in enumerate(PAGES)])
    init_active_user()
    st.session_state[ROUTED] = True
    try:
        navigation.run()
    finally:
        # After the page, so a profile the page just chose (session_state["active_user"]) shows
        # here in the same run; also when the page stops early (st.stop) or reruns.
        sidebar(get_service(show_error=False))


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
