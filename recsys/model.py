"""The two-tower model: a user tower and an item tower, each an MLP over FeatureSpec inputs plus
an optional hashed-id embedding, meeting in an L2-normalised embedding space (score = cosine)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class TowerConfig:
    hidden: list[int] = field(default_factory=lambda: [256])  # one hidden layer is enough for tabular features
    embedding_dim: int = 128  # as in the seed recipe; also the Redis vector size
    id_dim: int = 32  # per-id memory for warm users/items; 0 turns id embeddings off
    dropout: float = 0.1  # regularises the small MLPs; off in eval(), so embeddings are stable

    def to_json(self) -> dict:
        return asdict(self)


class Tower(nn.Module):
    """features (+ id embedding) -> MLP -> unit vector."""

    def __init__(self, in_dim: int, n_ids: int, cfg: TowerConfig):
        super().__init__()
        self.id_embedding = nn.Embedding(n_ids, cfg.id_dim, padding_idx=0) if cfg.id_dim > 0 else None
        if self.id_embedding is not None:
            nn.init.normal_(self.id_embedding.weight, std=0.01)
            with torch.no_grad():
                self.id_embedding.weight[0].zero_()  # unknown id: contributes nothing
        layers: list[nn.Module] = []
        width = in_dim + (cfg.id_dim if self.id_embedding is not None else 0)
        for hidden in cfg.hidden:
            layers += [nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(cfg.dropout)]
            width = hidden
        layers.append(nn.Linear(width, cfg.embedding_dim))
        self.mlp = nn.Sequential(*layers)

    def forward(self, dense: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        x = dense
        if self.id_embedding is not None:
            x = torch.cat([dense, self.id_embedding(ids)], dim=1)
        return F.normalize(self.mlp(x), dim=1)


class TwoTower(nn.Module):
    def __init__(self, user_dim: int, item_dim: int, n_user_ids: int, n_item_ids: int,
                 cfg: TowerConfig | None = None):
        super().__init__()
        self.cfg = cfg or TowerConfig()
        self.user_tower = Tower(user_dim, n_user_ids, self.cfg)
        self.item_tower = Tower(item_dim, n_item_ids, self.cfg)

    def forward(self, users: dict[str, torch.Tensor], items: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        return (self.user_tower(users["dense"], users["ids"]),
                self.item_tower(items["dense"], items["ids"]))

    @torch.no_grad()
    def _embed(self, tower: Tower, inputs: dict[str, torch.Tensor], batch_size: int) -> torch.Tensor:
        was_training = self.training
        self.eval()  # dropout off: the same input always gives the same vector
        try:
            device = next(self.parameters()).device
            chunks = [tower(inputs["dense"][i:i + batch_size].to(device), inputs["ids"][i:i + batch_size].to(device)).cpu()
                      for i in range(0, len(inputs["ids"]), batch_size)]
        finally:
            self.train(was_training)
        return torch.cat(chunks) if chunks else torch.zeros(0, self.cfg.embedding_dim)

    def embed_users(self, inputs: dict[str, torch.Tensor], batch_size: int = 8192) -> torch.Tensor:
        return self._embed(self.user_tower, inputs, batch_size)

    def embed_items(self, inputs: dict[str, torch.Tensor], batch_size: int = 8192) -> torch.Tensor:
        return self._embed(self.item_tower, inputs, batch_size)
