"""AppTest against the real embedded Redis; only the map component is stubbed (ui.map_view)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")


class MapStub:
    """Stands in for st_folium: records what would be drawn (the red picks, read from the overlay
    script streamlit-folium would send the browser), returns a scripted click."""

    def __init__(self):
        self.calls: list[dict] = []
        self.click: tuple[float, float] | None = None

    def __call__(self, m, key=None, feature_group_to_add=None, **kwargs):
        from tests.map_script import overlay_script, script_data

        picks = script_data(overlay_script(m, feature_group_to_add), "picks")
        self.calls.append({"red": [{"location": [p["lat"], p["lon"]], "lines": p["lines"]} for p in picks],
                           "center": kwargs.get("center")})
        if self.click:
            value = {"last_clicked": {"lat": self.click[0], "lng": self.click[1]}}
            # As streamlit-folium does: the value lands in session state under the key before the
            # run the click triggers. Here that is the next run (AppTest cannot act between runs).
            import streamlit as st

            st.session_state[key] = value
            return value
        return {"last_clicked": None}

    @property
    def last_red(self) -> list[dict]:
        return self.calls[-1]["red"]


@pytest.fixture
def app_env(redis_server, small_demo_dir, small_model_dir, tmp_path, monkeypatch):
    import ui.map_view
    import ui.services

    monkeypatch.setenv("REDIS_URL", redis_server)
    monkeypatch.setenv("RECSYS_DATASET_DIR", str(small_demo_dir))
    monkeypatch.setenv("RECSYS_MODEL_DIR", str(small_model_dir))
    monkeypatch.setenv("RECSYS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RECSYS_NAMESPACE", f"app{uuid.uuid4().hex[:8]}")
    stub = MapStub()
    monkeypatch.setattr(ui.map_view, "st_folium_component", stub)
    ui.services._open_service.clear()
    yield stub
    ui.services._open_service.clear()


@pytest.fixture
def app(app_env):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=120)
    at.map_stub = app_env
    return at


# -- what a page shows, read back from AppTest ------------------------------------------------

def markdown_text(at) -> str:
    """Everything rendered as Markdown (where user text must never land unescaped)."""
    parts = [m.value for m in at.markdown] + [s.value for s in at.subheader] + [s.value for s in at.success]
    parts += [i.value for i in at.info] + [w.value for w in at.warning] + [e.value for e in at.error]
    parts += [c.value for c in at.caption]
    return "\n".join(str(p) for p in parts)


def plain_text(at) -> str:
    """Everything rendered with st.text (where pages show user text)."""
    return "\n".join(t.value for t in at.text)


def service():
    """The service the app under test uses (one per process, as in the app)."""
    from ui.services import _open_service

    return _open_service()
