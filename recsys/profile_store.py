"""Profiles in Redis: JSON documents under {ns}:user:{id}, searchable by name, each with its
current embedding and the model that produced it."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import redis
from redisvl.index import SearchIndex

from recsys.connection import redis_errors


class UserStore:
    """Profiles as JSON under {ns}:user:{id}, searchable by name, with their current embedding."""

    def __init__(self, client: redis.Redis, namespace: str = "sfrec"):
        self.client = client
        self.ns = namespace
        self._index = SearchIndex.from_dict({
            "index": {"name": f"{namespace}:users", "prefix": f"{namespace}:user", "storage_type": "json"},
            "fields": [{"name": "user_id", "type": "tag", "path": "$.user_id"},
                       {"name": "name", "type": "text", "path": "$.name"},
                       {"name": "home_neighbourhood", "type": "tag", "path": "$.home_neighbourhood"}],
        }, redis_client=client)

    def key(self, user_id: str) -> str:
        return f"{self.ns}:user:{user_id}"

    @redis_errors
    def ensure_index(self) -> None:
        if not self._index.exists():
            self._index.create(overwrite=False)

    @redis_errors
    def put_many(self, profiles: list[dict], embeddings: np.ndarray, model_version: str) -> None:
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        pipe = self.client.pipeline(transaction=False)
        for profile, emb in zip(profiles, embeddings):
            doc = {**_jsonable(profile), "embedding": [float(x) for x in emb],
                   "model_version": model_version, "created": profile.get("created") or now, "updated": now}
            pipe.json().set(self.key(doc["user_id"]), "$", doc)
        pipe.execute()

    @redis_errors
    def get(self, user_id: str) -> dict | None:
        doc = self.client.json().get(self.key(user_id))
        return doc

    @redis_errors
    def delete(self, user_id: str) -> bool:
        return bool(self.client.delete(self.key(user_id)))

    @redis_errors
    def count(self) -> int:
        self.ensure_index()
        return int(self._index.info().get("num_docs", 0))

    @redis_errors
    def search(self, text: str = "", limit: int = 50) -> list[dict]:
        """Profiles whose name or id matches ``text`` (plain words; query syntax is escaped)."""
        from redisvl.query import FilterQuery
        from redisvl.query.filter import Tag, Text

        self.ensure_index()
        words = [w for w in "".join(ch if ch.isalnum() else " " for ch in text).split() if w]
        if text.strip() and not words:
            return []  # only query syntax (*, @, |, ...): it must never widen to "everyone"
        expression = None
        if words:
            expression = Text("name") % " ".join(f"{w}*" if len(w) >= 2 else w for w in words)
            expression = expression | (Tag("user_id") == text.strip())
        query = FilterQuery(filter_expression=expression, num_results=limit,
                            return_fields=["user_id", "name", "home_neighbourhood"])
        return [{"user_id": r["user_id"], "name": r.get("name", ""), "home_neighbourhood": r.get("home_neighbourhood", "")}
                for r in self._index.query(query)]


def _jsonable(profile: dict) -> dict:
    out = {}
    for key, value in profile.items():
        if isinstance(value, (np.floating, np.integer)):
            value = value.item()
        if isinstance(value, float) and np.isnan(value):
            value = None
        if isinstance(value, np.bool_):
            value = bool(value)
        out[key] = value
    return out
