"""Feedback events ("been there", "liked", "not for me") in a Redis Stream, exported as
interactions for the next training; "not for me" also keeps a per-user exclusion set."""

from __future__ import annotations

import time

import pandas as pd
import redis

from recsys.connection import redis_errors

FEEDBACK_EVENTS = {"been_there": 1.0, "liked": 2.0, "not_for_me": 0.0}


class FeedbackLog:
    """Feedback events in a Redis Stream; exported as interactions for the next training."""

    def __init__(self, client: redis.Redis, namespace: str = "sfrec"):
        self.client = client
        self.key = f"{namespace}:feedback"
        self.ns = namespace

    def _dismissed_key(self, user_id: str) -> str:
        return f"{self.ns}:not_for_me:{user_id}"

    @redis_errors
    def record(self, user_id: str, item_id: str, event: str) -> str:
        if event not in FEEDBACK_EVENTS:
            raise ValueError(f"unknown feedback {event!r}; expected one of {', '.join(FEEDBACK_EVENTS)}")
        pipe = self.client.pipeline(transaction=True)
        pipe.xadd(self.key, {"user_id": user_id, "item_id": item_id, "event": event, "ts": f"{time.time():.3f}"})
        if event == "not_for_me":
            pipe.sadd(self._dismissed_key(user_id), item_id)
        else:
            pipe.srem(self._dismissed_key(user_id), item_id)
        entry = pipe.execute()[0]
        return entry.decode() if isinstance(entry, bytes) else entry

    @redis_errors
    def dismissed(self, user_id: str) -> list[str]:
        """Restaurants this user marked "not for me" (and has not liked since): never recommended again."""
        return sorted(v.decode() if isinstance(v, bytes) else v for v in self.client.smembers(self._dismissed_key(user_id)))

    @redis_errors
    def events(self) -> pd.DataFrame:
        rows = []
        for _id, fields in self.client.xrange(self.key):
            f = {k.decode() if isinstance(k, bytes) else k: v.decode() if isinstance(v, bytes) else v
                 for k, v in fields.items()}
            rows.append(f)
        return pd.DataFrame(rows, columns=["user_id", "item_id", "event", "ts"])

    def as_interactions(self) -> pd.DataFrame:
        """Positive events as user_id,item_id,weight,timestamp ("not for me" is left out)."""
        events = self.events()
        events["weight"] = events["event"].map(FEEDBACK_EVENTS)
        positive = events[events["weight"] > 0]
        return pd.DataFrame({"user_id": positive["user_id"], "item_id": positive["item_id"],
                             "weight": positive["weight"], "timestamp": positive["ts"].astype(float).astype(int)})
