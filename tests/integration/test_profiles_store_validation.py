"""Profiles through the service (issue 10 item 15): bad fields are ValueErrors naming the field and
nothing is stored; every hostile name is stored, returned and found literally."""

from __future__ import annotations

import math

import pytest

from recsys.serving.query import Query
from tests.unit.test_validation_profile import HOSTILE_NAMES

HOME = {"home_lat": 37.7599, "home_lon": -122.4148}


@pytest.mark.parametrize("field,value", [
    ("home_lat", math.inf), ("home_lat", math.nan), ("home_lon", -math.inf), ("home_lat", 85.06),
    ("home_lat", 90.0), ("home_lon", 180.5), ("home_lat", True), ("likes", ["a|b"]), ("name", "  "),
    ("user_id", "a,b"), ("user_id", ""),
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
        assert doc["name"] == name and doc["likes"] == "fish & chips|tex-mex"
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
