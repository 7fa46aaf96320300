"""Entry point: `streamlit run streamlit_app.py`. The router (ui/router.py) draws the shared
sidebar and runs the chosen page from pages/ through st.navigation."""

from ui.router import route

route()
