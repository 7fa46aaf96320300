"""Settings read from the environment, with defaults that work on a fresh clone."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from recsys.data.city import CITY

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ASSETS_DIR = PROJECT_ROOT / "assets"
DEMO_DATASET_DIR = ASSETS_DIR / "demo"
SHIPPED_MODEL_DIR = ASSETS_DIR / "model"


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name)
    try:
        return int(value) if value else default
    except ValueError:
        raise ValueError(f"{name} {value!r}: not a whole number") from None


def _path_env(name: str, default: Path | None) -> Path | None:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


@dataclass(frozen=True)
class Settings:
    # Empty means "start the embedded server"; set it for Redis 8 / Redis Stack / Redis Cloud.
    redis_url: str | None = field(default_factory=lambda: os.environ.get("REDIS_URL") or None)
    # Everything the app writes (embedded Redis data, retrained models) lives under here.
    data_dir: Path = field(default_factory=lambda: _path_env("RECSYS_DATA_DIR", PROJECT_ROOT / "data"))
    # The dataset the app indexes on first start (a contract directory).
    dataset_dir: Path = field(default_factory=lambda: _path_env("RECSYS_DATASET_DIR", DEMO_DATASET_DIR))
    # The model to serve. Unset: the one the index serves (a retrain's), else the shipped one; set,
    # it wins on the next start or `index` (recsys.serving.service.model_to_serve).
    model_dir: Path | None = field(default_factory=lambda: _path_env("RECSYS_MODEL_DIR", None))
    # Opening hours are wall-clock times in this zone; "now" is taken here too.
    timezone: str = field(default_factory=lambda: os.environ.get("RECSYS_TIMEZONE", CITY.timezone))
    # 0 picks a free port; a fixed one helps when other tools must find the embedded server.
    embedded_redis_port: int = field(default_factory=lambda: _int_env("RECSYS_REDIS_PORT", 0))
    # "json" (readable documents) or "hash" (vector as bytes: far less memory at millions of items).
    storage: str = field(default_factory=lambda: os.environ.get("RECSYS_STORAGE", "json"))
    # "float16" halves the vector index; recall changes little (see the README's benchmark table).
    vector_dtype: str = field(default_factory=lambda: os.environ.get("RECSYS_VECTOR_DTYPE", "float32"))
    # Index name prefix, so several deployments (or test runs) can share one Redis.
    namespace: str = field(default_factory=lambda: os.environ.get("RECSYS_NAMESPACE", "sfrec"))

    def __post_init__(self) -> None:
        # Keys and SCAN patterns are built from it: a glob character would reach other
        # deployments' keys ("a?" matches "a2:user:*"), a ":" would nest inside another namespace.
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", self.namespace or ""):
            raise ValueError(f"RECSYS_NAMESPACE {self.namespace!r}: use 1 to 64 letters, digits, '_' or '-'")
        if not 0 <= self.embedded_redis_port <= 65535:
            raise ValueError(f"RECSYS_REDIS_PORT {self.embedded_redis_port}: a port is 0 (any free one) to 65535")

    @property
    def redis_data_dir(self) -> Path:
        return self.data_dir / "redis"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"
