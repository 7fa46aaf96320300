"""Which model serves: its id (what made the stored vectors), the rule for which model a start
serves, and loading it with the shipped one as the fallback."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import torch

from recsys.config import SHIPPED_MODEL_DIR, Settings
from recsys.ml.two_tower import ModelArtifactError, TwoTowerRecommender
from recsys.serving.profile_store import MAX_HISTORY_KEPT

log = logging.getLogger(__name__)

# The layout of the served vectors (recsys.ml.network): part of the model id, so stored vectors of
# another layout (an older release) are re-embedded and re-indexed, never mixed with new ones.
VECTOR_LAYOUT = b"taste+bias+popularity+history+explicit"


# Torch threads in a serving process: one. A query embeds one profile (a few small matrix
# products) that a second thread cannot speed up, and on a 2-core machine that Streamlit, Redis
# and the browser keep busy, the idle thread's spin-waits cost more than the work: a new ad-hoc
# profile's recommend() took 50.9 ms p50 with two busy processes beside it, 2.9 ms on one thread
# (python -m benchmarks --sizes 10000 --skip-quality --skip-app, docs/benchmarks.md).
SERVING_THREADS = 1


def use_serving_threads() -> None:
    torch.set_num_threads(SERVING_THREADS)


def model_id(model_dir: Path) -> str:
    """Content hash of the weights, the config (its served settings shape the vectors too: the
    feedback weight, the cold and warm mixes) and the vector layout: which model produced the
    stored vectors."""
    content = VECTOR_LAYOUT + b"".join((Path(model_dir) / name).read_bytes() for name in ("model.pt", "config.json"))
    return hashlib.sha256(content).hexdigest()[:12]


@dataclass
class LoadedModel:
    model: TwoTowerRecommender
    path: Path
    model_id: str
    warning: str = ""  # set when the active model was unusable and the shipped one was used

    @classmethod
    def of(cls, path: Path) -> "LoadedModel":
        """The model in ``path``, refused (ModelArtifactError) when this deployment cannot serve it."""
        model = TwoTowerRecommender.load(path)
        if model.history_len > MAX_HISTORY_KEPT:  # it would silently read cut histories
            raise ModelArtifactError(
                f"model {path} reads the newest {model.history_len} events of each user, but the profile store "
                f"keeps {MAX_HISTORY_KEPT} per user (MAX_HISTORY_KEPT); retrain it with history_len at most "
                f"{MAX_HISTORY_KEPT}")
        return cls(model, Path(path), model_id(path))


def model_to_serve(settings: Settings, index_meta: dict) -> tuple[Path, str]:
    """Which model a start serves, and why: the RECSYS_MODEL_DIR setting; else the model the index
    was built with (a retrain's, so a restart keeps it); else the shipped one."""
    if settings.model_dir is not None:
        return Path(settings.model_dir), "RECSYS_MODEL_DIR"
    if index_meta.get("model_dir"):
        return Path(index_meta["model_dir"]), "the index serves it; set RECSYS_MODEL_DIR to choose another"
    return SHIPPED_MODEL_DIR, "the shipped demo model"


def load_model(preferred: Path | None, fallback: Path = SHIPPED_MODEL_DIR) -> LoadedModel:
    """The preferred model, or the shipped one with a warning if the preferred is unusable."""
    if preferred is not None and Path(preferred) != fallback:
        try:
            return LoadedModel.of(preferred)
        except (ModelArtifactError, OSError) as exc:
            loaded = load_model(None, fallback)
            loaded.warning = f"The active model could not be loaded ({exc}); using the shipped model instead."
            log.warning(loaded.warning)
            return loaded
    return LoadedModel.of(fallback)
