"""Every recommender is checked the same way (a shared mixin), on tiny synthetic data with a
known answer; then what only the two-tower model promises: learning, cold start, repeatability,
save/load, and clear errors for broken artifacts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from recsys.ml.baselines import (
    ContentRecommender,
    EaseRecommender,
    MatrixFactorizationRecommender,
    PopularRecommender,
    RandomRecommender,
)
from recsys.ml.evaluation import evaluate_recommender, make_split, ranking_metrics
from recsys.ml.features import FeatureSpec
from recsys.ml.network import TowerConfig
from recsys.ml.training import TrainConfig
from recsys.ml.two_tower import ModelArtifactError, TwoTowerRecommender
from tests.synthetic import category_dataset, noisy_visits_dataset, same_category_share

FAST = TrainConfig(epochs=25, batch_size=64, patience=25, lr=5e-3, tower=TowerConfig(hidden=[64], embedding_dim=16, id_dim=8))


class RecommenderContract:
    """What every Recommender must do; subclasses say how to build one and how good it must be."""

    min_same_category = 0.0  # share of recommendations in the user's liked category

    def make(self):
        raise NotImplementedError

    @pytest.fixture(scope="class")
    @classmethod
    def fitted(cls):
        data = category_dataset()
        return data, cls.make(cls).fit(data)

    def test_score_shape_and_finite(self, fitted):
        data, model = fitted
        scores = model.score(data.users.head(7), data.items)
        assert scores.shape == (7, len(data.items))
        assert np.isfinite(scores).all()

    def test_recommend_respects_k_and_exclusions(self, fitted):
        data, model = fitted
        seen = data.interactions.groupby("user_id")["item_id"].agg(set).to_dict()
        ranked = model.recommend(data.users.head(5), data.items, k=6, exclude=seen)
        for user, row in zip(data.users["user_id"].head(5), ranked):
            ids = [item for item, _ in row]
            assert len(ids) == 6 and len(set(ids)) == 6
            assert not set(ids) & seen[user]
            scores = [s for _, s in row]
            assert scores == sorted(scores, reverse=True)

    def test_known_answer(self, fitted):
        data, model = fitted
        ranked = [[i for i, _ in row] for row in model.recommend(data.users, data.items, k=5)]
        assert same_category_share(ranked, data.users, data.items) >= self.min_same_category

    def test_save_load_gives_the_same_scores(self, fitted, tmp_path):
        data, model = fitted
        model.save(tmp_path / "m")
        again = type(model).load(tmp_path / "m")
        if hasattr(again, "set_catalogue"):  # a history names items: the loaded model is told which
            again.set_catalogue(data.items)
        history = data.interactions  # a user's history is an input, not part of an artifact
        np.testing.assert_allclose(again.score(data.users.head(4), data.items, history),
                                   model.score(data.users.head(4), data.items, history), rtol=1e-5, atol=1e-6)


class TestRandom(RecommenderContract):
    def make(self):
        return RandomRecommender(seed=1)


class TestPopular(RecommenderContract):
    def make(self):
        return PopularRecommender()


class TestContent(RecommenderContract):
    min_same_category = 0.95  # history tokens reveal the category

    def make(self):
        return ContentRecommender()


class TestEase(RecommenderContract):
    min_same_category = 0.95  # item-item weights stay inside the category

    def make(self):
        return EaseRecommender()


class TestBPR(RecommenderContract):
    min_same_category = 0.9

    def make(self):
        return MatrixFactorizationRecommender("bpr")


class TestALS(RecommenderContract):
    min_same_category = 0.9

    def make(self):
        return MatrixFactorizationRecommender("als")


class TestLightFM(RecommenderContract):
    min_same_category = 0.9

    def make(self):
        return MatrixFactorizationRecommender("lightfm")


def test_ease_folds_in_a_new_users_history_and_is_most_popular_without_one():
    data = category_dataset()
    ease = EaseRecommender().fit(data)
    newcomers = pd.DataFrame({"user_id": ["new-red", "new-none"]})
    red = data.items[data.items["category"] == "red"]["item_id"].head(3)
    history = pd.DataFrame({"user_id": "new-red", "item_id": red})
    ranked = [[i for i, _ in row] for row in ease.recommend(newcomers, data.items, k=5, history=history,
                                                          exclude={"new-red": set(red)})]
    category = dict(zip(data.items["item_id"], data.items["category"]))
    assert {category[i] for i in ranked[0]} == {"red"}
    popular = PopularRecommender().fit(data)
    assert ranked[1] == [i for i, _ in popular.recommend(newcomers.tail(1), data.items, k=5)[0]]
    assert ease.chosen["chosen"] in EaseRecommender.LAMBDAS  # lambda came from validation


class TestTwoTower(RecommenderContract):
    min_same_category = 0.95

    def make(self):
        return TwoTowerRecommender(FAST)


def test_two_tower_reaches_near_perfect_recall_and_beats_popular():
    data = category_dataset(n_users=160, per_user=10)
    split = make_split(data, "random", fraction=0.2, seed=0)
    tt = TwoTowerRecommender(FAST).fit(split.train)
    pop = PopularRecommender().fit(split.train)
    # Each user has 20 same-category items, ~8 seen: a perfect model finds the held-out ones in its top 12.
    tt_m = evaluate_recommender(tt, split, k=12)
    pop_m = evaluate_recommender(pop, split, k=12)
    assert tt_m["recall@12"] >= 0.9
    assert tt_m["recall@12"] > 2 * pop_m["recall@12"]


def test_cold_start_users_embed_from_features():
    data = category_dataset(n_users=160)
    split = make_split(data, "cold-users", fraction=0.25, seed=1)
    model = TwoTowerRecommender(FAST).fit(split.train)
    cold = data.users[data.users["user_id"].isin(split.test["user_id"])]
    ranked = [[i for i, _ in row] for row in model.recommend(cold, data.items, k=5)]
    assert same_category_share(ranked, cold, data.items) >= 0.95


def test_training_is_repeatable_with_a_seed():
    data = category_dataset()
    a = TwoTowerRecommender(FAST).fit(data)
    b = TwoTowerRecommender(FAST).fit(data)
    np.testing.assert_array_equal(a.embed_items(data.items), b.embed_items(data.items))


def test_embeddings_are_unit_vectors_plus_bias_slot_and_stable_in_eval_mode():
    data = category_dataset()
    model = TwoTowerRecommender(FAST).fit(data)
    first = model.embed_users(data.users)
    dim = FAST.tower.embedding_dim
    # [u, 1, 0]: the bias and popularity slots of the item vectors, then one slot per value of the
    # segment field where the cold-user mix reads one (zeros for these users: they are all known).
    segments = model.user_spec.block(model.config.cold_segment)[1] if model.config.cold_segment else 0
    assert first.shape[1] == model.dim == dim + 2 + segments
    np.testing.assert_allclose(np.linalg.norm(first[:, :dim], axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(first[:, dim], 1.0)
    np.testing.assert_array_equal(first[:, dim + 2:], 0.0)
    items = model.embed_items(data.items)
    np.testing.assert_allclose(np.linalg.norm(items[:, :dim], axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(first, model.embed_users(data.users))


def test_models_saved_before_the_bias_load_as_pure_cosine():
    from recsys.ml.training import TrainConfig as Config

    old = FAST.to_json()
    old["tower"].pop("item_bias")
    assert Config.from_json(old).tower.item_bias is False


def test_models_saved_before_the_popularity_slot_load_and_rank_as_before(tmp_path):
    import json

    import torch

    data = category_dataset()
    model = TwoTowerRecommender(FAST).fit(data)
    path = model.save(tmp_path / "m")
    state = torch.load(path / "model.pt", weights_only=True)
    state.pop("item_popularity")  # what a model trained before the slot existed has
    state.pop("segment_popularity", None)  # (and before segment popularity)
    torch.save(state, path / "model.pt")
    config = json.loads((path / "config.json").read_text())
    config["train"].pop("cold_mix")
    config["train"].pop("cold_segment")
    (path / "config.json").write_text(json.dumps(config))
    old = TwoTowerRecommender.load(path)
    old.set_catalogue(data.items)
    assert old.config.cold_mix == (1.0, 1.0, 0.0, 0.0)  # saved before segments: none
    items = old.embed_items(data.items)
    slot = FAST.tower.embedding_dim + 1  # the popularity slot
    assert items.shape[1] == slot + 1
    np.testing.assert_array_equal(items[:, slot], 0.0)  # no popularity: the ranking is the model's own
    history = data.interactions
    served = model.embed_users(data.users, history)
    np.testing.assert_array_equal(served[:, slot + 1:], 0.0)  # known users: no segment term
    np.testing.assert_allclose(old.score(data.users, data.items, history), model.score(data.users, data.items, history)
                               - served[:, slot:slot + 1] * model.embed_items(data.items)[:, slot],
                               rtol=1e-5, atol=1e-5)


def test_unknown_values_embed_without_error():
    data = category_dataset()
    model = TwoTowerRecommender(FAST).fit(data)
    odd = pd.DataFrame({"user_id": ["never-seen"], "likes": ["purple"], "age": [None]})
    vector = model.embed_users(odd)
    assert vector.shape == (1, model.dim) and np.isfinite(vector).all()
    no_columns = model.embed_items(pd.DataFrame({"item_id": ["x"]}))
    assert np.isfinite(no_columns).all()


def test_cosine_baseline_loss_trains():
    data = category_dataset()
    model = TwoTowerRecommender(TrainConfig(loss="cosine", epochs=3, batch_size=64, tower=FAST.tower)).fit(data)
    assert len(model.card.history) >= 1


def test_feature_spec_kinds_and_round_trip(tmp_path):
    frame = pd.DataFrame({"id": ["a", "b"], "n": [1.0, None], "c": ["x", "y"], "m": ["p|q", ""],
                          "t": ["Hello world", None], "lat": [37.7, 37.8], "lon": [-122.5, -122.4]})
    kinds = {"n": "numeric", "c": "categorical", "m": "multilabel", "t": "text", "lat,lon": "geo"}
    spec = FeatureSpec.fit(frame, kinds, "id")
    out = spec.transform(frame)
    assert out["dense"].shape == (2, spec.width) and torch.isfinite(out["dense"]).all()
    assert out["ids"].tolist() == [1, 2]
    spec.save(tmp_path / "spec.json")
    again = FeatureSpec.load(tmp_path / "spec.json")
    assert torch.equal(again.transform(frame)["dense"], out["dense"])
    unseen = spec.transform(pd.DataFrame({"id": ["z"], "c": ["new"], "m": ["zzz"], "n": ["oops"]}))
    assert unseen["ids"].tolist() == [0]


def test_artifact_errors_are_clear(tmp_path):
    data = category_dataset()
    model = TwoTowerRecommender(FAST).fit(data)
    path = model.save(tmp_path / "model")
    with pytest.raises(ModelArtifactError, match="does not exist"):
        TwoTowerRecommender.load(tmp_path / "nowhere")
    (path / "model.pt").write_bytes(b"not a torch file")
    with pytest.raises(ModelArtifactError, match="corrupt"):
        TwoTowerRecommender.load(path)
    (path / "model.pt").unlink()
    with pytest.raises(ModelArtifactError, match="incomplete"):
        TwoTowerRecommender.load(path)


def test_ranking_metrics_known_values():
    m = ranking_metrics([["a", "b", "c"]], [{"b", "z"}], k=3, n_candidates=10)
    assert m["recall@3"] == 0.5 and m["hitrate@3"] == 1.0 and m["mrr@3"] == 0.5
    assert abs(m["ndcg@3"] - (1 / np.log2(3)) / (1 + 1 / np.log2(3))) < 1e-9
    assert m["coverage"] == 0.3


def test_where_features_say_nothing_history_carries_the_taste():
    data = category_dataset(n_users=160, per_user=10)
    data.users["likes"] = "unknown"  # the user features no longer reveal the taste; the history does
    split = make_split(data, "random", fraction=0.2, seed=0)
    model = TwoTowerRecommender(FAST).fit(split.train)
    assert set(model.card.validation_recall) == {"features + history", "features + history + ids"}
    assert evaluate_recommender(model, split, k=12)["recall@12"] >= 0.9
    # The same user with no history is a new user: the list no longer knows their category.
    newcomers = split.train.users.assign(user_id=lambda f: "new-" + f["user_id"])
    ranked = [[i for i, _ in row] for row in model.recommend(newcomers, data.items, k=5)]
    assert same_category_share(ranked, data.users, data.items) < 0.5


def test_features_only_variant_is_saved_and_loaded_as_trained(tmp_path):
    data = category_dataset()
    model = TwoTowerRecommender(FAST).fit(data)
    again = TwoTowerRecommender.load(model.save(tmp_path / "m"))
    again.set_catalogue(data.items)
    assert again.config.tower.id_dim == model.config.tower.id_dim
    assert again.config.tower.history_dim == model.config.tower.history_dim > 0
    np.testing.assert_allclose(again.embed_users(data.users, data.interactions), model.embed_users(data.users),
                               rtol=1e-5, atol=1e-6)


def test_a_variant_far_behind_the_best_stops_after_prune_after_epochs():
    from dataclasses import replace

    from recsys.ml.training import TrainingData, fit

    cfg = replace(FAST, epochs=12, patience=12, prune_after=2)
    data = TrainingData.build(category_dataset(), cfg).for_variant(cfg)
    free = fit(data, cfg, None)
    behind = fit(data, cfg, None, leader=10.0)  # no recall reaches half of 10
    assert len(free.history) > 2 and not free.pruned
    assert len(behind.history) == 2 and "stopped after epoch 2" in behind.pruned


@pytest.mark.parametrize("cold_mix", [None, "110", ["a", "b", "c"], [1, 1], [[1], 1, 0], {"a": 1}, 5,
                                      [float("nan"), 1, 0], [1e309, 1, 0], [1, 1, 0, 0, 0]])
def test_a_corrupt_cold_mix_is_a_model_artifact_error_naming_the_field(tmp_path, cold_mix):
    import json

    from recsys.ml.two_tower import ModelArtifactError

    data = category_dataset()
    path = TwoTowerRecommender(FAST).fit(data).save(tmp_path / "m")
    config = json.loads((path / "config.json").read_text())
    config["train"]["cold_mix"] = cold_mix
    (path / "config.json").write_text(json.dumps(config).replace("Infinity", "1e309"))
    with pytest.raises(ModelArtifactError, match="cold_mix"):
        TwoTowerRecommender.load(path)


@pytest.mark.parametrize("change", [lambda c: c.pop("train"), lambda c: c["train"].update(temperature="hot"),
                                    lambda c: c["train"].update(temperature=float("nan")),
                                    lambda c: c["train"]["tower"].update(unknown_knob=1)])
def test_a_corrupt_train_section_is_a_model_artifact_error(tmp_path, change):
    import json

    from recsys.ml.two_tower import ModelArtifactError

    path = TwoTowerRecommender(FAST).fit(category_dataset()).save(tmp_path / "m")
    config = json.loads((path / "config.json").read_text())
    change(config)
    (path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelArtifactError, match="config.json"):
        TwoTowerRecommender.load(path)


def test_weights_without_the_popularity_counts_a_popularity_mix_needs_are_refused(tmp_path):
    import json

    from recsys.ml.two_tower import ModelArtifactError

    path = TwoTowerRecommender(FAST).fit(category_dataset()).save(tmp_path / "m")
    state = torch.load(path / "model.pt", weights_only=True)
    state.pop("item_popularity")
    state.pop("segment_popularity", None)  # (this mix reads no segment: a model without its slots)
    torch.save(state, path / "model.pt")
    config = json.loads((path / "config.json").read_text())
    config["train"].update(cold_mix=[0, 0, 1], cold_segment="")
    (path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelArtifactError, match="popularity"):
        TwoTowerRecommender.load(path)
    state["item_popularity"] = torch.full((len(state["bias_ids.weight"]),), float("nan"))
    torch.save(state, path / "model.pt")
    with pytest.raises(ModelArtifactError, match="popularity"):
        TwoTowerRecommender.load(path)


def test_where_visits_say_nothing_the_profile_does_not_one_visit_does_not_pull_a_new_user_away():
    """Issue 21: on the demo, one revealed visit took the cold-start curve from 0.090 down to 0.073
    (a visit is a noisy draw from what the profile already says). Validation now chooses how far a
    short history is trusted against the features alone, and the curve no longer falls.

    The curve is averaged over four draws of the data: one draw's 60 held-out users move it by
    about 0.015 (a single draw failed a training change that passed the other three), while
    trusting one visit fully costs about 0.035 on every draw."""
    from recsys.ml.evaluation import cold_start_curve

    curves = [cold_start_curve(noisy_visits_dataset(seed=seed), [TwoTowerRecommender(FAST)], reveals=(0, 1, 3), k=10)
              for seed in range(4)]
    recall = {n: float(np.mean([dict(zip(c["revealed"], c["recall@10"]))[n] for c in curves])) for n in (0, 1, 3)}
    assert recall[1] >= recall[0] - 0.01 and recall[3] >= recall[0] - 0.01, recall


def test_a_history_is_trusted_n_over_n_plus_the_prior_and_likes_move_the_vector_whatever_the_prior():
    from recsys.ml.network import TwoTower

    torch.manual_seed(0)
    net = TwoTower(3, 4, 5, 6, TowerConfig(hidden=[8], embedding_dim=4, id_dim=0, history_dim=4, history_len=3)).eval()
    net.feedback_weight, net.explicit_weight = 0.5, 0.5
    items = {"dense": torch.randn(6, 4), "ids": torch.arange(6)}
    table = net.history_table(items, with_taste=True)
    user = {"dense": torch.randn(1, 3), "ids": torch.zeros(1, dtype=torch.long),
            "rows": torch.tensor([[1, 2, 0]]), "weights": torch.tensor([[1.0, 1.0, 0.0]])}
    empty = {**user, "weights": torch.zeros(1, 3)}
    d = net.cfg.embedding_dim
    trusted = net.embed_users(user, table)[:, :d]
    alone = net.embed_users(empty, table)[:, :d]
    net.history_prior = 2.0  # 2 events: trusted 2 / (2 + 2)
    half = net.embed_users(user, table)[:, :d]
    expected = torch.nn.functional.normalize(0.5 * alone + 0.5 * trusted, dim=1)
    torch.testing.assert_close(half, expected)
    torch.testing.assert_close(net.embed_users(empty, table)[:, :d], alone)  # no history: the features alone
    net.history_prior = 1e6
    torch.testing.assert_close(net.embed_users(user, table)[:, :d], alone, atol=1e-4, rtol=0)
    liked = {**user, "explicit_rows": torch.tensor([[3, 0, 0]]), "explicit_weights": torch.tensor([[1.0, 0.0, 0.0]])}
    moved = net.embed_users(liked, table)[:, :d]
    assert float((moved - alone).norm()) > 0.1  # a like in the app moves the picks whatever the trust in visits


@pytest.fixture(scope="module")
def saved_fast_model(tmp_path_factory):
    return TwoTowerRecommender(FAST).fit(category_dataset()).save(tmp_path_factory.mktemp("served") / "m")


@pytest.mark.parametrize("field", ["history_prior", "feedback_weight", "explicit_weight", "warm_popularity",
                                   "feedback_floor"])
@pytest.mark.parametrize("value", ["30", None, [1], True, float("nan"), -5, 1e309])
def test_a_corrupt_served_weight_is_refused_at_load_naming_the_field(tmp_path, saved_fast_model, field, value):
    """Found by attacking the history prior: "30", null or [1] loaded and then failed on every
    request with a TypeError; NaN, negatives and true were served as some other value."""
    import json
    import shutil

    path = shutil.copytree(saved_fast_model, tmp_path / "m")
    config = json.loads((path / "config.json").read_text())
    config["train"][field] = value
    (path / "config.json").write_text(json.dumps(config).replace("Infinity", "1e309"))
    with pytest.raises(ModelArtifactError, match=f"train.{field}"):
        TwoTowerRecommender.load(path)


def test_a_model_saved_before_the_explicit_term_keeps_its_weight(tmp_path, saved_fast_model):
    import json
    import shutil

    path = shutil.copytree(saved_fast_model, tmp_path / "m")
    config = json.loads((path / "config.json").read_text())
    del config["train"]["explicit_weight"], config["train"]["history_prior"]
    (path / "config.json").write_text(json.dumps(config))
    loaded = TwoTowerRecommender.load(path)
    assert loaded.config.explicit_weight == 0.5 and loaded.config.history_prior == 0.0
