"""Recall@10 of the two-tower model (trained with the CLI's defaults) against most-popular,
implicit's BPR/ALS and LightFM (WARP, collaborative mode), on datasets of the kinds issue 13
names, built from what is installable here (no data is downloaded): the demo generator with
weaker features, fewer users and popularity-driven utilities; a check-in-like log with ids
only; a tiny ratings dataset with user and item attributes.
Splits: a random 80/20 holdout per user (warm users) and 20% of users held out (new users).

    .venv/bin/python -m benchmarks.quality            # every dataset
    .venv/bin/python -m benchmarks.quality --only tiny-ratings

Prints one markdown table; the ratios compare models measured in the same run."""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from recsys.data.contract import Dataset, Schema
from recsys.ml.baselines import EaseRecommender, MatrixFactorizationRecommender, PopularRecommender
from recsys.ml.evaluation import evaluate_recommender, make_split
from recsys.ml.training import TrainConfig
from recsys.ml.two_tower import TwoTowerRecommender


def weak_demo(seed: int = 11) -> Dataset:
    """The demo generator with fewer users, weaker taste, more noise and popularity-driven visits."""
    from recsys.data.demo import DemoConfig, generate

    cfg = DemoConfig(seed=seed, n_restaurants=800, n_users=1200, w_taste=0.5, w_noise=0.8, w_popularity=1.2,
                     w_distance_per_km=0.2)
    data, _ = generate(cfg)
    return data


def checkins(seed: int = 0, n_users: int = 1500, n_items: int = 800, n_groups: int = 20) -> Dataset:
    """A POI check-in-like log with ids only: long-tailed popularity plus taste groups that only the
    history reveals; repeat visits collapse into a weight."""
    rng = np.random.default_rng(seed)
    popularity = rng.pareto(1.2, n_items) + 0.05
    group_of_item = rng.integers(0, n_groups, n_items)
    rows = []
    for u in range(n_users):
        groups = rng.choice(n_groups, size=2, replace=False)
        affinity = np.where(np.isin(group_of_item, groups), 6.0, 1.0) * popularity
        n = int(np.clip(rng.poisson(15), 3, 80))
        for i in rng.choice(n_items, size=min(n, n_items), replace=False, p=affinity / affinity.sum()):
            rows.append((f"u{u}", f"p{i}", float(1 + rng.poisson(0.5))))
    inter = pd.DataFrame(rows, columns=["user_id", "item_id", "weight"])
    return Dataset(items=pd.DataFrame({"item_id": [f"p{i}" for i in range(n_items)]}),
                   users=pd.DataFrame({"user_id": [f"u{u}" for u in range(n_users)]}), interactions=inter,
                   schema=Schema(items={"item_id": "id"}, users={"user_id": "id"}))


def tiny_ratings(seed: int = 0, n_users: int = 300, n_items: int = 400) -> Dataset:
    """A few hundred users rating items, with demographic user attributes and genre item attributes
    that explain part of the taste; ratings of 4+ are the implicit positives."""
    rng = np.random.default_rng(seed)
    genres = ["action", "comedy", "drama", "horror", "romance", "scifi", "documentary", "animation"]
    occupations = ["student", "engineer", "artist", "doctor", "retired", "writer", "other"]
    item_genres = [rng.choice(len(genres), size=rng.integers(1, 4), replace=False) for _ in range(n_items)]
    age = rng.integers(16, 70, n_users)
    occ = rng.integers(0, len(occupations), n_users)
    gender = rng.choice(["F", "M"], n_users)
    # Taste: part from attributes (age group x genre, occupation x genre), part personal.
    age_pref = rng.normal(0, 1, (4, len(genres)))
    occ_pref = rng.normal(0, 1, (len(occupations), len(genres)))
    personal = rng.normal(0, 1, (n_users, 8))
    item_latent = rng.normal(0, 1, (n_items, 8))
    quality = rng.normal(0, 0.8, n_items)
    genre_matrix = np.zeros((n_items, len(genres)))
    for i, gs in enumerate(item_genres):
        genre_matrix[i, gs] = 1
    pref = age_pref[np.minimum((age - 16) // 14, 3)] + occ_pref[occ]
    utility = 0.6 * pref @ genre_matrix.T + 0.5 * personal @ item_latent.T + quality[None, :]
    rows = []
    for u in range(n_users):
        n = int(np.clip(rng.poisson(40), 10, 150))
        seen = rng.choice(n_items, size=n, replace=False, p=np.exp(quality) / np.exp(quality).sum())
        for i in seen:
            if utility[u, i] + rng.normal(0, 0.7) > 0.8:
                rows.append((f"u{u}", f"m{i}", 1.0))
    items = pd.DataFrame({"item_id": [f"m{i}" for i in range(n_items)],
                          "genres": ["|".join(genres[g] for g in gs) for gs in item_genres],
                          "year": rng.integers(1950, 2024, n_items).astype(float)})
    users = pd.DataFrame({"user_id": [f"u{u}" for u in range(n_users)], "age": age.astype(float),
                          "gender": gender, "occupation": [occupations[o] for o in occ]})
    schema = Schema(items={"item_id": "id", "genres": "multilabel", "year": "numeric"},
                    users={"user_id": "id", "age": "numeric", "gender": "categorical", "occupation": "categorical"})
    return Dataset(items=items, users=users, interactions=pd.DataFrame(rows, columns=["user_id", "item_id", "weight"]),
                   schema=schema)


DATASETS = {"weak-demo": weak_demo, "checkins-ids-only": checkins, "tiny-ratings": tiny_ratings}


def run(names: list[str], k: int = 10) -> pd.DataFrame:
    rows = []
    for name in names:
        data = DATASETS[name]()
        for split_name in ("random", "cold-users"):
            split = make_split(data, split_name, fraction=0.2, seed=0)
            scores, seconds = {}, {}
            models = [PopularRecommender(), *(MatrixFactorizationRecommender(a) for a in ("bpr", "als", "lightfm")),
                      EaseRecommender(), TwoTowerRecommender(TrainConfig())]
            for model in models:
                started = time.perf_counter()
                model.fit(split.train)
                seconds[model.name] = time.perf_counter() - started
                scores[model.name] = evaluate_recommender(model, split, k=k, max_users=2000)[f"recall@{k}"]
            pop, tt = scores["most popular"], scores["two-tower"]
            best_mf = max(scores["BPR (implicit)"], scores["ALS (implicit)"], scores["LightFM (WARP)"])
            chosen = models[-1].card.selection.get("chosen", "")
            rows.append({"dataset": name, "split": "warm (80/20)" if split_name == "random" else "new users (20%)",
                         "users": data.users.shape[0], "items": data.items.shape[0],
                         "interactions": len(data.interactions), "most popular": pop,
                         "BPR": scores["BPR (implicit)"], "ALS": scores["ALS (implicit)"],
                         "LightFM": scores["LightFM (WARP)"], "EASE^R": scores["EASE^R"], "two-tower": tt,
                         "x popular": tt / pop if pop else float("nan"),
                         "x best MF": tt / best_mf if best_mf else float("nan"),
                         "variant": chosen, "train s": seconds["two-tower"]})
            print(pd.DataFrame(rows[-1:]).to_markdown(index=False, floatfmt=".3f"), flush=True)
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=list(DATASETS), action="append")
    args = parser.parse_args()
    table = run(args.only or list(DATASETS))
    print("\nRecall@10, two-tower with TrainConfig() defaults vs baselines fitted on the same split:\n")
    print(table.to_markdown(index=False, floatfmt=".3f"))


if __name__ == "__main__":
    main()
