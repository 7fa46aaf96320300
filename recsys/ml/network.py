"""The two-tower model: a user tower and an item tower meeting in an L2-normalised embedding
space, plus a learned item bias.

score(user, item) = cos(u, v) / temperature + b(item)

The user tower reads the user's features (and optionally an id embedding) and their interaction
history: each past interaction's item becomes a vector (its own history-id row plus a projection
of its features, so a place added after training still says something), pooled as a weighted mean
next to log(1 + history length). The same tower embeds a user with 0, 1, 3 or 100 interactions;
a new like changes the vector at once, with no retraining.

The bias (a linear function of the item's features plus a per-item term) is what lets the model
say "this place is simply liked by more people": with in-batch softmax and logQ correction it
learns the log-popularity that the correction takes out of the sampled loss. It is served
exactly by an inner-product index: the item vector is [v, temperature * b, p] and the user vector
[u, 1, w], so their inner product is temperature * score + w * p. p is the item's log-popularity
in the training data (0 for new items); w, 0 unless validation on held-out visits says that
leaning on raw popularity helps (popularity-driven logs), is chosen once per model.

A user the model knows nothing about (an unseen id and an empty history: a brand-new profile) is
served [a * u, c, d, e * s] instead: the cold-user mix (a, c, d, e), which validation on held-out
users chooses. (1, 1, 0, 0) trusts the model; (0, 0, 1, 0) ranks by popularity exactly, what is
left when the features say nothing, so a new user is never served worse than "most popular" would
serve them. Where one profile field (a categorical or multi-label one: diet, home area) says what
is popular, the vectors carry "popular among users like you" too: s is the user's encoding of that
field (a slice of their features) and the item vector gets one slot per value, the item's
log-count among users with it (the global count for the unknown value): the segment baseline's
ranking exactly for a single-valued field, the sum of log-counts for a multi-label one. Those slots
exist only in a model whose mix uses them."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

# (taste, bias, popularity, segment popularity) weights of an unknown user's vector: the model as trained.
DEFAULT_COLD_MIX = (1.0, 1.0, 0.0, 0.0)


@dataclass
class TowerConfig:
    hidden: list[int] = field(default_factory=lambda: [256])  # one hidden layer is enough for tabular features
    embedding_dim: int = 128  # as in the seed recipe; also the Redis vector size
    id_dim: int = 32  # per-id memory for warm users/items; 0 turns id embeddings off
    dropout: float = 0.1  # regularises the small MLPs; off in eval(), so embeddings are stable
    item_bias: bool = True  # the learned popularity term; False gives the pure-cosine model of v1
    # Width of a pooled history item; 0 turns history off (models saved before it existed).
    history_dim: int = 64
    # The most recent N interactions a user vector reads: embedding time stays bounded for a user
    # with 10,000 events, and older visits say less about taste now.
    history_len: int = 50

    def to_json(self) -> dict:
        return asdict(self)


class History(nn.Module):
    """Past interactions -> one vector: each item's history-id row plus a projection of its
    features, pooled as a weighted mean; with log(1 + n) / log(1 + cap) so the tower knows how
    much history it has (none is a new user)."""

    def __init__(self, item_dim: int, n_item_ids: int, dim: int, cap: int):
        super().__init__()
        self.ids = nn.Embedding(n_item_ids, dim, padding_idx=0)
        nn.init.normal_(self.ids.weight, std=0.05)
        with torch.no_grad():
            self.ids.weight[0].zero_()  # an item unknown at training time: its features speak alone
        self.features = nn.Linear(item_dim, dim, bias=False) if item_dim else None
        self.cap = cap

    @property
    def out_dim(self) -> int:
        return self.ids.embedding_dim + 1

    def item_vectors(self, dense: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        """[m, dim]: what one past interaction with each of these items says."""
        out = self.ids(ids)
        if self.features is not None:
            out = out + self.features(dense)
        return out

    def pool(self, table: torch.Tensor, rows: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """[n, dim + 1]: the weighted mean (see weighted_mean) and log(1 + n) / log(1 + cap)."""
        count = (weights > 0).sum(dim=1, keepdim=True).float()
        return torch.cat([weighted_mean(table, rows, weights), torch.log1p(count) / math.log1p(self.cap)], dim=1)


def weighted_mean(table: torch.Tensor, rows: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """[n, dim] from ``table`` [m, dim] (item vectors), ``rows`` [n, L] (rows of the table) and
    ``weights`` [n, L] (0 where a slot is empty); zeros for an empty history."""
    total = weights.sum(dim=1, keepdim=True)
    # embedding_bag fuses the gather and the weighted sum: no [n, L, dim] tensor, and a backward
    # pass that scatters once (2.5x faster than gather-multiply-sum at the demo's batch shape).
    return F.embedding_bag(rows, table, per_sample_weights=weights, mode="sum") / total.clamp_min(1e-6)


class Tower(nn.Module):
    """features (+ id embedding) (+ pooled history) -> MLP -> unit vector."""

    def __init__(self, in_dim: int, n_ids: int, cfg: TowerConfig, extra_dim: int = 0):
        super().__init__()
        self.id_embedding = nn.Embedding(n_ids, cfg.id_dim, padding_idx=0) if cfg.id_dim > 0 else None
        if self.id_embedding is not None:
            nn.init.normal_(self.id_embedding.weight, std=0.01)
            with torch.no_grad():
                self.id_embedding.weight[0].zero_()  # unknown id: contributes nothing
        layers: list[nn.Module] = []
        width = in_dim + (cfg.id_dim if self.id_embedding is not None else 0) + extra_dim
        for hidden in cfg.hidden:
            layers += [nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(cfg.dropout)]
            width = hidden
        layers.append(nn.Linear(width, cfg.embedding_dim))
        self.mlp = nn.Sequential(*layers)

    def forward(self, dense: torch.Tensor, ids: torch.Tensor, extra: torch.Tensor | None = None) -> torch.Tensor:
        parts = [dense]
        if self.id_embedding is not None:
            parts.append(self.id_embedding(ids))
        if extra is not None:
            parts.append(extra)
        return F.normalize(self.mlp(torch.cat(parts, dim=1)), dim=1)


class TwoTower(nn.Module):
    def __init__(self, user_dim: int, item_dim: int, n_user_ids: int, n_item_ids: int,
                 cfg: TowerConfig | None = None):
        super().__init__()
        self.cfg = cfg or TowerConfig()
        self.history = (History(item_dim, n_item_ids, self.cfg.history_dim, self.cfg.history_len)
                        if self.cfg.history_dim > 0 else None)
        self.user_tower = Tower(user_dim, n_user_ids, self.cfg, self.history.out_dim if self.history else 0)
        self.item_tower = Tower(item_dim, n_item_ids, self.cfg)
        self.temperature = 1.0  # set by training; scales the bias in the exported item vectors
        self.cold_mix = DEFAULT_COLD_MIX  # set by training: (taste, bias, popularity, segment) weights for unknown users
        # (first column, width) of the user features whose per-value popularity the vectors carry
        # (see attach_segments); None: no segment slots.
        self.segment_columns: tuple[int, int] | None = None
        self.warm_popularity = 0.0  # set by training: the popularity slot's weight for everyone else
        # Set by training: how far a served user vector moves toward the mean taste of the places
        # in their history (Rocchio's relevance feedback), chosen on held-out new users given a
        # few of their visits: what makes a like in the app move the picks at once.
        self.feedback_weight = 0.0
        # Set by training (a recipe choice, not validated: logs hold no explicit feedback): the
        # same move again for the places a person marked in the app themselves (likes, visits).
        self.explicit_weight = 0.0
        # Set by training: how much a history of n events is trusted against the features alone,
        # n / (n + history_prior), chosen on held-out users: 0 trusts any history fully; where the
        # profile already says what the visits say (the demo), a large prior keeps one noisy
        # visit from pulling a new user's list away from what their profile predicts.
        self.history_prior = 0.0
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
    def history_width(self) -> int:
        """Columns of a history table that the learned branch reads (the rest: item tastes)."""
        return self.cfg.history_dim if self.history is not None else 0

    @property
    def output_dim(self) -> int:
        """Width of the exported vectors (the Redis vector size): two more with the bias (its
        slot and the popularity slot), and one per value of the segment field where attached."""
        segments = self.segment_columns[1] if self.segment_columns else 0
        return self.cfg.embedding_dim + (2 + segments if self.cfg.item_bias else 0)

    def attach_segments(self, offset: int, width: int) -> None:
        """Slots for "popular among users like you": the user features' columns offset..offset +
        width (one field's one-hot, its unknown value first) select per-value log-counts of each
        item (set_segment_popularity). Needs the item bias (the cold-user mix's machinery)."""
        if not self.cfg.item_bias:
            raise ValueError("segment popularity needs the item bias")
        self.segment_columns = (int(offset), int(width))
        self.register_buffer("segment_popularity", torch.zeros(self.bias_ids.num_embeddings, int(width),
                                                              device=self.item_popularity.device))

    def detach_segments(self) -> None:
        self.segment_columns = None
        self._buffers.pop("segment_popularity", None)

    def set_segment_popularity(self, ids: torch.Tensor, user_values: torch.Tensor, users: torch.Tensor,
                               weights: torch.Tensor, chunk: int = 65536) -> None:
        """Per-value counts from training interactions: event e names item id ``ids[e]`` and the
        user whose segment columns are ``user_values[users[e]]`` ([n_users, width]), and counts
        ``weights[e]`` (as set_popularity). An event counts once for every value its user has;
        the unknown value's slot holds the global count, so a user with no known value is served
        most-popular. Counted ``chunk`` events at a time on the model's device: memory stays
        chunk x width whatever the log's size."""
        device = self.segment_popularity.device
        ids, users, weights = ids.to(device), users.to(device), weights.to(device, torch.float32)
        has = (user_values.to(device) > 0).float()
        total = torch.zeros_like(self.segment_popularity)
        for start in range(0, len(ids), chunk):
            part = slice(start, start + chunk)
            total.index_add_(0, ids[part], has[users[part]] * weights[part, None])
        total[:, 0] = torch.zeros(len(total), device=device).index_add_(0, ids, weights)
        total[0] = 0.0  # the unknown item id: a place added after training has no counts
        self.segment_popularity.copy_(torch.log1p(total.clamp_min(0.0)))

    def item_bias(self, dense: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        """[n] logit offsets (zeros without the bias)."""
        if not self.cfg.item_bias:
            return torch.zeros(len(ids), device=ids.device)
        out = self.bias_ids(ids).squeeze(1)
        if self.bias_linear is not None:
            out = out + self.bias_linear(dense).squeeze(1)
        return out

    # -- the towers ----------------------------------------------------------------------
    def users(self, users: dict[str, torch.Tensor], table: torch.Tensor | None) -> torch.Tensor:
        """Unit user vectors. ``users``: "dense", "ids" and, with history, "rows" / "weights"
        ([n, L]) that index ``table`` (the history vectors of the items they name)."""
        pooled = None
        if self.history is not None:
            pooled = self.history.pool(table[:, :self.history_width], users["rows"], users["weights"])
        return self.user_tower(users["dense"], users["ids"], pooled)

    def items(self, items: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.item_tower(items["dense"], items["ids"])

    def history_table(self, items: dict[str, torch.Tensor], with_taste: bool = False) -> torch.Tensor | None:
        """The history vector of every item in ``items`` (None without history); ``with_taste``
        appends each item's own unit taste vector (the item tower's), which serving's feedback
        term reads."""
        if self.history is None:  # no learned history branch: the feedback term still reads tastes
            return self.items(items) if with_taste else None
        table = self.history.item_vectors(items["dense"], items["ids"])
        return torch.cat([table, self.items(items)], dim=1) if with_taste else table

    # -- the losses ----------------------------------------------------------------------
    def sampled_softmax_loss(self, u: torch.Tensor, v: torch.Tensor, positives: dict[str, torch.Tensor],
                             targets: torch.Tensor, weights: torch.Tensor, log_q: torch.Tensor, temperature: float,
                             negatives: dict[str, torch.Tensor] | None = None, negative_rows: torch.Tensor | None = None,
                             n_items: int = 1) -> torch.Tensor:
        """In-batch softmax over the batch's positives with logQ correction (an item's chance of
        being someone else's in-batch negative is its share of interactions), the learned bias
        added back, and optional uniform extra negatives. ``targets``: the positives' item rows."""
        logits = (u @ v.T) / temperature + self.item_bias(positives["dense"], positives["ids"])[None, :] \
            - log_q[targets][None, :]
        # The same item twice in a batch is not a negative for itself (an "accidental hit").
        same = targets[None, :] == targets[:, None]
        logits = logits.masked_fill(same & ~torch.eye(len(targets), dtype=torch.bool, device=targets.device), -1e9)
        if negatives is not None:
            extra = ((u @ self.items(negatives).T) / temperature + self.item_bias(negatives["dense"], negatives["ids"])[None, :]
                     - math.log(len(negative_rows) / n_items))  # uniform: each item drawn with probability 1/N
            extra = extra.masked_fill(negative_rows.to(targets.device)[None, :] == targets[:, None], -1e9)
            logits = torch.cat([logits, extra], dim=1)
        labels = torch.arange(len(targets), device=targets.device)
        return (F.cross_entropy(logits, labels, reduction="none") * weights).mean()

    def cosine_loss(self, u: torch.Tensor, v: torch.Tensor, negatives: dict[str, torch.Tensor], random_labels: bool,
                    generator: torch.Generator) -> torch.Tensor:
        """The seed recipe: CosineEmbeddingLoss, positives +1 and one random item per pair as -1
        (``random_labels``: what it really did, labels unrelated to behaviour)."""
        left, right = torch.cat([u, u]), torch.cat([v, self.items(negatives)])
        labels = torch.cat([torch.ones(len(u)), -torch.ones(len(u))]).to(u.device)
        if random_labels:
            labels = torch.where(torch.rand(len(labels), generator=generator) < 0.5, 1.0, -1.0).to(u.device)
        return F.cosine_embedding_loss(left, right, labels, margin=0.0)

    # -- exported (served) vectors -------------------------------------------------------
    def _export_user(self, users: dict[str, torch.Tensor], table: torch.Tensor | None) -> torch.Tensor:
        u = self.users(users, table)
        tastes = table[:, self.history_width:] if table is not None and table.shape[1] > self.history_width else None
        if tastes is not None and "rows" in users and self.feedback_weight > 0:
            # Toward the places they chose: u + w * (weighted mean of those places' taste).
            u = u + self.feedback_weight * weighted_mean(tastes, users["rows"], users["weights"])
        # (Nobody in the batch with a history, a new profile's first query: u is what the features
        # alone say already, so the tower does not run a second time for it.)
        if self.history_prior > 0 and "weights" in users and bool((users["weights"] > 0).any()):
            # What the history says, trusted n / (n + prior) against what the features alone say.
            n = (users["weights"] > 0).sum(dim=1, keepdim=True).float()
            alone = self.users({**users, "weights": torch.zeros_like(users["weights"])}, table)
            trust = n / (n + self.history_prior)
            u = (1 - trust) * alone + trust * F.normalize(u, dim=1)
        if tastes is not None and "explicit_rows" in users and self.explicit_weight > 0:
            # And again for what they told the app themselves, whatever the trust in logged visits.
            u = u + self.explicit_weight * weighted_mean(tastes, users["explicit_rows"], users["explicit_weights"])
        if tastes is not None or self.history_prior > 0:
            u = F.normalize(u, dim=1)
        if not self.cfg.item_bias:
            return u
        known = users["ids"] != 0
        if "weights" in users:  # a history makes a user known, whatever branch reads it
            known = known | (users["weights"] > 0).any(dim=1)
        known = known[:, None]
        taste, bias, popularity, segment = (float(w) for w in self.cold_mix)
        one = torch.ones(len(u), 1, device=u.device)
        parts = [torch.where(known, u, taste * u), torch.where(known, one, bias * one),
                 torch.where(known, self.warm_popularity * one, popularity * one)]
        if self.segment_columns is not None:  # a known user's list is the model's: the slots read 0
            offset, width = self.segment_columns
            parts.append(torch.where(known, 0.0, segment * users["dense"][:, offset:offset + width]))
        return torch.cat(parts, dim=1)

    def _export_item(self, items: dict[str, torch.Tensor]) -> torch.Tensor:
        v = self.items(items)
        if not self.cfg.item_bias:
            return v
        parts = [v, self.temperature * self.item_bias(items["dense"], items["ids"])[:, None],
                 self.item_popularity[items["ids"]][:, None]]
        if self.segment_columns is not None:
            parts.append(self.segment_popularity[items["ids"]])
        return torch.cat(parts, dim=1)

    def set_popularity(self, ids: torch.Tensor, weights: torch.Tensor) -> None:
        """The popularity slot from training interactions: ``ids`` are item id indices (0, the
        unknown id, is never counted), ``weights`` what each counts (1 for a positive: see
        recsys.ml.baselines.interaction_counts)."""
        if self.cfg.item_bias:
            total = torch.zeros_like(self.item_popularity).index_add_(0, ids.to(self.item_popularity.device),
                                                                      weights.to(self.item_popularity))
            total[0] = 0.0
            self.item_popularity.copy_(torch.log1p(total.clamp_min(0.0)))

    @torch.no_grad()
    def _embed(self, export, inputs: dict[str, torch.Tensor], batch_size: int, *extra) -> torch.Tensor:
        was_training = self.training
        if was_training:  # a served model is already in eval mode: switching walks every module
            self.eval()  # dropout off: the same input always gives the same vector
        try:
            device = next(self.parameters()).device
            n = len(inputs["ids"])
            chunks = [export({k: v[i:i + batch_size].to(device) for k, v in inputs.items()}, *extra).cpu()
                      for i in range(0, n, batch_size)]
        finally:
            if was_training:
                self.train()
        return torch.cat(chunks) if chunks else torch.zeros(0, self.output_dim)

    def embed_users(self, inputs: dict[str, torch.Tensor], table: torch.Tensor | None = None,
                    batch_size: int = 8192) -> torch.Tensor:
        """[n, output_dim]: the unit user vector, then [1, w] (and zeros in any segment slots) with the item bias
        ([a * u, c, d, e * s] for a user it knows nothing about: the cold-user mix). ``table``: the
        history vectors that inputs["rows"] index (see history_table)."""
        return self._embed(self._export_user, inputs, batch_size, table)

    def embed_items(self, inputs: dict[str, torch.Tensor], batch_size: int = 8192) -> torch.Tensor:
        """[n, output_dim]: the unit item vector, then temperature x bias and log-popularity when
        it has the bias."""
        return self._embed(self._export_item, inputs, batch_size)
