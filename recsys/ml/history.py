"""Interaction histories as the user tower reads them: the most recent N events of each user, as
rows of an items table with a weight each (0 marks an empty slot).

Training is causal (the seed design's "features as they were just before" a positive): with
timestamps a positive sees only the events before it; without them it sees the user's other
training events, never itself (held-out events are not in the log at all). Some rows see a
shortened history, so the tower also learns what 0, 1 or 3 events say: a new user's case.
Domain-free: users, items and events are rows and ids."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

MAX_EVENT_WEIGHT = 1e6  # a play count beyond this says nothing more; keeps log1p finite and sane


def event_weights(raw: pd.Series | np.ndarray) -> np.ndarray:
    """How much one event counts in a history: log(1 + weight), so a place visited 20 times or a
    song played 1,000 times does not drown everything else. NaN, negative and 0 count as nothing."""
    values = np.nan_to_num(np.asarray(raw, dtype=np.float64), nan=0.0, posinf=MAX_EVENT_WEIGHT, neginf=0.0)
    return np.log1p(np.clip(values, 0.0, MAX_EVENT_WEIGHT)).astype(np.float32)


def time_order(interactions: pd.DataFrame) -> pd.DataFrame:
    """Events in the order a history reads them: by time where every event has one, else as given."""
    if "timestamp" in interactions.columns and interactions["timestamp"].notna().all():
        return interactions.sort_values("timestamp", kind="stable")
    return interactions


@dataclass
class EventLog:
    """Every user's training events in time order, flat: user row u owns events
    offsets[u]:offsets[u + 1]."""

    offsets: torch.Tensor  # [n_users + 1]
    items: torch.Tensor  # [n_events] item rows
    weights: torch.Tensor  # [n_events] event_weights
    timed: bool  # events are ordered in time: a history is what came strictly before
    before: torch.Tensor  # [n_events] timed: the first event of the same user at the same time

    @classmethod
    def build(cls, interactions: pd.DataFrame, user_rows: np.ndarray, item_rows: np.ndarray,
              n_users: int) -> tuple["EventLog", np.ndarray]:
        """The log, and the order that puts ``interactions`` in it (event e is row order[e]).
        ``user_rows`` / ``item_rows``: each interaction's row in the users / items table.
        Timestamps order a history only where they order most events within their user: a log
        stamped once per user (an export time) has no order, and its histories are every
        other event."""
        n = len(interactions)
        stamped = "timestamp" in interactions.columns and interactions["timestamp"].notna().all()
        stamps = interactions["timestamp"].to_numpy(float) if stamped else np.zeros(n)
        order = np.lexsort((stamps, user_rows))  # by user, then time; stable within equal keys
        u_sorted, t_sorted = user_rows[order], stamps[order]
        starts_group = np.r_[True, (u_sorted[1:] != u_sorted[:-1]) | (t_sorted[1:] != t_sorted[:-1])] if n else np.zeros(0, bool)
        before = np.maximum.accumulate(np.where(starts_group, np.arange(n), 0)) if n else np.zeros(0, np.int64)
        users_with_events = len(np.unique(user_rows)) if n else 0
        ordered_share = (starts_group.sum() - users_with_events) / max(n - users_with_events, 1)
        timed = bool(stamped and ordered_share > 0.5)
        weights = event_weights(interactions["weight"] if "weight" in interactions else np.ones(n))
        counts = np.bincount(user_rows, minlength=n_users)
        offsets = np.concatenate([[0], np.cumsum(counts)])
        return cls(torch.from_numpy(offsets.astype(np.int64)), torch.from_numpy(item_rows[order].astype(np.int64)),
                   torch.from_numpy(weights[order]), timed, torch.from_numpy(before.astype(np.int64))), order

    def user_of(self, events: torch.Tensor) -> torch.Tensor:
        return torch.searchsorted(self.offsets, events, right=True) - 1

    def causal(self, events: torch.Tensor, cap: int, shorten: float,
               generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """(rows, weights) [n, cap]: the history each of these events (flat indices) was made
        with. A share ``shorten`` of them keep only a random number (0..all) of their events."""
        users = self.user_of(events)
        start = self.offsets[users]
        position = events - start
        slot = torch.arange(cap)[None, :]
        if self.timed:  # the cap events strictly before this one (not those at the same time), newest last
            index = (self.before[events] - start)[:, None] - cap + slot
            valid = index >= 0
            available = valid.sum(dim=1)
        else:  # every other event of the user, never this one: all if they fit, else a random cap of them
            others = self.offsets[users + 1] - start - 1
            drawn = (torch.rand(len(events), cap, generator=generator) * others.clamp_min(1)[:, None]).long()
            index = torch.where((others > cap)[:, None], drawn, slot.expand(len(events), cap))
            valid = index < others[:, None]
            index = index + (index >= position[:, None]).long()  # skip the event itself
            available = valid.sum(dim=1)
        if shorten > 0:
            keep = torch.where(torch.rand(len(events), generator=generator) < shorten,
                               (torch.rand(len(events), generator=generator) * (available + 1).float()).long(),
                               available)
            # Timed: keep the newest `keep` (they sit at the end); untimed: the first `keep` drawn.
            valid &= (slot >= cap - keep[:, None]) if self.timed else (slot < keep[:, None])
        flat = (start[:, None] + index.clamp_min(0)).clamp_max(max(len(self.items) - 1, 0))
        rows = torch.where(valid, self.items[flat], torch.zeros_like(flat))
        weights = torch.where(valid, self.weights[flat], torch.zeros(flat.shape))
        return rows, weights

    def latest(self, users: torch.Tensor, cap: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(rows, weights) [n, cap]: each user's newest ``cap`` events (all of them, for serving)."""
        start, end = self.offsets[users], self.offsets[users + 1]
        index = end[:, None] - cap + torch.arange(cap)[None, :]
        valid = index >= start[:, None]
        flat = index.clamp(min=0, max=max(len(self.items) - 1, 0))
        if not len(self.items):
            return torch.zeros(len(users), cap, dtype=torch.long), torch.zeros(len(users), cap)
        return (torch.where(valid, self.items[flat], torch.zeros_like(flat)),
                torch.where(valid, self.weights[flat], torch.zeros(flat.shape)))


def padded_histories(histories: list[pd.DataFrame | None], item_row: dict[str, int],
                     cap: int) -> tuple[torch.Tensor, torch.Tensor, int]:
    """(rows, weights, unknown) [n, cap] for serving: each user's newest ``cap`` events whose item
    is in ``item_row`` (the catalogue the table was built from), newest last. ``unknown``: events
    naming items not there (deleted or never indexed), skipped. One vectorised pass for all users."""
    rows = np.zeros((len(histories), cap), dtype=np.int64)
    weights = np.zeros((len(histories), cap), dtype=np.float32)
    frames = [h.assign(_user=r) for r, h in enumerate(histories) if h is not None and len(h)]
    if not frames or cap <= 0:
        return torch.from_numpy(rows), torch.from_numpy(weights), 0
    events = pd.concat(frames, ignore_index=True)
    found = events["item_id"].astype(str).map(item_row)
    unknown = int(found.isna().sum())
    w = event_weights(events["weight"] if "weight" in events else np.ones(len(events)))
    keep = found.notna().to_numpy() & (w > 0)
    user = events["_user"].to_numpy()[keep]
    timed = "timestamp" in events and events["timestamp"].notna().all()
    stamps = events["timestamp"].to_numpy(float)[keep] if timed else np.arange(len(events))[keep]
    order = np.lexsort((stamps, user))  # by user, then time (or as given)
    user, item, w = user[order], found.to_numpy()[keep][order].astype(np.int64), w[keep][order]
    counts = np.bincount(user, minlength=len(histories))
    first = np.concatenate([[0], np.cumsum(counts)])[user]
    from_end = counts[user] - (np.arange(len(user)) - first)  # 1 for a user's newest event
    newest = from_end <= cap
    rows[user[newest], cap - from_end[newest]] = item[newest]
    weights[user[newest], cap - from_end[newest]] = w[newest]
    return torch.from_numpy(rows), torch.from_numpy(weights), unknown
