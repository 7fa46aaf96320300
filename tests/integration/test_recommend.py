"""Recommendations on the real Redis: every filter exact (checked against a brute force in plain
Python), cold start without retraining, clear errors for bad input and a stopped Redis."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from geopy.distance import geodesic

from recsys.data.contract import split_multilabel
from recsys.data.hours import WeeklyHours
from recsys.data.record import FIELDS, MUST_HAVE
from recsys.data.restaurants import NewRestaurant
from recsys.serving.connection import RedisUnavailableError
from recsys.serving.query import Query

SF = ZoneInfo("America/Los_Angeles")


def brute_force(service, query: Query, vector: np.ndarray) -> list[str]:
    """The same question answered in plain Python over the same data: exact top-k ids."""
    items = service.catalogue()
    vectors = service.model.embed_items(items)
    keep = []
    for i, row in enumerate(items.itertuples()):
        if geodesic((query.lat, query.lon), (row.lat, row.lon)).meters > query.radius_m:  # WGS84, exactly
            continue
        if query.open_only and not WeeklyHours.parse(row.hours).is_open(query.when):
            continue
        if not query.price_min <= row.price <= query.price_max or row.rating < query.min_rating:
            continue
        if query.cuisines and not set(split_multilabel(row.cuisines)) & set(query.cuisines):
            continue
        if row.item_id in query.exclude_ids:
            continue
        if any(getattr(row, name) not in FIELDS[name].satisfied_by for name in query.must_have):
            continue
        keep.append(i)
    scores = vectors[keep] @ vector
    order = np.argsort(-scores)[: query.k]
    return [items["item_id"].iat[keep[j]] for j in order]


def random_query(rng: random.Random, cuisines: list[str]) -> Query:
    # Times on odd minutes and past midnight on purpose: the tag encoding must be exact there.
    start = datetime(2026, 11, 23, tzinfo=SF)
    when = start + timedelta(minutes=rng.randrange(7 * 24 * 60))
    if rng.random() < 0.3:
        when = when.replace(hour=rng.choice([0, 1, 2]), minute=rng.randrange(60))
    low = rng.randint(1, 4)
    return Query(lat=37.76 + rng.uniform(-0.03, 0.04), lon=-122.44 + rng.uniform(-0.04, 0.04),
                 radius_m=rng.choice([500, 1500, 3000, 5000]), when=when, price_min=low,
                 price_max=rng.randint(low, 4), min_rating=rng.choice([0, 0, 3.5, 4.0]),
                 cuisines=rng.sample(cuisines, rng.choice([0, 0, 1, 2])), k=rng.choice([5, 10, 20]),
                 open_only=rng.random() < 0.85, must_have=rng.sample(sorted(MUST_HAVE), rng.choice([0, 0, 1, 2])))


def test_every_result_satisfies_every_filter(service):
    rng = random.Random(42)
    cuisines = service.cuisines()
    profile = {"likes": ["pizza", "cocktails"], "price_bracket": "middle"}
    vector = service.embed_profile(profile)
    checked = 0
    for _ in range(60):
        query = random_query(rng, cuisines)
        results = service.searcher.search(vector, query.validated(cuisines, service.settings.timezone), [])
        expected = brute_force(service, query, vector)
        got = [r.item_id for r in results.items]
        # Exact KNN under filters: same set; order may differ only among near-equal scores.
        assert set(got) == set(expected), (query, got, expected)
        for r in results.items:
            assert r.distance_m <= query.radius_m  # never a distance beyond the radius
            assert abs(r.distance_m - geodesic((query.lat, query.lon), (r.lat, r.lon)).meters) < 0.5
        checked += len(got)
    assert checked > 150  # the random queries did return restaurants to check


def test_must_have_returns_only_places_known_to_have_it(service):
    query = Query(lat=37.76, lon=-122.43, radius_m=5000, k=40, open_only=False, must_have=["wheelchair"])
    got = service.recommend(query, profile={"likes": ["pizza"]}).items
    assert len(got) == 40 and {r.wheelchair for r in got} == {"yes", "limited"}  # both count as access
    both = service.recommend(Query(lat=37.76, lon=-122.43, radius_m=5000, k=40, open_only=False,
                                   must_have=["wheelchair", "outdoor_seating"]), profile={"likes": ["pizza"]}).items
    assert both and all(r.outdoor_seating == "yes" and r.wheelchair in ("yes", "limited") for r in both)


def test_fewer_than_k_says_why_and_offers_a_wider_radius(service):
    query = Query(lat=37.7599, lon=-122.4148, radius_m=150, k=20, open_only=False)
    results = service.recommend(query, profile={"likes": ["mexican"]})
    assert len(results.items) < 20 and results.matches == len(results.items)
    assert "within 150 m" in results.note
    assert results.wider_radius_m and results.wider_radius_m > 150
    wider = service.recommend(Query(lat=37.7599, lon=-122.4148, radius_m=results.wider_radius_m, k=20,
                                    open_only=False), profile={"likes": ["mexican"]})
    assert len(wider.items) == 20


def test_results_carry_reason_distance_and_open_until(service):
    when = datetime(2026, 11, 27, 19, 0, tzinfo=SF)
    results = service.recommend(Query(lat=37.7599, lon=-122.4148, radius_m=3000, when=when, k=5),
                                profile={"likes": ["mexican"], "price_bracket": "low"})
    assert results.items
    for r in results.items:
        assert r.open_until.startswith("open")
        assert "away" in r.reason and r.open_until in r.reason
        assert abs(r.distance_m - geodesic((37.7599, -122.4148), (r.lat, r.lon)).meters) < 1


def stored_vector_ranking(service, query: Query, user_id: str) -> tuple[list[str], np.ndarray]:
    """The exact answer for a stored user, computed here from what Redis holds: the user's stored
    vector (their profile document) against the stored vector of every restaurant passing the
    query's filters (within the radius by the WGS84 geodesic, not dismissed), by inner product.
    Returns the ids best first and their scores."""
    stored = service.client.json().get(service.users.key(user_id), "$.embedding")
    vector = np.asarray(stored[0], dtype=np.float64)
    items = service.catalogue()
    dismissed = set(service.feedback.dismissed(user_id))
    keep = [i for i, row in enumerate(items.itertuples())
            if geodesic((query.lat, query.lon), (row.lat, row.lon)).meters <= query.radius_m
            and row.item_id not in dismissed]
    ids = items["item_id"].iloc[keep].tolist()
    scores = service.restaurants.embeddings(ids).astype(np.float64) @ vector
    order = np.argsort(-scores, kind="stable")
    return [ids[j] for j in order], scores[order]


def test_a_stored_users_ranking_is_the_exact_ranking_of_their_stored_vector(service):
    """A stored user is ranked by their stored vector: two users with different vectors get
    different lists, and each list is, in order and score, the exact inner-product ranking of that
    user's stored vector over the restaurants passing the filters. (A service that ignored the
    stored vector, with a zero vector, another user's or one made again from the profile, fails here.)"""
    query = Query(lat=37.7599, lon=-122.4148, radius_m=2000, k=8, open_only=False)
    k = query.k
    chosen: list[tuple[str, list[str], np.ndarray]] = []
    for user_id in service.dataset().users["user_id"][:40]:
        ids, scores = stored_vector_ranking(service, query, user_id)
        # Only users whose top k+1 are clearly apart, so the order is exact and not a float tie.
        if len(ids) > k and np.all(-np.diff(scores[:k + 1]) > 1e-3) and all(ids[:k] != c[1][:k] for c in chosen):
            chosen.append((user_id, ids, scores))
        if len(chosen) == 2:
            break
    assert len(chosen) == 2, "no two stored users with distinct, untied rankings to compare"
    (first, *_), (second, *_) = chosen
    first_doc, second_doc = service.users.get(first), service.users.get(second)
    assert first_doc["embedding"] != second_doc["embedding"]
    got = {}
    for user_id, ids, scores in chosen:
        results = service.recommend(query, user_id=user_id)
        got[user_id] = [r.item_id for r in results.items]
        assert got[user_id] == ids[:k], user_id
        assert np.allclose([r.score for r in results.items], scores[:k], atol=1e-4), user_id
    assert got[first] != got[second]
    # The vector is the stored one, not one made again from the profile: a profile whose stored
    # vector is replaced in Redis (not through the model) is ranked as the user whose vector it holds.
    doc = service.save_profile({"name": "Stored Vector", "likes": ["bbq"], "home_lat": 37.76, "home_lon": -122.41})
    try:
        own = [r.item_id for r in service.recommend(query, user_id=doc["user_id"]).items]
        target, target_doc = (first, first_doc) if own != got[first] else (second, second_doc)
        service.client.json().set(service.users.key(doc["user_id"]), "$.embedding", target_doc["embedding"])
        assert [r.item_id for r in service.recommend(query, user_id=doc["user_id"]).items] == got[target] != own
    finally:
        service.users.delete(doc["user_id"])


def test_new_restaurant_is_recommendable_without_retraining(service):
    lat, lon = 37.7525, -122.4947  # Outer Sunset
    new = NewRestaurant(name="Zzyzx Test Kitchen", address="1 Test Ave", lat=lat, lon=lon,
                        cuisines=["ethiopian", "breweries"], price=2, rating=4.5, hours="24/7", locality="Outer Sunset")
    model_before = service.loaded.model_id
    item_id = service.add_restaurant(new)
    results = service.recommend(Query(lat=lat, lon=lon, radius_m=60, k=5), profile={"likes": ["ethiopian"]})
    assert [r.item_id for r in results.items] == [item_id]
    assert service.loaded.model_id == model_before
    # It also survives a rebuild of the index (kept as an app-added restaurant).
    service.reindex(service.dataset(), service.loaded)
    again = service.recommend(Query(lat=lat, lon=lon, radius_m=60, k=5), profile={"likes": ["ethiopian"]})
    assert [r.item_id for r in again.items] == [item_id]


def test_new_profile_gets_recommendations_at_once(service):
    doc = service.save_profile({"name": "New Person", "likes": ["bbq"], "price_bracket": "low",
                                "home_lat": 37.73, "home_lon": -122.39, "home_neighbourhood": "Bayview"})
    assert doc["user_id"].startswith("p-") and len(doc["embedding"]) == service.model.dim
    results = service.recommend(Query(lat=37.73, lon=-122.39, radius_m=5000, k=5, open_only=False), user_id=doc["user_id"])
    assert len(results.items) == 5
    # Editing the profile recomputes its embedding.
    edited = service.save_profile({**doc, "likes": ["fine dining"], "price_bracket": "high"})
    assert edited["embedding"] != doc["embedding"] and edited["created"] == doc["created"]
    assert service.users.delete(doc["user_id"]) and service.users.get(doc["user_id"]) is None


def test_more_like_these(service):
    base = service.recommend(Query(lat=37.7599, lon=-122.4148, radius_m=3000, k=3, open_only=False),
                             profile={"likes": ["pizza"]})
    chosen = [r.item_id for r in base.items[:2]]
    similar = service.more_like(chosen, Query(lat=37.7599, lon=-122.4148, radius_m=3000, k=5, open_only=False))
    assert len(similar.items) == 5 and not set(chosen) & {r.item_id for r in similar.items}
    with pytest.raises(ValueError, match="between 1 and 3"):
        service.more_like(chosen * 2, Query(lat=37.76, lon=-122.41))


@pytest.mark.parametrize("changes,needle", [
    ({"lat": 123.0}, "lat must"), ({"lat": 85.06}, "between -85.05 and 85.05"), ({"lon": float("nan")}, "lon="),
    ({"radius_m": 0}, "radius_m"),
    ({"radius_m": 60_000}, "radius_m"), ({"price_min": 4, "price_max": 2}, "inverted"),
    ({"cuisines": ["italian} | @name:{*"]}, "unknown cuisine"), ({"cuisines": ["*"]}, "unknown cuisine"),
    ({"k": 0}, "k="), ({"k": 1000}, "k="), ({"min_rating": 7}, "min_rating"),
    ({"when": datetime(2026, 1, 1, 12)}, "timezone-aware"),
])
def test_bad_queries_give_clear_errors(service, changes, needle):
    query = Query(lat=37.77, lon=-122.42, **{k: v for k, v in changes.items() if k not in ("lat", "lon")})
    for key in ("lat", "lon"):
        if key in changes:
            setattr(query, key, changes[key])
    with pytest.raises(ValueError, match="invalid query") as err:
        service.recommend(query, profile={"likes": ["pizza"]})
    assert needle in str(err.value)


def test_syntax_in_excluded_ids_never_widens_a_query(service):
    query = Query(lat=37.7599, lon=-122.4148, radius_m=800, k=50, open_only=False)
    plain = service.recommend(query, profile={"likes": ["pizza"]})
    hostile = Query(**{**query.__dict__, "exclude_ids": ["x} | @price:[-inf +inf] | {y", "*"]})
    attacked = service.recommend(hostile, profile={"likes": ["pizza"]})
    assert {r.item_id for r in attacked.items} == {r.item_id for r in plain.items}


def test_feedback_is_recorded_and_exported(service):
    service.feedback.record("u00001", "r00001", "liked")
    service.feedback.record("u00001", "r00002", "not_for_me")
    with pytest.raises(ValueError, match="unknown feedback"):
        service.feedback.record("u00001", "r00003", "meh")
    exported = service.feedback.as_interactions()
    mine = exported[exported["user_id"] == "u00001"]
    assert list(mine["item_id"]) == ["r00001"] and mine["weight"].iat[0] == 2.0


def test_not_for_me_is_never_recommended_again_to_that_user(service):
    user = service.dataset().users.iloc[5]
    query = Query(lat=user.home_lat, lon=user.home_lon, radius_m=3000, k=5, open_only=False)
    first = service.recommend(query, user_id=user.user_id).items[0].item_id
    service.feedback.record(user.user_id, first, "not_for_me")
    again = Query(lat=user.home_lat, lon=user.home_lon, radius_m=3000, k=5, open_only=False)
    assert first not in {r.item_id for r in service.recommend(again, user_id=user.user_id).items}
    other = service.dataset().users.iloc[6]
    assert service.feedback.dismissed(other.user_id) == []  # only that user's list
    service.feedback.record(user.user_id, first, "liked")  # changing one's mind brings it back
    assert service.feedback.dismissed(user.user_id) == []


def test_stopped_redis_is_a_clear_error_without_password(tmp_path):
    from recsys.serving.connection import connect

    with pytest.raises(RedisUnavailableError) as err:
        connect("redis://:secret-pass@127.0.0.1:1/0")
    assert "secret-pass" not in str(err.value) and "***" in str(err.value)
    assert "REDIS_URL" in str(err.value) or "serve-redis" in str(err.value)


def test_index_bootstrap_is_idempotent_and_alias_moves(service):
    assert service.ensure_indexed() is False
    old = service.restaurants.status()
    version = service.reindex(service.dataset(), service.loaded)
    new = service.restaurants.status()
    assert version == old.version + 1 and new.documents == old.documents
    names = {n.decode() if isinstance(n, bytes) else n for n in service.client.execute_command("FT._LIST")}
    assert old.index_name not in names and new.index_name in names
    alias = service.client.ft(service.restaurants.alias).info()
    assert int(alias["num_docs"]) == new.documents


# -- hostile numbers, times and labels through the real search (issue 10 items 13, 14) ----------

def test_numpy_numbers_and_iso_times_reach_redis_as_plain_values(service):
    when = datetime(2026, 11, 27, 19, 0, tzinfo=SF)
    plain = service.recommend(Query(lat=37.7599, lon=-122.4148, radius_m=3000, when=when, k=7),
                              profile={"likes": ["pizza"]})
    numpy = service.recommend(Query(lat=np.float64(37.7599), lon=np.float32(-122.4148), radius_m=np.int64(3000),
                                    when="2026-11-27T19:00:00-08:00", k=np.int64(7), price_min=np.int64(1),
                                    min_rating=np.float32(0.0)),
                              profile={"likes": ["pizza"]})
    assert len(plain.items) == 7
    assert [r.item_id for r in numpy.items][:5] == [r.item_id for r in plain.items][:5]
    assert all(r.open_until.startswith("open") for r in numpy.items)


@pytest.mark.parametrize("changes,needle", [
    ({"k": True}, "k="), ({"k": np.float64(7)}, "k="), ({"when": 1764298800}, "when"),
    ({"when": datetime(2026, 11, 27).date()}, "when"), ({"when": "tomorrow"}, "when"),
    ({"lat": 85.06}, "lat"), ({"lat": 90.0}, "lat"), ({"lon": 180.5}, "lon"),
    ({"radius_m": 50_000.5}, "radius_m"), ({"min_rating": 5.5}, "min_rating"), ({"price_max": 5}, "price_max"),
    ({"exclude_ids": [""]}, "exclude_ids"), ({"exclude_ids": ["r1,r2"]}, "exclude_ids"),
])
def test_hostile_query_values_are_value_errors_not_redis_errors(service, changes, needle):
    query = Query(lat=37.77, lon=-122.42)
    for key, value in changes.items():
        setattr(query, key, value)
    with pytest.raises(ValueError, match="invalid query") as err:
        service.recommend(query, profile={"likes": ["pizza"]})
    assert needle in str(err.value)


def test_cuisine_labels_with_punctuation_filter_exactly(service):
    lat, lon = 37.7081, -122.4680  # a quiet corner, so only the places added here are this close
    labels = ["fish & chips", "tex-mex", "o'higgins grill"]
    ids = [service.add_restaurant(NewRestaurant(name=f"Label {i}", address="1 Test Ave", lat=lat, lon=lon + i * 1e-5,
                                                cuisines=[label], price=2, rating=4.0, hours="24/7"))
           for i, label in enumerate(labels)]
    assert set(labels) <= set(service.cuisines())
    for item_id, label in zip(ids, labels):
        results = service.recommend(Query(lat=lat, lon=lon, radius_m=100, k=10, cuisines=[label]),
                                    profile={"likes": [label]})
        assert [r.item_id for r in results.items] == [item_id], label


def test_the_callers_query_is_never_changed(service):
    """Issue 14: recommend, more_like and search work on their own copy of the query."""
    import copy

    query = Query(lat=37.76, lon=-122.43, radius_m=3000, k=5, when=None, exclude_ids=[], open_only=True)
    before = copy.deepcopy(query)
    picks = service.recommend(query, profile={"likes": ["pizza"]}).items
    service.more_like([picks[0].item_id], query)
    service.searcher.search(service.embed_profile({"likes": ["pizza"]}), query.validated(None, service.settings.timezone))
    assert query == before  # no exclude_ids added, no `when` filled in
    with pytest.raises(TypeError, match="ValidQuery"):  # the search checks nothing itself: it takes checked ones
        service.searcher.search(service.embed_profile({"likes": ["pizza"]}), query)


def _ring(service, centre: tuple[float, float], radius_m: float, cuisine: str) -> list[tuple[str, float]]:
    """Restaurants added at bearings 0..330 degrees, 2 m inside and 2 m outside the radius by
    the WGS84 geodesic (where Redis's sphere disagrees by metres): (id, true distance)."""
    from geopy.distance import distance as geodesic_point

    placed = []
    for bearing in range(0, 360, 30):
        for offset in (-2.0, 2.0):
            point = geodesic_point(meters=radius_m + offset).destination(centre, bearing)
            restaurant = NewRestaurant(name=f"Ring {bearing} {offset:+.0f}", address="1 Edge St", lat=point.latitude,
                                       lon=point.longitude, cuisines=[cuisine], price=2, rating=4.0, hours="24/7")
            placed.append((service.add_restaurant(restaurant), radius_m + offset))
    return placed


@pytest.mark.parametrize("radius_m", [1_000, 20_000])
def test_the_radius_is_exact_by_the_geodesic_and_k_is_still_filled(service, radius_m):
    """Issue 15: Redis measures on a sphere (0.2-0.3% off WGS84 here): a place 2 m beyond the
    radius must not come back, one 2 m inside must, and k is filled from inside the radius."""
    centre = (37.70, -122.47)
    cuisine = f"ring food {radius_m}"
    placed = _ring(service, centre, radius_m, cuisine)  # last in this module: the catalogue keeps them
    query = Query(lat=centre[0], lon=centre[1], radius_m=radius_m, k=len(placed), cuisines=[cuisine],
                  open_only=False)
    results = service.recommend(query, profile={"likes": [cuisine]})
    inside = {i for i, d in placed if d <= radius_m}
    assert {r.item_id for r in results.items} == inside
    assert results.matches == len(inside) and "Only 12 restaurants" in results.note
    assert all(r.distance_m <= radius_m for r in results.items)
    full = service.recommend(Query(**{**query.__dict__, "k": 6}), profile={"likes": [cuisine]})
    assert len(full.items) == 6 and {r.item_id for r in full.items} <= inside and not full.note


def _calls(service) -> dict[str, int]:
    stats = service.client.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()}


def test_a_warm_query_is_one_search_and_a_stored_user_one_more_round_trip(service):
    """Issue 15: the common case is one FT.SEARCH and nothing else (no count, no version read
    when it was read a moment ago); a stored user adds one pipelined read of vector, likes,
    "not for me" and recent history; an ad-hoc profile asked again is not embedded again."""
    query = Query(lat=37.7599, lon=-122.4148, radius_m=3000, k=5, open_only=False)
    profile = {"likes": ["pizza"], "price_bracket": "middle"}
    service.recommend(query, profile=profile)  # warm: version read, profile embedded
    service.client.config_resetstat()
    results = service.recommend(query, profile=profile)
    calls = _calls(service)
    assert len(results.items) == 5 and not results.note
    assert calls.get("FT.SEARCH") == 1 and "hget" not in calls, calls
    doc = service.save_profile({"name": "Round Trip", "likes": ["pizza"], "home_lat": 37.76, "home_lon": -122.42})
    service.client.config_resetstat()
    assert service.recommend(query, user_id=doc["user_id"]).items
    calls = _calls(service)
    assert calls.get("FT.SEARCH") == 1 and calls.get("json.get") == 1 and calls.get("smembers") == 1, calls
    assert calls.get("lrange") == 1, calls  # their recent history, for "because you liked ..." (issue 21)
    assert sum(calls.values()) == 4 + calls.get("config|resetstat", 0), calls  # nothing else


def test_fewer_than_k_counts_every_wider_radius_in_one_pipeline_when_asked(service):
    """The suggestion costs nothing until read; then one pipeline counts every wider radius."""
    query = Query(lat=37.7599, lon=-122.4148, radius_m=150, k=20, open_only=False)
    service.recommend(query, profile={"likes": ["mexican"]})
    service.client.config_resetstat()
    results = service.recommend(query, profile={"likes": ["mexican"]})
    assert _calls(service).get("FT.SEARCH") == 1  # the KNN alone
    assert "gives at least" in results.note and results.wider_radius_m
    wider = [r for r in (250, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000) if r > 150]
    assert _calls(service).get("FT.SEARCH") == 1 + len(wider)  # the counts, pipelined, once
    assert results.note and _calls(service).get("FT.SEARCH") == 1 + len(wider)


def test_a_pin_on_the_antimeridian_finds_places_on_both_sides(service):
    """Found by the attack pass: a query at longitude +180 missed a place stored at -180 (the same
    meridian), even at distance 0."""
    names = {}
    for lon in (-180.0, 179.999, -179.999):
        item_id = service.add_restaurant(NewRestaurant(name=f"Dateline {lon}", address="1 Dateline Rd", lat=0.0, lon=lon,
                                                       cuisines=["dateline food"], price=2, rating=4.0, hours="24/7"))
        names[item_id] = lon
    for pin in (180.0, -180.0):
        results = service.recommend(Query(lat=0.0, lon=pin, radius_m=1_000, k=10, cuisines=["dateline food"],
                                          open_only=False), profile={"likes": ["dateline food"]})
        assert {r.item_id for r in results.items} == set(names), pin
        assert all(r.distance_m <= 1_000 for r in results.items)


def test_one_request_checks_its_query_and_profile_once(service, monkeypatch):
    """Issue 20 item 3: the facade validates the query and normalises the ad-hoc profile once; the
    search receives the checked, frozen value and checks nothing again."""
    import recsys.serving.service as facade

    calls = {"validate": 0, "normalise": 0}
    validate, normalise = Query.validate, facade.normalise_profile

    def counted_validate(self, *args, **kwargs):
        calls["validate"] += 1
        return validate(self, *args, **kwargs)

    def counted_normalise(profile):
        calls["normalise"] += 1
        return normalise(profile)

    monkeypatch.setattr(Query, "validate", counted_validate)
    monkeypatch.setattr(facade, "normalise_profile", counted_normalise)
    query = Query(lat=37.76, lon=-122.43, radius_m=3000, k=5, open_only=False)
    assert service.recommend(query, profile={"likes": ["pizza"], "name": "Once Only"}).items
    assert calls == {"validate": 1, "normalise": 1}
