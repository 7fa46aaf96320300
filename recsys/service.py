"""The serving facade the app and the CLI use: one object that owns the Redis client, the
loaded model and the stores, bootstraps the index idempotently, and answers recommendations for
stored users, ad-hoc profiles and "more like these", and embeds new users and restaurants
without retraining."""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from recsys.config import SHIPPED_MODEL_DIR, Settings
from recsys.connection import connect, resolve_url
from recsys.data.contract import Dataset, split_multilabel
from recsys.data.restaurants import NewRestaurant, load_restaurant_dataset
from recsys.recommend import Query, Results, Searcher
from recsys.feedback import FeedbackLog
from recsys.profile_store import UserStore
from recsys.profiles import PROFILE_FIELDS, normalise_profile
from recsys.store import Layout, RestaurantStore
from recsys.train import TrainConfig
from recsys.two_tower import ModelArtifactError, TwoTowerRecommender

log = logging.getLogger(__name__)


def model_id(model_dir: Path) -> str:
    """Content hash of the weights: which model produced the stored vectors."""
    return hashlib.sha256((Path(model_dir) / "model.pt").read_bytes()).hexdigest()[:12]


@dataclass
class LoadedModel:
    model: TwoTowerRecommender
    path: Path
    model_id: str
    warning: str = ""  # set when the active model was unusable and the shipped one was used


def load_model(preferred: Path | None, fallback: Path = SHIPPED_MODEL_DIR) -> LoadedModel:
    """The preferred model, or the shipped one with a warning if the preferred is unusable."""
    if preferred is not None and Path(preferred) != fallback:
        try:
            return LoadedModel(TwoTowerRecommender.load(preferred), Path(preferred), model_id(preferred))
        except (ModelArtifactError, OSError) as exc:
            loaded = load_model(None, fallback)
            loaded.warning = f"The active model could not be loaded ({exc}); using the shipped model instead."
            log.warning(loaded.warning)
            return loaded
    return LoadedModel(TwoTowerRecommender.load(fallback), Path(fallback), model_id(fallback))


class RecommenderService:
    def __init__(self, settings: Settings, client, loaded: LoadedModel):
        self.settings = settings
        self.client = client
        self.loaded = loaded
        self.restaurants = RestaurantStore(client, settings.namespace,
                                           layout=Layout(settings.storage, settings.vector_dtype))
        self.users = UserStore(client, settings.namespace)
        self.feedback = FeedbackLog(client, settings.namespace)
        self.searcher = Searcher(self.restaurants, settings.timezone)
        self._cuisines: list[str] | None = None
        self._dataset: Dataset | None = None

    @classmethod
    def open(cls, settings: Settings | None = None, bootstrap: bool = True, progress=None) -> "RecommenderService":
        """Connect (starting the embedded Redis if needed), load the active model, and make sure
        the index holds the dataset embedded by that model."""
        settings = settings or Settings()
        client = connect(resolve_url(settings))
        meta = RestaurantStore(client, settings.namespace).meta()
        active = Path(meta["model_dir"]) if meta.get("model_dir") else settings.model_dir
        service = cls(settings, client, load_model(active, settings.model_dir))
        if bootstrap:
            service.ensure_indexed(progress=progress)
        return service

    @property
    def model(self) -> TwoTowerRecommender:
        return self.loaded.model

    # -- bootstrap -----------------------------------------------------------------------
    def dataset(self) -> Dataset:
        """The dataset this service serves, read and validated once per process."""
        if self._dataset is None:
            self._dataset = load_restaurant_dataset(self.settings.dataset_dir)
        return self._dataset

    def catalogue(self, dataset: Dataset | None = None) -> pd.DataFrame:
        """Every restaurant the index serves: the dataset's plus the ones added in the app."""
        items = (dataset or self.dataset()).items
        custom = self.restaurants.custom_rows()
        if custom:
            extra = pd.DataFrame(custom)
            items = pd.concat([items[~items["item_id"].isin(extra["item_id"])], extra], ignore_index=True)
        return items.reset_index(drop=True)

    def ensure_indexed(self, force: bool = False, progress=None) -> bool:
        """Build the index unless it already holds this dataset embedded by this model."""
        dataset = self.dataset()
        self.model.check_schema(dataset)  # a model trained on other columns cannot embed this data
        fingerprint = dataset.fingerprint()
        status = self.restaurants.status()
        layout = self.restaurants.layout
        current = (status.meta.get("model_id") == self.loaded.model_id
                   and status.meta.get("dataset_fingerprint") == fingerprint
                   and status.meta.get("storage", "json") == layout.storage
                   and status.meta.get("datatype", "float32") == layout.datatype
                   and status.version is not None and status.documents >= len(dataset.items))
        if current and not force:
            self._sync_users(dataset)
            return False
        self.reindex(dataset, self.loaded, progress=progress)
        return True

    def reindex(self, dataset: Dataset, loaded: LoadedModel, progress=None) -> int:
        """Embed every restaurant (dataset + ones added in the app) with ``loaded`` and switch
        the live index to it in one step; then re-embed the stored profiles."""
        items = self.catalogue(dataset)
        embeddings = loaded.model.embed_items(items)
        version = self.restaurants.rebuild(items, embeddings, {
            "model_id": loaded.model_id, "model_dir": str(loaded.path),
            "dataset_fingerprint": dataset.fingerprint(), "dataset_dir": str(self.settings.dataset_dir)},
            progress=progress)
        self.loaded = loaded
        self._cuisines = None
        self._sync_users(dataset, force=True)
        return version

    def _sync_users(self, dataset: Dataset, force: bool = False) -> None:
        """Store the dataset's users once, and (re-)embed every profile the model has not embedded."""
        self.users.ensure_index()
        marker = f"{self.settings.namespace}:users_loaded"
        profiles: dict[str, dict] = {}
        if not self.client.get(marker):
            for row in dataset.users.to_dict("records"):
                profiles[row["user_id"]] = {k: row.get(k) for k in PROFILE_FIELDS if k in row}
        if force or profiles:
            for key in self.client.scan_iter(match=f"{self.settings.namespace}:user:*", count=1000):
                key = key.decode() if isinstance(key, bytes) else key
                doc = self.client.json().get(key)
                if doc and (force or doc.get("model_version") != self.loaded.model_id):
                    profiles.setdefault(doc["user_id"], {k: doc.get(k) for k in PROFILE_FIELDS})
        ids = list(profiles)
        for start in range(0, len(ids), 2000):
            chunk = [profiles[i] for i in ids[start:start + 2000]]
            self.users.put_many(chunk, self.model.embed_users(pd.DataFrame(chunk)), self.loaded.model_id)
        self.client.set(marker, "1")

    # -- profiles ------------------------------------------------------------------------
    def save_profile(self, profile: dict) -> dict:
        """Create or update a profile; its embedding is recomputed by the user tower at once."""
        profile = normalise_profile(profile)
        existing = self.users.get(profile["user_id"])
        if existing:
            profile["created"] = existing.get("created")
        embedding = self.model.embed_users(pd.DataFrame([profile]))
        self.users.put_many([profile], embedding, self.loaded.model_id)
        return self.users.get(profile["user_id"])

    def embed_profile(self, profile: dict) -> np.ndarray:
        return self.model.embed_users(pd.DataFrame([normalise_profile(profile)]))[0]

    # -- recommending --------------------------------------------------------------------
    def cuisines(self) -> list[str]:
        if self._cuisines is None:
            self._cuisines = self.restaurants.cuisines()
        return self._cuisines

    def recommend(self, query: Query, user_id: str | None = None, profile: dict | None = None) -> Results:
        """For a stored user (their stored embedding) or an ad-hoc profile (embedded now)."""
        if (user_id is None) == (profile is None):
            raise ValueError("give exactly one of user_id or profile")
        if user_id is not None:
            doc = self.users.get(user_id)
            if doc is None:
                raise LookupError(f"no profile with user_id {user_id!r}")
            vector = np.array(doc["embedding"], dtype=np.float32)
            likes = split_multilabel(doc.get("likes"))
            dismissed = self.feedback.dismissed(user_id)
            if dismissed:
                query.exclude_ids = list(dict.fromkeys([*query.exclude_ids, *dismissed]))
        else:
            vector = self.embed_profile(profile)
            likes = split_multilabel(normalise_profile(profile).get("likes"))
        return self.searcher.search(vector, query, likes, self.cuisines())

    def more_like(self, item_ids: list[str], query: Query, likes: list[str] | None = None) -> Results:
        """Query vector = the normalised mean of 1-3 chosen restaurants' embeddings."""
        if not 1 <= len(item_ids) <= 3:
            raise ValueError("choose between 1 and 3 restaurants for 'more like these'")
        vectors = self.restaurants.embeddings(list(item_ids))
        vector = vectors.mean(axis=0)
        vector /= max(float(np.linalg.norm(vector)), 1e-9)
        query.exclude_ids = list(dict.fromkeys([*query.exclude_ids, *item_ids]))
        return self.searcher.search(vector, query, likes, self.cuisines())

    def add_restaurant(self, restaurant: NewRestaurant) -> str:
        """Validate, embed with the item tower, and upsert into the live index (no retraining)."""
        row = restaurant.to_row()
        row["item_id"] = row.get("item_id") or f"n{uuid.uuid4().hex[:10]}"
        embedding = self.model.embed_items(pd.DataFrame([row]))[0]
        self.restaurants.upsert(row, embedding)
        self._cuisines = None
        return row["item_id"]

    def retrain(self, config: TrainConfig | None = None, progress=None) -> LoadedModel:
        """Train a new model on the dataset, save it under the data dir, build a new index
        version with it and switch to it only when complete (the old one serves until then)."""
        dataset = self.dataset()
        model = TwoTowerRecommender(config or self.model.config, progress).fit(dataset)
        path = self.settings.models_dir / datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        model.save(path)
        loaded = LoadedModel(TwoTowerRecommender.load(path), path, model_id(path))
        self.reindex(dataset, loaded)
        return loaded

    def add_restaurants(self, rows: pd.DataFrame, progress=None, batch_size: int = 256) -> int:
        """Bulk form of add_restaurant for validated rows (an import); returns how many."""
        records = rows.to_dict("records")
        for start in range(0, len(records), batch_size):
            chunk = records[start:start + batch_size]
            embeddings = self.model.embed_items(pd.DataFrame(chunk))
            for row, embedding in zip(chunk, embeddings):
                self.restaurants.upsert(row, embedding)
            if progress:
                progress(start + len(chunk), len(records))
        self._cuisines = None
        return len(records)
