"""Profile search on the real Redis (issue 12 item 7, issue 10 item 11): prefix search by name
words (one letter included) and by id prefix; long or hostile text is searched literally and never
raises a RediSearch error; profiles written before the search fields existed are migrated."""

from __future__ import annotations

import numpy as np
import pytest

from recsys.serving.profile_store import UserStore

MAX_SEARCH_WORDS = 32

PEOPLE = {"u00001": "Alice Smith", "u00002": "aaron b", "u00003": "Bob Marley", "u00004": "Zed A",
          "u00005": "Ann-Marie O'Neil", "u00010": "Ümit Çelik", "u00011": "小笼包 Chen", "p-x y": "Space Id",
          "p-a|b": "Pipe Id"}


@pytest.fixture
def users(redis_client, namespace) -> UserStore:
    store = UserStore(redis_client, namespace)
    store.ensure_index()
    store.put_many([{"user_id": i, "name": n} for i, n in PEOPLE.items()], np.zeros((len(PEOPLE), 2)), "m")
    return store


def ids(rows: list[dict]) -> set[str]:
    return {r["user_id"] for r in rows}


@pytest.mark.parametrize("text,expected", [
    ("a", {"u00001", "u00002", "u00004", "u00005"}),  # Alice, aaron, Zed *A*, *A*nn-Marie
    ("A", {"u00001", "u00002", "u00004", "u00005"}),
    ("o", {"u00005"}), ("m", {"u00003", "u00005"}), ("al", {"u00001"}), ("sm", {"u00001"}),
    ("alice sm", {"u00001"}), ("a s", {"u00001"}), ("ann-marie", {"u00005"}), ("o'neil", {"u00005"}),
    ("ümit", {"u00010"}), ("çel", {"u00010"}), ("小笼包", {"u00011"}), ("chen", {"u00011"}),
    ("u0000", {"u00001", "u00002", "u00003", "u00004", "u00005"}), ("u0001", {"u00010", "u00011"}),
    ("u00003", {"u00003"}), ("p-x y", {"p-x y"}), ("p-a|b", {"p-a|b"}), ("p-", {"p-x y", "p-a|b"}),
    ("zz", set()), ("q", set()),
])
def test_prefix_search_by_name_words_and_id(users, text, expected):
    assert ids(users.search(text, 100)) == expected


@pytest.mark.parametrize("text", ["*", "@name:(*)", "a|b", "{*}", "u000*", "pizza} | @price:[-inf +inf] | {x",
                                  "}", "{", "\\", "-", "|", "@user_id:{*}", "p-*"])
def test_query_syntax_never_widens(users, text):
    everyone = ids(users.search("", 100))
    found = users.search(text, 100)
    assert len(found) < len(everyone)
    words = "".join(c if c.isalnum() else " " for c in text).lower().split()
    for row in found:  # each found profile has a name word starting with every searched word, or the id prefix
        name_words = "".join(c if c.isalnum() else " " for c in row["name"]).lower().split()
        assert all(any(n.startswith(w) for n in name_words) for w in words) or row["user_id"].startswith(text)


def test_hundreds_of_words_are_searched_without_a_redis_error(users):
    assert users.search(" ".join(f"word{i}" for i in range(300)), 50) == []
    assert users.search("x " * 2000, 50) == []  # repeated words count once
    # More words than go to Redis: the rest are still checked, so nothing is widened.
    many = [f"w{i:03d}" for i in range(MAX_SEARCH_WORDS + 20)]
    users.put_many([{"user_id": "u-long", "name": " ".join(many)}], np.zeros((1, 2)), "m")
    assert ids(users.search(" ".join(many), 50)) == {"u-long"}
    assert users.search(" ".join(many + ["nomatch"]), 50) == []
    assert users.search("N" * 10_000, 50) == []
    users.put_many([{"user_id": "u-huge", "name": "N" * 10_000}], np.zeros((1, 2)), "m")
    assert ids(users.search("N" * 10_000, 50)) == {"u-huge"} and ids(users.search("N" * 64, 50)) == {"u-huge"}
    assert users.search("N" * 9_999 + "M", 50) == []


def test_hostile_names_are_stored_literally_and_found(users):
    names = ["<script>window.__pwn=1</script>", "A ${window.__pwn=1} B", "Joe`s Diner", "Line\u2028Sep",
             "{{7*7}}", "%s%s%s", "N" * 10_000, "Zoë 👩🏽‍🍳"]
    users.put_many([{"user_id": f"h{i}", "name": n} for i, n in enumerate(names)], np.zeros((len(names), 2)), "m")
    for i, name in enumerate(names):
        assert users.get(f"h{i}")["name"] == name
    assert "h2" in ids(users.search("joe", 50)) and "h7" in ids(users.search("zo", 50))
    assert "h0" in ids(users.search("script", 50)) and "h1" in ids(users.search("window", 50))


def test_profiles_stored_before_the_search_fields_are_migrated(redis_client, namespace):
    # What an older version wrote: the index without the initials field and documents without it.
    old = UserStore(redis_client, namespace)
    redis_client.execute_command("FT.CREATE", f"{namespace}:users", "ON", "JSON", "PREFIX", "1", f"{namespace}:user",
                                 "SCHEMA", "$.user_id", "AS", "user_id", "TAG", "$.name", "AS", "name", "TEXT")
    redis_client.json().set(old.key("u1"), "$", {"user_id": "u1", "name": "Alice Smith", "embedding": [0.0]})
    fresh = UserStore(redis_client, namespace)
    assert ids(fresh.search("a", 10)) == {"u1"}
    assert ids(fresh.search("al", 10)) == {"u1"} and fresh.count() == 1
