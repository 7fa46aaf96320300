"""The two-tower model: a user tower and an item tower, each an MLP over FeatureSpec inputs plus
an optional id embedding, meeting in an L2-normalised embedding space, plus a learned item bias.

score(user, item) = cos(u, v) / temperature + b(item)

The bias (a linear function of the item's features plus a per-item term) is what lets the model
say "this place is simply liked by more people": with in-batch softmax and logQ correction it
learns the log-popularity that the correction takes out of the sampled loss. It is served
exactly by an inner-product index: the item vector is [v, temperature * b] and the user vector
[u, 1], so their inner product is temperature * score (the same ranking). A user the features say
nothing about gets the same u as every such user, and the ranking falls back to the bias."""

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
    item_bias: bool = True  # the learned popularity term; False gives the pure-cosine model of v1

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
        self.temperature = 1.0  # set by training; scales the bias in the exported item vectors
        if self.cfg.item_bias:
            # Features give new items a sensible bias; the per-id term refines it for known ones.
            self.bias_linear = nn.Linear(item_dim, 1) if item_dim else None
            self.bias_ids = nn.Embedding(n_item_ids, 1, padding_idx=0)
            nn.init.zeros_(self.bias_ids.weight)
            if self.bias_linear is not None:
                nn.init.zeros_(self.bias_linear.weight)
                nn.init.zeros_(self.bias_linear.bias)

    @property
    def output_dim(self) -> int:
        """Width of the exported vectors (the Redis vector size): one more with the bias."""
        return self.cfg.embedding_dim + (1 if self.cfg.item_bias else 0)

    def item_bias(self, dense: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        """[n] logit offsets (zeros without the bias)."""
        if not self.cfg.item_bias:
            return torch.zeros(len(ids), device=ids.device)
        out = self.bias_ids(ids).squeeze(1)
        if self.bias_linear is not None:
            out = out + self.bias_linear(dense).squeeze(1)
        return out

    def forward(self, users: dict[str, torch.Tensor], items: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        return (self.user_tower(users["dense"], users["ids"]),
                self.item_tower(items["dense"], items["ids"]))

    def _export_user(self, dense: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        u = self.user_tower(dense, ids)
        return torch.cat([u, torch.ones(len(u), 1, device=u.device)], dim=1) if self.cfg.item_bias else u

    def _export_item(self, dense: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        v = self.item_tower(dense, ids)
        if not self.cfg.item_bias:
            return v
        return torch.cat([v, self.temperature * self.item_bias(dense, ids)[:, None]], dim=1)

    @torch.no_grad()
    def _embed(self, export, inputs: dict[str, torch.Tensor], batch_size: int) -> torch.Tensor:
        was_training = self.training
        self.eval()  # dropout off: the same input always gives the same vector
        try:
            device = next(self.parameters()).device
            chunks = [export(inputs["dense"][i:i + batch_size].to(device), inputs["ids"][i:i + batch_size].to(device)).cpu()
                      for i in range(0, len(inputs["ids"]), batch_size)]
        finally:
            self.train(was_training)
        return torch.cat(chunks) if chunks else torch.zeros(0, self.output_dim)

    def embed_users(self, inputs: dict[str, torch.Tensor], batch_size: int = 8192) -> torch.Tensor:
        """[n, output_dim]: the unit user vector, then 1 when the model has the item bias."""
        return self._embed(self._export_user, inputs, batch_size)

    def embed_items(self, inputs: dict[str, torch.Tensor], batch_size: int = 8192) -> torch.Tensor:
        """[n, output_dim]: the unit item vector, then temperature x bias when it has one."""
        return self._embed(self._export_item, inputs, batch_size)
