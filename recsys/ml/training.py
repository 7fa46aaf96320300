"""Training the two-tower model: in-batch sampled softmax with logQ correction (Yi et al. 2019,
as TFRS's Retrieval task and Merlin do) plus a learned item bias that puts popularity back into
the full score, optional extra uniform negatives, early stopping on validation Recall@K. The seed
recipe's CosineEmbeddingLoss on +1/-1 pairs stays selectable as a baseline.

Validation decides, on two held-out sets: a share of each warm user's interactions, and a share of
users held out entirely (new users, embedded from features alone). Their mean Recall@K picks the
epoch and the variant (features + ids, features only, ids only), within a time budget; the card
records every candidate's numbers and why the winner won.
Domain-free: it sees a Dataset and its schema, nothing else."""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Callable

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from recsys.data.contract import ID_COLUMNS, Dataset
from recsys.ml.features import FeatureSpec
from recsys.ml.network import DEFAULT_COLD_MIX, TowerConfig, TwoTower

# (epoch, max_epochs, {"epoch", "loss", "val_recall", "val_warm", "val_cold", "variant"})
Progress = Callable[[int, int, dict], None]
VARIANTS = ("features + ids", "features only", "ids only")
# Candidate cold-user mixes, in order of preference on a tie: the model as trained, the model
# leaning on popularity, the taste halved, the learned bias alone, popularity alone.
POPULARITY_ONLY = (0.0, 0.0, 1.0)
COLD_MIXES = ((1.0, 1.0, 0.0), (1.0, 1.0, 0.05), (0.5, 1.0, 0.0), (0.0, 1.0, 0.0), POPULARITY_ONLY)


def describe_cold_mix(mix: tuple[float, float, float] | list[float]) -> str:
    """What a cold-user mix means, in words for the model card."""
    taste, bias, popularity = (float(w) for w in mix)
    named = {(1.0, 1.0, 0.0): "the model as trained (taste from their features plus the learned bias)",
             (0.0, 1.0, 0.0): "the learned bias alone (the same list for every new user)",
             POPULARITY_ONLY: "the most-popular ranking (the same list for every new user)"}
    return named.get((taste, bias, popularity),
                     f"taste x {taste:g} + learned bias x {bias:g} + log-popularity x {popularity:g}")


@dataclass
class TrainConfig:
    loss: str = "softmax"  # "softmax" (in-batch, logQ-corrected) or "cosine" (the seed recipe's)
    epochs: int = 40  # an upper bound: early stopping usually ends well before
    batch_size: int = 1024  # more in-batch negatives per step; still ~100 steps/epoch on the demo
    lr: float = 3e-3  # Adam; stable for these small MLPs
    weight_decay: float = 1e-6  # a touch, mostly for the id tables
    temperature: float = 0.07  # sharpens cosine scores into logits; 0.05-0.1 is the usual range
    extra_negatives: int = 0  # uniform random negatives per batch on top of in-batch ones
    id_dropout: float = 0.3  # share of ids hidden in training, so features alone must also work (cold start)
    val_fraction: float = 0.1  # interactions held out for early stopping
    val_user_fraction: float = 0.1  # users held out entirely: validation of the new-user (cold) path
    eval_k: int = 10  # K of the validation Recall@K
    patience: int = 3  # epochs without a better validation recall before stopping
    # "Better" means by more than this (absolute Recall@K): on a plateau, noise-sized gains would
    # otherwise keep training (and the final fit) going for nothing.
    min_delta: float = 0.001
    max_seconds: float = 600.0  # wall-clock cap for one variant, a safety net for huge datasets
    # Budget for the selection: a variant that would not fit, judging by the slowest so far, is skipped.
    select_seconds: float = 60.0
    # A variant still below this share of the best variant's validation score after prune_after
    # epochs stops there (a median-pruner-like rule): it cannot win, and the time is the budget's.
    prune_ratio: float = 0.5
    prune_after: int = 3
    seed: int = 0  # same seed, same data, same machine -> same model
    random_labels: bool = False  # the seed recipe trained on random +1/-1 labels; kept for its baseline row
    # Also train the other VARIANTS and keep whichever validates better: id embeddings win where
    # features say little (ids-only data), lose where features explain taste (the demo); "ids only"
    # is matrix factorisation with a popularity bias, what wins on small collaborative data.
    select_ids: bool = True
    use_features: bool = True  # False: the "ids only" variant (no feature columns at all)
    # Validation picks the variant and the epoch count; then one more run on every interaction for
    # that many epochs, so the held-out visits and users are learned too (their ids above all).
    refit: bool = True
    # (taste, bias, popularity) weights of a new user's vector (see recsys.ml.network): chosen among
    # COLD_MIXES on the held-out users, so where features say little a new user gets popularity.
    cold_mix: tuple[float, float, float] = DEFAULT_COLD_MIX
    tower: TowerConfig = field(default_factory=TowerConfig)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "TrainConfig":
        """The config a model was saved with; ValueError naming the field when it cannot be one."""
        if not isinstance(data, dict):
            raise ValueError(f"'train' must be an object, not {type(data).__name__}")
        data = dict(data)
        tower_data = data.pop("tower", {})
        if not isinstance(tower_data, dict):
            raise ValueError(f"'train.tower' must be an object, not {type(tower_data).__name__}")
        try:  # models saved before the item bias existed are pure cosine: keep them that way
            tower = TowerConfig(**{"item_bias": False, **tower_data})
        except TypeError as exc:
            raise ValueError(f"'train.tower' has a field this code does not know ({exc})") from None
        if "cold_mix" in data:
            data["cold_mix"] = _three_weights(data["cold_mix"])
        temperature = data.get("temperature", 1.0)
        if not _finite(temperature) or temperature <= 0:
            raise ValueError(f"'train.temperature' must be a positive number, not {str(temperature)[:40]!r}")
        known = {f for f in cls.__dataclass_fields__}
        return cls(tower=tower, **{k: v for k, v in data.items() if k in known})


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _three_weights(value: object) -> tuple[float, float, float]:
    """A cold-user mix as saved: exactly three finite numbers."""
    if not isinstance(value, (list, tuple)) or len(value) != 3 or not all(_finite(w) for w in value):
        raise ValueError(f"'train.cold_mix' must be three finite numbers (taste, bias, popularity), "
                         f"not {str(value)[:60]!r}")
    return tuple(float(w) for w in value)


@dataclass
class Trained:
    model: TwoTower
    user_spec: FeatureSpec
    item_spec: FeatureSpec
    config: TrainConfig  # as trained: tower.id_dim is 0 when the features-only variant won
    history: list[dict]
    best_epoch: int
    seconds: float
    best_val_recall: float = float("nan")
    candidates: dict[str, float] = field(default_factory=dict)  # variant -> best validation recall
    selection: dict = field(default_factory=dict)  # per variant: warm/cold recall, epochs, seconds; the reason
    cold_mix: dict = field(default_factory=dict)  # the cold-user mix chosen, and each candidate's new-user recall
    pruned: str = ""  # why training stopped early against a better variant, if it did


def pick_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _seed_everything(seed: int) -> torch.Generator:
    torch.manual_seed(seed)
    np.random.seed(seed)
    return torch.Generator().manual_seed(seed)


def _validation_split(interactions: pd.DataFrame, fraction: float, seed: int,
                      user_fraction: float = 0.0) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(train, warm validation, cold validation): a random share of each remaining user's
    interactions (users with 2+ only), and every interaction of a random share of users."""
    empty = interactions.iloc[0:0]
    if fraction <= 0 or len(interactions) < 20:
        return interactions, empty, empty
    rng = np.random.default_rng(seed)
    users = interactions["user_id"].unique()
    cold = empty
    if user_fraction > 0 and len(users) >= 50:
        held_users = set(rng.choice(users, size=max(1, int(len(users) * user_fraction)), replace=False))
        is_cold = interactions["user_id"].isin(held_users).to_numpy()
        cold, interactions = interactions[is_cold], interactions[~is_cold]
    counts = interactions.groupby("user_id")["item_id"].transform("size").to_numpy()
    held = (rng.random(len(interactions)) < fraction) & (counts >= 2)
    return interactions[~held], interactions[held], cold


def recall_at_k(user_emb: torch.Tensor, item_emb: torch.Tensor, seen: list[np.ndarray],
                relevant: list[np.ndarray], k: int) -> float:
    """Mean Recall@K over users with relevant items; seen items are excluded from the ranking."""
    scores = user_emb @ item_emb.T
    for row, items in enumerate(seen):
        if len(items):
            scores[row, torch.from_numpy(items)] = -math.inf
    top = torch.topk(scores, min(k, scores.shape[1]), dim=1).indices.numpy()
    recalls = [len(set(top[r]) & set(rel)) / len(rel) for r, rel in enumerate(relevant) if len(rel)]
    return float(np.mean(recalls)) if recalls else 0.0


def variant_config(cfg: TrainConfig, name: str) -> TrainConfig:
    """The TrainConfig of one of VARIANTS, built from the requested one."""
    if name == "features + ids":
        return replace(cfg, use_features=True)
    if name == "features only":
        return replace(cfg, use_features=True, tower=replace(cfg.tower, id_dim=0))
    if name == "ids only":
        return replace(cfg, use_features=False, id_dropout=min(cfg.id_dropout, 0.1),
                       tower=replace(cfg.tower, id_dim=max(cfg.tower.id_dim, 64)))
    raise ValueError(f"unknown variant {name!r}; expected one of {', '.join(VARIANTS)}")


def train_two_tower(dataset: Dataset, cfg: TrainConfig | None = None, progress: Progress | None = None) -> Trained:
    """Train; with select_ids, train each of VARIANTS (while the time budget allows) and keep the
    one with the best validation score (mean of warm and new-user Recall@K)."""
    cfg = cfg or TrainConfig()
    started = time.monotonic()
    if cfg.select_ids and cfg.tower.id_dim > 0 and cfg.val_fraction > 0:
        chosen = _select(dataset, cfg, progress)
    else:
        chosen = _train_once(dataset, cfg, progress)
    if cfg.refit and cfg.val_fraction > 0 and chosen.best_epoch >= 1:
        # The recipe that won, without held-out data: what `evaluate` refits on each split, too.
        recipe = replace(chosen.config, val_fraction=0.0, val_user_fraction=0.0, epochs=chosen.best_epoch,
                         select_ids=False, refit=False)
        tag = (lambda e, t, r: progress(e, t, {**r, "variant": "final fit on all data"})) if progress else None
        final = _train_once(dataset, recipe, tag)
        chosen.model, chosen.user_spec, chosen.item_spec, chosen.config = \
            final.model, final.user_spec, final.item_spec, recipe
    chosen.seconds = time.monotonic() - started
    return chosen


def _select(dataset: Dataset, cfg: TrainConfig, progress: Progress | None) -> Trained:
    """Each of VARIANTS (while the time budget allows); the best validation score wins."""
    started = time.monotonic()
    results: dict[str, Trained] = {}
    skipped: list[str] = []
    featureless = not any(kind != "id" for kind in {**dataset.schema.users, **dataset.schema.items}.values())
    # With no feature column on either side the feature variants are the ids-only model with
    # more id dropout, or nothing at all: validation would only pick between them by noise.
    for name in (("ids only",) if featureless else VARIANTS):
        spent = time.monotonic() - started
        slowest = max((r.seconds for r in results.values()), default=0.0)
        if results and spent + slowest > cfg.select_seconds:
            skipped.append(name)  # would not fit the budget, judging by the variants already trained
            continue
        tag = (lambda n: (lambda e, t, r: progress(e, t, {**r, "variant": n})))(name) if progress else None
        leader = max((r.best_val_recall for r in results.values()), default=0.0)
        results[name] = _train_once(dataset, variant_config(cfg, name), tag, leader=leader)
    best = max(results, key=lambda n: results[n].best_val_recall)
    chosen = results[best]
    chosen.candidates = {n: r.best_val_recall for n, r in results.items()}
    runner_up = sorted(((r.best_val_recall, n) for n, r in results.items() if n != best), reverse=True)
    reason = (f"highest validation score (mean of warm-user and new-user Recall@{cfg.eval_k}): "
              f"{chosen.best_val_recall:.4f}" + (f" vs {runner_up[0][1]} {runner_up[0][0]:.4f}" if runner_up else ""))
    chosen.selection = {
        "chosen": best, "reason": reason, "skipped_for_time": skipped, "budget_seconds": cfg.select_seconds,
        "variants": {n: {"score": r.best_val_recall, **_best_record(r), "seconds": round(r.seconds, 2),
                         "cold_mix": r.cold_mix, **({"pruned": r.pruned} if r.pruned else {})}
                     for n, r in results.items()}}
    return chosen


def _best_record(trained: "Trained") -> dict:
    record = next((h for h in trained.history if h["epoch"] == trained.best_epoch), {})
    return {"best_epoch": trained.best_epoch, "val_warm": record.get("val_warm"), "val_cold": record.get("val_cold")}


def _train_once(dataset: Dataset, cfg: TrainConfig, progress: Progress | None, leader: float = 0.0) -> Trained:
    """One training run; ``leader`` is the best validation score of the variants before it (for
    pruning: see TrainConfig.prune_ratio)."""
    started = time.monotonic()
    generator = _seed_everything(cfg.seed)
    device = pick_device()
    torch.set_num_threads(max(1, torch.get_num_threads()))

    users, items = dataset.users, dataset.items
    train_inter, val_inter, cold_inter = _validation_split(dataset.interactions, cfg.val_fraction, cfg.seed,
                                                           cfg.val_user_fraction)
    # Ids seen in training get their own embedding row; others (cold) embed from features only.
    user_kinds = dataset.schema.users if cfg.use_features else {}
    item_kinds = dataset.schema.items if cfg.use_features else {}
    user_spec = FeatureSpec.fit(users, user_kinds, ID_COLUMNS["users"], train_ids=sorted(set(train_inter["user_id"])))
    item_spec = FeatureSpec.fit(items, item_kinds, ID_COLUMNS["items"], train_ids=sorted(set(train_inter["item_id"])))
    user_x, item_x = user_spec.transform(users), item_spec.transform(items)
    model = TwoTower(user_spec.width, item_spec.width, user_spec.n_ids, item_spec.n_ids, cfg.tower).to(device)
    model.temperature, model.cold_mix = cfg.temperature, tuple(cfg.cold_mix)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    # Small data: smaller batches, so an epoch still has enough steps to learn from.
    batch_size = max(2, min(cfg.batch_size, max(64, len(train_inter) // 32)))

    user_pos = {u: i for i, u in enumerate(users["user_id"])}
    item_pos = {v: i for i, v in enumerate(items["item_id"])}
    u_idx = torch.tensor(train_inter["user_id"].map(user_pos).to_numpy(), dtype=torch.long)
    i_idx = torch.tensor(train_inter["item_id"].map(item_pos).to_numpy(), dtype=torch.long)
    weights = torch.tensor(train_inter["weight"].to_numpy(np.float32)) if "weight" in train_inter else torch.ones(len(u_idx))
    model.set_popularity(item_x["ids"][i_idx], weights)  # the same counts as the most-popular baseline
    weights = weights / weights.mean().clamp_min(1e-9)
    # logQ: the chance an item shows up as an in-batch negative is its share of interactions.
    counts = torch.bincount(i_idx, minlength=len(items)).float() + 1.0
    log_q = torch.log(counts / counts.sum()).to(device)
    n_items = len(items)

    seen_by_user = train_inter.groupby("user_id")["item_id"].agg(list).to_dict()

    def validation_set(held: pd.DataFrame) -> tuple[torch.Tensor, list[np.ndarray], list[np.ndarray]] | None:
        if held.empty:
            return None
        val_users = sorted(set(held["user_id"]))
        rel_by_user = held.groupby("user_id")["item_id"].agg(list).to_dict()
        return (torch.tensor([user_pos[u] for u in val_users], dtype=torch.long),
                [np.array([item_pos[v] for v in seen_by_user.get(u, [])], dtype=np.int64) for u in val_users],
                [np.array([item_pos[v] for v in rel_by_user[u]], dtype=np.int64) for u in val_users])

    validation = {"val_warm": validation_set(val_inter), "val_cold": validation_set(cold_inter)}

    def batch_inputs(x: dict[str, torch.Tensor], rows: torch.Tensor, drop: bool) -> dict[str, torch.Tensor]:
        ids = x["ids"][rows]
        if drop and cfg.id_dropout > 0:
            ids = torch.where(torch.rand(len(ids), generator=generator) < cfg.id_dropout, torch.zeros_like(ids), ids)
        return {"dense": x["dense"][rows].to(device), "ids": ids.to(device)}

    history: list[dict] = []
    best = (-1.0, 0, None)
    pruned = ""
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        order = torch.randperm(len(u_idx), generator=generator)
        total, steps = 0.0, 0
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            if len(batch) < 2:
                continue
            bu, bi, bw = u_idx[batch], i_idx[batch], weights[batch].to(device)
            u_emb, i_emb = model(batch_inputs(user_x, bu, True), batch_inputs(item_x, bi, True))
            if cfg.loss == "softmax":
                loss = _softmax_loss(model, u_emb, i_emb, bi.to(device), bw, log_q, item_x, n_items, cfg, generator, batch_inputs)
            elif cfg.loss == "cosine":
                loss = _cosine_loss(model, u_emb, i_emb, item_x, n_items, cfg, generator, batch_inputs)
            else:
                raise ValueError(f"unknown loss {cfg.loss!r}; expected 'softmax' or 'cosine'")
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
            steps += 1
        record = {"epoch": epoch, "loss": total / max(steps, 1)}
        item_emb = model.embed_items(item_x) if any(validation.values()) else None
        for key, held in validation.items():
            if held is not None:
                rows, seen, relevant = held
                record[key] = recall_at_k(model.embed_users(_rows(user_x, rows)), item_emb, seen, relevant, cfg.eval_k)
        parts = [record[key] for key in validation if key in record]
        if parts:
            record["val_recall"] = float(np.mean(parts))
        history.append(record)
        if progress:
            progress(epoch, cfg.epochs, record)
        score = record.get("val_recall")
        if score is None:  # nothing held out: the epoch count is the recipe, the last epoch is kept
            best = (float("nan"), epoch, None)
        elif score > best[0] + (cfg.min_delta if best[2] is not None else 0.0):
            best = (score, epoch, {k: v.detach().clone() for k, v in model.state_dict().items()})
        elif epoch - best[1] >= cfg.patience:
            break
        if score is not None and epoch >= cfg.prune_after and best[0] < cfg.prune_ratio * leader:
            pruned = f"stopped after epoch {epoch}: {best[0]:.4f} < {cfg.prune_ratio:g} x the best variant's {leader:.4f}"
            break
        if time.monotonic() - started > cfg.max_seconds:
            break
    if best[2] is not None:
        model.load_state_dict(best[2])
    model.eval()
    score, cold_choice = best[0], {}
    if cfg.tower.item_bias and user_spec.width == 0:
        # No user features: every new user gets the same vector, so one fixed list for all of
        # them, and the counts are the best estimate of that list (the most-popular baseline's).
        cfg, model.cold_mix = replace(cfg, cold_mix=POPULARITY_ONLY), POPULARITY_ONLY
        cold_choice = {"chosen": list(POPULARITY_ONLY), "reason": "no user features: new users get the popularity ranking"}
    elif validation["val_cold"] is not None and cfg.tower.item_bias:
        cfg, score, cold_choice = _choose_cold_mix(model, cfg, user_x, item_x, validation, history, best[1])
    return Trained(model=model.cpu(), user_spec=user_spec, item_spec=item_spec, config=cfg,
                   history=history, best_epoch=best[1], seconds=time.monotonic() - started,
                   best_val_recall=score, cold_mix=cold_choice, pruned=pruned)


def _choose_cold_mix(model: TwoTower, cfg: TrainConfig, user_x, item_x, validation: dict, history: list[dict],
                     best_epoch: int) -> tuple[TrainConfig, float, dict]:
    """The mix of COLD_MIXES with the best new-user Recall@K on the held-out users (the first on
    a tie); returns the config carrying it, the validation score with it, and every mix's recall."""
    rows, seen, relevant = validation["val_cold"]
    item_emb = model.embed_items(item_x)
    recalls = {}
    for mix in COLD_MIXES:
        model.cold_mix = mix
        recalls[mix] = recall_at_k(model.embed_users(_rows(user_x, rows)), item_emb, seen, relevant, cfg.eval_k)
    chosen = max(COLD_MIXES, key=lambda m: (recalls[m], -COLD_MIXES.index(m)))
    model.cold_mix = chosen
    record = next((h for h in history if h["epoch"] == best_epoch), {})
    parts = [v for v in (record.get("val_warm"), recalls[chosen]) if v is not None]
    return (replace(cfg, cold_mix=chosen), float(np.mean(parts)),
            {"chosen": list(chosen), "val_cold": {",".join(f"{w:g}" for w in m): r for m, r in recalls.items()}})


def _rows(x: dict[str, torch.Tensor], rows: torch.Tensor) -> dict[str, torch.Tensor]:
    return {"dense": x["dense"][rows], "ids": x["ids"][rows]}


def _item_inputs(item_x: dict[str, torch.Tensor], bi: torch.Tensor, batch_inputs) -> tuple[torch.Tensor, torch.Tensor]:
    """The batch's item features as the bias sees them, with id dropout: the per-id bias remembers
    each known item's popularity, and the rows whose id is hidden teach the feature part to
    estimate it for new items."""
    x = batch_inputs(item_x, bi.cpu(), True)
    return x["dense"], x["ids"]


def _softmax_loss(model, u_emb, i_emb, bi, bw, log_q, item_x, n_items, cfg, generator, batch_inputs) -> torch.Tensor:
    bias = model.item_bias(*_item_inputs(item_x, bi, batch_inputs))
    logits = (u_emb @ i_emb.T) / cfg.temperature + bias[None, :] - log_q[bi][None, :]
    # The same item twice in a batch is not a negative for itself (an "accidental hit").
    same = bi[None, :] == bi[:, None]
    logits = logits.masked_fill(same & ~torch.eye(len(bi), dtype=torch.bool, device=bi.device), -1e9)
    if cfg.extra_negatives > 0:
        neg = torch.randint(0, n_items, (cfg.extra_negatives,), generator=generator)
        neg_inputs = batch_inputs(item_x, neg, True)
        n_emb = model.item_tower(**neg_inputs)
        # Uniform sampling: each item is drawn with probability 1/N per draw.
        extra = ((u_emb @ n_emb.T) / cfg.temperature + model.item_bias(**neg_inputs)[None, :]
                 - math.log(cfg.extra_negatives / n_items))
        extra = extra.masked_fill(neg.to(bi.device)[None, :] == bi[:, None], -1e9)
        logits = torch.cat([logits, extra], dim=1)
    targets = torch.arange(len(bi), device=bi.device)
    return (F.cross_entropy(logits, targets, reduction="none") * bw).mean()


def _cosine_loss(model, u_emb, i_emb, item_x, n_items, cfg, generator, batch_inputs) -> torch.Tensor:
    """The seed recipe: CosineEmbeddingLoss, positives +1 and one random item per pair as -1."""
    neg = torch.randint(0, n_items, (len(u_emb),), generator=generator)
    n_emb = model.item_tower(**batch_inputs(item_x, neg, True))
    left = torch.cat([u_emb, u_emb])
    right = torch.cat([i_emb, n_emb])
    labels = torch.cat([torch.ones(len(u_emb)), -torch.ones(len(u_emb))]).to(u_emb.device)
    if cfg.random_labels:  # what the seed recipe actually did: labels unrelated to behaviour
        labels = torch.where(torch.rand(len(labels), generator=generator) < 0.5, 1.0, -1.0).to(u_emb.device)
    return F.cosine_embedding_loss(left, right, labels, margin=0.0)
