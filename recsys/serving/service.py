"""The serving facade the app and the CLI use: one object that owns the Redis client, the
loaded model and the stores, bootstraps the index idempotently, and answers recommendations for
stored users, ad-hoc profiles and "more like these", and embeds new users and restaurants
without retraining."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from recsys.config import Settings
from recsys.data.contract import Dataset, DatasetError, Problem, split_multilabel
from recsys.data.ids import check_id
from recsys.data.importers import Progress, check_import, place_id
from recsys.data.profiles import normalise_profile
from recsys.data.record import PROFILE_FIELDS
from recsys.data.restaurants import NewRestaurant, load_restaurant_dataset
from recsys.ml.training import TrainConfig
from recsys.ml.two_tower import TwoTowerRecommender
from recsys.serving import bootstrap
from recsys.serving.connection import (
    RedisUnavailableError,
    check,
    client_url,
    connect,
    redis_errors,
    resolve_url,
    text,
)
from recsys.serving.feedback import FEEDBACK_EVENTS, FeedbackLog, valid_ids
from recsys.serving.models import (  # noqa: F401  (the names callers import from the facade)
    VECTOR_LAYOUT,
    LoadedModel,
    load_model,
    model_id,
    model_to_serve,
    use_serving_threads,
)
from recsys.serving.profile_store import UserStore, as_record, history_events
from recsys.serving.query import Query
from recsys.serving.query_link import SESSION_FEEDBACK
from recsys.serving.search import Results, Searcher
from recsys.serving.status import IndexSummary, RedisStatus, redis_status
from recsys.serving.store import Layout, RestaurantStore

log = logging.getLogger(__name__)
STORING = "Embedding and indexing"  # the progress stage of an import's store (done and total are rows)


ADHOC_USER = "ad-hoc"  # the user id an ad-hoc profile is embedded under (unknown to every model)
LIKED_REASONS = 5  # recent places a reason may name ("because you liked ...")
CATALOGUE_RECHECK_S = 1.0  # how stale the catalogue histories are read against may be (this process's own adds reset it)
LIST_EVENT = {name: event for event, name in SESSION_FEEDBACK.items()}  # "visited" -> "been_there"
assert set(SESSION_FEEDBACK) == set(FEEDBACK_EVENTS), "every feedback event has its session list"
EMBEDDED_PROFILES_KEPT = 1024  # ad-hoc profiles whose vectors are remembered (a few KiB each)


class PlaceExistsError(ValueError):
    """An added place that is already in the catalogue: same name, address and location (hence
    the same id). ``name`` and ``address`` are the user's text, for the page to show as text."""

    def __init__(self, item_id: str, name: str, address: str):
        super().__init__(f"this place is already in the catalogue (id {item_id}): same name, address and "
                         "location; change one of them to add another place")
        self.item_id, self.name, self.address = item_id, name, address


@dataclass
class ImportReport:
    """What an import did: places new, updated and skipped (already there), and every problem by
    file, row and field (the rows they name were not imported)."""

    new: int = 0
    updated: int = 0
    skipped: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def rejected_rows(self) -> int:
        return len({p.row for p in self.problems if p.row is not None})

    @property
    def stored(self) -> int:
        return self.new + self.updated


def _session_events(liked: list[str] | tuple[str, ...], visited: list[str] | tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """An ad-hoc session's history as (item_id, "liked" or "visited"), oldest first: its visits,
    then its likes (the link keeps each list's order, not the order between them); a place in
    both counts as liked."""
    liked = list(dict.fromkeys(check_id(i, "liked") for i in liked))
    visited = [i for i in dict.fromkeys(check_id(i, "visited") for i in visited) if i not in set(liked)]
    return (*((i, "visited") for i in visited), *((i, "liked") for i in liked))


def _excluding(valid: Query, item_ids: list[str]) -> Query:
    """``valid`` with ``item_ids`` left out too (each once, the query's own first)."""
    if not item_ids:
        return valid
    return replace(valid, exclude_ids=tuple(dict.fromkeys([*valid.exclude_ids, *item_ids])))


def _adhoc_profile(profile: dict) -> dict:
    """An ad-hoc profile checked and normalised (ValueError naming the field), without the user id
    normalise_profile makes up for a profile that has none (the model has never seen it)."""
    clean = normalise_profile(profile)
    if "user_id" not in profile:
        clean.pop("user_id")
    return clean


class RecommenderService:
    def __init__(self, settings: Settings, client, loaded: LoadedModel):
        use_serving_threads()  # the whole process serves: see SERVING_THREADS
        self.settings = settings
        self.client = client
        self.loaded = loaded
        self.restaurants = RestaurantStore(client, settings.namespace,
                                           layout=Layout(settings.storage, settings.vector_dtype))
        self.users = UserStore(client, settings.namespace)
        self.feedback = FeedbackLog(client, settings.namespace, history=self.users)
        self.searcher = Searcher(self.restaurants, settings.timezone)
        self._cuisines: list[str] | None = None
        self._dataset: Dataset | None = None
        self._embedded: OrderedDict[tuple, np.ndarray] = OrderedDict()  # ad-hoc profile -> vector
        self._served: tuple[str, pd.DataFrame] | None = None  # (version, catalogue by item_id) the model reads
        self._served_checked = 0.0
        self._embed_lock = threading.Lock()  # one service serves every Streamlit session's thread

    @classmethod
    def open(cls, settings: Settings | None = None, bootstrap: bool = True, progress=None,
             notify=None) -> "RecommenderService":
        """Connect (starting the embedded Redis if needed), load the active model, and make sure
        the index holds the dataset embedded by that model. ``notify`` hears what is being waited
        for (Redis loading a large data set, another process building the index)."""
        settings = settings or Settings()
        client = connect(resolve_url(settings, notify=notify))
        served, _ = model_to_serve(settings, RestaurantStore(client, settings.namespace).meta())
        service = cls(settings, client, load_model(served))
        if bootstrap:
            service.ensure_indexed(progress=progress, notify=notify)
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

    # -- bootstrap (recsys.serving.bootstrap) --------------------------------------------
    def ensure_indexed(self, force: bool = False, progress=None, notify=None) -> bool:
        """Build the index unless it already holds this dataset embedded by this model, and make
        every stored profile's vector come from that model (see bootstrap.ensure_indexed)."""
        return bootstrap.ensure_indexed(self, force, progress, notify)

    def reindex(self, dataset: Dataset, loaded: LoadedModel, progress=None) -> int:
        """Embed every restaurant with ``loaded``, switch the live index to it in one step, then
        re-embed the stored profiles (see bootstrap.reindex)."""
        return bootstrap.reindex(self, dataset, loaded, progress)

    def _sync_users(self, dataset: Dataset) -> None:
        bootstrap.sync_users(self, dataset)

    # -- profiles ------------------------------------------------------------------------
    def save_profile(self, profile: dict) -> dict:
        """Create or update a profile; its embedding is recomputed by the user tower at once,
        from the profile and the user's history. Returns the stored profile; once the write has
        succeeded it never raises (a failed read-back returns what was written), so a caller
        that sees an error knows nothing was saved."""
        profile = normalise_profile(profile)
        self._follow_live_model()
        existing = self.users.get(profile["user_id"])
        if existing:
            profile["created"] = existing.get("created")
        embedding = self._embed_profiles([profile])
        self.users.put_many([profile], embedding, self.loaded.model_id)
        try:
            return self.users.get(profile["user_id"]) or as_record(profile)
        except RedisUnavailableError:
            log.warning("profile %s was saved; reading it back failed", profile["user_id"])
            return as_record({**profile, "embedding": [float(x) for x in embedding[0]],
                              "model_version": self.loaded.model_id})

    # -- what the user tower reads: the profile and the user's history ----------------------
    def _served_catalogue(self) -> tuple[str, pd.DataFrame]:
        """(version, catalogue by item_id) that the model reads histories against, rebuilt when the
        catalogue changes (asked at most once a second, as the live index version is: queries
        stay one round trip)."""
        now = time.monotonic()
        if self._served is not None and now - self._served_checked < CATALOGUE_RECHECK_S:
            return self._served
        version = self.catalogue_version()
        if self._served is None or self._served[0] != version:
            items = self.catalogue()
            self.model.set_catalogue(items)
            self._served = (version, items.set_index("item_id", drop=False))
        self._served_checked = now
        return self._served

    def _embed_profiles(self, profiles: list[dict]) -> np.ndarray:
        """User vectors for stored profiles: their fields plus their stored history. The one way
        a stored user's vector is made: on save, on feedback, on a rebuild and on a model change."""
        history = None
        if self.model.history_len:
            self._served_catalogue()
            stored = self.users.histories([p["user_id"] for p in profiles], self.model.history_len)
            events = [h for h in stored.values() if len(h)]
            history = pd.concat(events, ignore_index=True) if events else None
        return self.model.embed_users(pd.DataFrame(profiles), history)

    def _reembed_user(self, user_id: str) -> bool:
        """The stored user's vector again, from their profile and history as they are now."""
        doc = self.users.get(user_id)
        if not doc:
            return False
        vector = self._embed_profiles([{f: doc.get(f) for f in PROFILE_FIELDS}])[0]
        return self.users.set_embedding(user_id, vector, self.loaded.model_id)

    def _follow_live_model(self) -> None:
        """Serve with the model whose vectors the live index holds: another process (a retrain,
        `index --force`) may have switched it. Its user tower must embed the query, or a profile
        vector would be ranked against another model's item vectors (a dimension error, or
        silently wrong when the widths match)."""
        try:
            live = self.restaurants.live(fresh=False)
        except LookupError:  # no index yet: whatever builds it uses this process's model
            return
        if not live.model_id or live.model_id == self.loaded.model_id:
            return
        loaded = load_model(Path(live.model_dir)) if live.model_dir else self.loaded
        if loaded.model_id != live.model_id:
            raise LookupError(f"the restaurant index now serves model {live.model_id} ({live.model_dir or 'unknown'}), "
                              "which this process cannot load; restart the app or rebuild the index "
                              "(`python -m recsys index --force`)")
        log.info("the live index moved to model %s: serving with it", live.model_id)
        self.loaded, self._served = loaded, None
        self._cuisines = None

    def embed_profile(self, profile: dict, liked: list[str] | tuple[str, ...] = (),
                      visited: list[str] | tuple[str, ...] = ()) -> np.ndarray:
        """The user tower's vector for a profile that is not stored (an ad-hoc one) with the
        places ``liked`` and ``visited`` ("been there") in this session as its history, remembered
        by content for the model that made it: Explore asks again on every rerun."""
        return self._embed_clean(_adhoc_profile(profile), _session_events(liked, visited))

    def _embed_clean(self, clean: dict, events: tuple[tuple[str, str], ...]) -> np.ndarray:
        """embed_profile for a profile already normalised (by _adhoc_profile) and its session's
        events from _session_events."""
        reads_history = bool(events and self.model.history_len)
        key = (self.loaded.model_id, tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in clean.items())),
               events, self._served_catalogue()[0] if reads_history else "")
        with self._embed_lock:
            vector = self._embedded.get(key)
            if vector is not None:
                self._embedded.move_to_end(key)
                return vector.copy()
        history = None
        if reads_history:
            # Weighed as the same events of a stored user (record_feedback): one meaning of a like.
            history = pd.DataFrame({"user_id": ADHOC_USER, "item_id": [i for i, _ in events],
                                    "weight": [FEEDBACK_EVENTS[LIST_EVENT[how]] for _, how in events],
                                    "timestamp": np.arange(len(events), dtype=float), "explicit": True})
        vector = self.model.embed_users(pd.DataFrame([{**clean, "user_id": ADHOC_USER}]), history)[0]
        with self._embed_lock:
            self._embedded[key] = vector
            while len(self._embedded) > EMBEDDED_PROFILES_KEPT:
                self._embedded.popitem(last=False)
        return vector.copy()

    # -- recommending --------------------------------------------------------------------
    def cuisines(self) -> list[str]:
        if self._cuisines is None:
            self._cuisines = self.restaurants.cuisines()
        return self._cuisines

    def recommend(self, query: Query, user_id: str | None = None, profile: dict | None = None,
                  liked: list[str] | tuple[str, ...] = (), hidden: list[str] | tuple[str, ...] = (),
                  visited: list[str] | tuple[str, ...] = ()) -> Results:
        """For a stored user (their stored embedding, made from their profile and history) or an
        ad-hoc profile (embedded now, with the places ``liked`` and ``visited`` this session as its
        history and the ``hidden`` ones left out)."""
        if (user_id is None) == (profile is None):
            raise ValueError("give exactly one of user_id or profile")
        self._follow_live_model()
        valid = query.validated(self.cuisines(), self.settings.timezone)  # the one check of this request
        if user_id is not None:
            vector, likes, dismissed, done = self._stored_user(check_id(user_id, "user_id"))
        else:
            clean = _adhoc_profile(profile)  # the one normalisation of this request
            done = _session_events(liked, visited)
            vector = self._embed_clean(clean, done)
            likes = split_multilabel(clean.get("likes"))
            dismissed, done = [check_id(i, "hidden") for i in hidden], list(done)
        return self.searcher.search(vector, _excluding(valid, dismissed), likes, liked=self._liked_places(done))

    def _liked_places(self, events: list[tuple[str, str]]) -> list[dict]:
        """Name, cuisines and "liked" or "visited" of the places in ``events`` ((item_id, how),
        oldest first), newest first and each once (its newest event), for "because you liked ..."
        (only those still in the catalogue)."""
        if not events:
            return []
        rows = self._served_catalogue()[1]
        newest = {}
        for item_id, how in reversed(events):
            if item_id in rows.index and item_id not in newest:
                newest[item_id] = how
        return [{"item_id": i, "name": str(rows.at[i, "name"]), "cuisines": split_multilabel(rows.at[i, "cuisines"]),
                 "how": how} for i, how in list(newest.items())[:LIKED_REASONS]]

    @redis_errors
    def _stored_user(self, user_id: str) -> tuple[np.ndarray, list[str], list[str], list[tuple[str, str]]]:
        """A stored user's vector, likes, "not for me" ids and their recent history as (item_id,
        "liked" or "visited"), oldest first, in one round trip (read on every query: feedback from
        any process counts at once)."""
        pipe = self.client.pipeline(transaction=False)
        pipe.json().get(self.users.key(user_id), "$.embedding", "$.likes")
        pipe.smembers(self.feedback.dismissed_key(user_id))
        pipe.lrange(self.users.history_key(user_id), -LIKED_REASONS * 4, -1)
        doc, members, recent = pipe.execute()
        if not doc or not doc.get("$.embedding"):
            raise LookupError(f"no profile with user_id {user_id!r}")
        likes = (doc.get("$.likes") or [None])[0]
        return (np.array(doc["$.embedding"][0], dtype=np.float32), split_multilabel(likes),
                valid_ids(members, self.feedback.dismissed_key(user_id)),
                [(item, "liked" if weight >= FEEDBACK_EVENTS["liked"] else "visited")
                 for item, weight, _, _ in history_events(recent)])

    def more_like(self, item_ids: list[str], query: Query, likes: list[str] | None = None,
                  user_id: str | None = None, hidden: list[str] | tuple[str, ...] = ()) -> Results:
        """Query vector = the normalised mean of 1-3 chosen restaurants' embeddings; what the
        person dismissed stays out (a stored ``user_id``'s "not for me", an ad-hoc profile's
        ``hidden``), as in their recommendations."""
        if not isinstance(item_ids, (list, tuple)) or not 1 <= len(item_ids) <= 3:
            raise ValueError("choose between 1 and 3 restaurants for 'more like these' (item_ids)")
        item_ids = list(dict.fromkeys(check_id(i, "item_ids") for i in item_ids))
        dismissed = [check_id(i, "hidden") for i in hidden]
        if user_id is not None:
            dismissed += self.feedback.dismissed(check_id(user_id, "user_id"))
        self._follow_live_model()
        valid = query.validated(self.cuisines(), self.settings.timezone)
        vectors = self.restaurants.embeddings(item_ids)
        vector = self.model.similar_items_query(vectors)  # similarity only: the bias slot is zeroed
        return self.searcher.search(vector, _excluding(valid, [*item_ids, *dismissed]), likes)

    def embedding_map(self, user_id: str, n_items: int = 1500, n_users: int = 400, top_k: int = 10) -> tuple[pd.DataFrame, float]:
        """The Model page's picture of the taste space (see recsys.serving.taste_map)."""
        from recsys.serving.taste_map import embedding_map

        return embedding_map(self, user_id, n_items, n_users, top_k)

    def add_restaurant(self, restaurant: NewRestaurant) -> str:
        """Validate, embed with the item tower, and upsert into the live index (no retraining)."""
        self._follow_live_model()
        row = restaurant.to_row()
        if not row.get("item_id"):
            # The id an import would give the same place (recsys.data.importers.place_id), so the
            # same place entered twice, or entered then imported, is one restaurant, not two.
            row["item_id"] = place_id(row["name"], row["address"], row["lat"], row["lon"])
            if row["item_id"] in set(self.catalogue()["item_id"]):
                raise PlaceExistsError(row["item_id"], row["name"], row["address"])
        embedding = self.model.embed_items(pd.DataFrame([row]))[0]
        self.restaurants.upsert(row, embedding)
        self._cuisines = None
        self._catalogue_changed()
        return row["item_id"]

    def retrain(self, config: TrainConfig | None = None, progress=None) -> LoadedModel:
        """Train a new model on the dataset, save it under the data dir, build a new index
        version with it and switch to it only when complete (the old one serves until then)."""
        from recsys.ml.evaluation import quick_evaluation

        dataset = self.dataset()
        # Default: the full recipe with its variant selection (not the last winner's narrowed config).
        model = TwoTowerRecommender(config or TrainConfig(), progress).fit(dataset)
        # Scored against the baselines on quick splits, so the new model's card has its metrics.
        winner = replace(model.config, select_ids=False)
        metrics = quick_evaluation(dataset, lambda: TwoTowerRecommender(winner), on_model=(
            (lambda split, name: progress(0, 0, {"stage": "evaluating", "split": split, "model": name}))
            if progress else None))
        path = self.settings.models_dir / datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        model.save(path, metrics=metrics)
        loaded = LoadedModel.of(path)  # refused before it serves: the old index keeps serving
        self.reindex(dataset, loaded)
        return loaded

    def add_restaurants(self, rows: pd.DataFrame, progress=None, batch_size: int = 256) -> int:
        """Bulk form of add_restaurant for validated rows (an import); returns how many."""
        self._follow_live_model()
        records = rows.to_dict("records")
        for start in range(0, len(records), batch_size):
            chunk = records[start:start + batch_size]
            embeddings = self.model.embed_items(pd.DataFrame(chunk))
            for row, embedding in zip(chunk, embeddings):
                self.restaurants.upsert(row, embedding)
            if progress:
                progress(start + len(chunk), len(records))
        self._cuisines = None
        self._catalogue_changed()
        return len(records)

    def import_restaurants(self, path: str | Path, name: str, skip_invalid: bool, update_existing: bool,
                           progress: Progress | None = None) -> "ImportReport":
        """Import a TripAdvisor/OSM JSON or items CSV file (recsys.data.importers): its valid places
        are embedded and indexed; places already in the catalogue (same id) are replaced when
        ``update_existing``, else skipped. ``name`` is how problems name the file. The file is
        checked whole first (nothing is stored when it is refused), then its valid rows are read
        again and stored a chunk at a time, so a large CSV takes a chunk's memory, not the file's.
        ``progress(done, total, stage)``: the check in bytes of the file, then STORING in rows.
        Raises ValueError/OSError for a file the importer cannot read at all."""
        try:
            checked = check_import(path, skip_invalid=skip_invalid, name=name, progress=progress)
        except DatasetError as exc:  # nothing is imported: the problems say why
            return ImportReport(problems=list(exc.problems))
        known = set(self.catalogue()["item_id"])
        report = ImportReport(problems=list(checked.rejects))
        done = 0
        try:
            for chunk in checked.chunks():
                existing = chunk["item_id"].isin(known)
                to_store = chunk if update_existing else chunk[~existing]
                if len(to_store):
                    self.add_restaurants(to_store, None if progress is None else (
                        lambda stored, _total, base=done: progress(base + stored, checked.rows, STORING)))
                report.updated += int(existing.sum()) if update_existing else 0
                report.new += len(to_store) - (int(existing.sum()) if update_existing else 0)
                report.skipped += 0 if update_existing else int(existing.sum())
                done += len(chunk)
        except DatasetError as exc:  # the file changed between the check and the store: say what was stored
            report.problems += exc.problems
        return report

    # -- the facade the pages use: plain data in and out, no client or store above this class --
    @redis_errors
    def ping(self) -> None:
        """RedisUnavailableError (naming the server, password hidden) unless Redis answers."""
        check(self.client, client_url(self.client))

    @redis_errors
    def get_profile(self, user_id: str) -> dict | None:
        return self.users.get(user_id)

    @redis_errors
    def find_profiles(self, text: str = "", limit: int = 50) -> list[dict]:
        """Profiles whose name words or id start with ``text`` (all, up to ``limit``, for "")."""
        return self.users.search(text, limit)

    @redis_errors
    def count_profiles(self) -> int:
        return self.users.count()

    @redis_errors
    def delete_profile(self, user_id: str) -> bool:
        return self.users.delete(user_id)

    @redis_errors
    def record_feedback(self, user_id: str, item_id: str, event: str) -> str:
        """Record a "been there", "liked" or "not for me": kept for the next training, added to the
        user's history and, for a stored profile, their vector made again from it in this same
        call, so the next recommend() already reflects it. Returns the event's id; once the event
        is written it never raises (a failed re-embedding is logged, and the next feedback or save
        makes the vector from the whole history)."""
        self._follow_live_model()
        entry = self.feedback.record(user_id, item_id, event)
        try:
            self._reembed_user(check_id(user_id, "user_id"))
        except RedisUnavailableError:  # the event is recorded: an error now would make the caller record it twice
            log.warning("feedback %s for %s was recorded; re-embedding the profile failed (the next one will)",
                        entry, user_id)
        return entry

    @redis_errors
    def redis_status(self) -> RedisStatus:
        return redis_status(self.client, self.settings)

    @redis_errors
    def index_summary(self) -> IndexSummary:
        status = self.restaurants.status()
        size = 0.0
        if status.index_name:
            size = float(self.client.ft(status.index_name).info().get("vector_index_sz_mb", 0) or 0)
        return IndexSummary(version=status.version, index_name=status.index_name, alias=self.restaurants.alias,
                            documents=status.documents, vector_index_mb=size, profiles=self.users.count(),
                            meta=dict(status.meta))

    # A counter bumped on every add/update (an update of an existing id changes no count), so
    # caches of the catalogue (ui/catalogue.py) key on catalogue_version() and never go stale.
    @redis_errors
    def _catalogue_changed(self) -> None:
        self.client.incr(f"{self.settings.namespace}:catalogue_changes")
        self._served_checked = 0.0  # this process's own add is read at once

    @redis_errors
    def catalogue_version(self) -> str:
        """Changes whenever what catalogue() returns does: a rebuild or any add/update."""
        version, changes = self.client.hget(self.restaurants.meta_key, "version"), \
            self.client.get(f"{self.settings.namespace}:catalogue_changes")
        return ":".join(text(v or 0) for v in (version, changes))

