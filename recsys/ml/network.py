"""The two-tower model: a user tower and an item tower, each an MLP over FeatureSpec inputs plus
an optional id embedding, meeting in an L2-normalised embedding space, plus a learned item bias.

score(user, item) = cos(u, v) / temperature + b(item)

The bias (a linear function of the item's features plus a per-item term) is what lets the model
say "this place is simply liked by more people": with in-batch softmax and logQ correction it
learns the log-popularity that the correction takes out of the sampled loss. It is served
exactly by an inner-product index: the item vector is [v, temperature * b, p] and the user vector
[u, 1, 0], so their inner product is temperature * score (the same ranking). p is the item's
log-popularity in the training data (0 for new items).

A user whose id the model has never seen (every new profile) is served [a * u, c, d] instead: the
cold-user mix (a, c, d), which validation on held-out users chooses. (1, 1, 0) trusts the model;
(0, 0, 1) ranks by popularity exactly, what is left when the features say nothing (a log with ids
only), so a new user is never served worse than "most popular" would serve them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

# (taste, bias, popularity) weights of an unseen user's vector: the model as trained.
DEFAULT_COLD_MIX = (1.0, 1.0, 0.0)


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
        self.cold_mix = DEFAULT_COLD_MIX  # set by training: (taste, bias, popularity) weights for unseen users
        if self.cfg.item_bias:
            # log(1 + interactions) per item id, from the training data; a buffer: counted, not learned.
            self.register_buffer("item_popularity", torch.zeros(n_item_ids))
            # Features give new items a sensible bias; the per-id term refines it for known ones.
            self.bias_linear = nn.Linear(item_dim, 1) if item_dim else None
            self.bias_ids = nn.Embedding(n_item_ids, 1, padding_idx=0)
            nn.init.zeros_(self.bias_ids.weight)
            if self.bias_linear is not None:
                nn.init.zeros_(self.bias_linear.weight)
                nn.init.zeros_(self.bias_linear.bias)

    @property
    def output_dim(self) -> int:
        """Width of the exported vectors (the Redis vector size): two more with the bias (its
        slot and the popularity slot)."""
        return self.cfg.embedding_dim + (2 if self.cfg.item_bias else 0)

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
        if not self.cfg.item_bias:
            return u
        known = (ids != 0)[:, None]
        taste, bias, popularity = (float(w) for w in self.cold_mix)
        one, zero = torch.ones(len(u), 1, device=u.device), torch.zeros(len(u), 1, device=u.device)
        return torch.cat([torch.where(known, u, taste * u), torch.where(known, one, bias * one),
                          torch.where(known, zero, popularity * one)], dim=1)

    def _export_item(self, dense: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        v = self.item_tower(dense, ids)
        if not self.cfg.item_bias:
            return v
        return torch.cat([v, self.temperature * self.item_bias(dense, ids)[:, None],
                          self.item_popularity[ids][:, None]], dim=1)

    def set_popularity(self, ids: torch.Tensor, weights: torch.Tensor) -> None:
        """The popularity slot from training interactions: ``ids`` are item id indices (0, the
        unknown id, is never counted), ``weights`` their interaction weights."""
        if self.cfg.item_bias:
            total = torch.zeros_like(self.item_popularity).index_add_(0, ids.to(self.item_popularity.device),
                                                                      weights.to(self.item_popularity))
            total[0] = 0.0
            self.item_popularity.copy_(torch.log1p(total.clamp_min(0.0)))

    @torch.no_grad()
    def _embed(self, export, inputs: dict[str, torch.Tensor], batch_size: int) -> torch.Tensor:
        was_training = self.training
        if was_training:  # a served model is already in eval mode: switching walks every module
            self.eval()  # dropout off: the same input always gives the same vector
        try:
            device = next(self.parameters()).device
            chunks = [export(inputs["dense"][i:i + batch_size].to(device), inputs["ids"][i:i + batch_size].to(device)).cpu()
                      for i in range(0, len(inputs["ids"]), batch_size)]
        finally:
            if was_training:
                self.train()
        return torch.cat(chunks) if chunks else torch.zeros(0, self.output_dim)

    def embed_users(self, inputs: dict[str, torch.Tensor], batch_size: int = 8192) -> torch.Tensor:
        """[n, output_dim]: the unit user vector, then [1, 0] when the model has the item bias
        ([a * u, c, d] for a user id the model has never seen: the cold-user mix)."""
        return self._embed(self._export_user, inputs, batch_size)

    def embed_items(self, inputs: dict[str, torch.Tensor], batch_size: int = 8192) -> torch.Tensor:
        """[n, output_dim]: the unit item vector, then temperature x bias and log-popularity when
        it has the bias."""
        return self._embed(self._export_item, inputs, batch_size)
