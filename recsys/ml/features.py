"""FeatureSpec: turns a users or items table into float tensors, fitted on training data only.

Every kind maps unknown values somewhere safe (an "unknown" bucket, a missing indicator, a zero
id), which is what lets a brand-new user or item be embedded without retraining.
Domain-free: it only knows the column kinds declared in schema.json.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from recsys.data.contract import split_multilabel

TEXT_BUCKETS = 64  # hashed token buckets per text column: small, since names carry little signal
GEO_GRID = 6  # anchors per side of the fitted bounding box for the soft-cell (RBF) features
GEO_MARGIN = 0.25  # share of the box's size kept beyond each edge before positions are clipped
MAX_VOCAB = 500  # categorical/multilabel values kept per column; rarer ones share "unknown"
_TOKEN_RE = re.compile(r"[a-z0-9]+")


def _stable_hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


@dataclass
class ColumnSpec:
    name: str
    kind: str
    mean: float = 0.0
    std: float = 1.0
    vocab: list[str] = field(default_factory=list)
    bbox: list[float] = field(default_factory=list)  # geo: south, west, north, east

    @property
    def width(self) -> int:
        if self.kind == "numeric":
            return 2  # standardised value + missing indicator
        if self.kind in ("categorical", "multilabel"):
            return len(self.vocab) + 1  # + unknown
        if self.kind == "text":
            return TEXT_BUCKETS
        if self.kind == "geo":
            return 3 + GEO_GRID * GEO_GRID  # lat, lon, missing + soft cells
        raise ValueError(f"no width for kind {self.kind!r}")


@dataclass
class FeatureSpec:
    """How one table (users or items) becomes a dense float matrix plus id indices."""

    id_column: str
    columns: list[ColumnSpec]
    ids: list[str] = field(default_factory=list)  # ids seen in training; index 0 = unknown id

    @classmethod
    def fit(cls, frame: pd.DataFrame, kinds: dict[str, str], id_column: str,
            train_ids: list[str] | None = None) -> "FeatureSpec":
        columns = []
        for name, kind in kinds.items():
            if kind == "id":
                continue
            col = ColumnSpec(name=name, kind=kind)
            if kind == "numeric":
                values = pd.to_numeric(frame[name], errors="coerce").astype(float)
                col.mean = float(values.mean()) if values.notna().any() else 0.0
                std = float(values.std()) if values.notna().sum() > 1 else 1.0
                col.std = std if std > 1e-9 and not math.isnan(std) else 1.0
            elif kind == "categorical":
                counts = frame[name].dropna().astype(str).value_counts()
                col.vocab = sorted(counts.index[:MAX_VOCAB])
            elif kind == "multilabel":
                counts = frame[name].map(split_multilabel).explode().dropna().value_counts()
                col.vocab = sorted(counts.index[:MAX_VOCAB])
            elif kind == "geo":
                lat, lon = (pd.to_numeric(frame[c], errors="coerce") for c in name.split(","))
                if lat.notna().any():
                    col.bbox = [float(lat.min()), float(lon.min()), float(lat.max()), float(lon.max())]
                else:
                    col.bbox = [0.0, 0.0, 1.0, 1.0]
            columns.append(col)
        ids = sorted(set(map(str, train_ids if train_ids is not None else frame[id_column])))
        return cls(id_column=id_column, columns=columns, ids=ids)

    @property
    def width(self) -> int:
        return sum(c.width for c in self.columns)

    @property
    def n_ids(self) -> int:
        return len(self.ids) + 1

    def block(self, name: str) -> tuple[int, int]:
        """(first column, width) of one column's part of the dense matrix; KeyError if it has none."""
        offset = 0
        for col in self.columns:
            if col.name == name:
                return offset, col.width
            offset += col.width
        raise KeyError(name)

    def transform(self, frame: pd.DataFrame) -> dict[str, torch.Tensor]:
        """{"dense": float32 [n, width], "ids": int64 [n]}. Absent columns count as missing."""
        n = len(frame)
        blocks = [self._column(frame, col, n) for col in self.columns]
        dense = np.concatenate(blocks, axis=1) if blocks else np.zeros((n, 0), dtype=np.float32)
        ids = np.zeros(n, dtype=np.int64)
        if self.ids and self.id_column in frame.columns:  # no id embedding: every id is "unknown"
            index = self._id_index()
            ids = np.array([index.get(str(v), 0) for v in frame[self.id_column]], dtype=np.int64)
        return {"dense": torch.from_numpy(dense.astype(np.float32)), "ids": torch.from_numpy(ids)}

    def _id_index(self) -> dict[str, int]:
        """id -> its embedding row, built once (a transform of one profile must not rebuild a
        dict of every training id); rebuilt if ``ids`` was replaced."""
        cached = self.__dict__.get("_id_index_cache")
        if cached is None or cached[0] is not self.ids:
            cached = (self.ids, {item: i + 1 for i, item in enumerate(self.ids)})
            self.__dict__["_id_index_cache"] = cached
        return cached[1]

    @staticmethod
    def _column(frame: pd.DataFrame, col: ColumnSpec, n: int) -> np.ndarray:
        out = np.zeros((n, col.width), dtype=np.float32)
        if col.kind == "geo":
            names = col.name.split(",")
            if not all(c in frame.columns for c in names):
                out[:, 2] = 1.0
                return out
            lat, lon = (pd.to_numeric(frame[c], errors="coerce").to_numpy(float) for c in names)
            s, w, nth, e = col.bbox
            missing = np.isnan(lat) | np.isnan(lon)
            # Bounded: a place far outside the fitted box (another city) sits on its edge instead of
            # hundreds of box-widths away, where this one input would swamp every other feature and
            # map all such places to practically one vector.
            y = np.clip(np.where(missing, 0.5, (lat - s) / max(nth - s, 1e-9)), -GEO_MARGIN, 1 + GEO_MARGIN)
            x = np.clip(np.where(missing, 0.5, (lon - w) / max(e - w, 1e-9)), -GEO_MARGIN, 1 + GEO_MARGIN)
            out[:, 0], out[:, 1], out[:, 2] = y - 0.5, x - 0.5, missing
            # Soft cells: a Gaussian bump per grid anchor, so a dot product of two places'
            # features falls off with their distance - what lets the towers learn "near".
            grid = (np.arange(GEO_GRID) + 0.5) / GEO_GRID
            sigma = 1.0 / GEO_GRID
            gy = np.exp(-((y[:, None] - grid[None, :]) ** 2) / (2 * sigma**2))
            gx = np.exp(-((x[:, None] - grid[None, :]) ** 2) / (2 * sigma**2))
            cells = (gy[:, :, None] * gx[:, None, :]).reshape(n, -1)
            cells[missing] = 0.0
            norms = np.linalg.norm(cells, axis=1, keepdims=True)
            out[:, 3:] = cells / np.maximum(norms, 1e-9)
            return out
        if col.name not in frame.columns:
            if col.kind == "numeric":
                out[:, 1] = 1.0
            elif col.kind in ("categorical", "multilabel"):
                out[:, 0] = 1.0
            return out
        values = frame[col.name]
        if col.kind == "numeric":
            x = pd.to_numeric(values, errors="coerce").to_numpy(float)
            missing = np.isnan(x)
            out[:, 0] = np.where(missing, 0.0, np.clip((x - col.mean) / col.std, -5, 5))
            out[:, 1] = missing
        elif col.kind == "categorical":
            index = {v: i + 1 for i, v in enumerate(col.vocab)}
            for r, v in enumerate(values):
                out[r, index.get(str(v), 0) if not _isna(v) else 0] = 1.0
        elif col.kind == "multilabel":
            index = {v: i + 1 for i, v in enumerate(col.vocab)}
            for r, v in enumerate(values):
                labels = split_multilabel(v)
                for label in labels:
                    out[r, index.get(label, 0)] = 1.0
                if not labels:
                    out[r, 0] = 1.0
                out[r] /= max(math.sqrt(out[r].sum()), 1.0)
        elif col.kind == "text":
            for r, v in enumerate(values):
                for token in _TOKEN_RE.findall("" if _isna(v) else str(v).lower()):
                    out[r, _stable_hash(token) % TEXT_BUCKETS] += 1.0
                norm = np.linalg.norm(out[r])
                if norm > 0:
                    out[r] /= norm
        return out

    # -- persistence ---------------------------------------------------------------------
    def to_json(self) -> dict:
        return {"id_column": self.id_column, "ids": self.ids,
                "columns": [col.__dict__ for col in self.columns]}

    @classmethod
    def from_json(cls, data: dict) -> "FeatureSpec":
        return cls(id_column=data["id_column"], ids=list(data["ids"]),
                   columns=[ColumnSpec(**col) for col in data["columns"]])

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_json()), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "FeatureSpec":
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))


def _isna(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
