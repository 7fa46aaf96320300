"""The hostile-input catalogue (../shared/hostile-inputs.md, "Files" and text sections) through
every importer and NewRestaurant: each input is stored literally or rejected with a problem
naming the file, row and field; never a traceback, never a silent change of meaning."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from recsys.data.city import CITY
from recsys.data.contract import (
    MAX_COLUMNS,
    MAX_FIELD_CHARS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    MAX_UNPACKED_BYTES,
    DatasetError,
    save_dataset,
)
from recsys.data.geo import LAT_RANGE
from recsys.data.hours import WeeklyHours
from recsys.data.importers import ImportResult, import_file, ingest, place_id
from recsys.data.restaurants import NewRestaurant, check_restaurant_rows, load_restaurant_dataset
from tests import hostile

HOSTILE_NAMES = [*hostile.SHOWABLE_TEXTS, *hostile.QUERY_TEXTS, "fish & chips; o'higgins grill"]
HEADER = "item_id,name,address,lat,lon,cuisines,price,rating,hours"
GOOD_ROW = 'a1,Tony\'s,"1570 Stockton St, San Francisco",37.8,-122.41,italian|pizza,2,4.5,Mo-Su 11:00-22:00'


def write_csv(tmp_path: Path, text: str, name: str = "places.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def problems_of(path: Path, **kwargs) -> list:
    with pytest.raises(DatasetError) as err:
        import_file(path, **kwargs)
    return err.value.problems


def tripadvisor(tmp_path: Path, records: list, name: str = "ta.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"restaurants": records}), encoding="utf-8")
    return path


def ta_record(**overrides) -> dict:
    record = {"name": "Tony's", "address": "1570 Stockton St", "latitude": 37.8, "longitude": -122.41,
              "cuisine": ["Italian"], "price": 2, "rating": 4.5, "hours": {"monday": [["11:30", "14:30"]]}}
    return {**record, **overrides}


def osm(tmp_path: Path, elements: list, name: str = "osm.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"elements": elements}), encoding="utf-8")
    return path


def osm_element(i: int = 1, **tags) -> dict:
    return {"type": "node", "id": i, "lat": 37.76, "lon": -122.42,
            "tags": {"amenity": "restaurant", "name": "La Taqueria", "opening_hours": "Mo-Su 11:00-21:00", **tags}}


# -- one function for every format ----------------------------------------------------------------

def test_import_file_detects_each_format(tmp_path):
    csv_path = write_csv(tmp_path, HEADER + "\n" + GOOD_ROW + "\n")
    ta_path = tripadvisor(tmp_path, [ta_record()])
    osm_path = osm(tmp_path, [osm_element()])
    directory = tmp_path / "contract"
    save_dataset(import_file(csv_path).dataset, directory)
    for path, fmt in ((csv_path, "csv"), (ta_path, "tripadvisor"), (osm_path, "osm"), (directory, "csv")):
        result = import_file(path)
        assert isinstance(result, ImportResult) and result.format == fmt
        assert len(result.dataset.items) == 1 and result.rejects == []
    # Detection reads the content, not the name: an upload saved under any name still works.
    odd = tmp_path / "upload.bin"
    odd.write_bytes(osm_path.read_bytes())
    assert import_file(odd).format == "osm"


def test_a_format_that_does_not_fit_the_path_is_a_clear_error(tmp_path):
    with pytest.raises(DatasetError, match="directory"):
        import_file(tmp_path, fmt="osm")
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        import_file(write_csv(tmp_path, HEADER + "\n" + GOOD_ROW + "\n"), fmt="xml")


# -- CSV files ------------------------------------------------------------------------------------

def test_unquoted_commas_in_hours_as_the_last_column_are_read_as_hours(tmp_path):
    # The README's own hours format, unquoted: hours is the last column, so the surplus fields
    # can only be the rest of the hours. It is read whole, not cut at "14:30".
    path = write_csv(tmp_path, HEADER + "\n"
                     "a1,Foo,1 Main St,37.7,-122.4,thai,2,4.5,Mo-Fr 11:30-14:30,17:00-22:00; Fr,Sa 17:00-02:00\n")
    items = import_file(path).dataset.items
    hours = WeeklyHours.parse(items["hours"].iat[0])
    assert hours.is_open_minute(18 * 60) and hours.is_open_minute(5 * 1440 + 60)  # Mon 18:00, Sat 01:00


def test_unquoted_commas_elsewhere_are_a_row_level_problem(tmp_path):
    path = write_csv(tmp_path, "item_id,name,hours,address,lat,lon,cuisines,price,rating\n"
                     "a1,Foo,Mo-Fr 11:30-14:30,17:00-22:00,1 Main St,37.7,-122.4,thai,2,4.5\n"
                     "a2,Bar,Mo-Su 10:00-20:00,2 Main St,37.7,-122.4,thai,2,4.5\n")
    problems = problems_of(path)
    assert [(p.file, p.row) for p in problems] == [("places.csv", 1)]
    assert "10 fields" in problems[0].message and "9" in problems[0].message and "quote" in problems[0].message
    result = import_file(path, skip_invalid=True)
    assert list(result.dataset.items["item_id"]) == ["a2"]


def test_a_row_with_extra_fields_is_a_problem_not_a_traceback(tmp_path):
    path = write_csv(tmp_path, HEADER + "\n" + GOOD_ROW + "\n" + GOOD_ROW.replace("a1", "a2") + ",surplus,more\n")
    # The surplus does not make valid hours, so it cannot be the rest of an unquoted hours value.
    problems = problems_of(path)
    assert [(p.row, p.field) for p in problems] == [(2, None)] and "11 fields" in problems[0].message


def test_missing_required_columns_are_named_once(tmp_path):
    path = write_csv(tmp_path, "item_id,address,lat,lon,cuisines,price,rating\n"
                     "a1,1 Main St,37.7,-122.4,thai,2,4.5\n")
    for skip in (False, True):  # a missing column is the file's problem: skipping rows cannot fix it
        problems = problems_of(path, skip_invalid=skip)
        assert sorted((p.row, p.field) for p in problems) == [(None, "hours"), (None, "name")]
        assert all("column is missing" in p.message for p in problems)


def test_bom_crlf_and_latin1(tmp_path):
    bom = write_csv(tmp_path, "\ufeff" + HEADER + "\r\n" + GOOD_ROW + "\r\n", name="bom.csv")
    items = import_file(bom).dataset.items
    assert list(items["item_id"]) == ["a1"] and items["hours"].iat[0] == "Mo-Su 11:00-22:00"
    latin = write_csv(tmp_path, HEADER + "\n" + GOOD_ROW.replace("Tony's", "Café") + "\n", name="l.csv",
                      encoding="latin-1")
    problems = problems_of(latin)
    assert problems[0].file == "l.csv" and "UTF-8" in problems[0].message and "line 2" in problems[0].message


def test_header_only_and_empty_files_import_nothing(tmp_path):
    for text in (HEADER + "\n", ""):
        problems = problems_of(write_csv(tmp_path, text))
        assert "no restaurant" in str(problems[0]) or "is empty" in str(problems[0])


def test_rows_without_ids_get_stable_ids_from_the_place(tmp_path):
    header = HEADER.replace("item_id,", "")
    row = 'Foo,"1 Main St",37.7,-122.4,thai,2,4.5,Mo-Su 11:00-22:00'
    other = 'Bar,"2 Main St",37.7,-122.4,thai,2,4.5,Mo-Su 11:00-22:00'
    first = import_file(write_csv(tmp_path, f"{header}\n{row}\n", name="one.csv")).dataset.items
    second = import_file(write_csv(tmp_path, f"{header}\n{other}\n{row}\n", name="two.csv")).dataset.items
    # The same place gets the same id in every file; different places never collide.
    assert first["item_id"].iat[0] == second["item_id"].iat[1] != second["item_id"].iat[0]
    assert first["item_id"].iat[0] == place_id("foo ", " 1  MAIN st", 37.70000001, -122.4)
    assert not first["item_id"].iat[0].startswith("csv-")


def test_duplicate_ids_are_reported_and_never_merged(tmp_path):
    path = write_csv(tmp_path, HEADER + "\n" + GOOD_ROW + "\n" + GOOD_ROW.replace("Tony's", "Other") + "\n")
    problems = problems_of(path)
    assert [(p.row, p.field) for p in problems] == [(2, "item_id")] and "duplicate" in problems[0].message
    result = import_file(path, skip_invalid=True)
    assert list(result.dataset.items["name"]) == ["Tony's"] and result.rejected_records == 1


@pytest.mark.parametrize("bad_id,message", [("a,b", "','"), ("x" * 200, "at most"), ("tab\there", "control")])
def test_ids_follow_the_id_rule(tmp_path, bad_id, message):
    path = write_csv(tmp_path, HEADER + "\n" + GOOD_ROW.replace("a1,", f'"{bad_id}",', 1) + "\n")
    problems = problems_of(path)
    assert [(p.row, p.field) for p in problems] == [(1, "item_id")] and message in problems[0].message


def test_every_problem_of_a_file_is_reported_at_once(tmp_path):
    path = write_csv(tmp_path, HEADER + "\n" + 'a1,Foo,x,99,-122.4,thai,7,9,Someday\n')
    fields = {p.field for p in problems_of(path)}
    assert fields == {"lat", "price", "rating", "hours"}


def test_every_problem_of_a_contract_directory_is_reported_at_once(tmp_path):
    directory = tmp_path / "contract"
    save_dataset(import_file(write_csv(tmp_path, HEADER + "\n" + GOOD_ROW + "\n")).dataset, directory)
    items = pd.read_csv(directory / "items.csv", dtype=str)
    items.loc[0, ["lat", "price", "hours"]] = ["123", "7", "Someday"]
    items.to_csv(directory / "items.csv", index=False)
    fields = {p.field for p in problems_of(directory)}
    assert {"lat", "price", "hours"} <= fields


def test_skip_invalid_works_for_a_contract_directory(tmp_path):
    directory = tmp_path / "contract"
    dataset = import_file(write_csv(tmp_path, HEADER + "\n" + GOOD_ROW + "\n" + GOOD_ROW.replace("a1", "a2")
                                    + "\n")).dataset
    dataset.users = pd.DataFrame({"user_id": ["u1"]})
    dataset.interactions = pd.DataFrame({"user_id": ["u1", "u1"], "item_id": ["a1", "a2"]})
    save_dataset(dataset, directory)
    items = pd.read_csv(directory / "items.csv", dtype=str)
    items.loc[1, "lat"] = "95"
    items.to_csv(directory / "items.csv", index=False)
    assert [(p.file, p.row, p.field) for p in problems_of(directory)] == [("items.csv", 2, "lat")]
    result = import_file(directory, skip_invalid=True)
    assert list(result.dataset.items["item_id"]) == ["a1"]
    assert list(result.dataset.interactions["item_id"]) == ["a1"]  # nothing points at a dropped place


def test_latitude_beyond_redis_geo_is_rejected_with_row_and_field(tmp_path):
    rows = [GOOD_ROW.replace("a1", f"a{i}").replace("37.8", lat) for i, lat in enumerate(["85.06", "-90", "89.9"])]
    rows.append(GOOD_ROW.replace("a1", "a9").replace("-122.41", "180.5"))
    problems = problems_of(write_csv(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n"))
    assert [(p.row, p.field) for p in problems] == [(1, "lat"), (2, "lat"), (3, "lat"), (4, "lon")]
    assert "between -85.05 and 85.05" in problems[0].message
    # The edge itself is storable (the importers refuse it as outside the city, below).
    edge = pd.DataFrame([{"item_id": "e", "name": "Edge", "address": "", "lat": str(LAT_RANGE[1]), "lon": "180",
                          "cuisines": "thai", "price": "2", "rating": "4", "hours": "24/7"}])
    assert check_restaurant_rows(edge, "edge.csv")[1] == []


LONDON_ROW = GOOD_ROW.replace("a1", "a2").replace("37.8", "51.5074").replace("-122.41", "-0.1278")


def test_a_row_outside_the_city_is_an_invalid_row_naming_file_row_and_field(tmp_path):
    """Issue 19 item 2: London coordinates in a San Francisco catalogue are refused as that row's
    lat and lon (the city's declared bounds), in the same report as every other invalid row."""
    path = write_csv(tmp_path, HEADER + "\n" + GOOD_ROW + "\n" + LONDON_ROW + "\n", name="london.csv")
    problems = problems_of(path)
    assert [(p.file, p.row, p.field) for p in problems] == [("london.csv", 2, "lat"), ("london.csv", 2, "lon")]
    assert all(CITY.name in p.message for p in problems)
    assert f"{CITY.lat_range[0]:g}" in problems[0].message and f"{CITY.lon_range[1]:g}" in problems[1].message
    result = import_file(path, skip_invalid=True)
    assert list(result.dataset.items["item_id"]) == ["a1"] and result.rejected_records == 1
    # Only one coordinate outside: only that field is named.
    lon_only = GOOD_ROW.replace("-122.41", "-121.0")
    assert [(p.row, p.field) for p in problems_of(write_csv(tmp_path, HEADER + "\n" + lon_only + "\n"))] == [(1, "lon")]


def test_a_contract_directory_row_outside_the_city_is_refused_on_import(tmp_path):
    directory = tmp_path / "contract"
    save_dataset(import_file(write_csv(tmp_path, HEADER + "\n" + GOOD_ROW + "\n")).dataset, directory)
    items = pd.read_csv(directory / "items.csv", dtype=str)
    items.loc[1] = items.loc[0]
    items.loc[1, ["item_id", "lat", "lon"]] = ["a2", "51.5074", "-0.1278"]
    items.to_csv(directory / "items.csv", index=False)
    assert [(p.file, p.row, p.field) for p in problems_of(directory)] == [("items.csv", 2, "lat"), ("items.csv", 2, "lon")]
    assert list(import_file(directory, skip_invalid=True).dataset.items["item_id"]) == ["a1"]


def test_json_records_outside_the_city_are_refused_too(tmp_path):
    ta = tripadvisor(tmp_path, [ta_record(id="in"), ta_record(id="out", latitude=51.5074, longitude=-0.1278)])
    assert [(p.row, p.field) for p in problems_of(ta)] == [(2, "lat"), (2, "lon")]
    elements = [osm_element(1), {**osm_element(2), "lat": 40.7128, "lon": -74.006}]
    assert [(p.row, p.field) for p in problems_of(osm(tmp_path, elements))] == [(2, "lat"), (2, "lon")]


def test_hostile_names_are_stored_literally_by_every_importer(tmp_path):
    rows = [",".join([f"h{i}", '"' + name.replace('"', '""') + '"', "1 Main St", "37.7", "-122.4", "thai", "2",
                      "4", "Mo-Su 11:00-22:00"]) for i, name in enumerate(HOSTILE_NAMES)]
    csv_items = import_file(write_csv(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n")).dataset.items
    ta_items = import_file(tripadvisor(tmp_path, [ta_record(id=f"t{i}", name=n)
                                                  for i, n in enumerate(HOSTILE_NAMES)])).dataset.items
    osm_items = import_file(osm(tmp_path, [osm_element(i, name=n) for i, n in enumerate(HOSTILE_NAMES)])).dataset.items
    for items in (csv_items, ta_items, osm_items):
        assert list(items["name"]) == HOSTILE_NAMES
    # ...and they survive the written contract directory unchanged.
    directory = save_dataset(import_file(tmp_path / "places.csv").dataset, tmp_path / "out")
    assert list(load_restaurant_dataset(directory).items["name"]) == HOSTILE_NAMES


def test_hostile_names_through_new_restaurant():
    for name in HOSTILE_NAMES:
        row = NewRestaurant(name=name, address=name, lat=37.7, lon=-122.4, cuisines=["thai"], price=2, rating=4.0,
                            hours="Mo-Su 11:00-22:00").to_row()
        assert row["name"] == name and row["address"] == name


@pytest.mark.parametrize("name", ["", "   "])
def test_empty_names_are_rejected_naming_the_field(name):
    with pytest.raises(DatasetError) as err:
        NewRestaurant(name=name, address="", lat=37.7, lon=-122.4, cuisines=["thai"], price=2, rating=4.0,
                      hours="Mo-Su 11:00-22:00").to_row()
    assert [p.field for p in err.value.problems] == ["name"]


@pytest.mark.parametrize("field,value,needle", [
    ("lat", 85.06, "85.05"), ("lat", 90.0, "85.05"), ("lat", float("nan"), "lat"),
    ("lon", 180.5, "180"), ("lat", float("inf"), "lat"), ("price", 2.5, "whole"), ("price", 0, "1"),
    ("rating", 5.5, "5"), ("rating", -0.5, "0"), ("item_id", "a,b", "','"), ("item_id", "", "empty"),
])
def test_new_restaurant_rejects_each_bad_field(field, value, needle):
    fields = dict(name="Ok", address="1 St", lat=37.7, lon=-122.4, cuisines=["thai"], price=2, rating=4.0,
                  hours="Mo-Su 11:00-22:00")
    with pytest.raises(DatasetError) as err:
        NewRestaurant(**{**fields, field: value}).to_row()
    assert [p.field for p in err.value.problems] == [field] and needle in err.value.problems[0].message


# -- JSON -----------------------------------------------------------------------------------------

def test_json_with_a_bom_is_read_like_csv_with_a_bom(tmp_path):
    for path in (tripadvisor(tmp_path, [ta_record()]), osm(tmp_path, [osm_element()])):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
        assert len(import_file(path).dataset.items) == 1


def test_truncated_json_names_the_file_and_position(tmp_path):
    path = tripadvisor(tmp_path, [ta_record()])
    path.write_bytes(path.read_bytes()[:-20])
    problems = problems_of(path)
    assert problems[0].file == "ta.json" and "not valid JSON" in problems[0].message and "line 1" in problems[0].message


@pytest.mark.parametrize("payload", [{"restaurants": []}, {"elements": []}, []])
def test_an_empty_list_imports_nothing_and_says_so(tmp_path, payload):
    path = tmp_path / "empty.json"
    path.write_text(json.dumps(payload))
    for skip in (False, True):
        assert "no restaurant" in str(problems_of(path, skip_invalid=skip)[0])


def test_osm_tags_as_a_string_is_a_problem_of_that_element(tmp_path):
    path = osm(tmp_path, [osm_element(1), {"type": "node", "id": 2, "lat": 37.7, "lon": -122.4, "tags": "amenity=cafe"},
                          {"type": "node", "id": 3, "center": [1, 2], "tags": {"amenity": "cafe", "name": 5}}])
    problems = problems_of(path)
    assert [(p.row, p.field) for p in problems] == [(2, "tags"), (3, "tags.name")]
    assert list(import_file(path, skip_invalid=True).dataset.items["item_id"]) == ["osm-node-1"]


def test_tripadvisor_ids_and_all_invalid_records(tmp_path):
    path = tripadvisor(tmp_path, [ta_record(id="a,b"), ta_record(id="ok", latitude=86.0)])
    assert sorted((p.row, p.field) for p in problems_of(path)) == [(1, "item_id"), (2, "lat")]
    # Every record invalid: skipping keeps nothing, which is an error, not an empty success.
    assert "no restaurant" in str(problems_of(path, skip_invalid=True)[-1])


def test_tripadvisor_without_ids_uses_the_place_id(tmp_path):
    items = import_file(tripadvisor(tmp_path, [ta_record()])).dataset.items
    assert items["item_id"].iat[0] == place_id("Tony's", "1570 Stockton St", 37.8, -122.41)


# -- limits ---------------------------------------------------------------------------------------

def test_the_limits_are_sane():
    assert MAX_COLUMNS < 10**6 and MAX_FIELD_CHARS >= 10_000 and MAX_ROWS >= 100_000
    assert MAX_FILE_BYTES <= MAX_UNPACKED_BYTES < 2 * 2**30


def test_a_csv_with_a_million_columns_is_refused_by_its_header(tmp_path):
    path = tmp_path / "wide.csv"
    with path.open("w") as f:
        f.write(HEADER + "," + ",".join(f"c{i}" for i in range(10**6)) + "\n" + GOOD_ROW + "\n")
    problems = problems_of(path)
    assert problems[0].file == "wide.csv" and f"at most {MAX_COLUMNS:,}" in problems[0].message
    assert "columns" in problems[0].message


def test_a_50_mb_field_is_refused_naming_row_and_limit(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("w") as f:
        f.write(HEADER + "\n" + GOOD_ROW + "\n" + GOOD_ROW.replace("a1", "a2").replace("Tony's", "x" * 50 * 2**20) + "\n")
    problems = problems_of(path)
    assert problems[0].row == 2 and f"{MAX_FIELD_CHARS:,}" in problems[0].message


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.json"
    with path.open("wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: costs no disk
    problems = problems_of(path)
    assert problems[0].file == "huge.json" and "MiB" in problems[0].message and "limit" in problems[0].message


def test_a_gzip_bomb_is_stopped_at_the_unpacked_limit(tmp_path):
    path = tmp_path / "items.csv.gz"
    block = (GOOD_ROW + "\n").encode() * 4096
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write((HEADER + "\n").encode())
        for _ in range(MAX_UNPACKED_BYTES // len(block) + 2):
            f.write(block)
    problems = problems_of(path)
    assert problems[0].file == "items.csv.gz" and "unpacks to more than" in problems[0].message


def test_too_many_rows_is_refused(tmp_path):
    path = tripadvisor(tmp_path, [{}] * (MAX_ROWS + 1))
    problems = problems_of(path)
    assert f"{MAX_ROWS:,}" in problems[0].message and "'restaurants'" in str(problems[0])


# -- ingest: outputs checked before anything is written --------------------------------------------

def test_ingest_refuses_to_replace_an_unrelated_directory(tmp_path):
    source = write_csv(tmp_path, HEADER + "\n" + GOOD_ROW + "\n")
    unrelated = tmp_path / "photos"
    unrelated.mkdir()
    (unrelated / "cat.jpg").write_bytes(b"meow")
    with pytest.raises(ValueError, match="--force"):
        ingest(source, unrelated)
    assert (unrelated / "cat.jpg").read_bytes() == b"meow"
    ingest(source, unrelated, force=True)
    assert not (unrelated / "cat.jpg").exists() and len(load_restaurant_dataset(unrelated).items) == 1
    ingest(source, unrelated)  # a dataset directory is replaced without --force


def test_ingest_checks_the_rejects_path_before_writing(tmp_path):
    source = write_csv(tmp_path, HEADER + "\n" + GOOD_ROW + "\n" + GOOD_ROW.replace("a1", "a2").replace("37.8", "99")
                       + "\n")
    out = tmp_path / "out"
    ingest(source, out, skip_invalid=True)
    before = (out / "items.csv").read_text()
    other = write_csv(tmp_path, HEADER + "\n" + GOOD_ROW.replace("Tony's", "Changed") + "\n", name="other.csv")
    with pytest.raises(ValueError, match="does not exist"):
        ingest(other, out, skip_invalid=True, rejects_path=tmp_path / "no" / "such" / "r.csv")
    assert (out / "items.csv").read_text() == before


def test_ingest_that_keeps_nothing_changes_nothing(tmp_path):
    out = tmp_path / "out"
    ingest(write_csv(tmp_path, HEADER + "\n" + GOOD_ROW + "\n"), out)
    before = (out / "items.csv").read_text()
    all_bad = write_csv(tmp_path, HEADER + "\n" + GOOD_ROW.replace("37.8", "99") + "\n", name="bad.csv")
    with pytest.raises(DatasetError, match="no restaurant"):
        ingest(all_bad, out, skip_invalid=True)
    assert (out / "items.csv").read_text() == before and not (out / "rejects.csv").exists()


# -- text that reaches a RediSearch query, and numbers -----------------------------------------------

def test_query_text_in_ids_and_cuisines_is_stored_literally(tmp_path):
    rows = ['"a|b",A,1 St,37.7,-122.4,fish & chips|tex-mex,2,4,24/7', '"a b",B,1 St,37.7,-122.4,o\'higgins grill,2,4,24/7',
            '北京,C,1 St,37.7,-122.4,"pizza} | @price:[-inf +inf] | {x",2,4,24/7']
    items = import_file(write_csv(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n")).dataset.items
    assert list(items["item_id"]) == ["a|b", "a b", "北京"]
    assert list(items["cuisines"]) == ["fish & chips|tex-mex", "o'higgins grill", "pizza|price -inf inf|x"]


@pytest.mark.parametrize("field,value", [("lat", "NaN"), ("lat", "inf"), ("lon", "-inf"), ("rating", "NaN"),
                                         ("rating", "inf"), ("price", "1e308"), ("price", "0"), ("price", "5"),
                                         ("price", "2.5"), ("rating", "5.5"), ("rating", "-0.5"), ("lat", "200")])
def test_hostile_numbers_in_a_csv_are_problems_of_their_field(tmp_path, field, value):
    position = HEADER.split(",").index(field)
    fields = GOOD_ROW.replace('"1570 Stockton St, San Francisco"', "1570 Stockton St").split(",")
    fields[position] = value
    problems = problems_of(write_csv(tmp_path, HEADER + "\n" + ",".join(fields) + "\n"))
    assert [(p.row, p.field) for p in problems] == [(1, field)]


def test_minus_zero_and_edge_values_are_accepted(tmp_path):
    row = 'a1,Zero,1 St,37.7,-122.4,thai,1,0,24/7\na2,Top,1 St,37.8,-122.4,thai,4,5,24/7'
    items = import_file(write_csv(tmp_path, HEADER + "\n" + row + "\n")).dataset.items
    assert list(items["price"]) == [1, 4] and list(items["rating"]) == [0.0, 5.0]
    edges = pd.DataFrame([{"item_id": "z", "name": "Zero", "address": "", "lat": "-0.0", "lon": "-0.0",
                           "cuisines": "thai", "price": "1", "rating": "0", "hours": "24/7"}])
    assert check_restaurant_rows(edges, "edges.csv")[1] == []  # storable; only the importers ask for the city


# -- anything at all: only DatasetError, and what is kept is valid ----------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

cell = st.one_of(st.sampled_from(["", "37.7", "-122.4", "2", "4.5", "85.06", "nan", "a,b", "Mo-Fr 11:30-14:30",
                                  "17:00-22:00", '"', "\r", "\x00", "\u2028", "thai|pizza"]), st.text(max_size=8))
csv_text = st.builds(lambda header, rows, bom, eol: ("\ufeff" if bom else "") + eol.join(
    [",".join(header)] + [",".join(r) for r in rows]) + eol,
    st.one_of(st.just(HEADER.split(",")), st.permutations(HEADER.split(",")),
              st.lists(st.sampled_from(HEADER.split(",") + ["x", ""]), max_size=10)),
    st.lists(st.lists(cell, max_size=11), max_size=5), st.booleans(), st.sampled_from(["\n", "\r\n"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(text=csv_text, skip=st.booleans())
def test_csv_import_never_crashes(tmp_path, text, skip):
    path = tmp_path / "any.csv"
    path.write_text(text, encoding="utf-8", newline="")
    try:
        result = import_file(path, skip_invalid=skip)
    except DatasetError as exc:
        assert exc.problems and all(p.file == "any.csv" for p in exc.problems)
        return
    items = result.dataset.items
    assert len(items) >= 1 and items["item_id"].is_unique
    assert items["lat"].abs().le(LAT_RANGE[1]).all() and items["price"].between(1, 4).all()
    for hours in items["hours"]:
        WeeklyHours.parse(hours)
