"""The hash layout (vector as bytes) answers like the JSON one; float16 keeps recall."""

from __future__ import annotations

import random
import uuid

from recsys.serving.query import Query
from recsys.serving.search import Searcher
from recsys.serving.store import Layout, RestaurantStore
from tests.integration.test_recommend import random_query


def test_hash_and_float16_layouts_match_json(service):
    items = service.catalogue()
    vectors = service.model.embed_items(items)
    profile = service.embed_profile({"likes": ["pizza", "brunch"], "price_bracket": "low"})
    searchers = {}
    for layout in (Layout("json", "float32"), Layout("hash", "float32"), Layout("hash", "float16")):
        store = RestaurantStore(service.client, f"lay{uuid.uuid4().hex[:6]}", layout=layout)
        store.rebuild(items, vectors, {"model_id": "t"})
        searchers[layout] = Searcher(store)
    rng = random.Random(7)
    cuisines = service.cuisines()
    overlaps = []
    for _ in range(25):
        query = random_query(rng, cuisines)
        results = {lay: [r.item_id for r in s.search(profile, query.validated(cuisines, s.tz), []).items]
                   for lay, s in searchers.items()}
        assert set(results[Layout("hash", "float32")]) == set(results[Layout("json", "float32")])
        exact = set(results[Layout("json", "float32")])
        if exact:
            overlaps.append(len(exact & set(results[Layout("hash", "float16")])) / len(exact))
    assert overlaps and sum(overlaps) / len(overlaps) >= 0.9
    # Every layout reads back the same display fields.
    one = {lay: s.search(profile, Query(lat=37.7599, lon=-122.4148, radius_m=3000, k=3, open_only=False)
                         .validated(cuisines, s.tz), []).items[0] for lay, s in searchers.items()}
    first = one[Layout("json", "float32")]
    for rec in one.values():
        assert (rec.name, rec.cuisines, rec.price, rec.open_until) == (first.name, first.cuisines, first.price,
                                                                       first.open_until)
    for store in (s.store for s in searchers.values()):
        store.drop_versions(keep=-1)
