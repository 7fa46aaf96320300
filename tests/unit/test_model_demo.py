"""Issue 12 item 13: the demo users' likes cover the cuisines the demo restaurants carry, so a
profile can like anything the cuisine filter offers (the old generator drew from 13 labels)."""

from __future__ import annotations

from recsys.data.contract import split_multilabel
from recsys.data.demo import TASTE_LABELS, DemoConfig, generate


def test_user_likes_cover_the_restaurant_cuisines():
    data, _ = generate(DemoConfig(n_restaurants=600, n_users=1500, seed=3))
    cuisines = {label for value in data.items["cuisines"] for label in split_multilabel(value)}
    likes = {label for value in data.users["likes"] for label in split_multilabel(value)}
    assert len(cuisines) >= 30
    assert likes == cuisines == set(TASTE_LABELS)
