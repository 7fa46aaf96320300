"""Offline evaluation: splits, ranking metrics and a comparison table against baselines.

A model is never scored on interactions it trained on: every recommender (the two-tower model
included) is fitted on the split's training part and asked to rank the held-out part.
Domain-free: any contract Dataset works; the oracle row appears only when the generator's true
utilities are supplied.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from recsys.data.contract import Dataset
from recsys.ml.baselines import (
    CeilingRecommender,
    ContentRecommender,
    EaseRecommender,
    MatrixFactorizationRecommender,
    NearestRecommender,
    OracleRecommender,
    PopularRecommender,
    RandomRecommender,
    Recommender,
    SegmentPopularRecommender,
    geo_columns,
)

SPLITS = ("random", "time", "cold-users", "cold-items")
CURVE_REVEALS = (0, 1, 3, 5, 10)  # interactions revealed to a new user's history on the cold-start curve
CURVE_KEY = "cold-start curve"  # the curve's rows' key in metrics.json


@dataclass
class Split:
    name: str
    train: Dataset
    test: pd.DataFrame  # held-out interactions
    candidates: pd.DataFrame  # items to rank (all items, or only the held-out ones for cold-items)
    note: str


def make_split(dataset: Dataset, name: str = "random", fraction: float = 0.2, seed: int = 0) -> Split:
    rng = np.random.default_rng(seed)
    inter = dataset.interactions
    if name == "random":
        counts = inter.groupby("user_id")["item_id"].transform("size").to_numpy()
        held = (rng.random(len(inter)) < fraction) & (counts >= 2)
        note = f"{fraction:.0%} of each user's interactions held out at random"
    elif name == "time":
        if not dataset.has_timestamps:
            raise ValueError("the time split needs a timestamp column in interactions.csv")
        rank = inter.groupby("user_id")["timestamp"].rank(method="first", pct=True).to_numpy()
        counts = inter.groupby("user_id")["item_id"].transform("size").to_numpy()
        held = (rank > 1 - fraction) & (counts >= 2)
        note = f"each user's latest {fraction:.0%} of interactions held out"
    elif name == "cold-users":
        users = inter["user_id"].unique()
        cold = set(rng.choice(users, size=max(1, int(len(users) * fraction)), replace=False))
        held = inter["user_id"].isin(cold).to_numpy()
        note = f"{fraction:.0%} of users with all their interactions held out (no history at all)"
    elif name == "cold-items":
        items = dataset.items["item_id"].unique()
        cold = set(rng.choice(items, size=max(1, int(len(items) * fraction)), replace=False))
        held = inter["item_id"].isin(cold).to_numpy()
        note = f"{fraction:.0%} of items never seen in training; ranked among themselves"
    else:
        raise ValueError(f"unknown split {name!r}; expected one of {', '.join(SPLITS)}")
    train = dataset.with_interactions(inter[~held])
    test = inter[held].reset_index(drop=True)
    candidates = dataset.items
    if name == "cold-items":
        candidates = dataset.items[dataset.items["item_id"].isin(cold)].reset_index(drop=True)
    return Split(name=name, train=train, test=test, candidates=candidates, note=note)


def ranking_metrics(ranked: list[list[str]], relevant: list[set[str]], k: int, n_candidates: int) -> dict[str, float]:
    """Recall, NDCG, HitRate and MRR at K averaged over users, and catalogue coverage."""
    recall, ndcg, hit, mrr = [], [], [], []
    shown: set[str] = set()
    for items, rel in zip(ranked, relevant):
        top = items[:k]
        shown.update(top)
        gains = [1.0 if item in rel else 0.0 for item in top]
        hits = sum(gains)
        recall.append(hits / len(rel))
        hit.append(1.0 if hits else 0.0)
        dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
        ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(rel), k)))
        ndcg.append(dcg / ideal)
        first = next((i for i, g in enumerate(gains) if g), None)
        mrr.append(1.0 / (first + 1) if first is not None else 0.0)
    mean = lambda xs: float(np.mean(xs)) if xs else 0.0  # noqa: E731
    return {f"recall@{k}": mean(recall), f"ndcg@{k}": mean(ndcg), f"hitrate@{k}": mean(hit),
            f"mrr@{k}": mean(mrr), "coverage": len(shown) / max(n_candidates, 1), "users": len(ranked)}


def evaluate_recommender(model: Recommender, split: Split, k: int = 10, exclude_seen: bool = True,
                         max_users: int | None = None, seed: int = 0) -> dict[str, float]:
    """Fit nothing: score an already-fitted ``model`` on the split's held-out interactions."""
    relevant = split.test.groupby("user_id")["item_id"].agg(set)
    users = split.train.users.set_index("user_id").loc[relevant.index].reset_index()
    if max_users and len(users) > max_users:
        users = users.sample(max_users, random_state=seed).reset_index(drop=True)
    exclude = None
    if exclude_seen:
        exclude = split.train.interactions.groupby("user_id")["item_id"].agg(set).to_dict()
    ranked = []
    for start in range(0, len(users), 1024):  # bounded memory for big catalogues
        chunk = users.iloc[start:start + 1024]
        ranked += [[item for item, _ in row] for row in model.recommend(chunk, split.candidates, k, exclude)]
    return ranking_metrics(ranked, [relevant[u] for u in users["user_id"]], k, len(split.candidates))


def baselines(dataset: Dataset, oracle: dict | None = None,
              seed_recipe: Callable[[], Recommender] | None = None) -> list[Recommender]:
    models: list[Recommender] = [RandomRecommender(), PopularRecommender(), SegmentPopularRecommender(),
                                 ContentRecommender(), MatrixFactorizationRecommender("bpr"),
                                 MatrixFactorizationRecommender("als"), EaseRecommender()]
    if geo_columns(dataset.schema.users) and geo_columns(dataset.schema.items):
        models.append(NearestRecommender())
    if seed_recipe is not None:
        models.append(seed_recipe())
    if oracle is not None:
        models.append(OracleRecommender(oracle))
        if "ceiling_top_items" in oracle:
            models.append(CeilingRecommender(oracle))
    return models


def compare(dataset: Dataset, models: list[Recommender], split_name: str = "random", k: int = 10,
            exclude_seen: bool = True, seed: int = 0, max_users: int | None = 2000,
            on_model: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Fit each model on the split's training part and evaluate it: one row per model."""
    split = make_split(dataset, split_name, seed=seed)
    rows = []
    for model in models:
        if on_model:
            on_model(model.name)
        model.fit(split.train)
        metrics = evaluate_recommender(model, split, k, exclude_seen, max_users=max_users, seed=seed)
        rows.append({"model": model.name, "split": split_name, **metrics})
    return pd.DataFrame(rows)


QUICK_SPLITS = ("random", "cold-users")  # warm users and brand-new users: what the Model page shows


def quick_evaluation(dataset: Dataset, candidate: Callable[[], Recommender], k: int = 10, max_users: int = 1000,
                     on_model: Callable[[str, str], None] | None = None) -> dict[str, list[dict]]:
    """metrics.json for a freshly trained model: ``candidate()`` (a new, unfitted copy of its
    recipe) refitted on each quick split's training part and compared with the baselines that
    need no extra data (most popular, segment popular, content-only, BPR, ALS, EASE^R), and the
    cold-start curve. {split or CURVE_KEY: [row per model (and n revealed)]}."""
    models = [PopularRecommender(), SegmentPopularRecommender(), ContentRecommender(),
              MatrixFactorizationRecommender("bpr"), MatrixFactorizationRecommender("als"), EaseRecommender()]
    out = {}
    for split in QUICK_SPLITS:
        table = compare(dataset, [*models, candidate()], split, k=k, max_users=max_users,
                        on_model=(lambda name, s=split: on_model(s, name)) if on_model else None)
        out[split] = table.to_dict("records")
    curve = cold_start_curve(dataset, [PopularRecommender(), EaseRecommender(), candidate()], k=k, max_users=max_users,
                             on_model=(lambda name: on_model(CURVE_KEY, name)) if on_model else None)
    out[CURVE_KEY] = curve.to_dict("records")
    return out


def cold_start_curve(dataset: Dataset, models: list[Recommender], reveals: tuple[int, ...] = CURVE_REVEALS,
                     k: int = 10, fraction: float = 0.2, seed: int = 0, max_users: int | None = 2000,
                     on_model: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Recall@K of brand-new users as they act: a share of users is held out entirely, each
    model is fitted without them, then each held-out user's first n interactions (by time where
    the log has times, else in a seeded random order) are given as their history and the rest
    are to be found, for every n of ``reveals``. Only users with more than max(reveals)
    interactions count, so every point of the curve is the same people. One row per model and n."""
    split = make_split(dataset, "cold-users", fraction=fraction, seed=seed)
    events = split.test
    if dataset.has_timestamps:
        events = events.sort_values(["user_id", "timestamp"], kind="stable")
    else:
        events = events.sample(frac=1.0, random_state=seed).sort_values("user_id", kind="stable")
    counts = events.groupby("user_id")["item_id"].transform("size")
    events = events[counts > max(reveals)]
    users = split.train.users.set_index("user_id").loc[events["user_id"].unique()].reset_index()
    if max_users and len(users) > max_users:
        users = users.sample(max_users, random_state=seed).reset_index(drop=True)
        events = events[events["user_id"].isin(users["user_id"])]
    order = events.groupby("user_id").cumcount()
    rows = []
    for model in models:
        if on_model:
            on_model(model.name)
        model.fit(split.train)
        for n in reveals:
            revealed, rest = events[order < n], events[order >= n]
            relevant = rest.groupby("user_id")["item_id"].agg(set)
            exclude = revealed.groupby("user_id")["item_id"].agg(set).to_dict()
            ranked = []
            for start in range(0, len(users), 1024):
                chunk = users.iloc[start:start + 1024]
                ranked += [[item for item, _ in row]
                           for row in model.recommend(chunk, split.candidates, k, exclude, history=revealed)]
            metrics = ranking_metrics(ranked, [relevant.get(u, set()) or {"-"} for u in users["user_id"]], k,
                                      len(split.candidates))
            rows.append({"model": model.name, "revealed": n, f"recall@{k}": metrics[f"recall@{k}"],
                         "users": len(users)})
    return pd.DataFrame(rows)
