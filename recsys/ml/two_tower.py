"""The two-tower model as a Recommender, and its artifacts: a versioned directory with weights,
FeatureSpecs, config, metrics and the fingerprint of the training data. Loading checks that the
pieces belong together and fails with a message that says what to do."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from recsys import __version__
from recsys.data.contract import Dataset
from recsys.ml.baselines import Recommender
from recsys.ml.features import FeatureSpec
from recsys.ml.history import padded_histories
from recsys.ml.network import TwoTower
from recsys.ml.training import SEGMENT_KINDS, Progress, TrainConfig, apply_served_settings, train_two_tower

FORMAT_VERSION = 1
FILES = ("model.pt", "user_features.json", "item_features.json", "config.json")


class ModelArtifactError(RuntimeError):
    """A model directory that is missing, incomplete, corrupt or made for other data."""


@dataclass
class ModelCard:
    """What a trained model says about itself: read by the CLI, doctor and the Model page as
    attributes, saved in config.json next to the train config."""

    trained_at: str = ""
    train_seconds: float = 0.0
    best_epoch: int = 0
    validation_recall: dict[str, float] = field(default_factory=dict)  # variant -> validation score
    selection: dict = field(default_factory=dict)  # the chosen variant, why, and every variant's numbers
    cold_mix: dict = field(default_factory=dict)  # the new-user mix chosen, why, and each candidate's recall
    history: list[dict] = field(default_factory=list)  # per epoch: loss and validation recalls
    data_problems: dict[str, int] = field(default_factory=dict)  # training events skipped, by reason
    data_fingerprint: str = ""
    schema: dict = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "ModelCard":
        """Tolerant of cards written by older versions: unknown keys are dropped, wrong kinds reset."""
        out = cls()
        for f in fields(cls):
            value = data.get(f.name)
            if value is not None and isinstance(value, type(getattr(out, f.name))):
                setattr(out, f.name, value)
            elif isinstance(value, int) and isinstance(getattr(out, f.name), float):
                setattr(out, f.name, float(value))
        return out

    @property
    def best_record(self) -> dict:
        return next((h for h in self.history if h.get("epoch") == self.best_epoch), {})


class TwoTowerRecommender(Recommender):
    name = "two-tower"

    def __init__(self, config: TrainConfig | None = None, progress: Progress | None = None):
        self.config = config or TrainConfig()
        self.progress = progress
        self.model: TwoTower | None = None
        self.user_spec: FeatureSpec | None = None
        self.item_spec: FeatureSpec | None = None
        self.card = ModelCard()
        self._train_events: pd.DataFrame | None = None  # what fit() saw: warm users' history when none is given
        self._catalogue: pd.DataFrame | None = None  # the items a history may name
        self._table: tuple[dict[str, int], torch.Tensor] | None = None  # their history vectors, by id

    def fit(self, train: Dataset) -> "TwoTowerRecommender":
        trained = train_two_tower(train, self.config, self.progress)
        self.model, self.user_spec, self.item_spec = trained.model, trained.user_spec, trained.item_spec
        self.config = trained.config  # the variant that won, so save/load rebuild the same towers
        self.card = ModelCard(
            trained_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            train_seconds=round(trained.seconds, 2), best_epoch=trained.best_epoch,
            validation_recall=trained.candidates or {"trained": trained.best_val_recall},
            selection=trained.selection, cold_mix=trained.cold_mix, history=trained.history,
            data_problems=trained.data_problems, data_fingerprint=train.fingerprint(), schema=train.schema.to_json(),
            counts={"users": len(train.users), "items": len(train.items), "interactions": len(train.interactions)})
        self._train_events = train.interactions
        self.set_catalogue(train.items)
        return self

    def _require(self) -> TwoTower:
        if self.model is None:
            raise ModelArtifactError("the model is not trained or loaded yet")
        return self.model

    # -- history -------------------------------------------------------------------------
    @property
    def history_len(self) -> int:
        """How many of a user's newest events their vector reads (0: this model reads none)."""
        reads = self.config.tower.history_dim > 0 or self.config.feedback_weight > 0 or self.config.explicit_weight > 0
        return self.config.tower.history_len if reads else 0

    def set_catalogue(self, items: pd.DataFrame) -> None:
        """The items a user's history may name (the served catalogue: places added in the app
        included). Their history vectors are computed once, here, not per embedding."""
        self._catalogue, self._table = items, None

    def _history_table(self) -> tuple[dict[str, int], torch.Tensor]:
        if self._table is None:
            items = self._catalogue if self._catalogue is not None else pd.DataFrame({"item_id": []})
            model = self._require()
            with torch.no_grad():
                table = model.history_table(self.item_spec.transform(items), with_taste=True)
            index = {str(v): i for i, v in enumerate(items["item_id"])}
            self._table = (index, table if table is not None else torch.zeros(0, 0))
        return self._table

    def _user_inputs(self, users: pd.DataFrame,
                     history: pd.DataFrame | None) -> tuple[dict[str, torch.Tensor], torch.Tensor | None]:
        inputs = self.user_spec.transform(users)
        if not self.history_len:
            return inputs, None
        own = {}
        for source in (self._train_events, history):  # a given history replaces what fit() saw
            if source is not None and len(source):
                wanted = source[source["user_id"].isin(users["user_id"])]
                own.update({u: group for u, group in wanted.groupby("user_id", sort=False)})
        if own and self._catalogue is None:
            raise RuntimeError("this model reads histories: call set_catalogue(items) with the items they name first")
        index, table = self._history_table()
        histories = [own.get(u) for u in users["user_id"]]
        rows, weights, _ = padded_histories(histories, index, self.history_len)
        # What each person marked in the app themselves (an ``explicit`` column): the events the
        # explicit feedback term reads (see TrainConfig.explicit_weight).
        explicit = [h[h["explicit"].astype(bool)] if h is not None and "explicit" in h else None for h in histories]
        if self.config.explicit_weight > 0 and any(e is not None and len(e) for e in explicit):
            explicit_rows, explicit_weights, _ = padded_histories(explicit, index, self.history_len)
        else:  # nothing marked in the app (every logged history): no second padding pass
            explicit_rows, explicit_weights = rows, torch.zeros_like(weights)
        if not len(table):  # an empty catalogue: nothing to read
            width = self._require().history_width + self.config.tower.embedding_dim
            table, weights = torch.zeros(1, width), torch.zeros_like(weights)
            explicit_weights = torch.zeros_like(explicit_weights)
        inputs.update(rows=rows, weights=weights, explicit_rows=explicit_rows, explicit_weights=explicit_weights)
        return inputs, table

    # -- embeddings ----------------------------------------------------------------------
    def embed_users(self, users: pd.DataFrame, history: pd.DataFrame | None = None) -> np.ndarray:
        """User vectors from their features and their history: ``history`` (interactions:
        user_id, item_id[, weight, timestamp]) where given for a user, else what fit() saw for
        them, else none (a new user). Only the newest ``history_len`` events count."""
        inputs, table = self._user_inputs(users, history)
        return self._require().embed_users(inputs, table).numpy()

    def embed_items(self, items: pd.DataFrame) -> np.ndarray:
        return self._require().embed_items(self.item_spec.transform(items)).numpy()

    def score(self, users: pd.DataFrame, items: pd.DataFrame, history: pd.DataFrame | None = None) -> np.ndarray:
        return self.embed_users(users, history) @ self.embed_items(items).T

    @property
    def dim(self) -> int:
        """Width of the served vectors (embedding_dim, plus the bias and popularity slots)."""
        return self._require().output_dim

    def similar_items_query(self, item_vectors: np.ndarray) -> np.ndarray:
        """A query vector for "more like these": the normalised mean of the items' taste parts,
        with zeros in the bias and popularity slots so similarity alone ranks (not popularity)."""
        taste = np.asarray(item_vectors, dtype=np.float32)[:, :self.config.tower.embedding_dim].mean(axis=0)
        taste /= max(float(np.linalg.norm(taste)), 1e-9)
        return np.concatenate([taste, np.zeros(self.dim - len(taste), np.float32)])

    # -- artifacts -----------------------------------------------------------------------
    def save(self, path: str | Path, metrics: dict | None = None) -> Path:
        """Write the artifact directory atomically (a half-written model is never visible)."""
        model = self._require()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
        try:
            torch.save(model.state_dict(), tmp / "model.pt")
            self.user_spec.save(tmp / "user_features.json")
            self.item_spec.save(tmp / "item_features.json")
            config = {"format_version": FORMAT_VERSION, "recsys_version": __version__,
                      "train": self.config.to_json(), **self.card.to_json()}
            (tmp / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
            if metrics is not None or (path / "metrics.json").exists():
                existing = metrics if metrics is not None else json.loads((path / "metrics.json").read_text())
                (tmp / "metrics.json").write_text(json.dumps(existing, indent=2), encoding="utf-8")
            if path.exists():
                old = path.with_name(f".{path.name}.old")
                shutil.rmtree(old, ignore_errors=True)
                os.replace(path, old)
                os.replace(tmp, path)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(tmp, path)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return path

    @classmethod
    def load(cls, path: str | Path) -> "TwoTowerRecommender":
        path = Path(path)
        if not path.is_dir():
            raise ModelArtifactError(f"model directory {path} does not exist; train one with "
                                     "`python -m recsys train --dataset DIR --out MODEL_DIR`")
        missing = [name for name in FILES if not (path / name).is_file()]
        if missing:
            raise ModelArtifactError(f"model directory {path} is incomplete (missing {', '.join(missing)}); retrain it")
        try:
            config = json.loads((path / "config.json").read_text(encoding="utf-8"))
            user_spec = FeatureSpec.load(path / "user_features.json")
            item_spec = FeatureSpec.load(path / "item_features.json")
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelArtifactError(f"model directory {path} has an unreadable file ({exc}); retrain it") from exc
        if config.get("format_version") != FORMAT_VERSION:
            raise ModelArtifactError(f"model in {path} has format {config.get('format_version')}, this code reads "
                                     f"{FORMAT_VERSION}; retrain it with this version")
        try:
            if not isinstance(config, dict) or "train" not in config:
                raise ValueError("it has no 'train' section")
            out = cls(TrainConfig.from_json(config["train"]))
        except ValueError as exc:
            raise ModelArtifactError(f"{path / 'config.json'} is not a model config this code can use: {exc}; "
                                     "retrain the model") from exc
        model = TwoTower(user_spec.width, item_spec.width, user_spec.n_ids, item_spec.n_ids, out.config.tower)
        segment = out.config.cold_segment
        if segment:
            kind = next((c.kind for c in user_spec.columns if c.name == segment), None)
            if kind not in SEGMENT_KINDS or not out.config.tower.item_bias:
                raise ModelArtifactError(f"{path / 'config.json'} serves new users by the popularity of the user "
                                         f"field {segment[:80]!r}, which its user features lack or do not hold as "
                                         "a categorical or multi-label field (or its model has no item bias); "
                                         "retrain the model")
            model.attach_segments(*user_spec.block(segment))
        try:
            state = torch.load(path / "model.pt", map_location="cpu", weights_only=True)
            missing = model.load_state_dict(state, strict=False)
            # Saved before the popularity slot existed: it stays 0, which ranks as that model did.
            if missing.unexpected_keys or set(missing.missing_keys) - {"item_popularity"} \
                    or ("segment_popularity" in state) != bool(segment):
                raise RuntimeError(f"missing {missing.missing_keys}, unexpected {missing.unexpected_keys}")
        except Exception as exc:  # torch raises RuntimeError, pickle errors, EOFError for corrupt files
            raise ModelArtifactError(
                f"the weights in {path / 'model.pt'} do not match its feature files or are corrupt "
                f"({type(exc).__name__}); retrain the model") from exc
        popularity = getattr(model, "item_popularity", None)
        if popularity is not None and (("item_popularity" in missing.missing_keys and out.config.cold_mix[2] != 0)
                                       or not torch.isfinite(popularity).all()
                                       or (segment and not (torch.isfinite(model.segment_popularity).all()
                                                            and (model.segment_popularity >= 0).all()))):
            raise ModelArtifactError(f"the weights in {path / 'model.pt'} lack finite popularity counts (item_popularity, "
                                     "or segment_popularity: log-counts, 0 or more) that its cold-user mix uses; "
                                     "retrain the model")
        apply_served_settings(model, out.config)
        model.eval()
        out.model, out.user_spec, out.item_spec = model, user_spec, item_spec
        out.card = ModelCard.from_json(config)
        out.path = path
        return out

    def check_schema(self, dataset: Dataset) -> None:
        """Serving a dataset needs the columns this model was trained on."""
        trained = self.card.schema
        if not trained or trained == dataset.schema.to_json():
            return
        diffs = []
        for table in ("users", "items"):
            model_cols, data_cols = trained.get(table, {}), dataset.schema.table(table)
            missing = sorted(set(model_cols) - set(data_cols))
            changed = sorted(c for c in set(model_cols) & set(data_cols) if model_cols[c] != data_cols[c])
            extra = sorted(set(data_cols) - set(model_cols))
            for label, cols in (("missing", missing), ("of another kind", changed), ("unknown to the model", extra)):
                if cols:
                    diffs.append(f"{table} columns {label}: {', '.join(cols)}")
        raise ModelArtifactError("the model was trained on other feature columns than this dataset has ("
                                 + "; ".join(diffs) + "); retrain it on this dataset")

    def metrics(self) -> dict | None:
        path = getattr(self, "path", None)
        if path and (Path(path) / "metrics.json").is_file():
            return json.loads((Path(path) / "metrics.json").read_text(encoding="utf-8"))
        return None


def seed_recipe_baseline() -> TwoTowerRecommender:
    """The seed recipe as a baseline row: the same towers, cosine loss on random +1/-1 labels."""
    from recsys.ml.network import TowerConfig

    model = TwoTowerRecommender(TrainConfig(loss="cosine", random_labels=True, epochs=3, val_fraction=0.0,
                                            tower=TowerConfig(id_dim=0, history_dim=0)))
    model.name = "seed recipe (cosine, random labels)"
    return model
