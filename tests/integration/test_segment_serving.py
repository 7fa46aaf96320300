"""Issue 21: "popular among users like you" is served exactly by the Redis index. A model whose
cold-user mix reads a profile field's popularity carries one slot per value in every vector; a new
profile's picks through RedisVL are that field's most popular places, with the scores the model
gives them, and its stored users are still served by the model (their slots read 0)."""

from __future__ import annotations

import uuid
from dataclasses import replace

import numpy as np
import pytest
import torch

from recsys.config import Settings
from recsys.serving.query import Query

FIELD = "price_bracket"


@pytest.fixture(scope="module")
def segment_service(redis_server, small_demo_dir, tmp_path_factory):
    from recsys.data.restaurants import load_restaurant_dataset
    from recsys.ml.network import TowerConfig
    from recsys.ml.training import SEGMENT_POPULAR, TrainConfig
    from recsys.ml.two_tower import TwoTowerRecommender
    from recsys.serving.service import RecommenderService

    dataset = load_restaurant_dataset(small_demo_dir)
    model = TwoTowerRecommender(TrainConfig(epochs=2, tower=TowerConfig(hidden=[64], embedding_dim=32, id_dim=8)))
    model.fit(dataset)
    # The state training leaves when validation picks this field's popularity for new users.
    offset, width = model.user_spec.block(FIELD)
    model.model.attach_segments(offset, width)
    users = model.user_spec.transform(dataset.users)["dense"][:, offset:offset + width]
    rows = {u: r for r, u in enumerate(dataset.users["user_id"])}
    events = dataset.interactions
    model.model.set_segment_popularity(model.item_spec.transform(events[["item_id"]])["ids"], users,
                                       torch.tensor([rows[u] for u in events["user_id"]]), torch.ones(len(events)))
    model.model.cold_mix = SEGMENT_POPULAR
    model.config = replace(model.config, cold_mix=SEGMENT_POPULAR, cold_segment=FIELD)
    path = model.save(tmp_path_factory.mktemp("segment-model") / "m")
    settings = Settings(redis_url=redis_server, data_dir=tmp_path_factory.mktemp("data"), dataset_dir=small_demo_dir,
                        model_dir=path, namespace=f"seg{uuid.uuid4().hex[:8]}")
    return RecommenderService.open(settings)


def test_a_new_profile_gets_the_most_popular_places_among_users_sharing_its_field(segment_service):
    service = segment_service
    assert service.model.config.cold_segment == FIELD
    assert service.model.dim == service.model.config.tower.embedding_dim + 2 + service.model.user_spec.block(FIELD)[1]
    catalogue = service.catalogue().reset_index(drop=True)
    dataset = service.dataset()
    query = Query(lat=37.76, lon=-122.44, radius_m=50_000, k=10, open_only=False)
    interactions = dataset.interactions[dataset.interactions["item_id"].isin(catalogue["item_id"])]
    everyone = interactions["item_id"].value_counts()
    for bracket in ("low", "high"):
        people = set(dataset.users.loc[dataset.users[FIELD] == bracket, "user_id"])
        theirs = interactions.loc[interactions["user_id"].isin(people), "item_id"].value_counts()
        counts = catalogue["item_id"].map(theirs).fillna(0).to_numpy()
        overall = catalogue["item_id"].map(everyone).fillna(0).to_numpy()
        expected = np.log1p(counts) + 0.001 * np.log1p(overall)
        by_id = dict(zip(catalogue["item_id"], expected))
        got = service.recommend(query, profile={"likes": ["pizza"], FIELD: bracket}).items
        assert len(got) == 10
        best = set(catalogue["item_id"].to_numpy()[np.argsort(-expected)[:10]])
        assert len({r.item_id for r in got} & best) >= 9, (bracket, [r.item_id for r in got])
        for rec in got:  # the score shown is the served inner product (float16 vectors in Redis)
            assert abs(rec.score - by_id[rec.item_id]) < 2e-2, (rec.item_id, rec.score, by_id[rec.item_id])
    low = [r.item_id for r in service.recommend(query, profile={FIELD: "low"}).items]
    high = [r.item_id for r in service.recommend(query, profile={FIELD: "high"}).items]
    assert low != high  # the field decides, as "users like you" means


def test_a_stored_user_is_still_served_by_the_model_not_by_their_segment(segment_service):
    service = segment_service
    catalogue = service.catalogue()
    user = service.dataset().users.iloc[[3]]
    expected = service.model.score(user, catalogue, service.dataset().interactions)[0]
    vector = service.model.embed_users(user, service.dataset().interactions)[0]
    assert not vector[service.model.config.tower.embedding_dim + 2:].any()
    query = Query(lat=37.76, lon=-122.44, radius_m=50_000, k=10, open_only=False)
    got = [r.item_id for r in service.recommend(query, user_id=str(user["user_id"].iat[0])).items]
    assert len(set(got) & set(catalogue["item_id"].to_numpy()[np.argsort(-expected)[:10]])) >= 9
