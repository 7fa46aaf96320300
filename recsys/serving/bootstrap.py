"""Bootstrapping the served index: build it (idempotently, one builder at a time across
processes) from the dataset and the loaded model, switch it live in one step, and bring every
stored profile onto that model (the dataset's users stored once, with their visits as history)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pandas as pd

from recsys.data.contract import Dataset
from recsys.data.record import PROFILE_FIELDS
from recsys.ml.history import time_order
from recsys.serving.models import LoadedModel
from recsys.serving.profile_store import history_event

if TYPE_CHECKING:
    from recsys.serving.service import RecommenderService


def is_current(service: "RecommenderService", dataset: Dataset) -> bool:
    """The index holds this dataset embedded by the loaded model, in the configured layout."""
    status = service.restaurants.status()
    layout = service.restaurants.layout
    return (status.meta.get("model_id") == service.loaded.model_id
            and status.meta.get("dataset_fingerprint") == dataset.fingerprint()
            and status.meta.get("storage", "json") == layout.storage
            and status.meta.get("datatype", "float32") == layout.datatype
            and status.version is not None and status.prefix_ok
            and status.documents >= len(dataset.items))

def ensure_indexed(service: "RecommenderService", force: bool = False, progress=None, notify=None) -> bool:
    """Build the index unless it already holds this dataset embedded by this model, and make
    every stored profile's vector come from that model. Serialised across processes: a second
    caller waits for the running build and then finds the index current."""
    dataset = service.dataset()
    service.model.check_schema(dataset)  # a model trained on other columns cannot embed this data
    if not force and is_current(service, dataset) and not users_pending(service, dataset):
        service.restaurants.cleanup_if_idle()  # left-overs of killed builds
        return False
    seen = service.restaurants.live_version()
    with service.restaurants.building(notify):
        # Whoever held the lock before us may have done the work already.
        if is_current(service, dataset) and (not force or service.restaurants.live_version() != seen):
            service.restaurants.cleanup_orphans()
            service._sync_users(dataset)
            return False
        service.reindex(dataset, service.loaded, progress=progress)
        return True

def reindex(service: "RecommenderService", dataset: Dataset, loaded: LoadedModel, progress=None) -> int:
    """Embed every restaurant (dataset + ones added in the app) with ``loaded`` and switch
    the live index to it in one step; then re-embed the stored profiles. A crash after the
    switch leaves profiles on the old model: the next start finds them by their model_version
    and finishes the job."""
    with service.restaurants.building():
        custom_before = service.restaurants.custom_raw()
        items = service.catalogue(dataset)
        embeddings = loaded.model.embed_items(items)
        version = service.restaurants.rebuild(items, embeddings, {
            "model_id": loaded.model_id, "model_dir": str(loaded.path),
            "dataset_fingerprint": dataset.fingerprint(), "dataset_dir": str(service.settings.dataset_dir)},
            progress=progress)
        service.loaded, service._served = loaded, None
        service._cuisines = None
        # Places added or updated in the app while the build ran went into the old version:
        # carry them into the new one, embedded by the new model.
        custom_after = service.restaurants.custom_raw()
        missed = [json.loads(raw) for key, raw in custom_after.items() if custom_before.get(key) != raw]
        if missed:
            service.add_restaurants(pd.DataFrame(missed))
        service._sync_users(dataset)
        return version

def users_marker(service: "RecommenderService") -> str:
    return f"{service.settings.namespace}:users_loaded"

def users_pending(service: "RecommenderService", dataset: Dataset) -> bool:
    return not service.client.get(users_marker(service)) or bool(service.users.stale(service.loaded.model_id))

def sync_users(service: "RecommenderService", dataset: Dataset) -> None:
    """Store the dataset's users once (never over an existing profile), then re-embed every
    profile whose vector another model made."""
    service.users.ensure_index()
    if not service.client.get(users_marker(service)):
        rows = dataset.users.to_dict("records")
        by_user = dict(tuple(dataset.interactions.groupby("user_id", sort=False)))
        for start in range(0, len(rows), 2000):
            chunk = rows[start:start + 2000]
            new = [{k: row.get(k) for k in PROFILE_FIELDS if k in row}
                   for row, exists in zip(chunk, service.users.exists_many([r["user_id"] for r in chunk])) if not exists]
            if new:
                # Their visits in the dataset are where their history starts.
                pipe = service.client.pipeline(transaction=False)
                for profile in new:
                    events = by_user.get(profile["user_id"])
                    if events is not None:
                        service.users.push_history(pipe, profile["user_id"], history_events(events))
                pipe.execute()
                service.users.put_many(new, service._embed_profiles(new), service.loaded.model_id)
        service.client.set(users_marker(service), "1")
    stale = service.users.stale(service.loaded.model_id)
    for start in range(0, len(stale), 500):
        service.users.reembed(stale[start:start + 500], service._embed_profiles, service.loaded.model_id)


def history_events(events: pd.DataFrame) -> list[str]:
    """A dataset user's interactions as stored history events, oldest first."""
    events = time_order(events)
    weights = events["weight"] if "weight" in events else pd.Series(1.0, index=events.index)
    stamps = events["timestamp"] if "timestamp" in events else pd.Series(0.0, index=events.index)
    return [history_event(str(i), float(w), float(t) if pd.notna(t) else 0.0)
            for i, w, t in zip(events["item_id"], weights, stamps)]
