"""Issue 19 ("an API that refuses wrong types"), items 8 and 9: NewRestaurant refuses a value of
the wrong type with a ValueError naming the field instead of storing a changed meaning (a string
of cuisines split into letters, True stored as price 1, bytes as "b'...'"), refuses names nobody
can see, and refuses opening hours that are never open; the importers name such a row the same way."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recsys.data.contract import DatasetError
from recsys.data.importers import import_file
from recsys.data.restaurants import NewRestaurant
from tests.unit.test_importers_hostile import GOOD_ROW, HEADER, osm, osm_element, ta_record, tripadvisor, write_csv

PLACE = dict(name="Api Place", address="1 Main St", lat=37.77, lon=-122.42, cuisines=["thai"], price=2,
             rating=4.0, hours="Mo-Su 11:00-22:00")


def refused(**changes) -> list:
    """The problems of NewRestaurant(PLACE with ``changes``).to_row(), which must raise."""
    with pytest.raises(ValueError) as err:  # DatasetError is a ValueError
        NewRestaurant(**{**PLACE, **changes}).to_row()
    assert isinstance(err.value, DatasetError)
    return err.value.problems


# -- item 8: labels -------------------------------------------------------------------------------

@pytest.mark.parametrize("cuisines", ["pizza", "thai|sushi", b"pizza", {"pizza": 1}, 7, None])
def test_cuisines_that_are_not_a_list_are_refused_naming_the_field(cuisines):
    problems = refused(cuisines=cuisines)
    assert [p.field for p in problems] == ["cuisines"]
    assert "list" in problems[0].message


@pytest.mark.parametrize("cuisines", [["thai|sushi"], ["thai", "a|b"], [1], ["thai", None], [b"thai"]])
def test_a_label_with_the_separator_or_of_another_type_is_refused(cuisines):
    problems = refused(cuisines=cuisines)
    assert [p.field for p in problems] == ["cuisines"]


def test_the_separator_is_named_in_the_message():
    assert "'|'" in refused(cuisines=["thai|sushi"])[0].message


def test_a_list_or_tuple_of_labels_is_kept_as_those_labels():
    assert NewRestaurant(**{**PLACE, "cuisines": ["Thai", "fish & chips"]}).to_row()["cuisines"] == "thai|fish & chips"
    assert NewRestaurant(**{**PLACE, "cuisines": ("pizza",)}).to_row()["cuisines"] == "pizza"


# -- item 9: numbers, text, names, hours ----------------------------------------------------------

@pytest.mark.parametrize("field,value", [
    ("price", True), ("price", False), ("price", np.bool_(True)), ("price", 2.0), ("price", "2"), ("price", None),
    ("rating", True), ("rating", "4.0"), ("lat", True), ("lon", np.bool_(False)), ("lat", "37.7"),
    ("name", b"bytes"), ("name", 123), ("name", None), ("address", b"1 Main St"), ("locality", 5),
    ("hours", b"24/7"), ("hours", 24),
])
def test_a_value_of_the_wrong_type_is_refused_naming_the_field(field, value):
    problems = refused(**{field: value})
    assert [p.field for p in problems] == [field], problems
    if not isinstance(value, (bool, np.bool_)) and value is not None:
        assert "text" in problems[0].message or "number" in problems[0].message


def test_true_is_not_a_price_and_bytes_are_not_a_name():
    assert "True" in refused(price=True)[0].message
    assert "bytes" in refused(name=b"bytes")[0].message


def test_every_wrong_type_is_named_at_once():
    problems = refused(name=b"x", cuisines="pizza", price=True, hours="")
    assert {p.field for p in problems} == {"name", "cuisines", "price", "hours"}


def test_numpy_numbers_of_any_kind_are_plain_python_in_the_row():
    row = NewRestaurant(**{**PLACE, "price": np.int64(3), "rating": np.longdouble(4), "lat": np.float32(37.75),
                           "lon": np.float64(-122.42)}).to_row()
    assert row["price"] == 3 and row["rating"] == 4.0 and row["review_mean"] == 4.0
    assert type(row["rating"]) is float and type(row["lat"]) is float and type(row["review_mean"]) is float


@pytest.mark.parametrize("name", ["\u200b", "\u200b\u200b\u200b", "\x00", "\x00\x00", "\u0301", "\u0301\u0300\u0302",
                                  " \u200b \u0301 ", "\u2060\ufeff", "Joe\x00s Diner"])
def test_a_name_nobody_can_see_is_refused_naming_the_field(name):
    problems = refused(name=name)
    assert [p.field for p in problems] == ["name"]


@pytest.mark.parametrize("name", ["Cafe\u0301 Cre\u0300me", "川菜馆", "👍🏿", "Line\u2028Sep Diner", "-", "*"])
def test_a_name_with_something_to_see_is_kept(name):
    assert NewRestaurant(**{**PLACE, "name": name}).to_row()["name"] == name


@pytest.mark.parametrize("hours", ["", "   ", ";", " ; ; "])
def test_empty_hours_are_refused_naming_the_field(hours):
    problems = refused(hours=hours)
    assert [p.field for p in problems] == ["hours"]


@pytest.mark.parametrize("hours", ["Mo closed", "Mo-Su closed", "Mo-Fr off", "Mo 10:00-12:00; Mo closed"])
def test_hours_that_are_never_open_are_refused_saying_so(hours):
    problems = refused(hours=hours)
    assert [p.field for p in problems] == ["hours"] and "never open" in problems[0].message


@pytest.mark.parametrize("hours", ["24/7", "Mo 10:00-12:00", "Mo-Su 10:00-20:00; Su closed", "Sa 18:00-02:00; Su closed"])
def test_hours_open_at_some_time_are_kept(hours):
    assert NewRestaurant(**{**PLACE, "hours": hours}).to_row()["hours"]


# -- the importers: a never-open record is a named problem of its row -----------------------------

def test_a_csv_row_that_is_never_open_is_a_problem_of_that_row(tmp_path: Path):
    rows = [GOOD_ROW, GOOD_ROW.replace("a1", "a2").replace("Mo-Su 11:00-22:00", "Mo closed"),
            GOOD_ROW.replace("a1", "a3").replace("Mo-Su 11:00-22:00", "")]
    path = write_csv(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n")
    with pytest.raises(DatasetError) as err:
        import_file(path)
    assert [(p.row, p.field) for p in err.value.problems] == [(2, "hours"), (3, "hours")]
    assert "never open" in err.value.problems[0].message
    kept = import_file(path, skip_invalid=True)
    assert list(kept.dataset.items["item_id"]) == ["a1"] and kept.rejected_records == 2


def test_a_tripadvisor_record_without_hours_is_a_problem_of_that_row(tmp_path: Path):
    path = tripadvisor(tmp_path, [ta_record(id="t1"), ta_record(id="t2", hours={}), ta_record(id="t3", hours=None),
                                  ta_record(id="t4", hours={"monday": []})])
    result = import_file(path, skip_invalid=True)
    assert list(result.dataset.items["item_id"]) == ["t1"]
    assert [(p.row, p.field) for p in result.rejects] == [(2, "hours"), (3, "hours"), (4, "hours")]


def test_an_osm_element_that_is_never_open_names_its_opening_hours(tmp_path: Path):
    missing = osm_element(2)
    del missing["tags"]["opening_hours"]
    path = osm(tmp_path, [osm_element(1), missing, osm_element(3, opening_hours="Mo-Su off")])
    result = import_file(path, skip_invalid=True)
    assert list(result.dataset.items["item_id"]) == ["osm-node-1"]
    assert [(p.row, p.field) for p in result.rejects] == [(2, "opening_hours"), (3, "opening_hours")]
    assert all("never open" in p.message for p in result.rejects)
