"""A small common interface for every recommender (as benfred/implicit has one): fit on a
training Dataset, score users x items, recommend top-K, save and load. The two-tower model and
the baselines it is compared with all implement it, so evaluation treats them the same way.
Domain-free: users and items are rows of the contract tables."""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np
import pandas as pd

from recsys.data.contract import Dataset, split_multilabel


class Recommender(ABC):
    name: str = "recommender"

    @abstractmethod
    def fit(self, train: Dataset) -> "Recommender":
        """Learn from ``train`` (its interactions are the only behaviour it may see)."""

    @abstractmethod
    def score(self, users: pd.DataFrame, items: pd.DataFrame, history: pd.DataFrame | None = None) -> np.ndarray:
        """float32 [len(users), len(items)]; higher is better. Users and items may be unseen.
        ``history``: interactions (user_id, item_id[, weight, timestamp]) to read as these users'
        history instead of what fit() saw for them: how a new user's first likes are folded in.
        Users absent from it keep their training history; recommenders that cannot use history
        ignore it."""

    def recommend(self, users: pd.DataFrame, items: pd.DataFrame, k: int,
                  exclude: dict[str, set[str]] | None = None,
                  history: pd.DataFrame | None = None) -> list[list[tuple[str, float]]]:
        """Top-k (item_id, score) per user, skipping each user's ``exclude`` items."""
        return top_k(self.score(users, items, history), items["item_id"].to_numpy(), users["user_id"].tolist(),
                     k, exclude)

    # Baselines keep a small JSON state; the two-tower model overrides save/load with artifacts.
    def state(self) -> dict:
        return {}

    def load_state(self, state: dict) -> None:  # noqa: B027 - stateless recommenders keep this no-op
        pass

    def save(self, path: str | Path) -> None:
        Path(path).mkdir(parents=True, exist_ok=True)
        (Path(path) / "recommender.json").write_text(json.dumps({"name": self.name, "state": self.state()}))

    @classmethod
    def load(cls, path: str | Path) -> "Recommender":
        data = json.loads((Path(path) / "recommender.json").read_text())
        model = cls()
        model.load_state(data["state"])
        return model


def top_k(scores: np.ndarray, item_ids: np.ndarray, user_ids: list[str], k: int,
          exclude: dict[str, set[str]] | None = None) -> list[list[tuple[str, float]]]:
    """Rank each row of ``scores`` [users, items]: the k best (item_id, score), best first,
    leaving out each user's ``exclude`` items (ties keep catalogue order)."""
    scores = scores.astype(np.float64)
    if exclude:
        pos = {v: i for i, v in enumerate(item_ids)}
        for row, user in enumerate(user_ids):
            cols = [pos[v] for v in exclude.get(user, ()) if v in pos]
            scores[row, cols] = -np.inf
    k = min(k, len(item_ids))
    out = []
    for row in range(len(user_ids)):
        best = np.argpartition(-scores[row], k - 1)[:k] if k else np.zeros(0, int)
        ranked = sorted(best, key=lambda c: (-scores[row, c], c))
        out.append([(str(item_ids[c]), float(scores[row, c])) for c in ranked if np.isfinite(scores[row, c])])
    return out


class RandomRecommender(Recommender):
    name = "random"

    def __init__(self, seed: int = 0):
        self.seed = seed

    def fit(self, train: Dataset) -> "RandomRecommender":
        return self

    def score(self, users: pd.DataFrame, items: pd.DataFrame, history: pd.DataFrame | None = None) -> np.ndarray:
        return np.random.default_rng(self.seed).random((len(users), len(items)), dtype=np.float32)

    def state(self) -> dict:
        return {"seed": self.seed}

    def load_state(self, state: dict) -> None:
        self.seed = int(state["seed"])


def interaction_counts(interactions: pd.DataFrame) -> pd.Series:
    """Positive interactions per item, each counted once whatever its weight: 1,000 plays by one
    listener are one listener (summing weights let a few heavy users decide what is "popular")."""
    positive = interactions["weight"] > 0 if "weight" in interactions else slice(None)
    return interactions[positive].groupby("item_id").size().astype(float)


class PopularRecommender(Recommender):
    """Most interactions in training first; the same list for everyone."""

    name = "most popular"

    def __init__(self) -> None:
        self.counts: dict[str, float] = {}

    def fit(self, train: Dataset) -> "PopularRecommender":
        self.counts = interaction_counts(train.interactions).to_dict()
        return self

    def score(self, users: pd.DataFrame, items: pd.DataFrame, history: pd.DataFrame | None = None) -> np.ndarray:
        row = items["item_id"].map(self.counts).fillna(0.0).to_numpy(np.float32)
        return np.broadcast_to(row, (len(users), len(items))).copy()

    def state(self) -> dict:
        return {"counts": self.counts}

    def load_state(self, state: dict) -> None:
        self.counts = dict(state["counts"])


class MatrixFactorizationRecommender(Recommender):
    """Classical collaborative filtering from implicit (benfred/implicit): BPR or ALS on the
    user x item matrix of training interactions. Ids only; users or items it never saw in
    training get the most-popular score (the usual fallback), so cold-start rows stay fair."""

    NAMES = {"bpr": "BPR (implicit)", "als": "ALS (implicit)", "lightfm": "LightFM (WARP)"}

    def __init__(self, algorithm: str = "bpr", factors: int = 64, seed: int = 0):
        if algorithm not in self.NAMES:
            raise ValueError(f"unknown matrix factorisation {algorithm!r}; expected one of {', '.join(self.NAMES)}")
        self.algorithm, self.factors, self.seed = algorithm, factors, seed
        self.name = self.NAMES[algorithm]
        self.user_factors: dict[str, np.ndarray] = {}
        self.item_factors: dict[str, np.ndarray] = {}
        self.popular = PopularRecommender()

    def fit(self, train: Dataset) -> "MatrixFactorizationRecommender":
        import scipy.sparse as sp
        from implicit.als import AlternatingLeastSquares
        from implicit.bpr import BayesianPersonalizedRanking

        self.popular.fit(train)
        inter = train.interactions
        users = pd.Index(inter["user_id"].unique())
        items = pd.Index(inter["item_id"].unique())
        weights = inter["weight"].to_numpy(np.float32) if "weight" in inter else np.ones(len(inter), np.float32)
        matrix = sp.csr_matrix((weights, (users.get_indexer(inter["user_id"]), items.get_indexer(inter["item_id"]))),
                               shape=(len(users), len(items)), dtype=np.float32)
        matrix.sum_duplicates()
        if self.algorithm == "lightfm":
            user_f, item_f = self._fit_lightfm(matrix)
            self.user_factors, self.item_factors = dict(zip(users, user_f)), dict(zip(items, item_f))
            return self
        if self.algorithm == "bpr":
            model = BayesianPersonalizedRanking(factors=self.factors, iterations=100, random_state=self.seed)
        else:
            # Confidence 1 + 20 x weight and a stronger regularisation: implicit's defaults (alpha 1,
            # 0.01) measured 0.04 Recall@10 on a check-in log where these give 0.30 (benchmarks.quality).
            model = AlternatingLeastSquares(factors=min(self.factors, 32), regularization=1.0, alpha=20.0,
                                            iterations=15, random_state=self.seed)
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1, "blas"):  # implicit's own threads do the work; nested BLAS threads slow it
            model.fit(matrix, show_progress=False)
        user_f, item_f = np.asarray(model.user_factors), np.asarray(model.item_factors)
        self.user_factors = dict(zip(users, user_f))
        self.item_factors = dict(zip(items, item_f))
        return self

    def _fit_lightfm(self, matrix) -> tuple[np.ndarray, np.ndarray]:
        """LightFM's collaborative mode (no side features), WARP loss: the classical baseline of
        issue 13 next to BPR and ALS. Its score u.v + b_u + b_i is returned as factors
        [u, 1, b_u] and [v, b_i, 1], so scoring is the same dot product as the others'."""
        from lightfm import LightFM

        model = LightFM(loss="warp", no_components=min(self.factors, 32), random_state=self.seed)
        model.fit(matrix.tocoo(), epochs=30, num_threads=1)
        n_users, n_items = matrix.shape
        user_b, user_f = model.get_user_representations()
        item_b, item_f = model.get_item_representations()
        users = np.hstack([user_f, np.ones((n_users, 1)), user_b[:, None]]).astype(np.float32)
        items = np.hstack([item_f, item_b[:, None], np.ones((n_items, 1))]).astype(np.float32)
        return users, items

    def score(self, users: pd.DataFrame, items: pd.DataFrame, history: pd.DataFrame | None = None) -> np.ndarray:
        out = self.popular.score(users, items)
        dim = len(next(iter(self.item_factors.values()))) if self.item_factors else 0
        item_m = np.stack([self.item_factors.get(v, np.zeros(dim, np.float32)) for v in items["item_id"]]) \
            if len(items) else np.zeros((0, dim), np.float32)
        known_item = items["item_id"].isin(list(self.item_factors)).to_numpy()
        floor = float(np.abs(item_m).sum()) + 1.0  # below every learned score: unknown items rank last
        for r, user in enumerate(users["user_id"]):
            vector = self.user_factors.get(user)
            if vector is not None:
                out[r] = np.where(known_item, item_m @ vector, -floor)
        return out.astype(np.float32)

    def state(self) -> dict:
        return {"algorithm": self.algorithm, "factors": self.factors, "seed": self.seed,
                "users": {k: v.tolist() for k, v in self.user_factors.items()},
                "items": {k: v.tolist() for k, v in self.item_factors.items()}, "popular": self.popular.state()}

    def load_state(self, state: dict) -> None:
        self.__init__(state["algorithm"], state["factors"], state["seed"])
        self.user_factors = {k: np.asarray(v, np.float32) for k, v in state["users"].items()}
        self.item_factors = {k: np.asarray(v, np.float32) for k, v in state["items"].items()}
        self.popular.load_state(state["popular"])


class EaseRecommender(Recommender):
    """EASE^R (Steck, WWW 2019): a closed-form item-item model, the strongest simple baseline on
    most implicit-feedback data. B = I - P / diag(P) with P = (X^T X + lambda I)^-1 and diag(B) = 0;
    a user's scores are their history row x B, so any history folds in without refitting (a new
    user's first likes included). lambda is chosen on a validation share of the training
    interactions (Recall@10) unless given. An empty history scores 0 everywhere, and a tiny
    popularity term breaks those ties: with no history EASE^R is exactly most-popular."""

    name = "EASE^R"
    LAMBDAS = (1.0, 5.0, 20.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0)
    MAX_ITEMS = 20_000  # a dense items x items inverse: 3.2 GB of float64 at this size
    VALIDATION_SHARE = 0.1

    def __init__(self, lam: float | None = None, seed: int = 0):
        self.lam, self.seed = lam, seed
        self.chosen: dict = {}  # lambda -> validation Recall@10, and the chosen one
        self.item_ids: list[str] = []
        self.weights = np.zeros((0, 0), np.float32)  # B
        self.popularity = np.zeros(0, np.float32)
        self.history: dict[str, list[str]] = {}

    @staticmethod
    def _weights(gram_eigen: tuple[np.ndarray, np.ndarray], lam: float) -> np.ndarray:
        values, vectors = gram_eigen
        inverse = (vectors / (values + lam)) @ vectors.T  # (X^T X + lambda I)^-1 from one eigendecomposition
        weights = -inverse / np.diag(inverse)[None, :]
        np.fill_diagonal(weights, 0.0)
        return weights

    @staticmethod
    def _matrix(inter: pd.DataFrame, users: pd.Index, items: pd.Index):
        import scipy.sparse as sp

        rows, cols = users.get_indexer(inter["user_id"]), items.get_indexer(inter["item_id"])
        keep = (rows >= 0) & (cols >= 0)
        m = sp.csr_matrix((np.ones(keep.sum(), np.float64), (rows[keep], cols[keep])), shape=(len(users), len(items)))
        m.data[:] = 1.0  # binary, as in the paper: repeats say "again", not "more relevant"
        return m

    def fit(self, train: Dataset) -> "EaseRecommender":
        inter = train.interactions
        items = pd.Index(sorted(inter["item_id"].unique()))
        if len(items) > self.MAX_ITEMS:
            raise ValueError(f"EASE^R needs a dense {len(items)} x {len(items)} matrix; it is limited to "
                             f"{self.MAX_ITEMS:,} items with interactions")
        users = pd.Index(inter["user_id"].unique())
        self.item_ids = list(items)
        counts = inter.groupby("item_id")["item_id"].size().reindex(items).fillna(0).to_numpy(np.float64)
        self.popularity = (counts / max(counts.max(), 1.0)).astype(np.float32)
        lam = self.lam
        if lam is None:
            lam = self._choose_lambda(inter, users, items)
        x = self._matrix(inter, users, items)
        gram = (x.T @ x).toarray()
        self.weights = self._weights(np.linalg.eigh(gram), lam).astype(np.float32)
        self.lam_used = lam
        self.history = inter.groupby("user_id")["item_id"].agg(list).to_dict()
        return self

    def _choose_lambda(self, inter: pd.DataFrame, users: pd.Index, items: pd.Index) -> float:
        rng = np.random.default_rng(self.seed)
        counts = inter.groupby("user_id")["item_id"].transform("size").to_numpy()
        held = (rng.random(len(inter)) < self.VALIDATION_SHARE) & (counts >= 2)
        fit_part, val = inter[~held], inter[held]
        x = self._matrix(fit_part, users, items)
        eigen = np.linalg.eigh((x.T @ x).toarray())
        relevant = val.groupby("user_id")["item_id"].agg(set)
        rows = users.get_indexer(relevant.index)
        if not len(rows):
            self.chosen = {"chosen": self.LAMBDAS[len(self.LAMBDAS) // 2], "reason": "nothing to validate on"}
            return self.chosen["chosen"]
        x_val = x[rows]
        recalls = {}
        for lam in self.LAMBDAS:
            scores = np.asarray(x_val @ self._weights(eigen, lam))
            scores[x_val.nonzero()] = -np.inf  # what they saw is not recommended
            top = np.argpartition(-scores, min(10, scores.shape[1] - 1), axis=1)[:, :10]
            recalls[lam] = float(np.mean([len({items[c] for c in top[r]} & rel) / len(rel)
                                          for r, rel in enumerate(relevant)]))
        best = max(self.LAMBDAS, key=lambda lam: (recalls[lam], -lam))
        self.chosen = {"chosen": best, "validation_recall@10": {f"{lam:g}": r for lam, r in recalls.items()}}
        return best

    def score(self, users: pd.DataFrame, items: pd.DataFrame, history: pd.DataFrame | None = None) -> np.ndarray:
        own = self.history
        if history is not None and len(history):
            own = {**own, **history.groupby("user_id")["item_id"].agg(list).to_dict()}
        col = {v: j for j, v in enumerate(self.item_ids)}
        x = np.zeros((len(users), len(self.item_ids)), np.float32)
        for r, user in enumerate(users["user_id"]):
            cols = [col[v] for v in own.get(user, ()) if v in col]
            x[r, cols] = 1.0
        known = np.array([col.get(v, -1) for v in items["item_id"]], dtype=np.int64)
        full = x @ self.weights + 1e-6 * self.popularity[None, :]  # the tie-break: empty history = most popular
        out = np.where(known[None, :] >= 0, full[:, np.maximum(known, 0)], 0.0)
        return out.astype(np.float32)

    def save(self, path: str | Path) -> None:
        Path(path).mkdir(parents=True, exist_ok=True)
        np.savez(Path(path) / "ease.npz", weights=self.weights, popularity=self.popularity,
                 item_ids=np.array(self.item_ids, dtype=str))
        (Path(path) / "recommender.json").write_text(json.dumps(
            {"name": self.name, "state": {"lam": getattr(self, "lam_used", self.lam), "history": self.history}}))

    @classmethod
    def load(cls, path: str | Path) -> "EaseRecommender":
        state = json.loads((Path(path) / "recommender.json").read_text())["state"]
        arrays = np.load(Path(path) / "ease.npz")  # plain arrays: no pickle is read
        model = cls(lam=state["lam"])
        model.weights, model.popularity = arrays["weights"], arrays["popularity"]
        model.item_ids, model.history = [str(v) for v in arrays["item_ids"]], state["history"]
        return model


class SegmentPopularRecommender(Recommender):
    """"Popular among users like you": the most interacted items among training users who share
    this user's value of one profile field (categorical or multi-label), the field chosen on
    held-out users; users with an unknown value get the global counts. What a new user's list
    must at least match wherever a profile field says something."""

    name = "segment popular"
    VALIDATION_SHARE = 0.2

    def __init__(self, column: str | None = None, seed: int = 0):
        self.column, self.seed = column, seed
        self.counts: dict[str, dict[str, float]] = {}  # value -> item -> count
        self.popular = PopularRecommender()
        self.chosen: dict = {}

    @staticmethod
    def _values(frame: pd.DataFrame, column: str) -> pd.Series:
        return frame.set_index("user_id")[column].map(split_multilabel)

    def _fit_column(self, inter: pd.DataFrame, users: pd.DataFrame, column: str) -> dict[str, dict[str, float]]:
        values = self._values(users, column)
        joined = inter.assign(value=inter["user_id"].map(values)).explode("value").dropna(subset=["value"])
        return {v: interaction_counts(g).to_dict() for v, g in joined.groupby("value")}

    def fit(self, train: Dataset) -> "SegmentPopularRecommender":
        self.popular.fit(train)
        candidates = [c for c, kind in train.schema.users.items() if kind in ("categorical", "multilabel")]
        column = self.column
        if column is None and candidates:
            column = self._choose(train, candidates)
        self.column = column
        if column is not None:
            self.counts = self._fit_column(train.interactions, train.users, column)
        return self

    def _choose(self, train: Dataset, candidates: list[str]) -> str | None:
        rng = np.random.default_rng(self.seed)
        users = train.interactions["user_id"].unique()
        held = set(rng.choice(users, size=max(1, int(len(users) * self.VALIDATION_SHARE)), replace=False))
        is_held = train.interactions["user_id"].isin(held)
        part = train.with_interactions(train.interactions[~is_held])
        relevant = train.interactions[is_held].groupby("user_id")["item_id"].agg(set)
        people = train.users.set_index("user_id").loc[relevant.index].reset_index()
        recalls = {}
        for column in [None, *candidates]:
            model = (SegmentPopularRecommender(column=column) if column else PopularRecommender()).fit(part)
            ranked = model.recommend(people, train.items, 10)
            recalls[column or "(none: most popular)"] = float(np.mean(
                [len({i for i, _ in row} & rel) / len(rel) for row, rel in zip(ranked, relevant)]))
        best = max(recalls, key=lambda c: (recalls[c], c == "(none: most popular)"))
        self.chosen = {"chosen": best, "validation_recall@10": recalls}
        return None if best == "(none: most popular)" else best

    def score(self, users: pd.DataFrame, items: pd.DataFrame, history: pd.DataFrame | None = None) -> np.ndarray:
        out = self.popular.score(users, items)
        if self.column is None or self.column not in users.columns:
            return out
        scale = max(max(self.popular.counts.values(), default=1.0), 1.0)
        rows: dict[str, np.ndarray] = {}  # value -> its counts over these items, built once per call
        for r, labels in enumerate(users[self.column].map(split_multilabel)):
            known = [v for v in labels if v in self.counts]
            if known:  # segment counts first, the global ones (scaled below 1) break ties
                for v in known:
                    if v not in rows:
                        rows[v] = items["item_id"].map(self.counts[v]).fillna(0.0).to_numpy(np.float32)
                out[r] = sum(rows[v] for v in known) + out[r] / (scale + 1.0)
        return out

    def state(self) -> dict:
        return {"column": self.column, "counts": self.counts, "popular": self.popular.state()}

    def load_state(self, state: dict) -> None:
        self.column, self.counts = state["column"], state["counts"]
        self.popular.load_state(state["popular"])


def geo_columns(kinds: dict[str, str]) -> tuple[str, str] | None:
    for col, kind in kinds.items():
        if kind == "geo":
            lat, lon = col.split(",")
            return lat, lon
    return None


class NearestRecommender(Recommender):
    """Closest item to the user's location first (needs a geo feature on both tables)."""

    name = "nearest"

    def __init__(self) -> None:
        self.user_geo: tuple[str, str] | None = None
        self.item_geo: tuple[str, str] | None = None

    def fit(self, train: Dataset) -> "NearestRecommender":
        self.user_geo, self.item_geo = geo_columns(train.schema.users), geo_columns(train.schema.items)
        if not self.user_geo or not self.item_geo:
            raise ValueError("the nearest baseline needs a geo feature on both users and items")
        return self

    def score(self, users: pd.DataFrame, items: pd.DataFrame, history: pd.DataFrame | None = None) -> np.ndarray:
        ulat, ulon = (np.radians(users[c].to_numpy(float))[:, None] for c in self.user_geo)
        ilat, ilon = (np.radians(items[c].to_numpy(float))[None, :] for c in self.item_geo)
        # Equirectangular distance: exact enough for ranking within a city.
        x = (ilon - ulon) * np.cos((ilat + ulat) / 2)
        dist = np.sqrt(x * x + (ilat - ulat) ** 2)
        return np.nan_to_num(-dist, nan=-np.inf).astype(np.float32)

    def state(self) -> dict:
        return {"user_geo": self.user_geo, "item_geo": self.item_geo}

    def load_state(self, state: dict) -> None:
        self.user_geo = tuple(state["user_geo"]) if state["user_geo"] else None
        self.item_geo = tuple(state["item_geo"]) if state["item_geo"] else None


_TOKEN = re.compile(r"[a-z0-9]+")


def _tokens(row: pd.Series, kinds: dict[str, str]) -> list[str]:
    out = []
    for col, kind in kinds.items():
        if col not in row.index or kind not in ("categorical", "multilabel", "text"):
            continue
        value = row[col]
        if kind == "multilabel":
            out += [label.lower() for label in split_multilabel(value)]
        elif isinstance(value, str):
            out += _TOKEN.findall(value.lower()) if kind == "text" else [value.lower()]
    return out


class ContentRecommender(Recommender):
    """Feature similarity: TF-IDF cosine between an item's words and labels and those of the
    user's own features plus (for warm users) the items they interacted with in training.
    Works for cold users as long as user and item features share a vocabulary."""

    name = "content-only"

    def __init__(self) -> None:
        self.user_kinds: dict[str, str] = {}
        self.item_kinds: dict[str, str] = {}
        self.history: dict[str, list[str]] = {}  # user -> tokens of the items they interacted with

    def fit(self, train: Dataset) -> "ContentRecommender":
        self.user_kinds, self.item_kinds = train.schema.users, train.schema.items
        item_tokens = {row.item_id: _tokens(row, self.item_kinds) for row in _rows(train.items)}
        history: dict[str, list[str]] = {}
        for user, item in zip(train.interactions["user_id"], train.interactions["item_id"]):
            history.setdefault(user, []).extend(item_tokens.get(item, []))
        self.history = history
        return self

    def score(self, users: pd.DataFrame, items: pd.DataFrame, history: pd.DataFrame | None = None) -> np.ndarray:
        item_docs = [_tokens(row, self.item_kinds) for row in _rows(items)]
        own = self.history
        if history is not None and len(history):  # folded-in history: the tokens of those items
            tokens = {row.item_id: _tokens(row, self.item_kinds) for row in _rows(items)}
            own = {**own, **{u: [t for v in group["item_id"] for t in tokens.get(v, [])]
                             for u, group in history.groupby("user_id")}}
        user_docs = [_tokens(row, self.user_kinds) * 3 + own.get(row.user_id, []) for row in _rows(users)]
        vocab = {t: i for i, t in enumerate(sorted({t for doc in item_docs for t in doc}))}
        if not vocab:
            return np.zeros((len(users), len(items)), dtype=np.float32)
        df = np.zeros(len(vocab))
        for doc in item_docs:
            for t in set(doc):
                df[vocab[t]] += 1
        idf = np.log((1 + len(item_docs)) / (1 + df)) + 1

        def matrix(docs: list[list[str]]) -> np.ndarray:
            m = np.zeros((len(docs), len(vocab)), dtype=np.float32)
            for r, doc in enumerate(docs):
                for t in doc:
                    if t in vocab:
                        m[r, vocab[t]] += 1
            m *= idf[None, :].astype(np.float32)
            return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-9)

        return matrix(user_docs) @ matrix(item_docs).T

    def state(self) -> dict:
        return {"user_kinds": self.user_kinds, "item_kinds": self.item_kinds, "history": self.history}

    def load_state(self, state: dict) -> None:
        self.user_kinds, self.item_kinds, self.history = state["user_kinds"], state["item_kinds"], state["history"]


class OracleRecommender(Recommender):
    """Ranks by the demo generator's hidden true utility: the ceiling on demo data."""

    name = "oracle (true utility)"
    ranked_by = "top"  # which of the generator's rankings: its arrays are <ranked_by>_items and _utility

    def __init__(self, oracle: dict[str, np.ndarray] | None = None):
        self.oracle = oracle

    def fit(self, train: Dataset) -> "OracleRecommender":
        return self

    def score(self, users: pd.DataFrame, items: pd.DataFrame, history: pd.DataFrame | None = None) -> np.ndarray:
        out = np.full((len(users), len(items)), -np.inf, dtype=np.float32)
        user_row = {u: i for i, u in enumerate(self.oracle["user_ids"])}
        item_col = {v: j for j, v in enumerate(items["item_id"])}
        oracle_items = self.oracle["item_ids"]
        top_items, top_utility = self.oracle[f"{self.ranked_by}_items"], self.oracle[f"{self.ranked_by}_utility"]
        for r, user in enumerate(users["user_id"]):
            if user not in user_row:
                continue
            k = user_row[user]
            for idx, util in zip(top_items[k], top_utility[k]):
                col = item_col.get(oracle_items[idx])
                if col is not None:
                    out[r, col] = float(util)
        return out


def _rows(frame: pd.DataFrame):
    return (row for _, row in frame.iterrows())


class CeilingRecommender(OracleRecommender):
    """Ranks by the true utility without the generator's personal noise, which is drawn afresh for
    every (user, item) pair and so predicted by nothing a model sees: the best any model can do.
    The oracle above also knows the noise, so no model can come near it."""

    name = "ceiling (true utility without noise)"
    ranked_by = "ceiling_top"
