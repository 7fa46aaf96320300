"""Training the two-tower model: in-batch sampled softmax with logQ correction (Yi et al. 2019,
as TFRS's Retrieval task and Merlin do) plus a learned item bias that puts popularity back into
the full score, optional extra uniform negatives, early stopping on validation Recall@K. The user
tower reads each positive's causal history (recsys.ml.history). The seed recipe's
CosineEmbeddingLoss on +1/-1 pairs stays selectable as a baseline.

Validation decides, on two held-out sets: a share of each warm user's interactions, and a share of
users held out entirely (new users: their features alone). Their mean Recall@K picks the epoch and
the variant (with or without id embeddings); the cold-user mix is chosen on the held-out users for
the very model that is served (there is no refit afterwards that could change what it was chosen
for). Everything is budgeted by work (epochs), never by wall-clock time: the same data and seed
give the same model however busy the machine is.
Domain-free: it sees a Dataset and its schema, nothing else."""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Callable

import numpy as np
import pandas as pd
import torch

from recsys.data.contract import ID_COLUMNS, Dataset
from recsys.ml.features import FeatureSpec
from recsys.ml.history import EventLog, event_weights, time_order
from recsys.ml.network import DEFAULT_COLD_MIX, TowerConfig, TwoTower

# (epoch, max_epochs, {"epoch", "loss", "val_recall", "val_warm", "val_cold", "variant"})
Progress = Callable[[int, int, dict], None]
# Candidate cold-user mixes (taste, bias, popularity, segment popularity), in order of preference
# on a tie: the model as trained, the model leaning on popularity, the taste halved, the learned
# bias alone, popularity alone.
POPULARITY_ONLY = (0.0, 0.0, 1.0, 0.0)
COLD_MIXES = ((1.0, 1.0, 0.0, 0.0), (1.0, 1.0, 0.05, 0.0), (0.5, 1.0, 0.0, 0.0), (0.0, 1.0, 0.0, 0.0), POPULARITY_ONLY)
# "Popular among users like you" (the segment baseline), the global counts breaking its ties.
SEGMENT_POPULAR = (0.0, 0.0, 0.001, 1.0)
# Where a profile field's per-value popularity serves held-out new users better than plain
# popularity: the model leaning on it (as it may lean on popularity), and it alone.
SEGMENT_MIXES = ((1.0, 1.0, 0.0, 0.05), SEGMENT_POPULAR)
# A field with more values than this gets no segment slots: each value is a dimension of every
# vector in the index.
SEGMENT_MAX_VALUES = 64
SEGMENT_KINDS = ("categorical", "multilabel")  # the fields whose values are segments (one-hot columns)
WARM_POPULARITY = (0.0, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
FEEDBACK_WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0)
FEEDBACK_REVEAL = 3
# New users' first visits given as history when the prior and the feedback weight are chosen: the
# first visit, a few, and many, so that neither a short nor a long history is sacrificed.
VALIDATION_REVEALS = (1, FEEDBACK_REVEAL, 10)
# The config fields serving multiplies by, each checked when a model is loaded.
SERVED_WEIGHTS = ("warm_popularity", "feedback_weight", "feedback_floor", "explicit_weight", "history_prior")
# Pseudo-counts of history trust (see TrainConfig.history_prior): 0 trusts any history fully,
# 1000 all but ignores a logged history of a few dozen events.
HISTORY_PRIORS = (0.0, 1.0, 3.0, 10.0, 30.0, 1000.0)


def describe_cold_mix(mix: tuple[float, float, float, float] | list[float]) -> str:
    """What a cold-user mix means, in words for the model card."""
    taste, bias, popularity, segment = (float(w) for w in mix)
    named = {(1.0, 1.0, 0.0, 0.0): "the model as trained (taste from their features plus the learned bias)",
             (0.0, 1.0, 0.0, 0.0): "the learned bias alone (the same list for every new user)",
             POPULARITY_ONLY: "the most-popular ranking (the same list for every new user)",
             SEGMENT_POPULAR: "the places most popular among users who share their value of one profile field"}
    described = f"taste x {taste:g} + learned bias x {bias:g} + log-popularity x {popularity:g}"
    return named.get((taste, bias, popularity, segment),
                     described + (f" + log-popularity among users like them x {segment:g}" if segment else ""))


@dataclass
class TrainConfig:
    loss: str = "softmax"  # "softmax" (in-batch, logQ-corrected) or "cosine" (the seed recipe's)
    epochs: int = 40  # an upper bound: early stopping usually ends well before
    batch_size: int = 1024  # more in-batch negatives per step; still ~100 steps/epoch on the demo
    lr: float = 3e-3  # Adam; stable for these small MLPs
    weight_decay: float = 1e-4  # L2 (Adam's): keeps the towers from fitting each visit's noise
    temperature: float = 0.07  # sharpens cosine scores into logits; 0.05-0.1 is the usual range
    extra_negatives: int = 0  # uniform random negatives per batch on top of in-batch ones
    id_dropout: float = 0.3  # share of ids hidden in training, so features alone must also work (cold start)
    # Share of positives trained with a random shorter history (0..all of it): the tower must also
    # read 0, 1 or 3 events well, which is every new user's first minutes.
    history_dropout: float = 0.5
    # Each epoch validates, and early stopping keeps, an exponential moving average of the weights
    # (updated every step; 0 turns it off) rather than the last step's: on noisy visits the
    # average generalises better, and it costs one in-place update per parameter per step.
    ema_decay: float = 0.99
    val_fraction: float = 0.1  # interactions held out for early stopping
    val_user_fraction: float = 0.1  # users held out entirely: validation of the new-user (cold) path
    eval_k: int = 10  # K of the validation Recall@K
    patience: int = 2  # epochs without a better validation recall before stopping (the averaged weights move smoothly)
    # "Better" means by more than this (absolute Recall@K): on a plateau, noise-sized gains would
    # otherwise keep training going for nothing.
    min_delta: float = 0.001
    # A variant still below this share of the best variant's validation score after prune_after
    # epochs stops there (a median-pruner-like rule): it cannot win.
    prune_ratio: float = 0.5
    prune_after: int = 3
    seed: int = 0  # same seed, same data -> same model, on a busy machine too
    # CPU threads for training: these small MLPs train faster on one than on two of a 2-core
    # machine's (weak-demo, 3 epochs: 4.7 s vs 19.8 s with other work running), and a fixed
    # count keeps the float sums, so the model, the same. (Two, measured again on the demo with
    # nothing else running: 3.7-4.0 s an epoch against 4.3, but the whole training took as long,
    # 64.2 s, and every split came out a little lower: docs/benchmarks.md.)
    threads: int = 1
    random_labels: bool = False  # the seed recipe trained on random +1/-1 labels; kept for its baseline row
    # Also train the variant with id embeddings and keep whichever validates better: ids win where
    # neither features nor history explain taste, and cost memory and time everywhere.
    select_ids: bool = True
    use_features: bool = True  # False: ids and history only (no feature columns at all)
    # (taste, bias, popularity, segment popularity) weights of a new user's vector (see
    # recsys.ml.network): chosen among COLD_MIXES (and SEGMENT_MIXES) on the held-out users, so
    # where features say little a new user gets popularity, or popularity among users like them.
    cold_mix: tuple[float, float, float, float] = DEFAULT_COLD_MIX
    # The user field (categorical or multi-label) whose per-value popularity the vectors carry
    # for the mix's fourth weight: the one that serves held-out new users best; "" for none.
    cold_segment: str = ""
    # Weight of the popularity slot for users with a history or a known id, chosen among
    # WARM_POPULARITY on the held-out visits: where visits follow popularity more than the loss's
    # logQ-corrected bias learned, a known user's list leans on it too.
    warm_popularity: float = 0.0
    # How far a served user vector moves toward the taste of the places in their history, chosen
    # among FEEDBACK_WEIGHTS (at least feedback_floor), together with history_prior, on held-out
    # new users given VALIDATION_REVEALS of their visits (what a new profile's first likes in the
    # app are) and on warm users.
    feedback_weight: float = 0.0
    # The least feedback_weight served, whatever validation chose: a like in the app is someone
    # saying what they want now, and must move their picks visibly (logs of past visits, which
    # validation sees, rarely contradict a profile the way a new like can). Measured on the demo
    # (benchmarks.feedback, 100 new profiles liking 3 places of a kitchen they do not list): at 0.5
    # 38% of them see more of it in their top 10 (0.34 -> 1.05 places), at 1.0 76% (-> 2.6), at 2.0
    # 96% (-> 5.3). But 1.0 applies to logged visits too: `make model` at 1.0 vs 0.5 gave demo warm
    # users 0.0918 vs 0.0953 and new users with 1 revealed visit 0.065 vs 0.074 (benchmarks.quality:
    # within +-0.004 elsewhere, sparse-demo 0.083 -> 0.077). So 0.5 here, and explicit_weight on
    # top for what a person marks in the app.
    feedback_floor: float = 0.5
    # The move toward what a person marked themselves in the app (an ``explicit`` history column:
    # likes, "been there"), on top of the logged-history terms and never damped by history_prior:
    # validation cannot see such events, so this is what the product wants a like to do. Measured
    # on the demo (benchmarks.feedback, 100 new profiles liking 3 places of a kitchen they do not
    # list): with history_prior 30 chosen, 0.5 brought more of it into 40% of their top 10s (0.38 ->
    # 1.15 places), 1.0 into 78% (-> 2.84), as much as 0.5 + 0.5 did before the prior existed (76%).
    explicit_weight: float = 1.0
    # A user vector trusts a history of n events n / (n + history_prior) against the features
    # alone; chosen with feedback_weight among HISTORY_PRIORS on the same held-out users, so where
    # visits say nothing the profile does not (the demo: on the cold-start curve one revealed visit
    # cost 0.090 -> 0.073 at prior 0) the features keep the say, and where they do, history wins.
    history_prior: float = 0.0
    # The largest prior whose validation score is within this of the best one wins (0: the best,
    # the smallest on a tie).
    history_prior_tolerance: float = 0.001
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
        try:  # models saved before the item bias (or history) existed keep what they had
            tower = TowerConfig(**{"item_bias": False, "history_dim": 0, **tower_data})
        except TypeError as exc:
            raise ValueError(f"'train.tower' has a field this code does not know ({exc})") from None
        if "cold_mix" in data:
            data["cold_mix"] = _mix_weights(data["cold_mix"])
        segment = data.get("cold_segment", "")
        if not isinstance(segment, str):
            raise ValueError(f"'train.cold_segment' must be a column name, not {str(segment)[:40]!r}")
        reads_segment = "cold_mix" in data and data["cold_mix"][3] != 0
        if reads_segment != bool(segment):  # training never writes one without the other
            raise ValueError(f"'train.cold_mix' weighs segment popularity by {data['cold_mix'][3]:g} but "
                             f"'train.cold_segment' names no field" if reads_segment else
                             "'train.cold_segment' names a field but 'train.cold_mix' does not weigh it")
        temperature = data.get("temperature", 1.0)
        if not _finite(temperature) or temperature <= 0:
            raise ValueError(f"'train.temperature' must be a positive number, not {str(temperature)[:40]!r}")
        for name in SERVED_WEIGHTS:  # what serving multiplies by: a string or NaN would fail (or lie) per request
            if name in data and (not _finite(data[name]) or data[name] < 0):
                raise ValueError(f"'train.{name}' must be a finite number, 0 or more, not {str(data[name])[:40]!r}")
        # A model saved before the explicit term had 0.5 as its default, not today's.
        data.setdefault("explicit_weight", 0.5)
        known = {f for f in cls.__dataclass_fields__}
        return cls(tower=tower, **{k: v for k, v in data.items() if k in known})


def apply_served_settings(model: TwoTower, cfg: TrainConfig) -> None:
    """The config's settings that shape served vectors, onto the network (training starts from
    them and chooses some; loading a model restores them)."""
    model.temperature, model.cold_mix, model.warm_popularity = cfg.temperature, tuple(cfg.cold_mix), cfg.warm_popularity
    model.feedback_weight, model.explicit_weight = cfg.feedback_weight, cfg.explicit_weight
    model.history_prior = cfg.history_prior


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _mix_weights(value: object) -> tuple[float, float, float, float]:
    """A cold-user mix as saved: four finite numbers (three in a model saved before segment
    popularity existed: its fourth weight is 0)."""
    if not isinstance(value, (list, tuple)) or len(value) not in (3, 4) or not all(_finite(w) for w in value):
        raise ValueError(f"'train.cold_mix' must be four finite numbers (taste, bias, popularity, segment "
                         f"popularity), not {str(value)[:60]!r}")
    return (*(float(w) for w in value), 0.0)[:4]


@dataclass
class Trained:
    model: TwoTower
    user_spec: FeatureSpec
    item_spec: FeatureSpec
    config: TrainConfig  # as trained: tower.id_dim is 0 when the variant without ids won
    history: list[dict]
    best_epoch: int
    seconds: float
    best_val_recall: float = float("nan")
    candidates: dict[str, float] = field(default_factory=dict)  # variant -> best validation recall
    selection: dict = field(default_factory=dict)  # per variant: warm/cold recall, epochs, seconds; the reason
    cold_mix: dict = field(default_factory=dict)  # the cold-user mix chosen, and each candidate's new-user recall
    pruned: str = ""  # why training stopped early against a better variant, if it did
    data_problems: dict[str, int] = field(default_factory=dict)  # events skipped, by reason


def pick_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def variants(dataset: Dataset, cfg: TrainConfig) -> dict[str, TrainConfig]:
    """The recipes validation chooses between: without and with id embeddings (both with the
    history branch when the config has one). Without any feature column the item tower has
    nothing but ids, so ids it is (with history where the config has it)."""
    featureless = not cfg.use_features or not any(
        kind != "id" for kind in {**dataset.schema.users, **dataset.schema.items}.values())
    with_history = cfg.tower.history_dim > 0
    with_ids = replace(cfg, use_features=not featureless, tower=replace(cfg.tower, id_dim=max(cfg.tower.id_dim, 32)),
                       id_dropout=min(cfg.id_dropout, 0.1) if featureless else cfg.id_dropout)
    if featureless:
        return {"history + ids" if with_history else "ids only": with_ids}
    name = "features + history" if with_history else "features"
    if not cfg.select_ids or cfg.val_fraction <= 0:
        return {name + (" + ids" if cfg.tower.id_dim > 0 else ""): cfg}
    # Not features alone: on the demo it tested better (warm users 0.105 vs 0.097 on the random
    # split) but validation could not tell them apart (0.0973 vs 0.0981) and a third variant took
    # training from ~60 to 89 s; a model without the branch still follows feedback (the feedback
    # term reads histories too).
    return {name: replace(cfg, tower=replace(cfg.tower, id_dim=0)), name + " + ids": with_ids}


def train_two_tower(dataset: Dataset, cfg: TrainConfig | None = None, progress: Progress | None = None) -> Trained:
    """Train each variant (see ``variants``) and keep the one with the best validation score
    (mean of warm and new-user Recall@K)."""
    cfg = cfg or TrainConfig()
    started = time.monotonic()
    threads = torch.get_num_threads()
    torch.set_num_threads(max(1, cfg.threads))
    try:
        return _train_variants(dataset, cfg, progress, started)
    finally:
        torch.set_num_threads(threads)


def _train_variants(dataset: Dataset, cfg: TrainConfig, progress: Progress | None, started: float) -> Trained:
    data = TrainingData.build(dataset, cfg)
    results: dict[str, Trained] = {}
    for name, recipe in variants(dataset, cfg).items():
        tag = (lambda n: (lambda e, t, r: progress(e, t, {**r, "variant": n})))(name) if progress else None
        leader = max((r.best_val_recall for r in results.values()), default=0.0)
        results[name] = fit(data.for_variant(recipe), recipe, tag, leader=leader)
    best = max(results, key=lambda n: (np.nan_to_num(results[n].best_val_recall, nan=-1.0), -list(results).index(n)))
    chosen = results[best]
    chosen.candidates = {n: r.best_val_recall for n, r in results.items()}
    runner_up = sorted(((r.best_val_recall, n) for n, r in results.items() if n != best), reverse=True)
    chosen.selection = {
        "chosen": best,
        "reason": (f"highest validation score (mean of warm-user and new-user Recall@{cfg.eval_k}): "
                   f"{chosen.best_val_recall:.4f}" + (f" vs {runner_up[0][1]} {runner_up[0][0]:.4f}" if runner_up else "")),
        "variants": {n: {"score": r.best_val_recall, **_best_record(r), "seconds": round(r.seconds, 2),
                         "cold_mix": r.cold_mix, **({"pruned": r.pruned} if r.pruned else {})}
                     for n, r in results.items()}}
    # Counting is not learning: the served popularity slot counts every event, the held-out ones
    # too, so a new user's popularity ranking is exactly the most-popular baseline's.
    ids = torch.as_tensor(chosen.item_spec.transform(data.clean[["item_id"]])["ids"])
    weights = data.clean["weight"].to_numpy(np.float32) if "weight" in data.clean else np.ones(len(data.clean), np.float32)
    counted = torch.from_numpy((weights > 0).astype(np.float32))
    chosen.model.set_popularity(ids, counted)
    if chosen.model.segment_columns is not None:  # and so are "popular among users like you"'s
        rows = pd.Series(np.arange(len(data.dataset.users)), index=data.dataset.users["user_id"].to_numpy())
        _count_segments(chosen.model, chosen.user_spec.transform(data.dataset.users)["dense"], ids,
                        torch.from_numpy(rows.loc[data.clean["user_id"]].to_numpy(np.int64).copy()), counted)
    chosen.data_problems = data.problems
    chosen.seconds = time.monotonic() - started
    return chosen


def _best_record(trained: Trained) -> dict:
    record = next((h for h in trained.history if h["epoch"] == trained.best_epoch), {})
    return {"best_epoch": trained.best_epoch, "val_warm": record.get("val_warm"), "val_cold": record.get("val_cold")}


# -- the training data, built once ---------------------------------------------------------
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


def grouped(keys: np.ndarray, values: np.ndarray) -> dict:
    """``values`` by key, each group in its original order (a groupby's lists, as arrays, in one
    sort instead of a lookup per key)."""
    if not len(keys):
        return {}
    order = np.argsort(keys, kind="stable")
    unique, starts = np.unique(keys[order], return_index=True)
    return dict(zip(unique.tolist(), np.split(values[order], starts[1:])))


def clean_interactions(interactions: pd.DataFrame, users: pd.DataFrame,
                       items: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """The events training can use, and how many of each kind were skipped: unknown users or
    items, non-finite or negative weights, exact duplicates (the same user, item, weight, time)."""
    problems: dict[str, int] = {}
    keep = np.ones(len(interactions), dtype=bool)

    def skip(mask: np.ndarray, reason: str) -> None:
        new = mask & keep
        if new.any():
            problems[reason] = int(new.sum())
            keep[new] = False

    skip(~interactions["user_id"].isin(users["user_id"]).to_numpy(), "unknown user")
    skip(~interactions["item_id"].isin(items["item_id"]).to_numpy(), "unknown or deleted item")
    if "weight" in interactions:
        weight = pd.to_numeric(interactions["weight"], errors="coerce").to_numpy(float)
        skip(~np.isfinite(weight), "weight not a finite number")
        skip(weight < 0, "negative weight")
    skip(interactions.duplicated().to_numpy(), "duplicate event")
    return interactions[keep], problems


@dataclass
class ValidationSet:
    users: torch.Tensor  # rows of the users table
    seen: list[np.ndarray]  # item rows excluded from their ranking
    relevant: list[np.ndarray]  # item rows held out


@dataclass
class TrainingData:
    """Everything a training run reads, built once per dataset (the variants share it; only the
    feature specs depend on whether features are used)."""

    dataset: Dataset
    clean: pd.DataFrame  # every usable event, held-out ones included
    train: pd.DataFrame  # what the model learns from (clean less the validation hold-outs)
    log: EventLog
    targets: torch.Tensor  # [n_events] item row of each event (in log order)
    weights: torch.Tensor  # [n_events] each event's weight as given
    target_weights: torch.Tensor  # [n_events] loss weight, mean 1
    validation: dict[str, ValidationSet | None]
    problems: dict[str, int]
    user_spec: FeatureSpec | None = None
    item_spec: FeatureSpec | None = None
    user_x: dict[str, torch.Tensor] | None = None
    item_x: dict[str, torch.Tensor] | None = None

    @classmethod
    def build(cls, dataset: Dataset, cfg: TrainConfig) -> "TrainingData":
        users, items = dataset.users, dataset.items
        inter, problems = clean_interactions(dataset.interactions, users, items)
        train, val_inter, cold_inter = _validation_split(inter, cfg.val_fraction, cfg.seed, cfg.val_user_fraction)
        user_pos = pd.Series(np.arange(len(users)), index=users["user_id"].to_numpy())
        item_pos = pd.Series(np.arange(len(items)), index=items["item_id"].to_numpy())
        u_rows = user_pos.loc[train["user_id"]].to_numpy()
        i_rows = item_pos.loc[train["item_id"]].to_numpy()
        log, order = EventLog.build(train, u_rows, i_rows, len(users))
        weights = train["weight"].to_numpy(np.float32)[order] if "weight" in train else np.ones(len(train), np.float32)
        weights = np.nan_to_num(weights, nan=0.0, posinf=0.0)
        # A positive's loss weight grows with log(1 + weight), as a history event's does: a song
        # played 1,000 times must not outweigh a thousand listeners.
        loss_weights = event_weights(weights)
        seen_by_user = grouped(train["user_id"].to_numpy(), i_rows.astype(np.int64))
        none = np.zeros(0, dtype=np.int64)

        def validation_set(held: pd.DataFrame) -> ValidationSet | None:
            if held.empty:
                return None
            val_users = sorted(set(held["user_id"]))
            rel_by_user = grouped(held["user_id"].to_numpy(), item_pos.loc[held["item_id"]].to_numpy(np.int64))
            return ValidationSet(torch.tensor(user_pos.loc[val_users].to_numpy(), dtype=torch.long),
                                 [seen_by_user.get(u, none) for u in val_users], [rel_by_user[u] for u in val_users])

        return cls(dataset=dataset, clean=inter, train=train, log=log, targets=torch.from_numpy(i_rows[order].astype(np.int64)),
                   weights=torch.from_numpy(weights),
                   target_weights=torch.from_numpy(loss_weights / max(float(loss_weights.mean()), 1e-9)),
                   validation={"val_warm": validation_set(val_inter), "val_cold": validation_set(cold_inter)},
                   problems=problems)

    def for_variant(self, cfg: TrainConfig) -> "TrainingData":
        """This data with the feature specs the variant uses (ids known from training only; others
        embed from features alone)."""
        users, items, schema = self.dataset.users, self.dataset.items, self.dataset.schema
        user_spec = FeatureSpec.fit(users, schema.users if cfg.use_features else {}, ID_COLUMNS["users"],
                                    train_ids=sorted(set(self.train["user_id"])))
        # Items seen only in held-out events still get an id (its rows stay near zero), so the
        # popularity slot can count them; users held out must stay unknown to validate new users.
        item_spec = FeatureSpec.fit(items, schema.items if cfg.use_features else {}, ID_COLUMNS["items"],
                                    train_ids=sorted(set(self.clean["item_id"])))
        return replace(self, user_spec=user_spec, item_spec=item_spec,
                       user_x=user_spec.transform(users), item_x=item_spec.transform(items))


# -- one training run ----------------------------------------------------------------------
def fit(data: TrainingData, cfg: TrainConfig, progress: Progress | None = None, leader: float = 0.0) -> Trained:
    """One training run of one recipe; ``leader`` is the best validation score of the variants
    before it (for pruning: see TrainConfig.prune_ratio)."""
    started = time.monotonic()
    # A segment is chosen for this data on its held-out new users (below), never carried over from
    # the config a recipe was saved with: with no new users to validate on, there is none.
    cfg = replace(cfg, cold_segment="", cold_mix=(*cfg.cold_mix[:3], 0.0))
    torch.manual_seed(cfg.seed)
    np.random.seed(cfg.seed)
    generator = torch.Generator().manual_seed(cfg.seed)
    device = pick_device()
    user_x, item_x = data.user_x, data.item_x
    model = TwoTower(data.user_spec.width, data.item_spec.width, data.user_spec.n_ids, data.item_spec.n_ids,
                     cfg.tower).to(device)
    apply_served_settings(model, cfg)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    n_events, n_items = len(data.targets), len(data.dataset.items)
    # Small data: smaller batches, so an epoch still has enough steps to learn from.
    batch_size = max(2, min(cfg.batch_size, max(64, n_events // 32)))
    users_of_event = data.log.user_of(torch.arange(n_events))
    model.set_popularity(item_x["ids"][data.targets], (data.weights > 0).float())  # counts, as most-popular's
    # logQ: the chance an item shows up as an in-batch negative is its share of interactions.
    counts = torch.bincount(data.targets, minlength=n_items).float() + 1.0
    log_q = torch.log(counts / counts.sum()).to(device)

    def inputs(x: dict[str, torch.Tensor], rows: torch.Tensor, drop: bool) -> dict[str, torch.Tensor]:
        ids = x["ids"][rows]
        if drop and cfg.id_dropout > 0:
            ids = torch.where(torch.rand(len(ids), generator=generator) < cfg.id_dropout, torch.zeros_like(ids), ids)
        return {"dense": x["dense"][rows].to(device), "ids": ids.to(device)}

    def user_batch(events: torch.Tensor) -> tuple[dict[str, torch.Tensor], torch.Tensor | None]:
        """The users of these events, each with the history it had then; and the history table
        of just the items those histories name."""
        batch = inputs(user_x, users_of_event[events], True)
        if model.history is None:
            return batch, None
        rows, weights = data.log.causal(events, cfg.tower.history_len, cfg.history_dropout, generator)
        unique, local = torch.unique(rows, return_inverse=True)
        batch.update(rows=local.to(device), weights=weights.to(device))
        return batch, model.history_table(inputs(item_x, unique, False))

    history: list[dict] = []
    best = (-1.0, 0, None)
    pruned = ""
    ema = {k: v.detach().clone() for k, v in model.state_dict().items()} if cfg.ema_decay > 0 else None
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        order = torch.randperm(n_events, generator=generator)
        total, steps = 0.0, 0
        for start in range(0, n_events, batch_size):
            events = order[start:start + batch_size]
            if len(events) < 2:
                continue
            users, table = user_batch(events)
            targets = data.targets[events]
            positives = inputs(item_x, targets, True)
            u, v = model.users(users, table), model.items(positives)
            weight = data.target_weights[events].to(device)
            if cfg.loss == "softmax":
                negatives = torch.randint(0, n_items, (cfg.extra_negatives,), generator=generator) \
                    if cfg.extra_negatives > 0 else None
                loss = model.sampled_softmax_loss(u, v, positives, targets.to(device), weight, log_q, cfg.temperature,
                                                  inputs(item_x, negatives, True) if negatives is not None else None,
                                                  negatives, n_items)
            elif cfg.loss == "cosine":
                negatives = torch.randint(0, n_items, (len(u),), generator=generator)
                loss = model.cosine_loss(u, v, inputs(item_x, negatives, True), cfg.random_labels, generator)
            else:
                raise ValueError(f"unknown loss {cfg.loss!r}; expected 'softmax' or 'cosine'")
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if ema is not None:
                with torch.no_grad():
                    for k, v in model.named_parameters():  # buffers (popularity counts) are not learned
                        ema[k].mul_(cfg.ema_decay).add_(v.detach(), alpha=1 - cfg.ema_decay)
            total += loss.item()
            steps += 1
        if ema is not None:  # validate (and keep) the averaged weights; training goes on from the raw ones
            raw = {k: v.detach().clone() for k, v in model.state_dict().items()}
            model.load_state_dict(ema)
        record = {"epoch": epoch, "loss": total / max(steps, 1), **validate(model, data, cfg)}
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
        if ema is not None:
            model.load_state_dict(raw)
        if score is not None and epoch >= cfg.prune_after and best[0] < cfg.prune_ratio * leader:
            pruned = f"stopped after epoch {epoch}: {best[0]:.4f} < {cfg.prune_ratio:g} x the best variant's {leader:.4f}"
            break
    if best[2] is not None:
        model.load_state_dict(best[2])
    model.eval()
    score, cold_choice = best[0], {}
    if data.validation["val_warm"] is not None and cfg.tower.item_bias:
        cfg = _choose_warm_popularity(model, data, cfg)
    if data.validation["val_cold"] is not None and cfg.tower.history_len > 0:
        cfg = _choose_history_trust(model, data, cfg)
    if cfg.tower.item_bias and data.user_spec.width == 0:
        # No user features: every new user gets the same vector, so one fixed list for all of
        # them, and the counts are the best estimate of that list (the most-popular baseline's).
        cfg, model.cold_mix = replace(cfg, cold_mix=POPULARITY_ONLY), POPULARITY_ONLY
        cold_choice = {"chosen": list(POPULARITY_ONLY), "reason": "no user features: new users get the popularity ranking"}
    elif data.validation["val_cold"] is not None and cfg.tower.item_bias:
        cfg, score, cold_choice = _choose_cold_mix(model, data, cfg, history, best[1])
    return Trained(model=model.cpu(), user_spec=data.user_spec, item_spec=data.item_spec, config=cfg,
                   history=history, best_epoch=best[1], seconds=time.monotonic() - started,
                   best_val_recall=score, cold_mix=cold_choice, pruned=pruned)


# -- validation ----------------------------------------------------------------------------
def recall_at_k(user_emb: torch.Tensor, item_emb: torch.Tensor, seen: list[np.ndarray],
                relevant: list[np.ndarray], k: int) -> float:
    """Mean Recall@K over users with relevant items; seen items are excluded from the ranking."""
    return float(np.mean(recalls_at_k(user_emb, item_emb, seen, relevant, k) or [0.0]))


def recalls_at_k(user_emb: torch.Tensor, item_emb: torch.Tensor, seen: list[np.ndarray],
                 relevant: list[np.ndarray], k: int) -> list[float]:
    """Recall@K of each user with relevant items; seen items are excluded from the ranking."""
    scores = user_emb @ item_emb.T
    scores[_flat_rows(seen), torch.from_numpy(_flat(seen))] = -math.inf
    top = torch.topk(scores, min(k, scores.shape[1]), dim=1).indices
    wanted = torch.zeros(scores.shape, dtype=torch.bool)
    wanted[_flat_rows(relevant), torch.from_numpy(_flat(relevant))] = True
    hits = wanted.gather(1, top).sum(dim=1).tolist()  # top-K items are distinct: each hit counts once
    return [hits[r] / len(rel) for r, rel in enumerate(relevant) if len(rel)]


def _flat(groups: list[np.ndarray]) -> np.ndarray:
    return np.concatenate([np.asarray(g, dtype=np.int64) for g in groups]) if groups else np.zeros(0, np.int64)


def _flat_rows(groups: list[np.ndarray]) -> torch.Tensor:
    """The row of each entry of _flat(groups)."""
    return torch.from_numpy(np.repeat(np.arange(len(groups)), [len(g) for g in groups]))


def _validation_inputs(data: TrainingData, held: ValidationSet, cfg: TrainConfig) -> dict[str, torch.Tensor]:
    """Held-out users' tower inputs as served: warm ones with their whole (capped) training
    history, new ones with none."""
    users = {"dense": data.user_x["dense"][held.users], "ids": data.user_x["ids"][held.users]}
    if cfg.tower.history_len > 0:
        users["rows"], users["weights"] = data.log.latest(held.users, cfg.tower.history_len)
    return users


def _embed_validation_users(model: TwoTower, data: TrainingData, held: ValidationSet, cfg: TrainConfig) -> torch.Tensor:
    table = _served_table(model, data) if cfg.tower.history_len > 0 else None
    return model.embed_users(_validation_inputs(data, held, cfg), table)


def _served_table(model: TwoTower, data: TrainingData) -> torch.Tensor:
    """Every item's history and taste vectors as serving computes them: in eval mode (no dropout,
    and no draw from the random stream that training goes on with)."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            return model.history_table(data.item_x, with_taste=True)
    finally:
        model.train(was_training)


def validate(model: TwoTower, data: TrainingData, cfg: TrainConfig) -> dict[str, float]:
    record: dict[str, float] = {}
    if not any(v is not None for v in data.validation.values()):
        return record
    item_emb = model.embed_items(data.item_x)
    for key, held in data.validation.items():
        if held is not None:
            record[key] = recall_at_k(_embed_validation_users(model, data, held, cfg), item_emb, held.seen,
                                      held.relevant, cfg.eval_k)
    record["val_recall"] = float(np.mean([record[k] for k in data.validation if k in record]))
    return record


def _choose_warm_popularity(model: TwoTower, data: TrainingData, cfg: TrainConfig) -> TrainConfig:
    """The popularity weight of WARM_POPULARITY with the best Recall@K on the held-out visits
    (the smallest on a tie)."""
    held = data.validation["val_warm"]
    item_emb = model.embed_items(data.item_x)
    best, _ = _smallest_best(model, "warm_popularity", WARM_POPULARITY, lambda: recall_at_k(
        _embed_validation_users(model, data, held, cfg), item_emb, held.seen, held.relevant, cfg.eval_k))
    return replace(cfg, warm_popularity=best)


def _smallest_best(model: TwoTower, attribute: str, grid: tuple[float, ...],
                   score: Callable[[], float]) -> tuple[float, float]:
    """Set ``attribute`` of the model to each value of ``grid`` in turn and keep the one whose
    ``score()`` is highest (the smallest on a tie); the model is left with it. (value, score)."""
    scores = {}
    for value in grid:
        setattr(model, attribute, value)
        scores[value] = score()
    best = max(grid, key=lambda v: (scores[v], -v))
    setattr(model, attribute, best)
    return best, scores[best]


def _choose_history_trust(model: TwoTower, data: TrainingData, cfg: TrainConfig) -> TrainConfig:
    """The history prior of HISTORY_PRIORS and the weight of FEEDBACK_WEIGHTS (at least the floor)
    with the best mean Recall@K of held-out new users given their first VALIDATION_REVEALS
    visits as history (the rest to be found) and of warm users' held-out visits: the prior by
    most_trusting_prior, the weight the smallest on a tie."""
    held = data.validation["val_cold"]
    cold = data.clean[data.clean["user_id"].isin(data.dataset.users["user_id"].to_numpy()[held.users.numpy()])]
    cold = time_order(cold) if data.log.timed else cold.sample(frac=1.0, random_state=cfg.seed)
    order = cold.groupby("user_id").cumcount().to_numpy()
    user_pos = pd.Series(np.arange(len(data.dataset.users)), index=data.dataset.users["user_id"].to_numpy())
    item_pos = pd.Series(np.arange(len(data.dataset.items)), index=data.dataset.items["item_id"].to_numpy())
    cold_users, cold_items = cold["user_id"].to_numpy(), item_pos.loc[cold["item_id"]].to_numpy(np.int64)

    def revealed_users(n: int) -> tuple[dict, list, list] | None:
        """New users given their first n visits: (inputs, seen, relevant), None if nobody has more."""
        shown = grouped(cold_users[order < n], cold_items[order < n])
        rest = grouped(cold_users[order >= n], cold_items[order >= n])
        users = sorted(set(rest) & set(shown))
        if not users:
            return None
        history = np.zeros((len(users), n), dtype=np.int64)
        weights = np.zeros((len(users), n), dtype=np.float32)
        for r, user in enumerate(users):
            picked = shown[user]
            history[r, :len(picked)], weights[r, :len(picked)] = picked, 1.0
        rows = torch.tensor(user_pos.loc[users].to_numpy(), dtype=torch.long)
        inputs = {"dense": data.user_x["dense"][rows], "ids": data.user_x["ids"][rows],
                  "rows": torch.from_numpy(history), "weights": torch.from_numpy(weights)}
        return inputs, [shown[u] for u in users], [rest[u] for u in users]

    groups = [g for g in (revealed_users(n) for n in VALIDATION_REVEALS) if g is not None]
    if not groups:
        return cfg
    item_emb = model.embed_items(data.item_x)
    table = _served_table(model, data)
    warm = data.validation["val_warm"]
    warm_inputs = _validation_inputs(data, warm, cfg) if warm is not None else None  # built once for the grid

    def score() -> float:  # new users after their first visits, and warm users with all of theirs
        parts = [float(np.mean([recall_at_k(model.embed_users(inputs, table), item_emb, seen, relevant, cfg.eval_k)
                                for inputs, seen, relevant in groups]))]
        if warm is not None:
            parts.append(recall_at_k(model.embed_users(warm_inputs, table), item_emb, warm.seen, warm.relevant,
                                     cfg.eval_k))
        return float(np.mean(parts))

    weights = tuple(sorted({max(w, cfg.feedback_floor) for w in FEEDBACK_WEIGHTS}))  # the floor is a candidate too
    best = {}
    for prior in HISTORY_PRIORS:
        model.history_prior = prior
        best[prior] = _smallest_best(model, "feedback_weight", weights, score)
    model.history_prior = most_trusting_prior({p: score for p, (_, score) in best.items()}, cfg.history_prior_tolerance)
    model.feedback_weight = best[model.history_prior][0]
    return replace(cfg, feedback_weight=model.feedback_weight, history_prior=model.history_prior)


def most_trusting_prior(scores: dict[float, float], tolerance: float) -> float:
    """The largest history prior (the least trust in logged history) whose validation score is
    within ``tolerance`` of the best; with no tolerance, the best (the smallest on a tie)."""
    scores = {p: s for p, s in scores.items() if s == s} or {min(scores): 0.0}  # a NaN score never wins
    top = max(scores.values())
    if tolerance > 0:
        return max(p for p, score in scores.items() if score >= top - tolerance)
    return max(scores, key=lambda p: (scores[p], -p))


def _choose_cold_mix(model: TwoTower, data: TrainingData, cfg: TrainConfig, history: list[dict],
                     best_epoch: int) -> tuple[TrainConfig, float, dict]:
    """The mix of COLD_MIXES (and SEGMENT_MIXES, where a profile field's popularity helps: see
    _choose_segment) with the best new-user Recall@K on the held-out users. The floor is the
    better of popularity and segment popularity, served exactly; a mix must beat it by more than
    two standard errors (paired, per user) to be kept over it: on a held-out sample of a few
    hundred users a smaller win is noise, and "popular (among users like you)" is what a new user
    must never fall below. Returns the config carrying it, the validation score with it, and every
    mix's recall."""
    held = data.validation["val_cold"]
    segment = _choose_segment(model, data, cfg)
    mixes = COLD_MIXES + (SEGMENT_MIXES if segment else ())
    item_emb = model.embed_items(data.item_x)
    per_user = {}
    for mix in mixes:
        model.cold_mix = mix
        per_user[mix] = np.array(recalls_at_k(_embed_validation_users(model, data, held, cfg), item_emb, held.seen,
                                              held.relevant, cfg.eval_k))
    recalls = {mix: float(values.mean()) for mix, values in per_user.items()}
    floors = (POPULARITY_ONLY, SEGMENT_POPULAR) if segment else (POPULARITY_ONLY,)
    floor = max(floors, key=lambda m: (recalls[m], -floors.index(m)))
    best = max(mixes, key=lambda m: (recalls[m], -mixes.index(m)))
    clear, gain, margin = clearly_better(per_user[best], per_user[floor])
    chosen = best if best == floor or clear else floor
    if chosen[3] == 0 and segment:  # the mix does not read the slots: the vectors do without them
        model.detach_segments()
        segment = ""
    model.cold_mix = chosen
    record = next((h for h in history if h["epoch"] == best_epoch), {})
    parts = [v for v in (record.get("val_warm"), recalls[chosen]) if v is not None]
    floor_name = "segment popularity" if floor == SEGMENT_POPULAR else "popularity"
    reason = ("best on the held-out new users" if chosen == best else
              f"the best mix beat {floor_name} by {gain:.4f}, within two standard errors ({margin:.4f}): "
              f"{floor_name} is the safe choice")
    return (replace(cfg, cold_mix=chosen, cold_segment=segment), float(np.mean(parts)),
            {"chosen": list(chosen), "segment": segment, "reason": reason,
             "val_cold": {",".join(f"{w:g}" for w in m): r for m, r in recalls.items()}})


def clearly_better(scores: np.ndarray, baseline: np.ndarray) -> tuple[bool, float, float]:
    """Whether per-user ``scores`` beat the same users' ``baseline`` by more than two standard
    errors of the paired difference; (that, the mean gain, the margin)."""
    gain = scores - baseline
    margin = 2.0 * float(gain.std(ddof=1) / math.sqrt(len(gain))) if len(gain) > 1 else 0.0
    mean = float(gain.mean()) if len(gain) else 0.0
    return mean > margin, mean, margin


def _choose_segment(model: TwoTower, data: TrainingData, cfg: TrainConfig) -> str:
    """The profile field (categorical or multi-label, at most SEGMENT_MAX_VALUES values) whose
    per-value popularity serves the held-out new users best, as the segment baseline chooses its
    field; its slots attached to the model and counted on the training events. "" (nothing
    attached) unless it beats plain popularity by more than two standard errors: a field that
    only seems to help on a few hundred held-out users (play counts: 0.115 against popularity's
    0.117 on the test users, after it won on validation) must not replace the safe floor."""
    candidates = [c.name for c in data.user_spec.columns
                  if c.kind in SEGMENT_KINDS and len(c.vocab) <= SEGMENT_MAX_VALUES]
    if not candidates:
        return ""
    held = data.validation["val_cold"]
    events = torch.arange(len(data.targets))
    users, ids, counted = data.log.user_of(events), data.item_x["ids"][data.targets], (data.weights > 0).float()

    def attach(name: str) -> None:
        model.attach_segments(*data.user_spec.block(name))
        _count_segments(model, data.user_x["dense"], ids, users, counted)

    def served_recalls(mix: tuple[float, float, float, float]) -> np.ndarray:
        model.cold_mix = mix
        return np.array(recalls_at_k(_embed_validation_users(model, data, held, cfg), model.embed_items(data.item_x),
                                     held.seen, held.relevant, cfg.eval_k))

    popular = served_recalls(POPULARITY_ONLY)
    scores = {}
    for name in candidates:
        attach(name)
        scores[name] = served_recalls(SEGMENT_POPULAR)
    best = max(candidates, key=lambda n: (float(scores[n].mean()), -candidates.index(n)))
    if not clearly_better(scores[best], popular)[0]:
        model.detach_segments()
        return ""
    attach(best)
    return best


def _count_segments(model: TwoTower, user_dense: torch.Tensor, ids: torch.Tensor, users: torch.Tensor,
                    counted: torch.Tensor) -> None:
    """The attached segment slots counted on these events (item ``ids``, rows of ``user_dense``)."""
    offset, width = model.segment_columns
    model.set_segment_popularity(ids, user_dense[:, offset:offset + width], users, counted)
