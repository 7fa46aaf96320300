"""Faults: Redis killed and restarted, a rebuild killed halfway, a broken model artifact."""

from __future__ import annotations

import os
import signal
import time

import pytest

from recsys.config import Settings
from recsys.serving.connection import RedisUnavailableError
from recsys.serving.query import Query
from recsys.serving.redis_server import EmbeddedRedis
from recsys.serving.service import RecommenderService, load_model


@pytest.fixture
def own_redis(tmp_path, small_demo_dir, small_model_dir):
    """A service on its own embedded Redis (REDIS_URL unset), so the test may kill it."""
    settings = Settings(redis_url=None, data_dir=tmp_path / "data", dataset_dir=small_demo_dir,
                        model_dir=small_model_dir, namespace="faults")
    yield settings, EmbeddedRedis(settings.redis_data_dir)
    EmbeddedRedis(settings.redis_data_dir).stop()


QUERY = dict(lat=37.7599, lon=-122.4148, radius_m=3000, k=5, open_only=False)


def test_killed_redis_is_a_clear_error_then_the_next_open_recovers_everything(own_redis):
    settings, server = own_redis
    service = RecommenderService.open(settings)
    doc = service.save_profile({"name": "Survivor", "likes": ["pizza"], "home_lat": 37.76, "home_lon": -122.41})
    service.feedback.record(doc["user_id"], service.dataset().items["item_id"].iat[0], "liked")
    documents = service.restaurants.status().documents
    time.sleep(2.5)  # appendfsync everysec: let the AOF reach the disk before the crash (product: <=1 s at risk)

    os.kill(server.pid(), signal.SIGKILL)
    time.sleep(0.3)
    with pytest.raises(RedisUnavailableError) as err:
        service.recommend(Query(**QUERY), user_id=doc["user_id"])
    assert "doctor" in err.value.hint and "Traceback" not in str(err.value)

    again = RecommenderService.open(settings)  # what the app does on its next rerun
    assert again.users.get(doc["user_id"])["name"] == "Survivor"
    assert len(again.feedback.events()) == 1
    assert again.restaurants.status().documents == documents
    assert len(again.recommend(Query(**QUERY), user_id=doc["user_id"]).items) == 5


def test_clean_restart_keeps_profiles_feedback_and_index(own_redis):
    settings, server = own_redis
    service = RecommenderService.open(settings)
    doc = service.save_profile({"name": "Kept", "likes": ["bbq"]})
    service.feedback.record(doc["user_id"], "r00003", "been_there")
    version = service.restaurants.status().version
    assert server.stop()
    again = RecommenderService.open(settings)
    assert again.users.get(doc["user_id"]) is not None
    assert again.feedback.as_interactions()["item_id"].tolist() == ["r00003"]
    assert again.restaurants.status().version == version  # reused, not rebuilt
    assert again.ensure_indexed() is False


def test_rebuild_killed_halfway_leaves_the_old_index_serving(service):
    before = service.restaurants.status()
    expected = [r.item_id for r in service.recommend(Query(**QUERY), profile={"likes": ["pizza"]}).items]

    def crash(done, total):
        if done < total:
            raise KeyboardInterrupt("killed mid-build")

    items = service.catalogue()
    with pytest.raises(KeyboardInterrupt):
        service.restaurants.rebuild(items, service.model.embed_items(items), {"model_id": "x"}, batch_size=100,
                                    progress=crash)
    after = service.restaurants.status()
    assert after.version == before.version and after.documents == before.documents
    assert [r.item_id for r in service.recommend(Query(**QUERY), profile={"likes": ["pizza"]}).items] == expected
    # The next complete build removes the half-built left-over.
    service.reindex(service.dataset(), service.loaded)
    names = {n.decode() if isinstance(n, bytes) else n for n in service.client.execute_command("FT._LIST")}
    assert len([n for n in names if n.startswith(f"{service.settings.namespace}:restaurants:v")]) == 1


def test_corrupt_active_model_falls_back_to_the_shipped_one(tmp_path, small_model_dir):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(small_model_dir, broken)
    (broken / "model.pt").write_bytes(b"\x00garbage")
    loaded = load_model(broken, fallback=small_model_dir)
    assert loaded.path == small_model_dir
    assert "could not be loaded" in loaded.warning and "shipped model" in loaded.warning
    missing = load_model(tmp_path / "gone", fallback=small_model_dir)
    assert missing.path == small_model_dir and "does not exist" in missing.warning
