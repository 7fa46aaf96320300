"""Dataset contract, restaurant checks and importers: clear errors, nothing half-written."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from recsys.data.city import CITY
from recsys.data.contract import DatasetError, load_dataset, save_dataset
from recsys.data.demo import DemoConfig, generate
from recsys.data.demo_names import POOLS, TEMPLATES, street_word
from recsys.data.hours import WeeklyHours
from recsys.data.importers import import_osm, import_tripadvisor, ingest
from recsys.data.restaurants import NewRestaurant, load_restaurant_dataset
from tests.synthetic import category_dataset


@pytest.fixture(scope="module")
def small_demo():
    return generate(DemoConfig(n_restaurants=300, n_users=200, seed=3))


def write(tmp_path, dataset):
    return save_dataset(dataset, tmp_path / "data")


def test_round_trip(tmp_path):
    ds = category_dataset()
    loaded = load_dataset(write(tmp_path, ds))
    assert len(loaded.items) == len(ds.items) and len(loaded.interactions) == len(ds.interactions)
    assert loaded.fingerprint() == load_dataset(tmp_path / "data").fingerprint()


@pytest.mark.parametrize("table,column,value,message", [
    ("items", "size", "big", "is not a number"),
    ("items", "item_id", "i1", "duplicate id"),
    ("interactions", "item_id", "nope", "unknown id"),
])
def test_bad_values_name_file_row_and_field(tmp_path, table, column, value, message):
    ds = category_dataset()
    frame = getattr(ds, table).copy()
    frame[column] = frame[column].astype(object)
    frame.loc[4, column] = value
    setattr(ds, table, frame)
    directory = write(tmp_path, ds)
    with pytest.raises(DatasetError) as err:
        load_dataset(directory)
    problem = err.value.problems[0]
    assert problem.file == f"{table}.csv" and problem.row == 5 and problem.field == column
    assert message in str(err.value)


def test_missing_column_and_latitude_out_of_range(tmp_path, small_demo):
    ds = small_demo[0]
    items = ds.items.copy()
    items.loc[2, "lat"] = 123.0
    bad = type(ds)(items, ds.users, ds.interactions, ds.schema)
    with pytest.raises(DatasetError, match=r"items.csv, row 3, field 'lat'"):
        load_restaurant_dataset(write(tmp_path, bad))
    (tmp_path / "data" / "users.csv").write_text("user_id\nu1\n")
    with pytest.raises(DatasetError, match="column is missing"):
        load_dataset(tmp_path / "data")


def test_many_problems_are_summarised(tmp_path):
    ds = category_dataset()
    ds.items["size"] = "x"
    with pytest.raises(DatasetError) as err:
        load_dataset(write(tmp_path, ds))
    assert len(err.value.problems) == len(ds.items)
    assert f"and {len(ds.items) - 5} more" in str(err.value)


def test_failed_save_leaves_the_old_directory_whole(tmp_path):
    ds = category_dataset()
    directory = write(tmp_path, ds)
    before = (directory / "items.csv").read_text()

    def explode(_tmp):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        save_dataset(category_dataset(n_items=8), directory, write_extras=explode)
    assert (directory / "items.csv").read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["data"]  # no temp dirs left behind


def test_shipped_demo_data_is_valid_and_realistic():
    from recsys.config import DEMO_DATASET_DIR
    from recsys.data.demo import load_oracle

    ds, oracle = load_restaurant_dataset(DEMO_DATASET_DIR), load_oracle(DEMO_DATASET_DIR)
    assert len(ds.items) == 3000 and len(ds.users) == 5000
    items = ds.items
    assert all(CITY.restaurant_allowed(a, b) for a, b in zip(items["lat"], items["lon"]))
    assert all(CITY.on_land(a, b) for a, b in zip(ds.users["home_lat"], ds.users["home_lon"]))
    assert items["price"].between(1, 4).all() and items["rating"].between(0, 5).all()
    hours = [WeeklyHours.parse(h) for h in items["hours"]]
    assert any(h.is_always_open for h in hours)
    assert any(any(e % 1440 < s % 1440 or e - s > 1440 - s % 1440 for s, e in h.intervals) for h in hours)
    assert any(len(h.by_day()[0]) >= 2 for h in hours)  # split shifts on Mondays
    assert any(not h.by_day()[0] for h in hours)  # closed on Mondays
    # Interactions follow the hidden utility: a user's visits are far closer to home than random places.
    inter = ds.interactions.merge(ds.users, on="user_id").merge(items, on="item_id")
    visited = ((inter["lat"] - inter["home_lat"]) ** 2 + (inter["lon"] - inter["home_lon"]) ** 2).mean()
    rnd = ((items["lat"].mean() - ds.users["home_lat"]) ** 2 + (items["lon"].mean() - ds.users["home_lon"]) ** 2).mean()
    assert visited < rnd
    assert oracle["top_items"].shape == (len(ds.users), min(100, len(items)))


def test_demo_data_is_deterministic():
    a, _ = generate(DemoConfig(n_restaurants=60, n_users=30, seed=11))
    b, _ = generate(DemoConfig(n_restaurants=60, n_users=30, seed=11))
    pd.testing.assert_frame_equal(a.items, b.items)
    pd.testing.assert_frame_equal(a.interactions, b.interactions)


TRIPADVISOR = {"restaurants": [
    {"name": "Tony's", "address": "1570 Stockton St", "locality": "San Francisco", "latitude": 37.8, "longitude": -122.41,
     "cuisine": ["Italian", "Pizza"], "price": 2, "rating": 4.5, "meal_dinner": True, "wifi": False,
     "hours": {"monday": [["11:30", "14:30"], ["17:00", "23:59"]], "friday": [["18:00", "02:00"]]},
     "reviews": [{"review_rating": 5, "author": "ann"}, {"review_rating": 3, "author": "bob"}]},
    {"name": "Broken", "address": "x", "latitude": 137.0, "longitude": -122.4, "cuisine": [], "price": 9, "rating": 4,
     "hours": {}},
    {"name": "Bad hours", "address": "y", "latitude": 37.7, "longitude": -122.4, "cuisine": ["thai"], "price": 1,
     "rating": 4, "hours": {"funday": [["10:00", "11:00"]]}},
]}


def test_tripadvisor_import_keeps_every_interval(tmp_path):
    path = tmp_path / "ta.json"
    path.write_text(json.dumps(TRIPADVISOR))
    with pytest.raises(DatasetError) as err:
        import_tripadvisor(path)
    fields = {(p.row, p.field) for p in err.value.problems}
    assert (2, "lat") in fields and (2, "price") in fields and (3, "hours") in fields
    result = import_tripadvisor(path, skip_invalid=True)
    items = result.dataset.items
    assert list(items["name"]) == ["Tony's"]
    hours = WeeklyHours.parse(items["hours"].iat[0])
    assert len(hours.by_day()[0]) == 2 and hours.is_open_minute(5 * 1440 + 60)  # Sat 01:00 from Friday
    assert items["review_count"].iat[0] == 2 and items["review_mean"].iat[0] == 4.0 and items["review_min"].iat[0] == 3
    assert items["cuisines"].iat[0] == "italian|pizza"
    assert set(result.dataset.interactions["user_id"]) == {"ann", "bob"}


def test_ingest_writes_nothing_when_invalid_and_rejects_with_skip(tmp_path):
    path = tmp_path / "ta.json"
    path.write_text(json.dumps(TRIPADVISOR))
    out = tmp_path / "out"
    with pytest.raises(DatasetError):
        ingest(path, out, "tripadvisor")
    assert not out.exists()
    ingest(path, out, "tripadvisor", skip_invalid=True)
    assert len(load_restaurant_dataset(out).items) == 1
    rejects = pd.read_csv(out / "rejects.csv")
    assert set(rejects["row"]) == {2, 3}


OSM = {"elements": [
    {"type": "node", "id": 1, "lat": 37.76, "lon": -122.42,
     "tags": {"amenity": "restaurant", "name": "La Taqueria", "cuisine": "mexican;burrito",
              "opening_hours": "Mo-Sa 11:00-21:00; Su 11:00-20:00", "addr:housenumber": "2889", "addr:street": "Mission Street"}},
    {"type": "way", "id": 2, "center": {"lat": 37.77, "lon": -122.43},
     "tags": {"amenity": "bar", "name": "Night Owl", "opening_hours": "Fr,Sa 20:00-02:00"}},
    {"type": "node", "id": 3, "lat": 37.7, "lon": -122.4, "tags": {"amenity": "bench"}},
    {"type": "node", "id": 4, "lat": 37.7, "lon": -122.4,
     "tags": {"amenity": "cafe", "name": "Garbled", "opening_hours": "whenever we feel like it"}},
]}


def test_osm_import_parses_opening_hours(tmp_path):
    path = tmp_path / "osm.json"
    path.write_text(json.dumps(OSM))
    result = import_osm(path, skip_invalid=True)
    items = result.dataset.items.set_index("item_id")
    assert list(items.index) == ["osm-node-1", "osm-way-2"]
    taqueria = WeeklyHours.parse(items.loc["osm-node-1", "hours"])
    assert taqueria.is_open_minute(6 * 1440 + 19 * 60 + 30) and not taqueria.is_open_minute(6 * 1440 + 20 * 60 + 30)
    owl = WeeklyHours.parse(items.loc["osm-way-2", "hours"])
    assert owl.is_open_minute(6 * 1440 + 60)  # Sunday 01:00 from Saturday night
    assert "bar" in items.loc["osm-way-2", "cuisines"]
    assert [(p.row, p.field) for p in result.rejects] == [(4, "opening_hours")]


def test_new_restaurant_validation():
    ok = NewRestaurant(name="Test", address="1 Main St", lat=37.77, lon=-122.41, cuisines=["Thai"], price=2,
                       rating=4.0, hours="Mo-Fr 11:00-22:00").to_row()
    assert ok["cuisines"] == "thai" and ok["price"] == 2
    with pytest.raises(DatasetError) as err:
        NewRestaurant(name="", address="", lat=99, lon=-122.41, cuisines=[], price=7, rating=9,
                      hours="Someday").to_row()
    assert {p.field for p in err.value.problems} >= {"name", "lat", "price", "rating", "hours", "cuisines"}


def test_shipped_demo_names_are_unique_and_fit_their_place():
    """Issue 19 item 5: no two places share a name, none is built from a person's first name,
    and a name that mentions a neighbourhood or a street names the one the place is on."""
    from faker import Faker

    from recsys.config import DEMO_DATASET_DIR

    items = load_restaurant_dataset(DEMO_DATASET_DIR).items
    assert items["name"].is_unique, items["name"][items["name"].duplicated()].head().tolist()
    hoods = [h.name for h in CITY.neighbourhoods]
    streets = {s.rsplit(" ", 1)[0] for h in CITY.neighbourhoods for s in h.streets}
    # Person names only where a kitchen's own words have them ("Da Lucia", "Chez Margot"), or
    # where a word is also a street, a place or a noun ("Grant", "Kim Son", "Beer Hall").
    faker = Faker("en_US")
    faker.seed_instance(0)
    people = {faker.first_name() for _ in range(3000)} | {faker.last_name() for _ in range(3000)}
    kitchen_words = {w for words in [*POOLS.values(), *TEMPLATES.values()] for word in words for w in word.split()}
    kitchen_words |= streets
    words = {w.removesuffix("'s") for name in items["name"] for w in name.split()}
    assert not (words & people) - kitchen_words, sorted((words & people) - kitchen_words)[:10]
    for name, address, hood in zip(items["name"], items["address"], items["locality"]):
        for other in hoods:
            if other != hood and f" {other} " in f" {name} " and other not in address:
                raise AssertionError(f"{name!r} in {hood} names {other}")
        own = street_word(address.split(", ")[0].split(" ", 1)[1])
        for street in {street_word(s) for h in CITY.neighbourhoods for s in h.streets}:
            if f" {street} " in f" {name} " and street not in own:
                raise AssertionError(f"{name!r} at {address!r} names {street}")


def test_names_stay_unique_and_readable_when_a_kitchen_crowds_one_street():
    """Found by attacking the names: 400 Chinese places on Clement gave "Beijing Kitchen on
    Clement on Clement", dim sum gave "Golden House Tea House", and 9th Ave became "9th Street"."""
    from recsys.data.demo_names import TEMPLATES, restaurant_names

    kitchens = ["chinese"] * 400 + ["dim sum"] * 300 + [k for k in TEMPLATES for _ in range(40)]
    streets = ["Clement St"] * 700 + ["9th Ave", "Mission St", "Van Ness Ave", "24th St"] * (len(TEMPLATES) * 10)
    names = restaurant_names(kitchens, streets, np.random.default_rng(0))
    assert len(set(names)) == len(names) and all(n.strip() == n and "  " not in n for n in names)
    assert not [n for n in names if len(set(n.split())) < len(n.split())][:5]
    assert not [n for n in names if n.count(" on ") > 1][:5]
    assert not [n for n, s in zip(names, streets) if "9th Street" in n or ("9th" in n and s != "9th Ave")][:5]


def test_demo_ceiling_ranks_by_the_utility_without_personal_noise(small_demo):
    """The best any model can do: the personal noise is drawn independently per (user, place),
    so nothing a model sees predicts it for a place the user has not visited; the ceiling ranks by
    the rest of the utility and scores between a trained model and the noisy oracle."""
    import dataclasses

    ds, oracle = small_demo
    noise_free, oracle_without_noise = generate(dataclasses.replace(DemoConfig(n_restaurants=300, n_users=200, seed=3),
                                                                    w_noise=0.0))
    pd.testing.assert_frame_equal(ds.items, noise_free.items)  # same places: only the noise weight differs
    assert (oracle["ceiling_top_items"] == oracle_without_noise["top_items"]).all()
    assert (oracle["ceiling_top_items"] != oracle["top_items"]).any()
