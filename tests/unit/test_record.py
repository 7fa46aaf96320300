"""Issue 14: the restaurant record declares each field once; the contract, the item features, the
Redis schema, the stored document, the search's return fields and the add form follow it. Proved
with the two attributes it added: outdoor seating and wheelchair access, from every importer."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.data.contract import DatasetError
from recsys.data.importers import import_file
from recsys.data.record import CHOICE_FIELDS, FIELDS, MUST_HAVE, REQUIRED_COLUMNS, RESTAURANT_FIELDS, describe_choices
from recsys.data.restaurants import ITEM_SCHEMA, NewRestaurant
from recsys.serving.store import Layout, parse_item, restaurant_document, restaurant_schema
from tests.unit.test_importers_hostile import GOOD_ROW, HEADER, write_csv

PLACE = dict(name="Patio Place", address="1 Valencia St", lat=37.77, lon=-122.42, cuisines=["thai"], price=2,
             rating=4.0, hours="Mo-Su 10:00-22:00")


def test_each_derived_shape_names_the_two_attributes():
    assert {"outdoor_seating", "wheelchair"} <= set(MUST_HAVE) and {f.name for f in CHOICE_FIELDS} == set(MUST_HAVE)
    assert ITEM_SCHEMA["outdoor_seating"] == ITEM_SCHEMA["wheelchair"] == "categorical"  # item tower features
    assert REQUIRED_COLUMNS == ("name", "address", "lat", "lon", "cuisines", "price", "rating", "hours")
    for layout in (Layout("json"), Layout("hash")):
        fields = {f["name"]: f["type"] for f in restaurant_schema("i", "p:", 4, layout=layout)["fields"]}
        assert fields["outdoor_seating"] == fields["wheelchair"] == "tag"
        assert any(name.endswith("wheelchair") for name in layout.return_fields)
    assert {"outdoor_seating", "wheelchair"} <= {f.name for f in dataclasses.fields(NewRestaurant)}


@pytest.mark.parametrize("layout", [Layout("json"), Layout("hash")], ids=["json", "hash"])
def test_a_stored_document_reads_back_as_the_record(layout):
    row = NewRestaurant(**PLACE, outdoor_seating="yes", wheelchair="limited", item_id="r1").to_row()
    doc = restaurant_document(row, np.zeros(4, np.float32), layout)
    if layout.is_json:  # what Redis returns for a JSON search: indexed fields by name, the rest by path
        doc = {name: (json.dumps(doc[name.removeprefix("$.")]) if name.startswith("$.") and
                      isinstance(doc[name.removeprefix("$.")], list) else doc[name.removeprefix("$.")])
               for name in layout.return_fields}
    back = parse_item(doc)
    assert back["outdoor_seating"] == "yes" and back["wheelchair"] == "limited"
    assert back["cuisines"] == ["thai"] and back["price"] == 2 and math.isclose(back["lat"], 37.77)
    assert set(back) == {f.name for f in RESTAURANT_FIELDS if f.stored}


@pytest.mark.parametrize("raw, expected", [
    (True, "yes"), (False, "no"), ("Yes", "yes"), ("0", "no"), ("", "unknown"), (None, "unknown"),
    (float("nan"), "unknown"), ("terrace", "yes"), ("maybe", None)])
def test_outdoor_seating_reads_the_spellings_of_every_source(raw, expected):
    assert FIELDS["outdoor_seating"].choice(raw) == expected


def test_wheelchair_keeps_limited_and_reads_designated_as_yes():
    field = FIELDS["wheelchair"]
    assert [field.choice(v) for v in ("limited", "designated", "no", "bad")] == ["limited", "yes", "no", None]
    assert field.satisfied_by == ("yes", "limited")


def test_a_csv_value_that_is_no_choice_is_named_by_row_and_field(tmp_path):
    text = HEADER + ",wheelchair\n" + GOOD_ROW + ",limited\n" + GOOD_ROW.replace("a1", "a2") + ",sometimes\n"
    with pytest.raises(DatasetError) as info:
        import_file(write_csv(tmp_path, text))
    assert [(p.row, p.field) for p in info.value.problems] == [(2, "wheelchair")]
    assert "'sometimes' is not one of yes, limited, no, unknown" in str(info.value)
    kept = import_file(write_csv(tmp_path, text), skip_invalid=True).dataset.items
    assert kept[["item_id", "wheelchair", "outdoor_seating"]].values.tolist() == [["a1", "limited", "unknown"]]


def test_a_csv_without_the_columns_imports_them_as_unknown(tmp_path):
    items = import_file(write_csv(tmp_path, HEADER + "\n" + GOOD_ROW + "\n")).dataset.items
    assert items[["outdoor_seating", "wheelchair"]].values.tolist() == [["unknown", "unknown"]]


def _osm(tmp_path: Path, tags: dict) -> pd.DataFrame:
    element = {"type": "node", "id": 1, "lat": 37.77, "lon": -122.42,
               "tags": {"amenity": "restaurant", "name": "Osm Place", "cuisine": "thai", "opening_hours": "24/7", **tags}}
    path = tmp_path / "osm.json"
    path.write_text(json.dumps({"elements": [element]}))
    return import_file(path).dataset.items


@pytest.mark.parametrize("tags, expected", [
    ({"outdoor_seating": "terrace", "wheelchair": "limited"}, ["yes", "limited"]),
    ({"outdoor_seating": "no", "wheelchair": "designated"}, ["no", "yes"]),
    ({"outdoor_seating": "in summer", "wheelchair": "bumpy"}, ["unknown", "unknown"]),  # free-form: not a reject
    ({}, ["unknown", "unknown"])])
def test_osm_tags_reach_the_record(tmp_path, tags, expected):
    assert _osm(tmp_path, tags)[["outdoor_seating", "wheelchair"]].values.tolist() == [expected]


def _tripadvisor(tmp_path: Path, **flags) -> Path:
    record = {"id": "ta1", "name": "Ta Place", "address": "1 Main St", "latitude": 37.77, "longitude": -122.42,
              "cuisine": ["thai"], "price": "$$", "rating": 4.0, "hours": {"monday": [["11:00", "22:00"]]}, **flags}
    path = tmp_path / "ta.json"
    path.write_text(json.dumps({"restaurants": [record]}))
    return path


def test_tripadvisor_flags_reach_the_record_and_a_wrong_type_is_named(tmp_path):
    items = import_file(_tripadvisor(tmp_path, seating_outdoor=True, accessible_wheelchair=False)).dataset.items
    assert items[["outdoor_seating", "wheelchair"]].values.tolist() == [["yes", "no"]]
    with pytest.raises(DatasetError, match="accessible_wheelchair"):
        import_file(_tripadvisor(tmp_path, accessible_wheelchair="ramp"))


def test_the_popup_line_names_only_what_is_known():
    assert describe_choices({"outdoor_seating": "yes", "wheelchair": "unknown"}) == "Outdoor seating: yes"
    assert describe_choices({"outdoor_seating": "unknown", "wheelchair": "unknown"}) == ""


def test_a_huge_bad_value_is_quoted_short(tmp_path):
    text = HEADER + ",wheelchair\n" + GOOD_ROW + "," + "x" * 50_000 + "\n"
    with pytest.raises(DatasetError) as info:
        import_file(write_csv(tmp_path, text))
    assert len(str(info.value)) < 500 and "wheelchair" in str(info.value)
    from recsys.serving.query import Query

    with pytest.raises(ValueError, match="must_have") as bad:
        Query(lat=37.77, lon=-122.42, must_have=["y" * 100_000]).validate()
    assert len(str(bad.value)) < 500


def test_a_csv_header_spelled_otherwise_still_reaches_the_record(tmp_path):
    text = HEADER + ",Outdoor Seating,WHEELCHAIR\n" + GOOD_ROW + ",yes,limited\n"
    items = import_file(write_csv(tmp_path, text)).dataset.items
    assert items[["outdoor_seating", "wheelchair"]].values.tolist() == [["yes", "limited"]]
    assert "Outdoor Seating" not in items.columns and "WHEELCHAIR" not in items.columns


def test_the_profile_record_feeds_the_schema_the_checks_and_the_index():
    """The profile is declared once (PROFILE_RECORD): the user feature schema, normalise_profile's
    checks and the profile index are read from it."""
    import pytest

    from recsys.data.profiles import normalise_profile
    from recsys.data.record import PROFILE_FIELDS, PROFILE_RECORD
    from recsys.data.restaurants import USER_SCHEMA
    from recsys.serving.profile_store import INDEXED

    features = {f.name for f in PROFILE_RECORD if f.feature and f.kind != "coordinate"}
    assert set(USER_SCHEMA) == features | {"home_lat,home_lon"} and USER_SCHEMA["home_lat,home_lon"] == "geo"
    assert INDEXED == {"user_id": "tag", "name": "text", "home_neighbourhood": "tag"}
    assert set(normalise_profile({f: None for f in PROFILE_FIELDS})) == set(PROFILE_FIELDS)
    for flag in (f.name for f in PROFILE_RECORD if f.kind == "flag"):
        with pytest.raises(ValueError, match=flag):
            normalise_profile({"name": "x", flag: "maybe"})
    with pytest.raises(ValueError, match="home_lat is given without home_lon"):
        normalise_profile({"name": "x", "home_lat": 37.7})
