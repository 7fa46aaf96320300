"""The embedding map's projection on vectors with a known shape: two towers whose vectors sit in
offset regions (as trained towers do) must still show a user beside what that user likes."""

from __future__ import annotations

import numpy as np

from recsys.ml.projection import project


def _space(seed: int = 0):
    rng = np.random.default_rng(seed)
    dim = 8
    centres = np.eye(dim)[:3] * 3  # three kinds of item
    kinds = rng.integers(0, 3, 300)
    items = centres[kinds] + rng.normal(0, 0.3, (300, dim))
    offset = np.full(dim, 5.0)  # the user tower lives far from the item tower
    user_kinds = rng.integers(0, 3, 60)
    users = centres[user_kinds] * 0.5 + offset + rng.normal(0, 0.3, (60, dim))
    return items, users, kinds, user_kinds, dim


def test_a_user_lands_among_the_items_of_their_kind():
    items, users, kinds, user_kinds, dim = _space()
    result = project(items, users, dim)
    chosen_kind = user_kinds[-1]
    mine = result.item_xy[kinds == chosen_kind].mean(axis=0)
    others = [result.item_xy[kinds == k].mean(axis=0) for k in set(range(3)) - {chosen_kind}]
    me = result.user_xy[-1]
    assert all(np.linalg.norm(me - mine) < np.linalg.norm(me - o) for o in others)
    # No separate user cloud: both towers are centred on the same origin.
    assert np.linalg.norm(result.user_xy.mean(axis=0)) < 1e-6 and np.linalg.norm(result.item_xy.mean(axis=0)) < 1e-6


def test_picks_are_the_exact_top_k_of_the_full_score_bias_included():
    items, users, *_ , dim = _space(1)
    bias = np.linspace(-1, 1, len(items))[:, None]
    served_items = np.hstack([items, bias])
    served_users = np.hstack([users, np.ones((len(users), 1))])
    result = project(served_items, served_users, dim, top_k=7)
    expected = np.argsort(-(served_items @ served_users[-1]))[:7]
    assert list(result.picks) == list(expected)
    assert 0 < result.explained <= 1
