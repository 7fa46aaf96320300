"""Issue 13: Redis serves exactly the score the model trains and evaluates with. The item vector
carries the popularity bias in its last slot, so the index must rank by inner product: its top-k
and its scores equal the model's own, for a stored user and for "more like these"."""

from __future__ import annotations

import numpy as np

from recsys.serving.query import Query


def test_knn_top_k_and_scores_equal_the_model_score(service):
    catalogue = service.catalogue()
    model = service.model
    assert model.config.tower.item_bias and model.dim == model.config.tower.embedding_dim + 2
    user = service.dataset().users.iloc[[3]]
    # A stored user's vector is the tower on their profile and their history (the dataset's visits).
    expected = model.score(user, catalogue, service.dataset().interactions)[0]
    order = np.argsort(-expected)[:10]
    query = Query(lat=37.76, lon=-122.44, radius_m=50_000, k=10, open_only=False)
    results = service.recommend(query, user_id=str(user["user_id"].iat[0]))
    got = [r.item_id for r in results.items]
    assert len(set(got) & set(catalogue["item_id"].to_numpy()[order])) >= 9
    by_id = dict(zip(catalogue["item_id"], expected))
    for rec in results.items:  # score shown = 1 - IP distance = the inner product
        assert abs(rec.score - by_id[rec.item_id]) < 2e-3, (rec.item_id, rec.score, by_id[rec.item_id])


def test_more_like_these_ranks_by_taste_similarity_only(service):
    catalogue = service.catalogue()
    model = service.model
    chosen = catalogue["item_id"].head(2).tolist()
    vectors = model.embed_items(catalogue)
    dim = model.config.tower.embedding_dim
    taste = vectors[:2, :dim].mean(axis=0)
    similarity = vectors[:, :dim] @ (taste / np.linalg.norm(taste))
    similarity[:2] = -np.inf
    query = Query(lat=37.76, lon=-122.44, radius_m=50_000, k=5, open_only=False)
    got = [r.item_id for r in service.more_like(chosen, query).items]
    assert len(set(got) & set(catalogue["item_id"].to_numpy()[np.argsort(-similarity)[:5]])) >= 4


def test_the_embedding_map_shows_the_chosen_user_and_their_exact_picks(service):
    """Issue 12 item 10: the Model page's picture (service.embedding_map)."""
    user = service.dataset().users.iloc[5]
    frame, explained = service.embedding_map(str(user["user_id"]), n_items=200, n_users=50)
    groups = frame["group"].value_counts()
    assert groups[f"user: {user['name']}"] == 1 and groups["top-10 pick"] == 10
    assert groups["other users"] == 50 and groups["restaurant"] >= 190
    catalogue = service.catalogue()
    scores = service.model.score(service.dataset().users.iloc[[5]], catalogue, service.dataset().interactions)[0]
    best = set(catalogue["name"].to_numpy()[np.argsort(-scores)[:10]])
    assert set(frame.loc[frame["group"] == "top-10 pick", "name"]) == best
    assert 0 < explained <= 1


def test_a_serving_process_embeds_on_one_torch_thread(service):
    """Issue 20: a second torch thread made a new profile's recommend() 17x slower on a busy
    2-core machine (50.9 vs 2.9 ms p50, benchmarks); a service, once open, serves on one."""
    import torch

    from recsys.serving.models import SERVING_THREADS

    torch.set_num_threads(2)
    type(service)(service.settings, service.client, service.loaded)
    assert torch.get_num_threads() == SERVING_THREADS == 1
