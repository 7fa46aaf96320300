"""App sessions under faults and concurrency: Redis killed mid-session, sessions side by side."""

from __future__ import annotations

import os
import signal
import time

from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP
from tests.readings import picks_table


def test_external_redis_down_shows_what_to_do_then_recovers_when_back(app_env, monkeypatch, tmp_path):
    import socket

    from recsys.serving.redis_server import EmbeddedRedis

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    external = EmbeddedRedis(tmp_path / "external", port=port)  # stands in for a Redis behind REDIS_URL
    monkeypatch.setenv("REDIS_URL", external.ensure_running())
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(lat="37.7599", lon="-122.4148", radius="3000", open="0")
    try:
        at.run()
        assert not at.exception and len(picks_table(at)) == 10
        os.kill(external.pid(), signal.SIGKILL)
        time.sleep(0.3)
        at.run()
        assert not at.exception
        errors = " ".join(e.value for e in at.error)
        assert "Redis is unavailable" in errors and "What to do" in errors
        assert any(t.value == "Explore" for t in at.title)  # the rest of the page still renders
        external.ensure_running()  # Redis is back (same port, same data)
        at.run()
        assert not at.exception and not at.error
        assert len(picks_table(at)) == 10
    finally:
        external.stop()


def test_killed_embedded_redis_is_restarted_on_the_next_rerun(app_env, monkeypatch, tmp_path):
    from recsys.serving.redis_server import EmbeddedRedis

    monkeypatch.delenv("REDIS_URL")  # the app's own embedded server, which this test may kill
    monkeypatch.setenv("RECSYS_DATA_DIR", str(tmp_path / "own"))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(lat="37.7599", lon="-122.4148", radius="3000", open="0")
    at.run()
    assert not at.exception and len(picks_table(at)) == 10
    server = EmbeddedRedis(tmp_path / "own" / "redis")
    old_pid = server.pid()
    try:
        os.kill(old_pid, signal.SIGKILL)
        time.sleep(0.3)
        at.run()
        assert not at.exception and not at.error
        assert len(picks_table(at)) == 10
        assert any("re-established" in t.value for t in at.toast)
        assert server.pid() not in (None, old_pid)
    finally:
        server.stop()


def test_sessions_with_different_profiles_do_not_share_state(app):
    service_users = ["u00001", "u00002"]
    sessions = []
    for user in service_users:
        at = AppTest.from_file(APP, default_timeout=120)
        at.query_params.update(lat="37.7599", lon="-122.4148", radius="3000", open="0", user=user)
        sessions.append(at)
    for _ in range(2):  # interleaved reruns
        for at in sessions:
            at.run()
            assert not at.exception
    tables = [picks_table(at) for at in sessions]
    assert [at.session_state["active_user"] for at in sessions] == service_users
    assert list(tables[0]["id"]) != list(tables[1]["id"])
    # Each session's list is exactly what the service gives that user alone for that view.
    from recsys.serving.query import Query
    from ui.services import _open_service

    service = _open_service()
    for user, table, at in zip(service_users, tables, sessions):
        price = at.query_params["price"]
        low, high = (int(x) for x in (price[0] if isinstance(price, list) else price).split("-"))
        expected = service.recommend(Query(lat=37.7599, lon=-122.4148, radius_m=3000, k=10, open_only=False,
                                           price_min=low, price_max=high), user_id=user)
        assert list(table["id"]) == [r.item_id for r in expected.items]
    # A "more like these" in one session leaves the other untouched.
    first = sessions[0]
    first.session_state["more_like_ids"] = [tables[0]["id"].iat[0]]
    first.run()
    sessions[1].run()
    assert list(picks_table(sessions[1])["id"]) == list(tables[1]["id"])
    assert list(picks_table(first)["id"]) != list(tables[0]["id"])
