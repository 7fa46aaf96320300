"""Issue 19 item 4: one source of truth for the numbers a person reads. A distance is written by
one function (the table, the reason, the popup and the "within" message agree), a radius reads
the same on the slider and in messages, and the upload widget states the app's own file limit."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from recsys.data.contract import MAX_FILE_BYTES
from recsys.data.geo import distance_text
from recsys.data.restaurants import NewRestaurant
from recsys.serving.query import WIDER_RADII_M, Query
from recsys.serving.query_link import RADIUS_STEPS_M, radius_label
from recsys.serving.search import Searcher

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("metres", "text"), [(0, "0 m"), (897.46, "897 m"), (999.4, "999 m"), (999.6, "1 km"),
                                              (1000, "1 km"), (1_234, "1.2 km"), (2_000, "2 km"), (7_500, "7.5 km"),
                                              (50_000, "50 km")])
def test_distance_text(metres, text):
    assert distance_text(metres) == text


def _pick(distance: float):
    row = NewRestaurant(name="A", address="1 St", lat=37.76, lon=-122.42, cuisines=["pizza"], price=2,
                        rating=4.0, hours="24/7", locality="Mission").to_row()
    row = {**{k: str(v) for k, v in row.items()}, "vector_distance": "0.2"}
    return Searcher(store=None)._recommendation(row, distance, Query(lat=37.76, lon=-122.42, open_only=False), [])


@pytest.mark.parametrize("distance", [897.46, 897.54, 1_249.96, 12.5, 3_050.0])
def test_the_reason_states_the_distance_the_table_shows(distance):
    """The table writes distance_text(rec.distance_m); the reason must say the same number."""
    pick = _pick(distance)
    assert f"; {distance_text(pick.distance_m)} away;" in pick.reason


def test_a_radius_reads_the_same_on_the_slider_and_in_messages():
    for metres in {*RADIUS_STEPS_M, *WIDER_RADII_M}:
        assert radius_label(metres) == distance_text(metres)
    assert radius_label(2_000) == "2 km" and radius_label(750) == "750 m"


def test_the_upload_widget_states_the_declared_file_limit():
    """Streamlit's server.maxUploadSize is in MiB (it multiplies by 1024 * 1024); the importers'
    limit is MAX_FILE_BYTES. The widget must say the limit the app enforces, not Streamlit's 200."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] * 2**20 == MAX_FILE_BYTES


# -- Issue 19 item 3: names, not ids; told apart only when two share a name ---------------------
from ui.labels import profile_labels  # noqa: E402


def test_a_profile_is_shown_by_its_name_alone_when_no_other_shares_it():
    labels = profile_labels([{"user_id": "p-bfa60c34a6", "name": "Nora Newcomer", "home_neighbourhood": "Mission"},
                             {"user_id": "u00001", "name": "Ann Lee", "home_neighbourhood": "Marina"}])
    assert labels == {"p-bfa60c34a6": "Nora Newcomer", "u00001": "Ann Lee"}


def test_profiles_that_share_a_name_are_told_apart_by_their_neighbourhood_then_by_number():
    labels = profile_labels([
        {"user_id": "p-2", "name": "Nora Newcomer", "home_neighbourhood": "Mission"},
        {"user_id": "p-1", "name": "nora newcomer ", "home_neighbourhood": "Marina"},
        {"user_id": "p-4", "name": "Sam", "home_neighbourhood": "Mission"},
        {"user_id": "p-3", "name": "Sam", "home_neighbourhood": "Mission"},
        {"user_id": "p-5", "name": "Sam", "home_neighbourhood": ""},
        {"user_id": "p-6", "name": "Solo", "home_neighbourhood": "Mission"}])
    assert labels["p-2"] == "Nora Newcomer · Mission" and labels["p-1"] == "nora newcomer · Marina"
    assert labels["p-3"] == "Sam · Mission · 1" and labels["p-4"] == "Sam · Mission · 2"  # stable: by id
    assert labels["p-5"] == "Sam" and labels["p-6"] == "Solo"
    assert len(set(labels.values())) == len(labels)
    assert not any("p-" in label for label in labels.values())


def test_a_profile_without_a_name_is_called_unnamed_not_by_its_id():
    assert profile_labels([{"user_id": "u00009", "name": "  "}]) == {"u00009": "Unnamed profile"}


def test_restaurants_that_share_a_name_are_told_apart_by_their_address():
    from ui.labels import distinct_labels

    labels = distinct_labels([("a1", "Tacos", "1 Valencia St"), ("a2", "Tacos", "9 Mission St"), ("a3", "Pho", "")],
                             unnamed="Unnamed restaurant")
    assert labels == {"a1": "Tacos · 1 Valencia St", "a2": "Tacos · 9 Mission St", "a3": "Pho"}
    assert distinct_labels([("z", "", "")], unnamed="Unnamed restaurant") == {"z": "Unnamed restaurant"}


def test_because_you_liked_names_the_most_alike_place_never_the_pick_itself_and_says_visited_for_a_visit():
    """Issue 21 (found by a new-user run): every pick named the newest like, the pick itself
    included ("Jaipur Tandoori - because you liked Jaipur Tandoori"), a sushi place was "because
    you liked" an Indian one sharing only "brunch", and a "been there" read as a like."""
    from recsys.serving.search import why_picked

    liked = [  # newest first, as the service passes them
        {"item_id": "r3", "name": "Jaipur Tandoori", "cuisines": ["indian", "brunch"], "how": "liked"},
        {"item_id": "r2", "name": "Sushi Umi", "cuisines": ["japanese", "sushi"], "how": "visited"},
        {"item_id": "r1", "name": "Hyderabad Curry House", "cuisines": ["indian"], "how": "liked"},
    ]
    item = {"item_id": "r3", "cuisines": ["indian", "brunch"], "rating": 4.0}
    assert why_picked(item, [], liked) == "you liked it"
    other = {"item_id": "r9", "cuisines": ["indian"], "rating": 4.0}
    assert why_picked(other, [], liked) == "because you liked Hyderabad Curry House"
    sushi = {"item_id": "r8", "cuisines": ["japanese", "sushi", "brunch"], "rating": 4.0}
    assert why_picked(sushi, [], liked) == "because you went to Sushi Umi"
    cafe = {"item_id": "r7", "cuisines": ["cafe", "brunch"], "rating": 4.0}  # only a side label shared
    assert why_picked(cafe, ["cafe"], liked) == "matches your taste for cafe"
