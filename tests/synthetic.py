"""Tiny synthetic datasets with a known right answer, shared by the model tests.

Each user likes exactly one category (a user feature); they interact only with items of that
category (an item feature). A model that learns anything must rank same-category items first,
for warm users and for brand-new users alike."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys.data.contract import Dataset, Schema

CATEGORIES = ("red", "green", "blue", "yellow")


def category_dataset(n_users: int = 120, n_items: int = 80, per_user: int = 8, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    items = pd.DataFrame({
        "item_id": [f"i{i}" for i in range(n_items)],
        "category": [CATEGORIES[i % len(CATEGORIES)] for i in range(n_items)],
        "size": rng.normal(size=n_items).round(3),
    })
    users = pd.DataFrame({
        "user_id": [f"u{u}" for u in range(n_users)],
        "likes": [CATEGORIES[u % len(CATEGORIES)] for u in range(n_users)],
        "age": rng.integers(18, 80, size=n_users).astype(float),
    })
    rows = []
    for u in range(n_users):
        pool = items.index[items["category"] == users["likes"][u]].to_numpy()
        for i in rng.choice(pool, size=min(per_user, len(pool)), replace=False):
            rows.append((users["user_id"][u], items["item_id"][i], 1.0, int(rng.integers(1_600_000_000, 1_700_000_000))))
    interactions = pd.DataFrame(rows, columns=["user_id", "item_id", "weight", "timestamp"])
    schema = Schema(items={"item_id": "id", "category": "categorical", "size": "numeric"},
                    users={"user_id": "id", "likes": "categorical", "age": "numeric"})
    return Dataset(items=items, users=users, interactions=interactions, schema=schema)


def same_category_share(ranked: list[list[str]], users: pd.DataFrame, items: pd.DataFrame) -> float:
    """Share of recommended items whose category is the user's liked one."""
    category = dict(zip(items["item_id"], items["category"]))
    hits = total = 0
    for likes, row in zip(users["likes"], ranked):
        hits += sum(category[i] == likes for i in row)
        total += len(row)
    return hits / max(total, 1)


def popularity_dataset(n_users: int = 300, n_items: int = 120, per_user: int = 8, seed: int = 0) -> Dataset:
    """Popularity is the only signal: every user draws items from the same Zipf-like law, and the
    features (a random user colour, a random item size) say nothing. The right answer is
    "most popular"; a model must not rank below it, for warm or brand-new users."""
    rng = np.random.default_rng(seed)
    items = pd.DataFrame({"item_id": [f"i{i}" for i in range(n_items)],
                          "category": rng.choice(CATEGORIES, size=n_items),
                          "size": rng.normal(size=n_items).round(3)})
    users = pd.DataFrame({"user_id": [f"u{u}" for u in range(n_users)],
                          "likes": rng.choice(CATEGORIES, size=n_users),
                          "age": rng.integers(18, 80, size=n_users).astype(float)})
    p = 1.0 / np.arange(1, n_items + 1) ** 1.1
    p = p[rng.permutation(n_items)]
    p /= p.sum()
    rows = [(users["user_id"][u], items["item_id"][i], 1.0, 1_600_000_000 + u)
            for u in range(n_users) for i in rng.choice(n_items, size=per_user, replace=False, p=p)]
    interactions = pd.DataFrame(rows, columns=["user_id", "item_id", "weight", "timestamp"])
    schema = Schema(items={"item_id": "id", "category": "categorical", "size": "numeric"},
                    users={"user_id": "id", "likes": "categorical", "age": "numeric"})
    return Dataset(items=items, users=users, interactions=interactions, schema=schema)


def ids_only_dataset(n_users: int = 300, n_items: int = 150, per_user: int = 12, n_tastes: int = 6,
                     seed: int = 0) -> Dataset:
    """No features at all (like a check-in log): users belong to hidden taste groups, each with its
    own favourite items. Only the interaction history reveals the group, so a model must reach
    matrix-factorisation quality from ids alone."""
    rng = np.random.default_rng(seed)
    items = pd.DataFrame({"item_id": [f"i{i}" for i in range(n_items)]})
    users = pd.DataFrame({"user_id": [f"u{u}" for u in range(n_users)]})
    item_group = rng.integers(0, n_tastes, size=n_items)
    rows = []
    for u in range(n_users):
        group = u % n_tastes
        p = np.where(item_group == group, 1.0, 0.04) * rng.uniform(0.5, 1.5, size=n_items)
        for i in rng.choice(n_items, size=per_user, replace=False, p=p / p.sum()):
            rows.append((users["user_id"][u], items["item_id"][i], 1.0, 1_600_000_000 + u))
    interactions = pd.DataFrame(rows, columns=["user_id", "item_id", "weight", "timestamp"])
    return Dataset(items=items, users=users, interactions=interactions,
                   schema=Schema(items={"item_id": "id"}, users={"user_id": "id"}))


def noisy_visits_dataset(n_users: int = 300, n_items: int = 120, per_user: int = 10, noise: float = 0.7,
                         seed: int = 0) -> Dataset:
    """The profile says it all: each user likes one category, and a share ``noise`` of their
    visits are places drawn at random (the demo's personal noise, made plain). A visit then says
    nothing the profile does not, so one visit must not pull a new user's list away from their
    category: the right answer trusts the features and barely moves with a short history."""
    rng = np.random.default_rng(seed)
    base = category_dataset(n_users=n_users, n_items=n_items, per_user=1, seed=seed)
    rows = []
    for u, likes in zip(base.users["user_id"], base.users["likes"]):
        pool = base.items.index[base.items["category"] == likes].to_numpy()
        chosen: set[int] = set()
        while len(chosen) < per_user:
            chosen.add(int(rng.integers(n_items)) if rng.random() < noise else int(rng.choice(pool)))
        for i in chosen:
            rows.append((u, base.items["item_id"][i], 1.0, int(rng.integers(1_600_000_000, 1_700_000_000))))
    interactions = pd.DataFrame(rows, columns=["user_id", "item_id", "weight", "timestamp"])
    return Dataset(items=base.items, users=base.users, interactions=interactions, schema=base.schema)
