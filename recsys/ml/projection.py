"""A flat picture of a two-tower embedding space, for people to look at: items, a sample of users
and one chosen user in the same two directions. Domain-free (ids and vectors only)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Projection:
    item_xy: np.ndarray  # [n_items, 2]
    user_xy: np.ndarray  # [n_users, 2]; the chosen user is the last row
    picks: np.ndarray  # indices into the items: the chosen user's top-k by the full served score
    explained: float  # share of the (centred) variance the two directions keep


def project(item_vectors: np.ndarray, user_vectors: np.ndarray, taste_dim: int, top_k: int = 10) -> Projection:
    """``item_vectors`` / ``user_vectors`` as served (taste part first, then any bias slot); the
    last user row is the chosen user.

    Each tower's taste vectors are centred on their own mean before one joint PCA: the two towers
    occupy offset regions of the space, and without centring that offset is the main direction
    and users form a cloud of their own, far from what they like. The picks are ranked by the full
    served score (taste plus the item bias), exactly as the search ranks them."""
    items = np.asarray(item_vectors, dtype=np.float64)
    users = np.asarray(user_vectors, dtype=np.float64)
    picks = np.argsort(-(items @ users[-1]), kind="stable")[:top_k]
    item_t, user_t = items[:, :taste_dim], users[:, :taste_dim]
    centred = np.vstack([item_t - item_t.mean(axis=0), user_t - user_t.mean(axis=0)])
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)  # PCA by SVD
    explained = float((singular[:2] ** 2).sum() / max(float((singular ** 2).sum()), 1e-12))
    xy = centred @ vt[:2].T
    return Projection(xy[:len(items)], xy[len(items):], picks, explained)
