"""The Explore URL codec (recsys/serving/query_link.py) as pure functions, fed the hostile catalogue: every
unreadable value keeps its default and is named, nothing out of range gets through, and a view
survives a round trip through its link."""

from __future__ import annotations

import math

import pytest

from recsys.serving.query import MAX_RADIUS_M
from recsys.serving.query_link import CITY_LAT, CITY_LON, MAX_HOW_MANY, RADIUS_STEPS_M, View, from_params, now_view, to_params
from tests import hostile

TZ = "America/Los_Angeles"
LABELS = {"pizza", "italian", "cocktails", "fish & chips", "tex-mex", "o'higgins grill"}
NUMBERS = ["nan", "NaN", "inf", "-inf", "1e308", "-0.0", "True", "", " ", "0x10", "1_000", "७"]


def parse(**params):
    return from_params({k: str(v) for k, v in params.items()}, TZ, LABELS)


@pytest.mark.parametrize("name", ["lat", "lon", "radius", "rating", "k"])
@pytest.mark.parametrize("value", NUMBERS + ["-1", "0", "50000.5", str(10 ** 9), "-3", "200", "180.5", "85.06"])
def test_hostile_numbers_keep_the_default_or_fit(name, value):
    other = {"lat": "37.76", "lon": "-122.41"}
    view, bad, _ = parse(**{**other, name: value})
    default = now_view(TZ)
    assert CITY_LAT[0] <= view.lat <= CITY_LAT[1] and CITY_LON[0] <= view.lon <= CITY_LON[1]
    assert view.radius_m in RADIUS_STEPS_M and view.radius_m <= MAX_RADIUS_M
    assert 0 <= view.min_rating <= 5 and not math.isnan(view.min_rating)
    assert 1 <= view.k <= MAX_HOW_MANY
    if name in bad:  # named, and the default kept
        assert getattr(view, {"radius": "radius_m", "rating": "min_rating"}.get(name, name)) == \
            getattr(default, {"radius": "radius_m", "rating": "min_rating"}.get(name, name)) or name in ("lat", "lon")


@pytest.mark.parametrize("text", [*hostile.QUERY_TEXTS, *hostile.SHORT_TEXTS, "pizza,*", "a,b"])
def test_hostile_labels_never_reach_the_query(text):
    view, bad, _ = parse(cuisines=text, likes=text)
    assert set(view.cuisines) <= LABELS and set(view.likes) <= LABELS
    assert "cuisines" in bad and "likes" in bad


@pytest.mark.parametrize("label", sorted(LABELS))
def test_known_labels_with_syntax_in_them_are_kept(label):
    view, bad, _ = parse(cuisines=label, likes=label)
    assert view.cuisines == [label] and view.likes == [label] and not bad


@pytest.mark.parametrize("name,value", [("day", "Xx"), ("day", "<script>"), ("time", "25:00"), ("time", "7"),
                                        ("price", "0-4"), ("price", "4-1"), ("price", "2.5-3"),
                                        ("price", "1-4-2"), ("bracket", "${x}"), ("bracket", "")])
def test_other_unreadable_values_are_named(name, value):
    view, bad, _ = parse(**{name: value})
    assert bad == [name]
    assert view.price == (1, 4) and view.bracket == now_view(TZ).bracket


def test_a_pin_outside_the_city_is_said_not_clamped():
    view, bad, notes = parse(lat="85.06", lon="-122.41")
    assert (view.lat, view.lon) == (now_view(TZ).lat, now_view(TZ).lon) and not bad
    assert notes and "outside the area" in notes[0]


def test_a_view_survives_its_link():
    view = View(lat=37.75, lon=-122.42, radius_m=3000, day=4, time="21:15", price=(2, 3), min_rating=4.0,
                cuisines=["fish & chips", "tex-mex"], k=12, open_only=False, likes=["o'higgins grill"],
                bracket="low")
    again, bad, notes = from_params(to_params(view), TZ, LABELS)
    assert again == view and not bad and not notes


def test_must_have_travels_in_the_link_and_unknown_names_are_named():
    view, bad, _ = parse(need="wheelchair,outdoor_seating")
    assert view.must_have == ["wheelchair", "outdoor_seating"] and not bad
    assert to_params(view)["need"] == "wheelchair,outdoor_seating"
    assert "need" not in to_params(View())  # nothing required: the link stays short
    view, bad, _ = parse(need="wheelchair,<script>,wifi")
    assert view.must_have == ["wheelchair"] and bad == ["need"]


def test_a_view_becomes_one_valid_query_that_carries_every_filter():
    """View.query is the one place a view turns into a search: every filter field arrives, and
    the result passes the query's own validation."""
    from datetime import time as dtime

    view = View(lat=37.76, lon=-122.41, radius_m=3000, day=4, time="21:15", price=(2, 3), min_rating=4.0,
                cuisines=["pizza"], k=7, open_only=False, must_have=["wheelchair"])
    query = view.query(TZ)
    query.validate(sorted(LABELS))
    assert (query.lat, query.lon, query.radius_m, query.k) == (37.76, -122.41, 3000, 7)
    assert (query.price_min, query.price_max, query.min_rating) == (2, 3, 4.0)
    assert (query.cuisines, query.open_only, query.must_have) == (["pizza"], False, ["wheelchair"])
    assert query.when.weekday() == 4 and query.when.time() == dtime(21, 15) and str(query.when.tzinfo) == TZ
    assert view.query(TZ).cuisines is not view.cuisines  # the query owns its lists


def test_every_view_field_but_the_profile_choice_has_one_widget():
    from ui.state import SESSION, WIDGETS, view_from_widgets, view_to_widgets

    # Every field is a widget, or (an ad-hoc profile's session feedback) a session value.
    assert set(WIDGETS) | set(SESSION) == set(View.__dataclass_fields__) - {"user"}
    assert not set(WIDGETS) & set(SESSION)
    view = View(lat=37.76, lon=-122.41, radius_m=3000, day=2, time="08:45", price=(1, 2), cuisines=["pizza"],
                likes=["pizza", "not-offered"], bracket="high", must_have=["outdoor_seating"],
                liked=["r1", "r 2"], hidden=["r3"])
    widgets = view_to_widgets(view, LABELS)
    assert widgets["adhoc_likes"] == ["pizza"]  # only labels the catalogue offers become chips
    back = view_from_widgets(widgets, "u1")
    assert back == View(**{**view.__dict__, "likes": ["pizza"], "user": "u1"})


@pytest.mark.parametrize("value", ["¹⁹:00", "19:²", "９:00", "٥:00", "9" * 5000 + ":00", "19:" + "0" * 5000, " 19:00"])
def test_a_hostile_time_is_named_not_a_crash(value):
    """Found by the attack pass: str.isdigit() accepts superscript and other digits that int()
    refuses, and 5,000 digits exceed int()'s limit; the Explore page crashed on such a link."""
    view, bad, _ = parse(time=value)
    assert bad == ["time"] and view.time == now_view(TZ).time


def test_the_antimeridian_has_one_longitude():
    """Found by the attack pass: Redis treats a pin at +180 as one-sided and missed every place
    stored at -180 (the same meridian); a query there is asked as -180."""
    from recsys.serving.query import Query

    query = Query(lat=0.0, lon=180.0)
    query.validate()
    assert query.lon == -180.0


def test_each_unreadable_parameter_is_named_once():
    """Found by a new user: ?lat=99&lon=-122.4 warned "lat, lat"."""
    _, bad, _ = parse(lat="99", lon="-122.4", radius="abc")
    assert bad == ["lat", "radius"]


def test_an_ad_hoc_profiles_session_feedback_travels_in_the_link_and_bad_ids_are_named():
    """Issue 21: the places an ad-hoc profile liked or hid this session are part of its link."""
    view = View(liked=["r1", "r 2", "Joe's <b>"], hidden=["r3"])
    params = to_params(view)
    assert params["liked"] == "r1,r 2,Joe's <b>" and params["hidden"] == "r3"
    back, bad, _ = from_params(params, TZ, LABELS)
    assert (back.liked, back.hidden, bad) == (view.liked, view.hidden, [])
    assert "liked" not in to_params(View(user="u1", liked=["r1"]))  # a saved profile keeps its own in Redis
    _, bad, _ = from_params({**params, "liked": "r1,,r2", "hidden": "x" * 500}, TZ, LABELS)
    assert bad == ["liked", "hidden"]
    many = from_params({"liked": ",".join(f"r{i}" for i in range(100))}, TZ, LABELS)[0]
    assert many.liked == [f"r{i}" for i in range(70, 100)]  # the newest MAX_SESSION_FEEDBACK


def test_an_ad_hoc_profiles_been_there_travels_in_the_link_as_a_visit_not_a_like():
    """Issue 21: "Been there" on an ad-hoc profile is its own list in the view and the link."""
    view = View(liked=["r1"], visited=["r2", "Joe's <b>"], hidden=["r3"])
    params = to_params(view)
    assert (params["liked"], params["visited"], params["hidden"]) == ("r1", "r2,Joe's <b>", "r3")
    back, bad, _ = from_params(params, TZ, LABELS)
    assert (back.liked, back.visited, back.hidden, bad) == (["r1"], ["r2", "Joe's <b>"], ["r3"], [])
    assert "visited" not in to_params(View(user="u1", visited=["r1"]))  # a saved profile keeps its own in Redis
    assert "visited" not in to_params(View(liked=["r1"]))  # no empty parameter
    _, bad, _ = from_params({**params, "visited": "r1,,r2"}, TZ, LABELS)
    assert bad == ["visited"]


def test_more_like_these_travels_in_the_link_and_a_bad_one_is_named():
    """Issue 19 item 7: the places "More like these" starts from are part of the view's link."""
    from recsys.serving.query_link import MAX_MORE_LIKE, View, from_params, to_params

    view = View(more_like=["r1", "r2"])
    back, bad, _ = from_params(to_params(view), "America/Los_Angeles", set(view.likes))
    assert back.more_like == ["r1", "r2"] and not bad
    too_many = ",".join(f"r{i}" for i in range(MAX_MORE_LIKE + 1))
    for value in (too_many, "r1,", "r1,\x00"):
        shown, bad, _ = from_params({"more": value}, "America/Los_Angeles")
        assert shown.more_like == [] and bad == ["more"]
