"""Feedback events ("been there", "liked", "not for me") in a Redis Stream, exported as
interactions for the next training; "not for me" also keeps a per-user exclusion set.

The stream is capped: it keeps about the newest ``max_events`` events (RECSYS_FEEDBACK_MAXLEN,
default 100,000), and older ones are trimmed only once `export-feedback` has written them. Events
not yet exported are never trimmed, so the stream grows past the cap until the next export."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable

import pandas as pd
import redis

from recsys.data.ids import check_id
from recsys.serving.connection import redis_errors, text
from recsys.serving.profile_store import UserStore, history_event

FEEDBACK_EVENTS = {"been_there": 1.0, "liked": 2.0, "not_for_me": 0.0}
MAX_EVENTS_ENV = "RECSYS_FEEDBACK_MAXLEN"
DEFAULT_MAX_EVENTS = 100_000

log = logging.getLogger(__name__)


def max_events_from_env() -> int:
    """The stream cap from RECSYS_FEEDBACK_MAXLEN, or ValueError naming the variable."""
    text = os.environ.get(MAX_EVENTS_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_EVENTS
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{MAX_EVENTS_ENV}={text!r} must be a whole number of events, at least 1")
    return value


def _stream_id(text: str) -> tuple[int, int]:
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


def valid_ids(members, key: str) -> list[str]:
    """The members of a "not for me" set that are valid ids, sorted; others are logged and skipped."""
    valid = []
    for value in members or ():
        try:
            valid.append(check_id(text(value), "item_id"))
        except ValueError:
            log.warning("skipping an invalid id in %s", key)
    return sorted(valid)


class FeedbackLog:
    """Feedback events in a Redis Stream; exported as interactions for the next training."""

    def __init__(self, client: redis.Redis, namespace: str = "sfrec", max_events: int | None = None,
                 history: UserStore | None = None):
        self.client = client
        self.history = history  # where each user's own history is kept (recsys.serving.profile_store)
        self.key = f"{namespace}:feedback"
        self.exported_key = f"{namespace}:feedback:exported"  # id of the last event export-feedback wrote
        self.ns = namespace
        self.max_events = max_events_from_env() if max_events is None else max_events
        if isinstance(self.max_events, bool) or not isinstance(self.max_events, int) or self.max_events < 1:
            raise ValueError(f"max_events={max_events!r} must be a whole number, at least 1")

    def dismissed_key(self, user_id: str) -> str:
        return f"{self.ns}:not_for_me:{user_id}"

    @redis_errors
    def record(self, user_id: str, item_id: str, event: str) -> str:
        """Append one event (ids checked by the id rule) and return its stream id."""
        user_id, item_id = check_id(user_id, "user_id"), check_id(item_id, "item_id")
        if event not in FEEDBACK_EVENTS:
            raise ValueError(f"unknown feedback {event!r}; expected one of {', '.join(FEEDBACK_EVENTS)}")
        pipe = self.client.pipeline(transaction=True)
        now = time.time()
        pipe.xadd(self.key, {"user_id": user_id, "item_id": item_id, "event": event, "ts": f"{now:.3f}"})
        if self.history is not None:  # the user's own history: what their vector is made from, at once
            self.history.push_history(pipe, user_id, [history_event(item_id, FEEDBACK_EVENTS[event], now, explicit=True)])
        if event == "not_for_me":
            pipe.sadd(self.dismissed_key(user_id), item_id)
        else:
            pipe.srem(self.dismissed_key(user_id), item_id)
        pipe.xlen(self.key)
        pipe.get(self.exported_key)
        replies = pipe.execute()
        entry, length, exported = replies[0], replies[-2], replies[-1]
        if length > self.max_events and exported:
            self._trim(length - self.max_events, text(exported))
        return text(entry)

    def _trim(self, excess: int, exported: str) -> None:
        """Drop at most ``excess`` of the oldest events, and only ones already exported: MINID
        keeps everything after the export mark, LIMIT keeps the newest ``max_events``. Trimming is
        approximate (whole stream nodes), so the stream holds a little more than the cap."""
        ms, seq = _stream_id(exported)
        self.client.xtrim(self.key, minid=f"{ms}-{seq + 1}", approximate=True, limit=excess)

    @redis_errors
    def dismissed(self, user_id: str) -> list[str]:
        """Restaurants this user marked "not for me" (and has not liked since): never recommended
        again. Members that break the id rule (written before ids were checked) are skipped."""
        key = self.dismissed_key(check_id(user_id, "user_id"))
        return valid_ids(self.client.smembers(key), key)

    @redis_errors
    def _read(self) -> tuple[pd.DataFrame, str | None]:
        """Every event in the stream, and the id of the last one read."""
        rows, last = [], None
        for entry_id, fields in self.client.xrange(self.key):
            rows.append({text(k): text(v) for k, v in fields.items()})
            last = text(entry_id)
        return pd.DataFrame(rows, columns=["user_id", "item_id", "event", "ts"]), last

    def events(self) -> pd.DataFrame:
        return self._read()[0]

    @staticmethod
    def _interactions(events: pd.DataFrame) -> pd.DataFrame:
        """Positive events as user_id,item_id,weight,timestamp ("not for me" is left out, and so
        is any event whose ids or time break the rules: written before they were checked)."""
        weight = events["event"].map(FEEDBACK_EVENTS)
        ts = pd.to_numeric(events["ts"], errors="coerce")

        def valid(value: object) -> bool:
            try:
                check_id(value)
                return True
            except ValueError:
                return False

        keep = (weight > 0) & ts.notna() & events["user_id"].map(valid) & events["item_id"].map(valid)
        return pd.DataFrame({"user_id": events["user_id"][keep], "item_id": events["item_id"][keep],
                             "weight": weight[keep], "timestamp": ts[keep].astype(int)})

    def as_interactions(self) -> pd.DataFrame:
        """Positive events as user_id,item_id,weight,timestamp, without marking them exported."""
        return self._interactions(self.events())

    def export_interactions(self, write: Callable[[pd.DataFrame], object]) -> pd.DataFrame:
        """Hand every kept event's interactions to ``write`` (e.g. to_csv); only after it returns
        are those events marked exported, and so allowed to be trimmed. Returns the frame."""
        events, last = self._read()
        frame = self._interactions(events)
        write(frame)
        if last is not None:
            self.mark_exported(last)
        return frame

    @redis_errors
    def mark_exported(self, entry_id: str) -> None:
        """Move the export mark forward to ``entry_id`` (never back)."""
        current = self.client.get(self.exported_key)
        if current is None or _stream_id(text(current)) < _stream_id(entry_id):
            self.client.set(self.exported_key, entry_id)

    @redis_errors
    def exported_up_to(self) -> str | None:
        value = self.client.get(self.exported_key)
        return text(value) if value is not None else None
