"""The restaurant vector index in Redis: its schema, the stored document, versions behind an
alias. Every Redis failure surfaces as RedisUnavailableError, never a raw traceback."""

from __future__ import annotations

import functools
import json
import logging
import math
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd
import redis
from redisvl.exceptions import RedisSearchError
from redisvl.index import SearchIndex

from recsys.data.contract import split_multilabel
from recsys.data.hours import parse_hours
from recsys.data.record import RESTAURANT_FIELDS, UNKNOWN, Field
from recsys.serving.connection import redis_errors, text

logging.getLogger("redisvl").setLevel(logging.CRITICAL)  # its tracebacks would duplicate ours

STORAGES = ("json", "hash")
DTYPES = ("float32", "float16")
# A build holds this lock in Redis; it expires if the builder dies, and is renewed while it works.
BUILD_LOCK_TTL_MS = 15_000
# A build that makes no indexing progress for this long is stuck (progress, not size, decides).
INDEXING_STALL_S = 120.0

log = logging.getLogger(__name__)


class BuildLostError(RuntimeError):
    """This process stopped holding the build lock (it stalled past the lock's expiry)."""


@dataclass(frozen=True)
class Layout:
    """How restaurants are stored: JSON documents (readable, the default) or hashes with the vector
    as bytes (smaller: the choice for millions of restaurants); float32 or float16 vectors."""

    storage: str = "json"
    datatype: str = "float32"

    def __post_init__(self) -> None:
        if self.storage not in STORAGES or self.datatype not in DTYPES:
            raise ValueError(f"storage must be one of {STORAGES} and datatype one of {DTYPES}")

    @property
    def is_json(self) -> bool:
        return self.storage == "json"

    def path(self, name: str, multi: bool = False) -> dict:
        if not self.is_json:
            return {}
        return {"path": f"$.{name}[*]" if multi else f"$.{name}"}

    def tag(self, name: str, multi: bool = False) -> dict:
        field = {"name": name, "type": "tag", **self.path(name, multi)}
        if multi and not self.is_json:
            field["attrs"] = {"separator": ","}
        return field

    @property
    def return_fields(self) -> list[str]:
        """The record's stored fields. With JSON, fields that are not indexed (and lists) are read
        by their path; indexed ones by name."""
        def name(f: Field) -> str:
            return f"$.{f.name}" if self.is_json and (f.index is None or f.kind == "labels") else f.name
        return [name(f) for f in RESTAURANT_FIELDS if f.stored]


HNSW_EF_RUNTIME = 400  # the candidate list an unfiltered HNSW search keeps (see restaurant_schema)


def restaurant_schema(name: str, prefix: str, dims: int, algorithm: str = "hnsw", layout: Layout = Layout()) -> dict:
    # Inner product: the two-tower vectors carry a popularity bias and a popularity slot at their
    # end ([u, 1, 0] . [v, T*b, p]), which cosine would normalise away; for unit vectors IP == cosine, and
    # RediSearch reports 1 - ip as the distance, so score = 1 - distance holds for both.
    attrs: dict[str, Any] = {"dims": dims, "distance_metric": "ip", "algorithm": algorithm,
                             "datatype": layout.datatype}
    if algorithm == "hnsw":
        # HNSW_EF_RUNTIME: unfiltered recall@10 at 1M distinct restaurants (city copies, jittered)
        # was 0.891 at 100 and 0.994 at 400, for 1.8 vs 2.3 ms (README, Benchmarks). Filtered
        # queries at city densities are answered by brute force over their few matches anyway.
        attrs.update(m=16, ef_construction=200, ef_runtime=HNSW_EF_RUNTIME)
    p = layout.path
    fields: list[dict] = []
    for f in RESTAURANT_FIELDS:
        if f.index == "tag":
            fields.append(layout.tag(f.name, multi=f.kind == "labels"))
        elif f.index in ("text", "numeric"):
            fields.append({"name": f.name, "type": f.index, **p(f.name)})
    return {
        "index": {"name": name, "prefix": prefix, "storage_type": layout.storage},
        "fields": [
            *fields,
            {"name": "location", "type": "geo", **p("location")},
            # One tag per open hour / 5-minute block / minute of the week: see recsys.data.hours.
            layout.tag("open_slots", multi=True),
            {"name": "embedding", "type": "vector", **p("embedding"), "attrs": attrs},
        ],
    }


def _stored_value(f: Field, value: object) -> object:
    """One field of a row as the stored document holds it."""
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    if f.kind == "labels":
        return split_multilabel(value)
    if f.kind == "int":
        return int(value)
    if f.kind in ("float", "coordinate"):
        return float(value)
    if f.kind == "count":
        return 0 if missing or pd.isna(value) else int(value)
    if f.kind == "choice":
        return f.choice(value) or UNKNOWN
    return ("" if missing else str(value)) or f.blank


@functools.lru_cache(maxsize=16_384)
def _hours_fields(text: str) -> tuple[str, tuple[str, ...]]:
    """Opening hours as stored: the canonical text and the open_slots tags. Remembered: a
    catalogue has far fewer distinct schedules than places, and tags were most of a bulk load's
    client time."""
    hours = parse_hours(text)
    return hours.to_text(), tuple(hours.redis_tags())


def restaurant_document(row: dict, embedding: np.ndarray, layout: Layout = Layout()) -> dict:
    """What is stored for one restaurant: the record's stored fields, the filter fields derived
    from them (location, open_slots) and its vector."""
    hours_text, open_slots = _hours_fields(str(row.get("hours") or ""))
    doc = {f.name: hours_text if f.kind == "hours" else _stored_value(f, row.get(f.name))
           for f in RESTAURANT_FIELDS if f.stored}
    doc["location"] = f"{doc['lon']},{doc['lat']}"
    doc["open_slots"] = list(open_slots)
    if layout.is_json:
        doc["embedding"] = [float(x) for x in embedding]
    else:
        for f in RESTAURANT_FIELDS:
            if f.kind == "labels":
                doc[f.name] = ",".join(doc[f.name])
        doc["open_slots"] = ",".join(doc["open_slots"])
        doc["embedding"] = np.asarray(embedding, dtype=layout.datatype).tobytes()
    return doc


def _parsed_value(f: Field, value: object) -> object:
    if f.kind == "labels":
        if isinstance(value, str):
            return json.loads(value) if value.startswith("[") else [c for c in value.split(",") if c]
        return list(value or [])
    if f.kind in ("int", "count"):
        return int(float(value or 0))
    if f.kind in ("float", "coordinate"):
        return float(value if value is not None else 0.0)
    if f.kind == "choice":
        return f.choice(value) or UNKNOWN
    return "" if value is None else str(value)


_STORED_FIELDS = tuple((f, f"$.{f.name}") for f in RESTAURANT_FIELDS if f.stored)


def parse_item(doc: dict) -> dict:
    """A search result or stored document back into plain Python values (either layout): the
    record's stored fields."""
    return {f.name: _parsed_value(f, doc[f.name] if f.name in doc else doc.get(path)) for f, path in _STORED_FIELDS}


@dataclass
class IndexStatus:
    version: int | None
    index_name: str | None
    documents: int
    meta: dict
    # False for an index built before versions had a trailing ":" in their key prefix
    # ("ns:restaurant:v1" also matched v10's keys): such an index is rebuilt on the next start.
    prefix_ok: bool = True


@dataclass
class CleanupReport:
    """What a cleanup removed: index versions no alias points to, and keys no index covers."""

    indexes: list[str] = field(default_factory=list)
    keys: dict[int, int] = field(default_factory=dict)  # version -> keys deleted

    def __bool__(self) -> bool:
        return bool(self.indexes or self.keys)

    def describe(self) -> str:
        if not self:
            return "no orphaned index versions"
        parts = [f"dropped {', '.join(self.indexes)}"] if self.indexes else []
        parts += [f"deleted {n} keys of v{v}" for v, n in sorted(self.keys.items())]
        return "; ".join(parts)


def _is_missing_index(exc: Exception) -> bool:
    text = str(exc).lower()
    return "unknown index name" in text or "no such index" in text


class BuildLock:
    """At most one index build per namespace, across processes and hosts: SET NX PX with a token,
    renewed by a thread while the build runs, released only by its owner."""

    _RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
    _RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"

    def __init__(self, client: redis.Redis, key: str, ttl_ms: int = BUILD_LOCK_TTL_MS):
        self.client, self.key, self.ttl_ms = client, key, ttl_ms
        self.token = uuid.uuid4().hex
        self._stop = threading.Event()
        self._lost = False
        self._thread: threading.Thread | None = None

    def try_acquire(self) -> bool:
        if not self.client.set(self.key, self.token, nx=True, px=self.ttl_ms):
            return False
        self._thread = threading.Thread(target=self._renew, name="index-build-lock", daemon=True)
        self._thread.start()
        return True

    def acquire(self, notify=None) -> float:
        """Wait for the lock; returns the seconds waited."""
        start = last = time.monotonic()
        while not self.try_acquire():
            if notify and time.monotonic() - last >= 2.0:
                notify(f"Another process is building the restaurant index; waiting for it "
                       f"({time.monotonic() - start:.0f} s so far).")
                last = time.monotonic()
            time.sleep(0.2)
        return time.monotonic() - start

    def _renew(self) -> None:
        while not self._stop.wait(self.ttl_ms / 3000):
            try:
                if not self.client.eval(self._RENEW, 1, self.key, self.token, self.ttl_ms):
                    self._lost = True
                    return
            except redis.RedisError:
                pass  # Redis briefly away: the next renewal (or the expiry) decides

    def check(self) -> None:
        if self._lost or self.client.get(self.key) not in (self.token, self.token.encode()):
            raise BuildLostError("another process took over the index build (this one stalled past "
                                 f"{self.ttl_ms / 1000:.0f} s); nothing was switched")

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            self.client.eval(self._RELEASE, 1, self.key, self.token)
        except redis.RedisError:
            pass  # it expires by itself


@dataclass(frozen=True)
class LiveIndex:
    """The index version queries go to, with the layout it was built with."""

    version: int
    index: SearchIndex
    layout: Layout
    model_id: str = ""  # the model whose vectors it holds (the build's meta), and where it lives
    model_dir: str = ""


# A search may use the live version it looked up this long ago instead of asking again (one round
# trip fewer per query). A rebuild moves the pointer and then drops the old version: a query that
# finds its version gone re-reads the pointer (query), so results are never half-built or lost;
# for at most this long they may come from the previous complete version. Writes always re-read.
LIVE_RECHECK_S = 1.0


class RestaurantStore:
    """Restaurants in a RedisVL JSON index. A rebuild writes a new version and moves the alias
    only when it is complete, so queries never see a half-loaded index."""

    def __init__(self, client: redis.Redis, namespace: str = "sfrec", algorithm: str = "hnsw",
                 layout: Layout = Layout()):
        self.client = client
        self.ns = namespace
        self.algorithm = algorithm
        self.layout = layout  # used for new builds; a live index keeps the layout it was built with
        self._live: tuple[LiveIndex, float] | None = None  # and when the pointer was last read
        # The build lock held by *this thread* (re-entrant per thread): the service is shared by
        # every Streamlit session, so a second session's thread must wait, not walk in.
        self._held = threading.local()

    # -- names ---------------------------------------------------------------------------
    @property
    def alias(self) -> str:
        return f"{self.ns}:restaurants"

    @property
    def meta_key(self) -> str:
        return f"{self.ns}:meta"

    @property
    def custom_key(self) -> str:
        return f"{self.ns}:custom_restaurants"  # restaurants added in the app, kept across rebuilds

    def index_name(self, version: int) -> str:
        return f"{self.ns}:restaurants:v{version}"

    def prefix(self, version: int) -> str:
        # The trailing separator matters: without it, v1's prefix also matches v10's keys, and
        # dropping v1 with its documents deleted v10's.
        return f"{self.ns}:restaurant:v{version}:"

    @property
    def build_lock_key(self) -> str:
        return f"{self.ns}:index_build_lock"

    def _version_keys(self, version: int | None = None) -> str:
        """A SCAN pattern for the documents of one version (or of all versions)."""
        ns = re.sub(r"([\\*?\[\]])", r"\\\1", self.ns)  # the namespace is literal, not a glob
        return f"{ns}:restaurant:v{version if version is not None else '*'}:*"

    # -- status --------------------------------------------------------------------------
    @redis_errors
    def meta(self) -> dict:
        return {text(k): text(v)
                for k, v in self.client.hgetall(self.meta_key).items()}

    @redis_errors
    def status(self) -> IndexStatus:
        meta = self.meta()
        version = int(meta["version"]) if meta.get("version") else None
        docs = 0
        prefix_ok = True
        if version is not None:
            try:
                info = self.client.ft(self.index_name(version)).info()
                docs = int(info.get("num_docs", info.get(b"num_docs", 0)))
                prefix_ok = self.prefix(version) in _index_prefixes(info)
            except redis.ResponseError:
                version = None
        return IndexStatus(version, self.index_name(version) if version is not None else None, docs, meta,
                           prefix_ok)

    @redis_errors
    def live(self, fresh: bool = True) -> LiveIndex:
        """The live index version. ``fresh=False`` (searches) may reuse one looked up less than
        LIVE_RECHECK_S ago; otherwise the pointer is read (one HGET) and the index rebuilt from
        its metadata only when another process moved it."""
        cached = self._live
        now = time.monotonic()
        if cached is not None and not fresh and now - cached[1] < LIVE_RECHECK_S:
            return cached[0]
        version = self.client.hget(self.meta_key, "version")
        if version is None:
            raise LookupError("no restaurant index yet: run `python -m recsys index` (the app builds it on start)")
        version = int(version)
        live = cached[0] if cached is not None and cached[0].version == version else None
        if live is None:
            meta = self.meta()
            layout = Layout(meta.get("storage", "json"), meta.get("datatype", "float32"))
            schema = restaurant_schema(self.index_name(version), self.prefix(version), int(meta["dims"]),
                                       meta.get("algorithm", self.algorithm), layout)
            live = LiveIndex(version, SearchIndex.from_dict(schema, redis_client=self.client), layout,
                             meta.get("model_id", ""), meta.get("model_dir", ""))
        self._live = (live, now)  # one assignment: threads sharing the store see a whole pair
        return live

    def index(self) -> SearchIndex:
        return self.live().index

    @redis_errors
    def _on_live(self, live: LiveIndex | None, ask):
        """``ask(live)`` on the live version (``live``, when the caller already looked it up). A
        rebuild may drop that version between reading the pointer and asking: then re-read it and
        ask the new version (with its own layout) once more."""
        try:
            return ask(live or self.live())
        except (redis.ResponseError, RedisSearchError) as exc:
            if not _is_missing_index(exc):
                raise
            return ask(self.live(fresh=True))

    @redis_errors
    def knn(self, live: LiveIndex, vector: np.ndarray, expression: str, num: int) -> list[dict]:
        """The ``num`` restaurants nearest to ``vector`` among those passing ``expression`` (a
        RediSearch filter), best first: the layout's return fields plus vector_distance, as text.
        The query RedisVL's VectorQuery writes, sent as one FT.SEARCH whose reply is read here:
        redis-py's search result objects cost more than the search itself at this size."""
        def ask(current: LiveIndex):
            fields = [*current.layout.return_fields, "vector_distance"]
            return self.client.execute_command(
                "FT.SEARCH", current.index.name, f"({expression})=>[KNN {num} @embedding $vector AS vector_distance]",
                "PARAMS", 2, "vector", np.asarray(vector, dtype=current.layout.datatype).tobytes(),
                "RETURN", len(fields), *fields, "SORTBY", "vector_distance", "ASC", "DIALECT", 2, "LIMIT", 0, num)
        return _search_rows(self._on_live(live, ask))

    @redis_errors
    def counts(self, live: LiveIndex, filters: list[str]) -> list[int]:
        """How many documents match each filter, in one round trip (a pipeline of FT.SEARCH
        LIMIT 0 0)."""
        def ask(current: LiveIndex) -> list[int]:
            pipe = self.client.pipeline(transaction=False)
            for expression in filters:
                pipe.execute_command("FT.SEARCH", current.index.name, expression, "LIMIT", 0, 0, "DIALECT", 2)
            return [_total(reply) for reply in pipe.execute()]
        return self._on_live(live, ask)

    # -- building ------------------------------------------------------------------------
    @contextmanager
    def building(self, notify=None):
        """Hold this namespace's build lock (waiting for another builder), re-entrantly."""
        held = getattr(self._held, "lock", None)
        if held is not None:
            yield held
            return
        lock = BuildLock(self.client, self.build_lock_key)
        lock.acquire(notify)
        self._held.lock = lock
        try:
            yield lock
        finally:
            self._held.lock = None
            lock.release()

    @redis_errors
    def rebuild(self, items: pd.DataFrame, embeddings: np.ndarray, meta: dict,
                batch_size: int = 500, progress=None, notify=None) -> int:
        """Load a complete new version, switch the alias to it, then drop every other version.
        Serialised across processes by the build lock; a build killed at any point leaves the
        live version serving and its own left-overs to the next cleanup."""
        if len(items) != len(embeddings):
            raise ValueError(f"{len(items)} items but {len(embeddings)} embeddings")
        with self.building(notify) as lock:
            self.cleanup_orphans()  # left-overs of killed builds (we hold the lock: none is running)
            version = int(self.client.incr(f"{self.ns}:index_version_counter"))
            dims = int(embeddings.shape[1])
            schema = restaurant_schema(self.index_name(version), self.prefix(version), dims, self.algorithm,
                                       self.layout)
            index = SearchIndex.from_dict(schema, redis_client=self.client)
            self._delete_version_keys(version)  # a stale counter must never mix old keys in
            index.create(overwrite=True, drop=True)
            records = items.to_dict("records")
            # Redis indexes one batch while the next is built here: one batch in flight, so a
            # failed load stops the build at once and memory holds two batches at most.
            with ThreadPoolExecutor(max_workers=1) as sender:
                pending = None
                for start in range(0, len(records), batch_size):
                    docs = [restaurant_document(r, e, self.layout)
                            for r, e in zip(records[start:start + batch_size], embeddings[start:start + batch_size])]
                    if pending is not None:
                        pending.result()
                        if progress:
                            progress(start, len(records))
                    pending = sender.submit(index.load, docs, id_field="item_id", batch_size=batch_size)
                if pending is not None:
                    pending.result()
                if progress:
                    progress(len(records), len(records))
            self._wait_indexed(index, len(records))
            lock.check()
            # Alias first, then the meta pointer: readers of either see a complete index.
            self.client.execute_command("FT.ALIASUPDATE", self.alias, index.name)
            self.client.hset(self.meta_key, mapping={
                **{k: str(v) for k, v in meta.items()}, "version": version, "dims": dims,
                "algorithm": self.algorithm, "storage": self.layout.storage, "datatype": self.layout.datatype,
                "documents": len(records),
                "indexed_at": datetime.now(timezone.utc).isoformat(timespec="seconds")})
            self.drop_versions(keep=version)
            self._live = None  # this process's next search reads the new pointer
            return version

    def _wait_indexed(self, index: SearchIndex, expected: int) -> None:
        """Wait for background indexing; as long as it makes progress, however large the data."""
        last, stalled_since = -1.0, time.monotonic()
        while True:
            info = index.info()
            done = float(info.get("percent_indexed", 1))
            if done >= 1.0 and int(info.get("indexing", 0)) == 0 and int(info.get("num_docs", 0)) >= expected:
                return
            if done > last:
                last, stalled_since = done, time.monotonic()
            elif time.monotonic() - stalled_since > INDEXING_STALL_S:
                raise TimeoutError(f"index {index.name} stopped making progress at {done:.0%} of {expected} "
                                   f"documents ({info.get('hash_indexing_failures', 0)} indexing failures)")
            time.sleep(0.05)

    def live_version(self) -> int | None:
        version = self.client.hget(self.meta_key, "version")
        return int(version) if version is not None else None

    @redis_errors
    def drop_versions(self, keep: int) -> list[str]:
        """Drop every index version but ``keep`` with its documents (left-overs of killed builds too).
        Documents are deleted by their own version's key pattern, never with FT.DROPINDEX DD: an
        index of the old prefix format also covers other versions' keys."""
        dropped = []
        for name in self.client.execute_command("FT._LIST"):
            name = text(name)
            match = re.fullmatch(re.escape(f"{self.ns}:restaurants:v") + r"(\d+)", name)
            if match and int(match.group(1)) != keep:
                self.client.execute_command("FT.DROPINDEX", name)
                self._delete_version_keys(int(match.group(1)))
                dropped.append(name)
        return dropped

    @redis_errors
    def cleanup_orphans(self) -> CleanupReport:
        """Remove index versions the alias does not point to and keys of versions with no index.
        Only safe while holding the build lock (a running build's version looks orphaned)."""
        live = self.live_version()
        report = CleanupReport(indexes=self.drop_versions(keep=live if live is not None else -1))
        pattern = re.compile(re.escape(f"{self.ns}:restaurant:v") + r"(\d+):")
        versions: set[int] = set()
        for key in self.client.scan_iter(match=self._version_keys(), count=5000):
            match = pattern.match(text(key))
            if match and int(match.group(1)) != live:
                versions.add(int(match.group(1)))
        for version in sorted(versions):
            report.keys[version] = self._delete_version_keys(version)
        if report:
            log.warning("removed orphaned index data in namespace %s: %s", self.ns, report.describe())
        return report

    def cleanup_if_idle(self) -> CleanupReport | None:
        """cleanup_orphans when no build is running (None when one is)."""
        lock = BuildLock(self.client, self.build_lock_key)
        if not lock.try_acquire():
            return None
        try:
            return self.cleanup_orphans()
        finally:
            lock.release()

    def _delete_version_keys(self, version: int) -> int:
        deleted, batch = 0, []
        for key in self.client.scan_iter(match=self._version_keys(version), count=5000):
            batch.append(key)
            if len(batch) >= 1000:
                deleted += int(self.client.unlink(*batch))
                batch = []
        if batch:
            deleted += int(self.client.unlink(*batch))
        return deleted

    # -- single restaurants --------------------------------------------------------------
    @redis_errors
    def upsert(self, row: dict, embedding: np.ndarray, custom: bool = True) -> str:
        """Add or replace one restaurant in the live index; searchable on the next query."""
        live = self.live()
        live.index.load([restaurant_document(row, embedding, live.layout)], id_field="item_id")
        if custom:
            self.client.hset(self.custom_key, str(row["item_id"]), json.dumps(row, default=str))
        return str(row["item_id"])

    @redis_errors
    def custom_raw(self) -> dict[bytes, bytes]:
        """The restaurants added in the app as stored: item id -> JSON text."""
        return self.client.hgetall(self.custom_key)

    @redis_errors
    def custom_rows(self) -> list[dict]:
        return [json.loads(v) for v in self.client.hgetall(self.custom_key).values()]

    @redis_errors
    def embeddings(self, item_ids: list[str]) -> np.ndarray:
        live = self.live()
        keys = [live.index.key(i) for i in item_ids]
        if live.layout.is_json:
            rows = [r[0] if r else None for r in self.client.json().mget(keys, "$.embedding")]
        else:
            pipe = self.client.pipeline(transaction=False)
            for key in keys:
                pipe.hget(key, "embedding")
            rows = [np.frombuffer(r, dtype=live.layout.datatype) if r else None for r in pipe.execute()]
        missing = [i for i, r in zip(item_ids, rows) if r is None]
        if missing:
            raise KeyError(f"unknown restaurant id(s): {', '.join(missing)}")
        return np.array(rows, dtype=np.float32)

    @redis_errors
    def cuisines(self) -> list[str]:
        index = self.index()
        values = self.client.execute_command("FT.TAGVALS", index.name, "cuisines")
        return sorted(text(v) for v in values)


def _search_rows(reply: Any) -> list[dict]:
    """The documents of an FT.SEARCH reply as {field: text} (RESP3 maps or RESP2 flat lists)."""
    if isinstance(reply, dict):
        results = reply.get(b"results", reply.get("results", []))
        rows = []
        for result in results:
            attributes = result.get(b"extra_attributes", result.get("extra_attributes", {}))
            rows.append({text(k): text(v) for k, v in attributes.items()})
        return rows
    return [{text(k): text(v) for k, v in zip(fields[::2], fields[1::2])} for fields in reply[2::2]]


def _total(reply: Any) -> int:
    """The match count of an FT.SEARCH reply: a list whose head is the count, or the dict
    redis-py makes of it (its FT.SEARCH callback, or RESP3)."""
    if isinstance(reply, dict):
        return int(reply.get("total_results", reply.get(b"total_results", 0)))
    return int(reply[0])


def _index_prefixes(info: dict) -> list[str]:
    """The key prefixes in an FT.INFO reply (redis-py gives the definition as a flat list)."""
    definition = info.get("index_definition", info.get(b"index_definition", []))
    if isinstance(definition, dict):
        prefixes = definition.get("prefixes", [])
    else:
        pairs = dict(zip(definition[::2], definition[1::2]))
        prefixes = pairs.get("prefixes", pairs.get(b"prefixes", []))
    return [text(p) for p in prefixes]
