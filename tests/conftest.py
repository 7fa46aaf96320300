"""Shared fixtures. Tests that touch search start the real embedded Redis themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(items):
    # The tier is the folder: tests/unit -> unit, tests/integration -> integration, ...
    for item in items:
        tier = Path(str(item.fspath)).relative_to(ROOT / "tests").parts[0]
        if tier in ("unit", "integration", "app", "e2e"):
            item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """One embedded Redis for the whole run, in its own data dir, stopped at the end; or, with
    RECSYS_TEST_REDIS_URL set, that server (any Redis with the Query Engine: a managed or
    clustered endpoint), left running. Tests keep to their own key namespaces either way."""
    import os

    from recsys.serving.redis_server import EmbeddedRedis

    if os.environ.get("RECSYS_TEST_REDIS_URL"):
        yield os.environ["RECSYS_TEST_REDIS_URL"]
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis-session"))
    url = server.ensure_running()
    yield url
    server.stop()


@pytest.fixture
def redis_client(redis_server):
    import redis

    client = redis.Redis.from_url(redis_server)
    yield client
    client.close()


@pytest.fixture
def namespace(request):
    """A fresh key namespace per test, so tests sharing the server never see each other's data."""
    import re
    import uuid

    return "t" + re.sub(r"[^a-z0-9]", "", request.node.name.lower())[:20] + uuid.uuid4().hex[:6]


# A small demo dataset and a quickly trained model, shared by the integration, app and e2e tiers.
@pytest.fixture(scope="session")
def small_demo_dir(tmp_path_factory):
    from recsys.data.demo import DemoConfig, write_demo

    return write_demo(tmp_path_factory.mktemp("demo") / "data", DemoConfig(n_restaurants=600, n_users=300, seed=5))


@pytest.fixture(scope="session")
def small_model_dir(small_demo_dir, tmp_path_factory):
    from recsys.data.restaurants import load_restaurant_dataset
    from recsys.ml.network import TowerConfig
    from recsys.ml.training import TrainConfig
    from recsys.ml.two_tower import TwoTowerRecommender

    cfg = TrainConfig(epochs=4, tower=TowerConfig(hidden=[64], embedding_dim=32, id_dim=8))
    model = TwoTowerRecommender(cfg).fit(load_restaurant_dataset(small_demo_dir))
    return model.save(tmp_path_factory.mktemp("model") / "m")
