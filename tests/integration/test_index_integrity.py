"""A query sees one complete index version, always (issue 11, items 2-5): interrupted and
killed rebuilds, two `index` at once, a crash between the index switch and the profile
re-embedding, orphaned versions. Real embedded Redis; several processes where the fault needs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import redis

from recsys.config import Settings
from recsys.data.profiles import PROFILE_FIELDS
from recsys.serving.query import Query
from recsys.serving.service import RecommenderService

ROOT = Path(__file__).resolve().parents[2]
QUERY = dict(lat=37.7599, lon=-122.4148, radius_m=3000, k=5, open_only=False)


@pytest.fixture
def settings(redis_server, small_demo_dir, small_model_dir, tmp_path):
    return Settings(redis_url=redis_server, data_dir=tmp_path / "data", dataset_dir=small_demo_dir,
                    model_dir=small_model_dir, namespace=f"ix{uuid.uuid4().hex[:8]}")


@pytest.fixture(scope="module")
def other_model_dir(small_demo_dir, tmp_path_factory):
    """A second model (another seed): the "model B" an index switches to."""
    from recsys.data.restaurants import load_restaurant_dataset
    from recsys.ml.network import TowerConfig
    from recsys.ml.training import TrainConfig
    from recsys.ml.two_tower import TwoTowerRecommender

    cfg = TrainConfig(epochs=2, seed=11, tower=TowerConfig(hidden=[64], embedding_dim=32, id_dim=8))
    model = TwoTowerRecommender(cfg).fit(load_restaurant_dataset(small_demo_dir))
    return model.save(tmp_path_factory.mktemp("model-b") / "m")


def _names(client: redis.Redis, ns: str) -> list[str]:
    return sorted(n.decode() if isinstance(n, bytes) else n for n in client.execute_command("FT._LIST")
                  if (n.decode() if isinstance(n, bytes) else n).startswith(f"{ns}:restaurants:v"))


def _restaurant_keys(client: redis.Redis, ns: str) -> list[str]:
    return [k.decode() for k in client.scan_iter(match=f"{ns}:restaurant:*", count=5000)]


def _live_ids(client: redis.Redis, ns: str) -> list[str]:
    version = int(client.hget(f"{ns}:meta", "version"))
    reply = client.ft(f"{ns}:restaurants:v{version}").search(
        __import__("redis.commands.search.query", fromlist=["Query"]).Query("*").return_fields("item_id")
        .paging(0, 10_000))
    return [doc.id.rsplit(":", 1)[1] for doc in reply.docs]


def assert_one_complete_version(service: RecommenderService) -> None:
    client, ns = service.client, service.settings.namespace
    expected = sorted(service.catalogue()["item_id"])
    assert sorted(_live_ids(client, ns)) == expected  # complete, exact, no duplicates
    assert service.restaurants.status().documents == len(expected)
    assert _names(client, ns) == [service.restaurants.status().index_name]  # no orphaned version
    assert len(_restaurant_keys(client, ns)) == len(expected)  # no key that no index covers
    assert len(service.recommend(Query(**QUERY), profile={"likes": ["pizza"]}).items) == 5


class Reader:
    """Counts the live index's documents over and over from its own connection while builds run."""

    def __init__(self, url: str, ns: str):
        from recsys.serving.store import RestaurantStore

        self.store = RestaurantStore(redis.Redis.from_url(url), ns)
        self.counts: list[int] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:  # the app's own path (Searcher: the cached live version, then a count on it): a
                # version dropped under it is re-read, never an error
                live = self.store.live(fresh=False)
                self.counts.append(self.store.counts(live, ["*"])[0])
            except Exception as exc:  # noqa: BLE001 - any error a user would see is a failure
                self.errors.append(f"{type(exc).__name__}: {exc}")
            time.sleep(0.002)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


# -- issue 11.2: 8 interrupted rebuilds, then a complete one ---------------------------------------
def test_eight_interrupted_rebuilds_then_a_complete_one(settings):
    service = RecommenderService.open(settings)
    store, items = service.restaurants, service.catalogue()
    vectors = service.model.embed_items(items)
    meta = {"model_id": service.loaded.model_id, "model_dir": str(service.loaded.path),
            "dataset_fingerprint": service.dataset().fingerprint(), "dataset_dir": str(settings.dataset_dir)}
    reader = Reader(settings.redis_url, settings.namespace)
    for attempt in range(8):
        stop_after = 100 * (attempt % 4)  # killed after 0, 100, 200 or 300 of 600 documents

        def crash(done, total, stop_after=stop_after):
            if done > stop_after:
                raise KeyboardInterrupt("killed mid-build")

        with pytest.raises(KeyboardInterrupt):
            store.rebuild(items, vectors, meta, batch_size=100, progress=crash)
    version = store.rebuild(items, vectors, meta, batch_size=100)
    time.sleep(0.2)
    reader.stop()
    assert version >= 10  # the counter went past v1 -> v10, where the old prefix overlapped
    assert not reader.errors
    assert reader.counts and set(reader.counts) == {len(items)}  # every answer: one complete version
    assert_one_complete_version(service)


# -- issue 11.5: orphaned versions are cleaned at start and reported by doctor ----------------------
_KILLED_BUILD = """
import os, signal, sys
from recsys.config import Settings
from recsys.data.profiles import PROFILE_FIELDS
from recsys.serving.service import RecommenderService
settings = Settings(**{k: v for k, v in __import__("json").loads(sys.argv[1]).items()})
service = RecommenderService.open(settings)
items = service.catalogue()
def die(done, total):
    if done >= int(sys.argv[2]):
        os.kill(os.getpid(), signal.SIGKILL)
service.restaurants.rebuild(items, service.model.embed_items(items), {"model_id": "x"}, batch_size=100,
                            progress=die)
"""


def _child_settings(settings: Settings) -> str:
    return json.dumps({"redis_url": settings.redis_url, "data_dir": str(settings.data_dir),
                       "dataset_dir": str(settings.dataset_dir), "model_dir": str(settings.model_dir),
                       "namespace": settings.namespace})


def test_orphans_of_killed_builds_are_cleaned_at_start_and_by_doctor(settings):
    from recsys.doctor import run_checks

    service = RecommenderService.open(settings)
    client, ns = service.client, settings.namespace
    for stop_at in (100, 300):  # kill -9 at two points of a build
        done = subprocess.run([sys.executable, "-c", _KILLED_BUILD, _child_settings(settings), str(stop_at)],
                              cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert done.returncode == -9, done.stderr[-2000:]
        assert len(_names(client, ns)) == 2  # the killed build's index is left behind
        lock = f"{ns}:index_build_lock"
        while client.exists(lock):  # a killed builder's lock expires by itself
            time.sleep(0.2)
    client.json().set(f"{ns}:restaurant:v77:stray", "$", {"item_id": "stray"})  # keys with no index
    RecommenderService.open(settings)  # the app's start
    assert_one_complete_version(service)

    with pytest.raises(KeyboardInterrupt):  # one more left-over, for doctor to find
        items = service.catalogue()

        def crash(done, total):
            raise KeyboardInterrupt

        service.restaurants.rebuild(items, service.model.embed_items(items), {"model_id": "x"}, batch_size=100,
                                    progress=crash)
    checks = {c.name: c for c in run_checks(settings)}
    orphans = checks["orphaned index data"]
    assert orphans.ok and "removed" in orphans.detail and f"{ns}:restaurants:v" in orphans.detail
    assert_one_complete_version(service)


# -- issue 11.4: two `python -m recsys index` at once on a fresh namespace ------------------------
def test_two_index_commands_at_once(settings):
    env = {**os.environ, "REDIS_URL": settings.redis_url, "RECSYS_NAMESPACE": settings.namespace,
           "RECSYS_DATASET_DIR": str(settings.dataset_dir), "RECSYS_MODEL_DIR": str(settings.model_dir),
           "RECSYS_DATA_DIR": str(settings.data_dir)}
    runs = [subprocess.Popen([sys.executable, "-m", "recsys", "index"], cwd=ROOT, env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err[-1500:] for _, err in outputs]
    assert sorted(out.split(":")[0] for out, _ in outputs) == ["already up to date", "built"]
    service = RecommenderService.open(settings, bootstrap=False)
    assert_one_complete_version(service)
    assert service.users.count() == len(service.dataset().users)


# -- issue 11.3: killed between the index switch and the profile re-embedding ----------------------
_KILLED_AFTER_SWITCH = """
import json, os, signal, sys
from pathlib import Path
from recsys.config import Settings
from recsys.data.profiles import PROFILE_FIELDS
from recsys.serving.service import RecommenderService, load_model
settings = Settings(**json.loads(sys.argv[1]))
service = RecommenderService.open(settings)
RecommenderService._sync_users = lambda self, *a, **k: os.kill(os.getpid(), signal.SIGKILL)
service.reindex(service.dataset(), load_model(Path(sys.argv[2])))
"""


def test_killed_between_index_switch_and_profile_reembedding(settings, other_model_dir):
    from recsys.serving.service import model_id

    service = RecommenderService.open(settings)
    saved = service.save_profile({"name": "Edited before the switch", "likes": ["bbq"], "home_lat": 37.76,
                                  "home_lon": -122.41})
    done = subprocess.run([sys.executable, "-c", _KILLED_AFTER_SWITCH, _child_settings(settings),
                           str(other_model_dir)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == -9, done.stderr[-2000:]
    model_b = model_id(other_model_dir)
    assert service.restaurants.meta()["model_id"] == model_b  # the index switched, profiles did not

    # The next start (no model set, so the index's model B serves) finishes the job.
    again = RecommenderService.open(replace(settings, model_dir=None))
    assert again.loaded.model_id == model_b
    versions = [again.client.json().get(k.decode(), "$.model_version")[0]
                for k in again.client.scan_iter(match=f"{settings.namespace}:user:*", count=5000)]
    assert len(versions) == len(again.dataset().users) + 1 and set(versions) == {model_b}
    doc = again.users.get(saved["user_id"])
    assert doc["name"] == "Edited before the switch"  # the acknowledged write survived
    expected = again.model.embed_users(pd.DataFrame([{k: doc.get(k) for k in PROFILE_FIELDS}]))[0]
    assert np.allclose(doc["embedding"], expected, atol=1e-5)
    assert_one_complete_version(again)


# -- one process, many Streamlit sessions: the build lock is per thread, not per process ----------
def test_two_threads_of_one_process_never_build_at_once(settings):
    service = RecommenderService.open(settings)
    inside, overlaps = [], []
    entered = threading.Event()

    def build(name: str) -> None:
        with service.restaurants.building():
            if inside:
                overlaps.append((inside[0], name))
            inside.append(name)
            entered.set()
            time.sleep(0.5)
            inside.remove(name)

    first = threading.Thread(target=build, args=("first",))
    first.start()
    assert entered.wait(10)
    second = threading.Thread(target=build, args=("second",))
    second.start()
    first.join(), second.join()
    assert overlaps == []


def test_a_place_added_while_a_rebuild_runs_is_in_the_new_version(settings, other_model_dir):
    """The add goes to the version being replaced; the rebuild carries it over, embedded by the
    new model, so it stays searchable."""
    from recsys.data.restaurants import NewRestaurant
    from recsys.ml.two_tower import TwoTowerRecommender
    from recsys.serving.service import LoadedModel, model_id

    service = RecommenderService.open(settings)
    adder = RecommenderService.open(settings)  # another session's view of the same namespace
    added: list[str] = []
    loaded = LoadedModel(TwoTowerRecommender.load(other_model_dir), other_model_dir, model_id(other_model_dir))

    def add_midway(done, total):
        if not added and done >= total // 2:
            added.append(adder.add_restaurant(NewRestaurant(
                name="Midway Noodles", address="1 Market St", lat=37.7599, lon=-122.4148, cuisines=["ramen"],
                price=2, rating=4.6, hours="24/7")))

    service.reindex(service.dataset(), loaded, progress=add_midway)
    assert added
    assert added[0] in _live_ids(service.client, settings.namespace)
    assert_one_complete_version(service)
    # Embedded by the new model: its stored vector is the one model B gives it.
    stored = service.restaurants.embeddings(added)[0]
    expected = loaded.model.embed_items(service.catalogue().set_index("item_id").loc[added].reset_index())[0]
    assert np.allclose(stored, expected, atol=1e-3)


def test_doctor_checks_the_model_the_index_serves(settings, small_model_dir, tmp_path):
    """A retrained model is the live one (its directory is in the index meta): doctor loads that one
    too, so a corrupt active model is reported, not hidden behind an [ok] for the shipped one."""
    import shutil

    from recsys.doctor import run_checks

    service = RecommenderService.open(settings)
    active = Path(shutil.copytree(small_model_dir, tmp_path / "retrained"))
    service.client.hset(service.restaurants.meta_key, "model_dir", str(active))
    assert next(c for c in run_checks(settings) if c.name == "active model").ok
    config = json.loads((active / "config.json").read_text())
    config["train"]["cold_mix"] = None
    (active / "config.json").write_text(json.dumps(config))
    check = next(c for c in run_checks(settings) if c.name == "active model")
    assert not check.ok and "cold_mix" in check.detail and "falls back" in check.fix


def test_a_service_follows_a_model_switch_made_by_another_process(settings, other_model_dir):
    """Another process (a retrain, `index --force`) moves the index to model B: this process's
    next query, profile save and add are embedded by model B, not ranked across two models (a
    dimension error, or silently wrong when widths match)."""
    from recsys.data.restaurants import NewRestaurant
    from recsys.ml.two_tower import TwoTowerRecommender
    from recsys.serving.service import LoadedModel, model_id

    app = RecommenderService.open(settings)
    other = RecommenderService.open(settings)
    loaded_b = LoadedModel(TwoTowerRecommender.load(other_model_dir), other_model_dir, model_id(other_model_dir))
    query = Query(lat=37.7599, lon=-122.4148, radius_m=3000, k=5, open_only=False)
    assert app.recommend(query, profile={"likes": ["pizza"]}).items  # warm, on model A
    other.reindex(other.dataset(), loaded_b)
    app.restaurants._live = None  # past LIVE_RECHECK_S (a second), without sleeping
    picks = app.recommend(query, profile={"likes": ["pizza"]}).items
    assert picks and app.loaded.model_id == loaded_b.model_id
    doc = app.save_profile({"name": "After The Switch", "likes": ["pizza"]})
    assert doc["model_version"] == loaded_b.model_id
    assert app.recommend(query, user_id=doc["user_id"]).items
    new_id = app.add_restaurant(NewRestaurant(name="Switch Noodles", address="2 Market St", lat=37.7599,
                                              lon=-122.4148, cuisines=["ramen"], price=2, rating=4.6, hours="24/7"))
    assert new_id in _live_ids(app.client, settings.namespace)


# -- issue 19.12: RECSYS_MODEL_DIR takes effect once an index exists -------------------------------
def test_the_model_setting_takes_effect_once_an_index_exists(settings, other_model_dir):
    """An explicit model setting wins over the model the index was built with; `index` (and the app's
    start) rebuilds with it, and doctor says which model serves and why."""
    from recsys.doctor import run_checks
    from recsys.serving.service import model_id

    RecommenderService.open(settings)  # the index is built with model A (settings.model_dir)
    pinned = replace(settings, model_dir=other_model_dir)
    checks = {c.name: c for c in run_checks(pinned)}
    assert "RECSYS_MODEL_DIR" in checks["active model"].detail  # says the next start switches, and why
    again = RecommenderService.open(pinned)
    assert again.loaded.model_id == model_id(other_model_dir)
    assert again.restaurants.meta()["model_id"] == model_id(other_model_dir)
    assert again.recommend(Query(**QUERY), profile={"likes": ["pizza"]}).items
    checks = {c.name: c for c in run_checks(pinned)}
    assert "active model" not in checks and str(other_model_dir) in checks["model"].detail


def test_a_retrained_model_keeps_serving_when_no_model_is_set(settings, other_model_dir):
    """Without RECSYS_MODEL_DIR the model the index serves (a retrain's) serves after a restart, and
    doctor names it as the serving model rather than calling the shipped one the model."""
    from recsys.doctor import run_checks
    from recsys.serving.service import model_id

    service = RecommenderService.open(settings)
    service.client.hset(service.restaurants.meta_key, mapping={"model_dir": str(other_model_dir),
                                                               "model_id": model_id(other_model_dir)})
    unset = replace(settings, model_dir=None)
    assert RecommenderService.open(unset, bootstrap=False).loaded.model_id == model_id(other_model_dir)
    model = next(c for c in run_checks(unset) if c.name == "model")
    assert model.ok and str(other_model_dir) in model.detail and "the index serves it" in model.detail


# -- issue 21: a model whose history settings the store cannot feed is refused ---------------------
def test_a_model_reading_more_history_than_the_store_keeps_is_refused(settings, small_model_dir, tmp_path):
    """A model that reads more of a user's events than the profile store keeps would silently see
    a cut history: it is refused with a message naming both numbers, and the shipped model serves."""
    import shutil

    from recsys.config import SHIPPED_MODEL_DIR
    from recsys.serving.profile_store import MAX_HISTORY_KEPT
    from recsys.serving.service import load_model, model_id

    wide = Path(shutil.copytree(small_model_dir, tmp_path / "wide"))
    config = json.loads((wide / "config.json").read_text())
    config["train"]["tower"]["history_len"] = MAX_HISTORY_KEPT * 5
    (wide / "config.json").write_text(json.dumps(config))
    loaded = load_model(wide)
    assert loaded.model_id == model_id(SHIPPED_MODEL_DIR)
    assert f"{MAX_HISTORY_KEPT * 5}" in loaded.warning and f"{MAX_HISTORY_KEPT}" in loaded.warning
    service = RecommenderService.open(replace(settings, model_dir=wide), bootstrap=False)
    assert service.loaded.model_id == model_id(SHIPPED_MODEL_DIR) and "history" in service.loaded.warning


def test_a_served_setting_changed_in_the_model_config_re_embeds_the_profiles(settings, small_model_dir, tmp_path):
    """The served vectors depend on the config too (the feedback weight, the cold and warm mixes),
    not only the weights: a model whose config changed is another model, so stored profiles are
    embedded again instead of keeping vectors of the old setting."""
    import shutil

    from recsys.serving.service import model_id

    copy = Path(shutil.copytree(small_model_dir, tmp_path / "copy"))
    config = json.loads((copy / "config.json").read_text())
    config["train"]["feedback_weight"] = config["train"].get("feedback_weight", 0.0) + 1.0
    (copy / "config.json").write_text(json.dumps(config))
    assert model_id(copy) != model_id(small_model_dir)
    service = RecommenderService.open(settings)
    saved = service.save_profile({"name": "Config Watcher", "likes": ["bbq"]})
    service.record_feedback(saved["user_id"], service.catalogue()["item_id"].iat[0], "liked")
    before = np.asarray(service.users.get(saved["user_id"])["embedding"])
    again = RecommenderService.open(replace(settings, model_dir=copy))
    after = np.asarray(again.users.get(saved["user_id"])["embedding"])
    assert again.users.get(saved["user_id"])["model_version"] == model_id(copy)
    assert not np.allclose(before, after)  # the stronger feedback term moved it
