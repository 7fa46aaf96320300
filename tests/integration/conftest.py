"""A RecommenderService on the real embedded Redis with the small demo dataset and quickly trained
model from tests/conftest.py, shared by the serving tests (each module gets its own namespace)."""

from __future__ import annotations

import pytest

from recsys.config import Settings


@pytest.fixture(scope="module")
def service(redis_server, small_demo_dir, small_model_dir, tmp_path_factory):
    import uuid

    from recsys.serving.service import RecommenderService

    settings = Settings(redis_url=redis_server, data_dir=tmp_path_factory.mktemp("data"), dataset_dir=small_demo_dir,
                        model_dir=small_model_dir, namespace=f"svc{uuid.uuid4().hex[:8]}")
    return RecommenderService.open(settings)
