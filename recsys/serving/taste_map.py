"""The Model page's taste map: a sample of restaurants and users plus one chosen user in two
directions of the served embedding space (recsys.ml.projection does the maths, domain-free)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from recsys.ml.projection import project

if TYPE_CHECKING:
    from recsys.serving.service import RecommenderService


def embedding_map(service: "RecommenderService", user_id: str, n_items: int = 1500, n_users: int = 400,
                  top_k: int = 10) -> tuple[pd.DataFrame, float]:
    """The Model page's picture: a sample of restaurants and users plus ``user_id`` in two
    directions of the taste space (see recsys.ml.projection), with that user's top-k picks
    marked. Returns (x, y, group, name) rows and the share of variance the picture keeps."""
    items = service.catalogue()
    all_users = service.dataset().users
    chosen = all_users[all_users["user_id"] == user_id]
    if chosen.empty:
        raise LookupError(f"no user {user_id!r} in the dataset")
    others = all_users[all_users["user_id"] != user_id]
    users = pd.concat([others.sample(n=min(n_users, len(others)), random_state=0), chosen], ignore_index=True)
    shown = service.model.embed_items(items)
    service._served_catalogue()
    result = project(shown, service.model.embed_users(users, service.dataset().interactions),
                     service.model.config.tower.embedding_dim, top_k)
    keep = np.zeros(len(items), dtype=bool)
    keep[np.random.default_rng(0).permutation(len(items))[:n_items]] = True
    keep[result.picks] = True  # every pick is drawn, sampled or not
    is_pick = np.zeros(len(items), dtype=bool)
    is_pick[result.picks] = True
    label = str(chosen["name"].iat[0]) if "name" in chosen else user_id
    frame = pd.concat([
        pd.DataFrame({"x": result.item_xy[keep, 0], "y": result.item_xy[keep, 1],
                      "group": np.where(is_pick[keep], f"top-{top_k} pick", "restaurant"),
                      "name": items["name"].to_numpy()[keep]}),
        pd.DataFrame({"x": result.user_xy[:, 0], "y": result.user_xy[:, 1],
                      "group": ["other users"] * (len(users) - 1) + [f"user: {label}"],
                      "name": users.get("name", users["user_id"]).astype(str).to_numpy()}),
    ], ignore_index=True)
    return frame, result.explained
