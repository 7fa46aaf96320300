"""Profile validation (issue 10 item 15): every name in the hostile catalogue is kept literally;
non-finite or out-of-range home coordinates, bad ids and labels are ValueErrors naming the field."""

from __future__ import annotations

import math

import numpy as np
import pytest

from recsys.data.geo import LAT_RANGE
from recsys.data.profiles import normalise_profile
from tests import hostile

# Every catalogue name a profile keeps: the 10,000-character one is over the name limit (refused below).
LONG_TEXT = hostile.LONG_TEXT
HOSTILE_NAMES = [*(t for t in hostile.SHOWABLE_TEXTS if t != LONG_TEXT), *hostile.QUERY_TEXTS, "  padded  "]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_every_catalogue_name_is_kept_literally(name):
    assert normalise_profile({"name": name, "likes": ["pizza"]})["name"] == name


@pytest.mark.parametrize("name", ["", "   ", "\t"])
def test_a_blank_name_is_refused_not_replaced(name):
    with pytest.raises(ValueError, match="name"):
        normalise_profile({"name": name})


def test_a_missing_name_is_the_documented_default():
    assert normalise_profile({"likes": "pizza"})["name"] == "Anonymous"


@pytest.mark.parametrize("field,value", [
    *[(f, v) for f in ("home_lat", "home_lon")
      for v in (float("inf"), float("-inf"), float("nan"), 1e308, True, "north", [1.0])],
    ("home_lat", 85.06), ("home_lat", 90), ("home_lat", -90), ("home_lat", 200), ("home_lon", 180.5),
    ("home_lon", -180.5), ("home_lat", np.float64(LAT_RANGE[1] + 1e-6)),
])
def test_bad_home_coordinates_name_the_field(field, value):
    profile = {"name": "Maria", "home_lat": 37.75, "home_lon": -122.42, field: value}
    with pytest.raises(ValueError, match=field):
        normalise_profile(profile)


def test_home_coordinates_come_in_pairs():
    with pytest.raises(ValueError, match="home_lon"):
        normalise_profile({"home_lat": 37.75})
    both = normalise_profile({"home_lat": np.float32(37.75), "home_lon": np.float64(-122.42)})
    assert both["home_lat"] == float(np.float32(37.75)) and type(both["home_lat"]) is float
    assert type(both["home_lon"]) is float and both["home_lon"] == -122.42
    neither = normalise_profile({"home_lat": None, "home_lon": None})
    assert neither["home_lat"] is None and neither["home_lon"] is None


@pytest.mark.parametrize("likes,stored", [
    (["fish & chips", "tex-mex", "o'higgins grill", "dim sum"], "fish & chips|tex-mex|o'higgins grill|dim sum"),
    ("pizza|thai", "pizza|thai"), (("bbq",), "bbq"), ([], ""), (None, None),
])
def test_like_labels_with_punctuation_are_kept(likes, stored):
    assert normalise_profile({"likes": likes})["likes"] == stored


@pytest.mark.parametrize("likes", [["a|b"], [""], ["  "], [None], [3], 7, {"pizza": 1}])
def test_bad_likes_name_the_field(likes):
    with pytest.raises(ValueError, match="likes"):
        normalise_profile({"likes": likes})


@pytest.mark.parametrize("user_id", ["", "  ", "a,b", "x\ny", "u" * 500, True])
def test_bad_user_ids_are_refused(user_id):
    with pytest.raises(ValueError, match="user_id"):
        normalise_profile({"user_id": user_id, "name": "Maria"})


@pytest.mark.parametrize("user_id", ["u00001", "p-1a2b", "with space", "x|y", "é"])
def test_good_user_ids_are_kept(user_id):
    assert normalise_profile({"user_id": user_id})["user_id"] == user_id


@pytest.mark.parametrize("field,value", [
    ("price_bracket", 3), ("home_neighbourhood", ["Mission"]), ("profile_visibility", 1.5),
    ("newsletter", "maybe"), ("notifications", 2), ("data_sharing", float("inf")),
])
def test_other_fields_are_type_checked(field, value):
    with pytest.raises(ValueError, match=field):
        normalise_profile({field: value})


def test_every_problem_is_named_at_once():
    with pytest.raises(ValueError) as err:
        normalise_profile({"name": " ", "home_lat": math.inf, "home_lon": math.nan, "likes": ["a|b"]})
    for field in ("name", "home_lat", "home_lon", "likes"):
        assert field in str(err.value)


def test_a_good_profile_round_trips():
    profile = {"user_id": "u1", "name": "Maria", "likes": ["pizza", "thai"], "price_bracket": "low",
               "home_neighbourhood": "Mission", "home_lat": 37.76, "home_lon": -122.42, "newsletter": np.bool_(True),
               "notifications": False, "profile_visibility": "private", "data_sharing": None, "extra": "dropped"}
    out = normalise_profile(profile)
    assert out == {**{k: v for k, v in profile.items() if k != "extra"}, "likes": "pizza|thai", "newsletter": True}
    assert type(out["newsletter"]) is bool


@pytest.mark.parametrize("likes", ["italian||", "|italian", " ", "italian| |thai"])
def test_likes_given_as_text_refuse_empty_labels_as_a_list_does(likes):
    """Found by the attack pass: ["italian", ""] was refused but "italian||" was embedded."""
    with pytest.raises(ValueError, match="likes"):
        normalise_profile({"name": "x", "likes": likes})


def test_profile_text_fields_have_a_length_limit():
    """Found by the attack pass: a 100,000-character profile_visibility was embedded and cached."""
    with pytest.raises(ValueError, match="profile_visibility.*200"):
        normalise_profile({"name": "x", "profile_visibility": "x" * 100_000})
    assert normalise_profile({"name": "x", "price_bracket": "middle"})["price_bracket"] == "middle"


# -- issue 19 item 10: size limits, declared once in the profile record ---------------------------

def _limit(field: str, attribute: str) -> int:
    from recsys.data.record import PROFILE_RECORD

    value = getattr(next(f for f in PROFILE_RECORD if f.name == field), attribute)
    assert isinstance(value, int) and value > 0, (field, attribute)
    return value


@pytest.mark.parametrize("name", ["x" * 1_000_000, "word " * 100_000, LONG_TEXT])
def test_a_name_over_the_record_limit_is_refused_naming_field_and_limit(name):
    limit = _limit("name", "max_chars")
    with pytest.raises(ValueError, match="name") as err:
        normalise_profile({"name": name})
    assert f"{limit:,}" in str(err.value) and len(str(err.value)) < 500  # the text is not echoed back


def test_a_name_at_the_limit_is_kept():
    name = "n" * _limit("name", "max_chars")
    assert normalise_profile({"name": name})["name"] == name


@pytest.mark.parametrize("as_text", [False, True], ids=["list", "text"])
def test_too_many_likes_are_refused_naming_field_and_limit(as_text):
    limit = _limit("likes", "max_labels")
    likes = [f"like{i}" for i in range(5_000)]
    with pytest.raises(ValueError, match="likes") as err:
        normalise_profile({"likes": "|".join(likes) if as_text else likes})
    assert f"{limit:,}" in str(err.value) and len(str(err.value)) < 500


@pytest.mark.parametrize("as_text", [False, True], ids=["list", "text"])
def test_a_like_over_the_limit_is_refused_naming_field_and_limit(as_text):
    limit = _limit("likes", "max_chars")
    huge = "x" * 1_000_000
    with pytest.raises(ValueError, match="likes") as err:
        normalise_profile({"likes": f"pizza|{huge}" if as_text else ["pizza", huge]})
    assert f"{limit:,}" in str(err.value) and len(str(err.value)) < 500


def test_likes_at_the_limits_are_kept():
    likes = [f"{i:03d}".ljust(_limit("likes", "max_chars"), "x") for i in range(_limit("likes", "max_labels"))]
    assert normalise_profile({"likes": likes})["likes"] == "|".join(likes)


def test_the_text_fields_read_their_limit_from_the_record():
    for field in ("price_bracket", "home_neighbourhood", "profile_visibility"):
        limit = _limit(field, "max_chars")
        assert normalise_profile({field: "y" * limit})[field] == "y" * limit
        with pytest.raises(ValueError, match=f"{field}.*{limit:,}"):
            normalise_profile({field: "y" * (limit + 1)})


# -- issue 19 item 9: a name nobody can see -------------------------------------------------------

@pytest.mark.parametrize("name", ["\u200b", "\u200b\u200b", "\x00", "\u0301\u0300", " \u200b\u0301 ", "Joe\x00s"])
def test_an_invisible_profile_name_is_refused_naming_the_field(name):
    with pytest.raises(ValueError, match="name"):
        normalise_profile({"name": name})


@pytest.mark.parametrize("name", [b"Maria", 123, ["Maria"]])
def test_a_name_that_is_not_text_is_refused(name):
    with pytest.raises(ValueError, match="name must be text"):
        normalise_profile({"name": name})
