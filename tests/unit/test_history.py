"""Issue 21: the histories the user tower reads. Training is causal (a positive sees only what came
strictly before it; without times, never itself), serving reads the newest N, and bad events
(unknown items, NaN, negative, huge weights) are skipped, never a crash."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from recsys.ml.history import EventLog, event_weights, padded_histories

pytestmark = pytest.mark.unit


def log_of(frame: pd.DataFrame, n_users: int = 2) -> tuple[EventLog, np.ndarray]:
    users = frame["user_id"].map({"a": 0, "b": 1}).to_numpy()
    items = frame["item_id"].str[1:].astype(int).to_numpy()
    return EventLog.build(frame, users, items, n_users)


def test_a_timed_positive_sees_only_the_events_strictly_before_it():
    frame = pd.DataFrame({"user_id": ["a"] * 5 + ["b"] * 2, "item_id": ["i1", "i2", "i3", "i4", "i5", "i6", "i7"],
                          "weight": 1.0, "timestamp": [30, 10, 20, 20, 40, 5, 6]})
    log, order = log_of(frame)
    assert log.timed
    events = torch.arange(len(frame))
    rows, weights = log.causal(events, cap=4, shorten=0.0, generator=torch.Generator().manual_seed(0))
    for e in range(len(frame)):
        target = frame.iloc[order[e]]
        seen = set(rows[e][weights[e] > 0].tolist())
        before = frame[(frame["user_id"] == target["user_id"]) & (frame["timestamp"] < target["timestamp"])]
        assert seen == set(before["item_id"].str[1:].astype(int)), (target.to_dict(), seen)


def test_an_untimed_positive_sees_its_users_other_events_never_itself():
    frame = pd.DataFrame({"user_id": ["a"] * 4 + ["b"], "item_id": ["i1", "i2", "i3", "i4", "i5"], "weight": 1.0})
    log, order = log_of(frame)
    assert not log.timed
    rows, weights = log.causal(torch.arange(5), cap=8, shorten=0.0, generator=torch.Generator().manual_seed(0))
    for e in range(5):
        target = frame.iloc[order[e]]
        seen = set(rows[e][weights[e] > 0].tolist())
        others = frame[(frame["user_id"] == target["user_id"]) & (frame["item_id"] != target["item_id"])]
        assert seen == set(others["item_id"].str[1:].astype(int))


def test_one_stamp_per_user_is_no_order_and_shortening_only_ever_removes():
    frame = pd.DataFrame({"user_id": ["a"] * 6, "item_id": [f"i{i}" for i in range(6)], "weight": 1.0,
                          "timestamp": 1_600_000_000})
    log, _ = log_of(frame, n_users=1)
    assert not log.timed  # an export time is not an order: every other event is history
    full, _ = log.causal(torch.arange(6), cap=8, shorten=0.0, generator=torch.Generator().manual_seed(1))
    rows, weights = log.causal(torch.arange(6), cap=8, shorten=1.0, generator=torch.Generator().manual_seed(1))
    counts = (weights > 0).sum(dim=1)
    assert counts.max() <= 5 and counts.min() < 5  # some rows were shortened, none grew


def test_serving_reads_the_newest_events_and_skips_what_it_cannot_use():
    history = pd.DataFrame({"user_id": "a", "item_id": ["x", "y", "gone", "z", "w", "nan-weight"],
                            "weight": [1.0, 2.0, 1.0, 0.0, 1e300, float("nan")], "timestamp": [1, 2, 3, 4, 5, 6]})
    index = {"x": 0, "y": 1, "z": 2, "w": 3, "nan-weight": 4}
    rows, weights, unknown = padded_histories([history, None], index, cap=2)
    assert unknown == 1  # "gone" is not in the catalogue
    assert rows[0].tolist() == [1, 3] and (weights[0] > 0).all()  # newest two usable: y, then w (z has weight 0)
    assert weights[1].sum() == 0  # no history: a new user
    assert np.isfinite(weights.numpy()).all()
    assert event_weights(np.array([np.nan, -3, 0, 1, np.inf])).tolist() == pytest.approx(
        [0, 0, 0, np.log(2), np.log1p(1e6)])
