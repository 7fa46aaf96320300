"""Injection and secrets: query syntax never widens a search, credentials are never shown."""

from __future__ import annotations

import pytest

from recsys.config import Settings
from recsys.doctor import run_checks
from ui.map_view import popup_html
from recsys.recommend import Recommendation


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


def test_hostile_names_are_stored_verbatim_and_escaped_in_popups(service):
    from recsys.data.restaurants import NewRestaurant
    from recsys.recommend import Query

    name = '<img src=x onerror="alert(1)"> @name:{*} | Bar'
    item_id = service.add_restaurant(NewRestaurant(name=name, address="<b>1</b> St", lat=37.7111, lon=-122.4755,
                                                   cuisines=["cocktails"], price=2, rating=4, hours="24/7"))
    rec = service.recommend(Query(lat=37.7111, lon=-122.4755, radius_m=50, k=3), profile={"likes": ["cocktails"]}).items
    assert [(r.item_id, r.name) for r in rec] == [(item_id, name)]
    html = popup_html(rec[0])
    assert "<img" not in html and "&lt;img" in html


def test_popup_escapes_every_field():
    rec = Recommendation(item_id="x", name="<script>x</script>", address="", lat=0, lon=0, cuisines=["<i>c</i>"],
                         price=2, rating=4.0, distance_m=10, score=1, open_until="<b>late</b>", reason="")
    html = popup_html(rec)
    assert "<script>" not in html and "<i>" not in html and "<b>late" not in html


def test_doctor_never_prints_the_password(redis_server, tmp_path):
    assert ":@" not in redis_server  # the session server has a password
    password = redis_server.split(":")[2].split("@")[0]
    settings = Settings(redis_url=redis_server, data_dir=tmp_path, namespace="doctor")
    lines = [f"{c.name} {c.detail} {c.fix}" for c in run_checks(settings)]
    assert lines and all(password not in line for line in lines)
    assert any("***" in line for line in lines)
