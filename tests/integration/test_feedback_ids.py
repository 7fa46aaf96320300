"""Ids at every entry point of the service (issue 10 item 16): feedback, "not for me", "more like"
and excluded ids obey the id rule; ids holding query syntax are matched literally; bad data
written before the rule never breaks a later recommendation."""

from __future__ import annotations

import pytest

from recsys.data.restaurants import NewRestaurant
from recsys.serving.query import Query

HERE = (37.7090, -122.4560)  # a quiet corner near the city's southern edge
ODD_IDS = ["pipe|id", "space id", "@name:(x)", "brace}{", "star*", "ümlaut"]


@pytest.fixture(scope="module")
def odd_places(service) -> list[str]:
    """Restaurants whose ids hold query syntax, side by side, open all week."""
    return [service.add_restaurant(NewRestaurant(
        name=f"Odd {i}", address="1 Test Ave", lat=HERE[0], lon=HERE[1] + i * 2e-5, cuisines=["pizza"], price=2,
        rating=4.0, hours="24/7", item_id=item_id)) for i, item_id in enumerate(ODD_IDS)]


def nearby(**changes) -> Query:
    return Query(**{"lat": HERE[0], "lon": HERE[1], "radius_m": 60, "k": 20, "open_only": False, **changes})


def found(results) -> set[str]:
    return {r.item_id for r in results.items}


def test_odd_ids_are_stored_literally_and_found(service, odd_places):
    assert odd_places == ODD_IDS
    assert set(ODD_IDS) <= found(service.recommend(nearby(), profile={"likes": ["pizza"]}))


@pytest.mark.parametrize("item_id", ODD_IDS)
def test_excluding_an_odd_id_excludes_exactly_that_place(service, odd_places, item_id):
    got = found(service.recommend(nearby(exclude_ids=[item_id]), profile={"likes": ["pizza"]}))
    assert item_id not in got and set(ODD_IDS) - {item_id} <= got


@pytest.mark.parametrize("item_id", ODD_IDS)
def test_not_for_me_and_more_like_leave_out_an_odd_id(service, odd_places, item_id):
    doc = service.save_profile({"name": "Odd Tester", "likes": ["pizza"], "home_lat": HERE[0], "home_lon": HERE[1]})
    service.feedback.record(doc["user_id"], item_id, "not_for_me")
    assert item_id not in found(service.recommend(nearby(), user_id=doc["user_id"]))
    similar = service.more_like([item_id], nearby())
    assert item_id not in found(similar) and similar.items


@pytest.mark.parametrize("user_id,item_id,field", [
    ("u00001", "", "item_id"), ("u00001", "r1,r2", "item_id"), ("u00001", "  ", "item_id"),
    ("", "r00001", "user_id"), ("a,b", "r00001", "user_id"),
])
def test_bad_feedback_ids_are_refused(service, user_id, item_id, field):
    with pytest.raises(ValueError, match=field):
        service.feedback.record(user_id, item_id, "not_for_me")


def test_an_empty_id_stored_earlier_never_breaks_recommendations(service, odd_places):
    doc = service.save_profile({"name": "Legacy", "likes": ["pizza"], "home_lat": HERE[0], "home_lon": HERE[1]})
    key = f"{service.settings.namespace}:not_for_me:{doc['user_id']}"
    service.client.sadd(key, "", " ", "x,y", ODD_IDS[0])  # as the unchecked code could write it
    got = found(service.recommend(nearby(), user_id=doc["user_id"]))
    assert ODD_IDS[0] not in got and set(ODD_IDS[1:]) <= got


@pytest.mark.parametrize("item_ids,needle", [
    ([""], "item_ids"), (["a,b"], "item_ids"), ([None], "item_ids"), ("r00001", "item_ids"), ([], "item_ids"),
    (["r1", "r2", "r3", "r4"], "item_ids"),
])
def test_bad_more_like_ids_are_refused(service, item_ids, needle):
    with pytest.raises(ValueError, match=needle):
        service.more_like(item_ids, nearby())


def test_unknown_more_like_id_is_a_lookup_error(service):
    with pytest.raises(LookupError, match="no-such-place"):
        service.more_like(["no-such-place"], nearby())


@pytest.mark.parametrize("user_id", ["", "  ", "a,b", "x\ny"])
def test_bad_user_ids_for_recommend_are_refused(service, user_id):
    with pytest.raises(ValueError, match="user_id"):
        service.recommend(nearby(), user_id=user_id)
