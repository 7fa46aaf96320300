"""A stored user's history as the service reads it on every query (recsys.serving.profile_store)."""

from __future__ import annotations

import json

from recsys.serving.profile_store import history_event, history_events, history_frame


def test_stored_events_read_back_oldest_first_with_not_for_me_cancelling_and_unreadable_ones_skipped():
    raw = [history_event("a", 1.0, 1), history_event("b", 2.0, 2, explicit=True), "not json", json.dumps({"weight": 1}),
           history_event("c", 1.0, 3), history_event("a", 0.0, 4),  # "not for me" on a: all of a goes
           history_event("c", 2.0, 5, explicit=True), json.dumps({"item_id": "d", "weight": "x", "timestamp": 6}),
           # not finite (json writes and reads NaN): unreadable, so c's newest readable event still counts
           history_event("c", float("nan"), 7), json.dumps({"item_id": "e", "weight": 1.0, "timestamp": float("inf")}),
           '{"item_id": "f", "weight": 1' + "0" * 400 + ', "timestamp": 8}',  # too big for a float
           "[" * 100_000 + "]" * 100_000]  # nested past the parser's recursion limit
    assert history_events(raw) == [("b", 2.0, 2.0, True), ("c", 1.0, 3.0, False), ("c", 2.0, 5.0, True)]
    assert history_events([]) == [] and history_events(None) == []
    frame = history_frame("u1", raw)
    assert list(frame.columns) == ["user_id", "item_id", "weight", "timestamp", "explicit"]
    assert frame.to_records(index=False).tolist() == [("u1", *event) for event in history_events(raw)]
    empty = history_frame("u1", [])
    assert list(empty.columns) == list(frame.columns) and empty.empty
