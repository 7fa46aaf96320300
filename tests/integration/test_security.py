"""Injection and secrets: query syntax never widens a search, credentials are never shown."""

from __future__ import annotations

import pytest

from recsys.config import Settings
from recsys.doctor import run_checks
from tests.map_script import NODE, overlay_script, run_in_node, script_data
from ui import map_view


@pytest.mark.parametrize("text", ["*", "@name:(*)", "a|b", "-x", '"', "{*}", "%%", "u000*", ")(", "\\"])
def test_profile_search_syntax_never_widens(service, text):
    everyone = service.users.search("", limit=1000)
    found = service.users.search(text, limit=1000)
    assert len(found) < len(everyone)
    for row in found:  # whatever matched, matched on a real word of the text
        assert any(w.lower() in (row["name"] + row["user_id"]).lower()
                   for w in "".join(c if c.isalnum() else " " for c in text).split())


def test_profile_search_finds_by_name_and_id(service):
    user = service.dataset().users.iloc[3]
    first = user["name"].split()[0]
    assert user["user_id"] in {r["user_id"] for r in service.users.search(first, 1000)}
    assert [r["user_id"] for r in service.users.search(user["user_id"])] == [user["user_id"]]


def test_hostile_names_are_stored_verbatim_and_reach_the_map_as_text(service):
    """Through the real path: stored, recommended, drawn by the overlay the Explore page sends."""
    from recsys.data.restaurants import NewRestaurant
    from recsys.serving.query import Query

    name = '<img src=x onerror="alert(1)"> @name:{*} | Bar'
    item_id = service.add_restaurant(NewRestaurant(name=name, address="<b>1</b> St", lat=37.7111, lon=-122.4755,
                                                   cuisines=["cocktails"], price=2, rating=4, hours="24/7"))
    rec = service.recommend(Query(lat=37.7111, lon=-122.4755, radius_m=50, k=3), profile={"likes": ["cocktails"]}).items
    assert [(r.item_id, r.name) for r in rec] == [(item_id, name)]
    m = map_view.base_map((37.7111, -122.4755), 13, [(r.lat, r.lon, r.name) for r in rec])
    script = overlay_script(m, map_view.overlay((37.7111, -122.4755), 50, rec))
    assert "<img" not in script and 'onerror="' not in script and "@name:{" not in script
    assert script_data(script, "picks")[0]["lines"][0] == name
    if NODE:  # and when it runs, the popup shows the name as text
        popup = run_in_node(script)["markers"][1]["popups"][0]
        assert popup["children"][0] == {"tag": "b", "text": name, "children": []}


def test_doctor_never_prints_the_password(redis_server, tmp_path):
    assert ":@" not in redis_server  # the session server has a password
    password = redis_server.split(":")[2].split("@")[0]
    settings = Settings(redis_url=redis_server, data_dir=tmp_path, namespace="doctor")
    lines = [f"{c.name} {c.detail} {c.fix}" for c in run_checks(settings)]
    assert lines and all(password not in line for line in lines)
    assert any("***" in line for line in lines)


# -- issue 10.4: credentials redacted in every form, everywhere a URL can appear -----------------
HOSTILE_URLS = [
    "redis://:TOPSECRETa@127.0.0.1:1/0",
    "redis://alice:TOPSECRETa@127.0.0.1:1/0",
    "redis://127.0.0.1:1/0?password=TOPSECRETa",
    "redis://127.0.0.1:1/0?db=0&password=TOPa#SECRETb",
    "redis://:TOPa/SECRETb#SECc@127.0.0.1:1/0",  # unencoded / and # in the password
    "redis://:TOPa?SECRETb@127.0.0.1:1/0",
    "rediss://:TOPa@SECRETb@127.0.0.1:1/0",
    "redis://127.0.0.1:1/0?password=TOPa&SECRETb=1",  # an unencoded & in a query password
]
SECRETS = ("TOPSECRETa", "TOPa", "SECRETb", "SECc")


def _leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_redact_url_hides_every_credential_form(url):
    from recsys.serving.connection import redact_url

    redacted = redact_url(url)
    assert not _leaks(redacted) and "***" in redacted
    assert "127.0.0.1:1" in redacted  # still says where


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_unavailable_error_and_doctor_never_show_the_password(url, tmp_path):
    from recsys.serving.connection import RedisUnavailableError, connect

    with pytest.raises(RedisUnavailableError) as err:
        connect(url)
    exc = err.value
    # What the CLI prints (str) and what the app's banner shows (url, reason, hint).
    assert not _leaks(" ".join([str(exc), exc.url, exc.reason, exc.hint, repr(exc.args)]))
    lines = [f"{c.name} {c.detail} {c.fix}" for c in run_checks(Settings(redis_url=url, data_dir=tmp_path))]
    assert lines and not _leaks("\n".join(lines))


def test_malformed_password_says_to_percent_encode():
    from recsys.serving.connection import RedisUnavailableError, connect

    with pytest.raises(RedisUnavailableError) as err:
        connect("redis://:TOPa/SECRETb#SECc@127.0.0.1:1/0")
    assert "unencoded" in err.value.reason and "%2F" in err.value.hint


@pytest.mark.parametrize("url", [HOSTILE_URLS[2], HOSTILE_URLS[4]])
def test_cli_never_prints_the_password(url, small_model_dir):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "REDIS_URL": url, "RECSYS_MODEL_DIR": str(small_model_dir)}
    for command in (["doctor"], ["index"]):
        done = subprocess.run([sys.executable, "-m", "recsys", *command], cwd=root, env=env, capture_output=True,
                              text=True, timeout=180)
        assert done.returncode != 0 and "Traceback" not in done.stderr
        assert "127.0.0.1:1" in done.stdout + done.stderr and not _leaks(done.stdout + done.stderr)


@pytest.mark.parametrize("url", [HOSTILE_URLS[2], HOSTILE_URLS[4]])
def test_streamlit_error_banner_never_shows_the_password(url, monkeypatch):
    from streamlit.testing.v1 import AppTest

    def page():
        from ui.services import get_service

        get_service()

    monkeypatch.setenv("REDIS_URL", url)
    at = AppTest.from_function(page, default_timeout=60).run()
    banners = [e.value for e in at.error]
    assert banners and "127.0.0.1:1" in banners[0]
    assert not _leaks("\n".join(banners) + "\n".join(str(e) for e in at.exception))
