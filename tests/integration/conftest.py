"""A RecommenderService on the real embedded Redis with a small demo dataset and a quickly
trained model, shared by the serving tests (each module gets its own namespace)."""

from __future__ import annotations

import pytest

from recsys.config import Settings
from recsys.data.demo import DemoConfig, write_demo
from recsys.model import TowerConfig
from recsys.train import TrainConfig
from recsys.two_tower import TwoTowerRecommender


@pytest.fixture(scope="session")
def small_demo_dir(tmp_path_factory):
    return write_demo(tmp_path_factory.mktemp("demo") / "data", DemoConfig(n_restaurants=600, n_users=300, seed=5))


@pytest.fixture(scope="session")
def small_model_dir(small_demo_dir, tmp_path_factory):
    from recsys.data.restaurants import load_restaurant_dataset

    cfg = TrainConfig(epochs=4, tower=TowerConfig(hidden=[64], embedding_dim=32, id_dim=8))
    model = TwoTowerRecommender(cfg).fit(load_restaurant_dataset(small_demo_dir))
    return model.save(tmp_path_factory.mktemp("model") / "m")


@pytest.fixture(scope="module")
def service(redis_server, small_demo_dir, small_model_dir, tmp_path_factory):
    import uuid

    from recsys.service import RecommenderService

    settings = Settings(redis_url=redis_server, data_dir=tmp_path_factory.mktemp("data"), dataset_dir=small_demo_dir,
                        model_dir=small_model_dir, namespace=f"svc{uuid.uuid4().hex[:8]}")
    return RecommenderService.open(settings)
