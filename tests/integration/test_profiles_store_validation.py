"""Profiles through the service (issue 10 item 15): bad fields are ValueErrors naming the field and
nothing is stored; every hostile name is stored, returned and found literally."""

from __future__ import annotations

import math

import pytest

from recsys.data.record import PROFILE_FIELDS, PROFILE_RECORD
from recsys.serving.query import Query
from tests.unit.test_validation_profile import HOSTILE_NAMES

HOME = {"home_lat": 37.7599, "home_lon": -122.4148}


@pytest.mark.parametrize("field,value", [
    ("home_lat", math.inf), ("home_lat", math.nan), ("home_lon", -math.inf), ("home_lat", 85.06),
    ("home_lat", 90.0), ("home_lon", 180.5), ("home_lat", True), ("likes", ["a|b"]), ("name", "  "),
    ("user_id", "a,b"), ("user_id", ""),
    # Issue 19: names nobody can see, and the record's size limits.
    ("name", "\u200b"), ("name", "\x00"), ("name", "x" * 1_000_000), ("likes", [f"l{i}" for i in range(5_000)]),
    ("likes", ["x" * 1_000_000]),
])
def test_bad_profiles_are_refused_and_nothing_is_stored(service, field, value):
    before = service.users.count()
    with pytest.raises(ValueError, match=field):
        service.save_profile({"name": "Maria", "likes": ["pizza"], **HOME, field: value})
    with pytest.raises(ValueError, match=field):
        service.embed_profile({"likes": ["pizza"], **HOME, field: value})
    with pytest.raises(ValueError, match=field):
        service.recommend(Query(lat=37.76, lon=-122.41, open_only=False),
                          profile={"likes": ["pizza"], **HOME, field: value})
    assert service.users.count() == before


def test_hostile_names_are_stored_returned_and_found_literally(service):
    for name in HOSTILE_NAMES:
        doc = service.save_profile({"name": name, "likes": ["fish & chips", "tex-mex"], **HOME})
        assert doc["name"] == name and doc["likes"] == ["fish & chips", "tex-mex"]
        assert service.users.get(doc["user_id"])["name"] == name
        words = "".join(c if c.isalnum() else " " for c in name).split()
        if words:
            assert doc["user_id"] in {r["user_id"] for r in service.users.search(words[0], 1000)}, name[:40]
            assert doc["user_id"] in {r["user_id"] for r in service.users.search(" ".join(words), 1000)}, name[:40]
        assert doc["user_id"] in {r["user_id"] for r in service.users.search(doc["user_id"], 10)}
        service.users.delete(doc["user_id"])


def test_profile_search_finds_one_letter_and_id_prefixes(service):
    everyone = service.users.count()
    by_a = service.users.search("a", 10_000)
    assert by_a and len(by_a) < everyone
    for row in by_a:
        assert any(w.lower().startswith("a") for w in row["name"].replace("-", " ").split()), row
    by_prefix = {r["user_id"] for r in service.users.search("u0000", 100)}
    assert by_prefix == {f"u0000{i}" for i in range(10)}
    assert service.users.search(" ".join(["pizza"] * 300 + [f"w{i}" for i in range(300)]), 20) == []


# -- issue 19 item 11: what a reader returns is what the writer takes ----------------------------

FLAGS = [f.name for f in PROFILE_RECORD if f.kind == "flag"]


def assert_record_types(doc: dict) -> None:
    """The record's own types: flags bool (or None), likes a list of str, coordinates float."""
    for flag in FLAGS:
        assert doc[flag] is None or type(doc[flag]) is bool, (flag, doc[flag])
    assert isinstance(doc["likes"], list) and all(type(like) is str for like in doc["likes"]), doc["likes"]
    for field in ("home_lat", "home_lon"):
        assert doc[field] is None or type(doc[field]) is float, (field, doc[field])


def test_a_demo_profile_read_back_has_the_records_types_and_saves_again(service):
    """The demo users come from a CSV, where booleans and likes are text ("True", "a|b")."""
    user_id = service.dataset().users["user_id"].iloc[0]
    demo = service.dataset().users.set_index("user_id").loc[user_id]
    doc = service.get_profile(user_id)
    assert_record_types(doc)
    assert doc["likes"] == demo["likes"].split("|") and doc["likes"]
    assert [doc[f] for f in FLAGS] == [demo[f] == "True" for f in FLAGS]  # the CSV's text, read as bool
    saved = service.save_profile(doc)  # the reader's dict, fed straight back to the writer
    assert_record_types(saved)
    assert {f: saved[f] for f in PROFILE_FIELDS} == {f: doc[f] for f in PROFILE_FIELDS}
    assert service.get_profile(user_id) == saved


def test_a_saved_profile_round_trips_through_get_and_save(service):
    profile = {"name": "Round Trip", "likes": ["fish & chips", "tex-mex"], "price_bracket": "low", **HOME,
               "home_neighbourhood": "Mission", "newsletter": True, "notifications": False, "data_sharing": None,
               "profile_visibility": "private"}
    first = service.save_profile(profile)
    try:
        again = service.save_profile(service.get_profile(first["user_id"]))
        assert_record_types(again)
        assert {f: again[f] for f in PROFILE_FIELDS} == {**profile, "user_id": first["user_id"]}
        assert again["created"] == first["created"]
    finally:
        service.users.delete(first["user_id"])


def test_the_store_reads_csv_text_back_as_the_records_types(redis_client, namespace):
    """UserStore alone: a dataset row as read from users.csv (flags and likes as text) is stored
    and read back with the record's types, which normalise_profile (the writer's check) accepts."""
    import numpy as np

    from recsys.data.profiles import normalise_profile
    from recsys.serving.profile_store import UserStore

    store = UserStore(redis_client, namespace)
    store.ensure_index()
    row = {"user_id": "d1", "name": "Demo Person", "likes": "burgers|mexican", "price_bracket": "low", **HOME,
           "home_neighbourhood": "Mission", "newsletter": "True", "notifications": "False",
           "data_sharing": np.bool_(True), "profile_visibility": "public"}
    store.put_many([row, {"user_id": "d2", "name": "No Likes", "likes": None, "newsletter": math.nan}],
                   np.zeros((2, 2)), "m")
    doc = store.get("d1")
    assert_record_types(doc)
    assert doc["likes"] == ["burgers", "mexican"]
    assert (doc["newsletter"], doc["notifications"], doc["data_sharing"]) == (True, False, True)
    # Stored as booleans too, so every reader of the document (re-embedding included) sees one type.
    assert redis_client.json().get(store.key("d1"), "$.newsletter", "$.notifications") == \
        {"$.newsletter": [True], "$.notifications": [False]}
    assert normalise_profile(doc) == {**row, "likes": "burgers|mexican", "newsletter": True, "notifications": False,
                                      "data_sharing": True}
    bare = store.get("d2")
    assert bare["likes"] == [] and bare["newsletter"] is None
    assert normalise_profile(bare)["likes"] == ""


def test_a_save_whose_read_back_fails_reports_the_write_not_an_error(service, monkeypatch):
    """Issue 19 item 13: save_profile raised RedisUnavailableError after its write had succeeded
    (the read-back failed), so a caller would retry a write that happened. Now the write's own
    outcome decides: it returns what was written, and the profile is there."""
    from recsys.serving.connection import RedisUnavailableError

    real_get, calls = service.users.get, []

    def read_fails_after_the_write(user_id):
        calls.append(user_id)
        if len(calls) > 1:  # the first read looks for an existing profile; the second is the read-back
            raise RedisUnavailableError("redis://127.0.0.1:1/0", "connection lost (simulated after the write)", "retry")
        return real_get(user_id)

    monkeypatch.setattr(service.users, "get", read_fails_after_the_write)
    saved = service.save_profile({"name": "Wanda Write", "likes": ["thai"], "price_bracket": "budget"})
    monkeypatch.undo()
    assert saved["name"] == "Wanda Write" and saved["likes"] == ["thai"] and len(saved["embedding"]) == service.model.dim
    stored = service.get_profile(saved["user_id"])
    assert stored["name"] == "Wanda Write" and stored["embedding"] == pytest.approx(saved["embedding"])
