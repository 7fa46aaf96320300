"""Profiles in Redis: JSON documents under {ns}:user:{id}, searchable by name, each with its
current embedding and the model that produced it."""

from __future__ import annotations

import json
import math
import re
import time
from datetime import datetime, timezone
from typing import Callable

import numpy as np
import pandas as pd
import redis
from redisvl.exceptions import RedisVLError
from redisvl.index import SearchIndex
from redisvl.query import FilterQuery
from redisvl.query.filter import FilterExpression
from redisvl.utils.token_escaper import TokenEscaper

from recsys.data.contract import MULTILABEL_SEP, split_multilabel
from recsys.data.ids import MAX_ID_LENGTH
from recsys.data.record import PROFILE_FIELDS, PROFILE_RECORD
from recsys.serving.connection import redis_errors, text

# Words of a search sent to RediSearch; its query parser overflows near 256 terms. Further words
# are still required, checked on the returned names, so a long search never widens.
MAX_SEARCH_WORDS = 32
# Name search runs on a tag list of the name's words, lower-cased here rather than by RediSearch
# (whose TEXT tokenizer keeps the case of non-ASCII letters: "Ümit" would not match "ümit"), plus
# each word's first letter: RediSearch expands only prefixes of 2+ bytes (MINPREFIX), so a
# one-letter search ("a") matches a stored initial exactly instead.
NAME_WORDS_FIELD = "name_words"
MAX_WORD_CHARS = 64  # longer words are stored and sent cut to this; the whole word is checked here
# The profile fields Redis indexes (the record says which); a search lists these of each match.
INDEXED = {f.name: f.index for f in PROFILE_RECORD if f.index}
_TAG_ESCAPER = TokenEscaper(re.compile(TokenEscaper.TAG_ESCAPED_CHARS))
# Events kept per user (a Redis list, newest last): far more than a user vector reads (the
# model's history_len, 50 by default), so a run of "not for me" never empties what it reads,
# and bounded, so a user with 10,000 events costs what one with 1,000 does.
MAX_HISTORY_KEPT = 1000


def history_event(item_id: str, weight: float, timestamp: float, explicit: bool = False) -> str:
    """One stored history event: weight 0 is "not for me" (it cancels earlier events of that item);
    ``explicit``: the person marked it in the app (a logged visit is not)."""
    event = {"item_id": item_id, "weight": float(weight), "timestamp": float(timestamp)}
    return json.dumps({**event, "explicit": True} if explicit else event)


HISTORY_COLUMNS = ("item_id", "weight", "timestamp", "explicit")


def history_events(raw: list) -> list[tuple[str, float, float, bool]]:
    """A user's stored events as (item_id, weight, timestamp, explicit), oldest first; an item
    whose newest event is "not for me" is left out altogether. Unreadable entries are skipped
    (nothing a reader can do about them, and they must not break an embedding). Plain Python:
    every stored user's query reads its recent events (pandas cost ~1 ms of a ~2 ms query)."""
    events = []
    for entry in raw or ():
        try:
            event = json.loads(entry)
            weight, timestamp = float(event["weight"]), float(event["timestamp"])
            if not (math.isfinite(weight) and math.isfinite(timestamp)):  # unreadable too (JSON allows NaN)
                continue
            events.append((str(event["item_id"]), weight, timestamp, event.get("explicit") is True))
        except (ValueError, KeyError, TypeError, OverflowError, RecursionError):  # a 400-digit weight, deep nesting
            continue
    newest = {item_id: weight for item_id, weight, _, _ in events}
    return [event for event in events if newest[event[0]] > 0]


def history_frame(user_id: str, raw: list) -> pd.DataFrame:
    """``history_events`` as interactions (user_id, item_id, weight, timestamp, explicit)."""
    frame = pd.DataFrame(history_events(raw), columns=list(HISTORY_COLUMNS))
    return frame.assign(user_id=pd.Series([user_id] * len(frame), dtype=object))[["user_id", *HISTORY_COLUMNS]]


def name_words(text: str) -> list[str]:
    """The searchable words of a name or a search: runs of letters and digits, lower-cased, each
    once, in order. Everything else (query syntax included) only separates words."""
    words = "".join(ch if ch.isalnum() else " " for ch in text).lower().split()
    return list(dict.fromkeys(words))


def indexed_name_words(name: object) -> list[str]:
    """What is stored for searching a name: its words and their first letters."""
    if not isinstance(name, str):
        return []
    words = [w[:MAX_WORD_CHARS] for w in name_words(name)]
    return list(dict.fromkeys([*words, *(w[0] for w in words)]))


class UserStore:
    """Profiles as JSON under {ns}:user:{id}, searchable by name, with their current embedding."""

    def __init__(self, client: redis.Redis, namespace: str = "sfrec"):
        self.client = client
        self.ns = namespace
        self._index = SearchIndex.from_dict({
            "index": {"name": f"{namespace}:users", "prefix": f"{namespace}:user", "storage_type": "json"},
            "fields": [*({"name": name, "type": kind, "path": f"$.{name}"} for name, kind in INDEXED.items()),
                       {"name": NAME_WORDS_FIELD, "type": "tag", "path": f"$.{NAME_WORDS_FIELD}[*]"}],
        }, redis_client=client)
        self._schema_checked = False

    def key(self, user_id: str) -> str:
        return f"{self.ns}:user:{user_id}"

    def history_key(self, user_id: str) -> str:
        return f"{self.ns}:history:{user_id}"

    @redis_errors
    def histories(self, user_ids: list[str], newest: int) -> dict[str, pd.DataFrame]:
        """Each user's newest events (at most 4 x ``newest``, so "not for me" entries cannot crowd
        out what the model reads), in one round trip."""
        if not user_ids or newest <= 0:
            return {u: history_frame(u, []) for u in user_ids}
        pipe = self.client.pipeline(transaction=False)
        for user_id in user_ids:
            pipe.lrange(self.history_key(user_id), -4 * newest, -1)
        return {u: history_frame(u, raw) for u, raw in zip(user_ids, pipe.execute())}

    def push_history(self, pipe, user_id: str, events: list[str]) -> None:
        """Queue ``events`` (history_event strings) onto a user's history in ``pipe``, capped."""
        if events:
            pipe.rpush(self.history_key(user_id), *events)
            pipe.ltrim(self.history_key(user_id), -MAX_HISTORY_KEPT, -1)

    @redis_errors
    def set_embedding(self, user_id: str, embedding: np.ndarray, model_version: str) -> bool:
        """Replace a stored profile's vector (after its history changed); False if there is no profile."""
        key = self.key(user_id)
        pipe = self.client.pipeline(transaction=True)
        pipe.execute_command("JSON.SET", key, "$.embedding", json.dumps([float(x) for x in embedding]), "XX")
        pipe.execute_command("JSON.SET", key, "$.model_version", json.dumps(model_version), "XX")
        return bool(pipe.execute()[0])

    @redis_errors
    def stale(self, model_version: str) -> list[str]:
        """Ids of the stored profiles whose vector another model made."""
        prefix = self.key("")
        keys = [text(k) for k in self.client.scan_iter(match=f"{prefix}*", count=5000)]
        stale = []
        for start in range(0, len(keys), 1000):
            chunk = keys[start:start + 1000]
            versions = self.client.execute_command("JSON.MGET", *chunk, "$.model_version")
            stale += [k[len(prefix):] for k, v in zip(chunk, versions) if _decoded(v) != [model_version]]
        return stale

    @redis_errors
    def exists_many(self, user_ids: list[str]) -> list[bool]:
        pipe = self.client.pipeline(transaction=False)
        for user_id in user_ids:
            pipe.exists(self.key(user_id))
        return [bool(found) for found in pipe.execute()]

    @redis_errors
    def reembed(self, user_ids: list[str], embed: Callable[[list[dict]], np.ndarray], model_version: str) -> None:
        """New vectors (``embed`` of their profile fields) for those of these profiles that another
        model embedded, written only if no one saved them meanwhile (WATCH): a profile edited
        during a re-embedding keeps its edit."""
        keys = [self.key(u) for u in user_ids]
        while True:
            with self.client.pipeline() as pipe:
                try:
                    pipe.watch(*keys)
                    raw = pipe.execute_command("JSON.MGET", *keys, "$")
                    docs = [(k, _decoded(r)[0]) for k, r in zip(keys, raw) if _decoded(r)]
                    docs = [(k, d) for k, d in docs if d.get("model_version") != model_version]
                    if not docs:
                        return
                    vectors = embed([{f: d.get(f) for f in PROFILE_FIELDS} for _, d in docs])
                    pipe.multi()
                    for (key, _), vector in zip(docs, vectors):
                        pipe.execute_command("JSON.SET", key, "$.embedding", json.dumps([float(x) for x in vector]))
                        pipe.execute_command("JSON.SET", key, "$.model_version", json.dumps(model_version))
                    pipe.execute()
                    return
                except redis.WatchError:
                    continue  # someone saved one of them: read again

    @redis_errors
    def ensure_index(self) -> None:
        """Create the index, or bring one written by an older version up to this schema."""
        if not self._index.exists():
            self._index.create(overwrite=False)
        elif not self._schema_checked and NAME_WORDS_FIELD not in self._indexed_fields():
            self._migrate()
        self._schema_checked = True

    def _indexed_fields(self) -> set[str]:
        info = self._index.info()
        names = set()
        for attribute in info.get("attributes", []):
            pairs = dict(zip(attribute[::2], attribute[1::2])) if isinstance(attribute, list) else attribute
            name = pairs.get("attribute", pairs.get(b"attribute", ""))
            names.add(text(name))
        return names

    def _migrate(self) -> None:
        """Add the searchable name words to every stored profile, then rebuild the index over
        them (the documents stay; only the index is dropped and created again)."""
        keys = list(self.client.scan_iter(match=f"{self.ns}:user:*", count=1000, _type="ReJSON-RL"))
        for start in range(0, len(keys), 1000):
            chunk = keys[start:start + 1000]
            pipe = self.client.pipeline(transaction=False)
            for key, names in zip(chunk, self.client.json().mget(chunk, "$.name")):
                pipe.json().set(key, f"$.{NAME_WORDS_FIELD}", indexed_name_words((names or [None])[0]))
            pipe.execute()
        try:
            self.client.execute_command("FT.DROPINDEX", self._index.name)  # without DD: keeps documents
        except redis.ResponseError:
            pass  # another process migrated it first
        try:
            self._index.create(overwrite=False)
        except RedisVLError:
            pass  # created meanwhile by another process
        deadline = time.monotonic() + 30
        while int(self._index.info().get("indexing", 0)) and time.monotonic() < deadline:
            time.sleep(0.02)  # existing documents are indexed in the background

    @redis_errors
    def put_many(self, profiles: list[dict], embeddings: np.ndarray, model_version: str) -> None:
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        pipe = self.client.pipeline(transaction=False)
        for profile, emb in zip(profiles, embeddings):
            doc = {**_jsonable(profile), "embedding": [float(x) for x in emb],
                   "model_version": model_version, "created": profile.get("created") or now, "updated": now,
                   NAME_WORDS_FIELD: indexed_name_words(profile.get("name"))}
            pipe.json().set(self.key(doc["user_id"]), "$", doc)
        pipe.execute()

    @redis_errors
    def get(self, user_id: str) -> dict | None:
        """The stored profile with the record's own types (see as_record), so what a reader gets
        can be given back to RecommenderService.save_profile as it is; None when there is none."""
        doc = self.client.json().get(self.key(user_id))
        return as_record(doc) if doc is not None else None

    @redis_errors
    def delete(self, user_id: str) -> bool:
        return bool(self.client.delete(self.key(user_id), self.history_key(user_id)))

    @redis_errors
    def count(self) -> int:
        self.ensure_index()
        return int(self._index.info().get("num_docs", 0))

    @redis_errors
    def search(self, text: str = "", limit: int = 50) -> list[dict]:
        """Profiles with a name word starting with each word of ``text`` ("a" finds Alice and
        Zed A; "mar smi" finds Maria Smith), or whose id starts with ``text`` ("u0000"). Query
        syntax is never interpreted: only letters and digits are searched, the id literally; an
        empty text lists profiles."""
        if not isinstance(limit, (int, np.integer)) or isinstance(limit, bool) or not 1 <= limit <= 10_000:
            raise ValueError(f"limit={limit!r} must be a whole number from 1 to 10000")
        self.ensure_index()
        text = "" if text is None else str(text).strip()
        words = name_words(text)
        if text and not words:
            return []  # only query syntax (*, @, |, ...): it must never widen to "everyone"
        sent = [w[:MAX_WORD_CHARS] for w in words[:MAX_SEARCH_WORDS]]
        # Words Redis does not see whole are checked on the returned names.
        checked = words if len(words) > MAX_SEARCH_WORDS or any(len(w) > MAX_WORD_CHARS for w in words) else []
        expression = None
        if words:
            clauses = [f"@{NAME_WORDS_FIELD}:{{{w}}}" if len(w) == 1 else f"@{NAME_WORDS_FIELD}:{{{w}*}}"
                       for w in sent]
            query_text = " ".join(clauses)
            if 2 <= len(text) <= MAX_ID_LENGTH and not checked:
                query_text = f"({query_text}) | (@user_id:{{{_TAG_ESCAPER.escape(text)}*}})"
            expression = FilterExpression(query_text)
        # With words left over, fetch more and keep the names that also hold those words.
        query = FilterQuery(filter_expression=expression, num_results=10_000 if checked else limit,
                            return_fields=list(INDEXED))
        rows = [{name: r.get(name, "") for name in INDEXED} for r in self._index.query(query)]
        if checked:
            rows = [r for r in rows if _has_word_prefixes(r["name"], checked)][:limit]
        return rows


def _decoded(reply):
    """A JSON.MGET element: redis-py decodes it already on some protocol versions, not on others."""
    return json.loads(reply) if isinstance(reply, (str, bytes)) else reply


def _has_word_prefixes(name: str, words: list[str]) -> bool:
    have = name_words(name)
    return all(any(h.startswith(w) for h in have) for w in words)


def as_record(doc: dict) -> dict:
    """A stored profile as the record types it: flags True/False (None: unknown), likes a list of
    labels, coordinates floats; other keys (embedding, created, ...) unchanged. Documents hold
    likes as "a|b" text (what the user tower reads), and the demo users' flags were stored as
    the CSV's text ("True") before put_many stored booleans: both are read here, at the boundary."""
    out = dict(doc)
    for field in PROFILE_RECORD:
        if field.name not in out:
            continue
        value = out[field.name]
        if field.kind == "flag":
            out[field.name] = field.flag(value)
        elif field.kind == "labels":
            out[field.name] = [str(v) for v in value] if isinstance(value, list) else split_multilabel(value)
        elif field.kind == "coordinate" and isinstance(value, int) and not isinstance(value, bool):
            out[field.name] = float(value)  # JSON writes 37.0 as 37
    return out


def _jsonable(profile: dict) -> dict:
    """A profile as stored: plain JSON values, flags as booleans (a dataset row from a CSV holds
    them as text), likes as the "a|b" text the user tower reads."""
    out = {}
    for key, value in profile.items():
        if isinstance(value, (np.floating, np.integer)):
            value = value.item()
        if isinstance(value, float) and np.isnan(value):
            value = None
        if isinstance(value, np.bool_):
            value = bool(value)
        out[key] = value
    for field in PROFILE_RECORD:
        if field.name in out and field.kind == "flag":
            out[field.name] = field.flag(out[field.name])
        elif field.name in out and field.kind == "labels" and isinstance(out[field.name], (list, tuple)):
            out[field.name] = MULTILABEL_SEP.join(out[field.name])
    return out
