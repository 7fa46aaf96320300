"""What the System page shows, as plain data: the Redis server, the live restaurant index and the
embedded server. The page renders these; it never holds a Redis client or a server object."""

from __future__ import annotations

from dataclasses import dataclass, field

from recsys.config import Settings
from recsys.serving.connection import text
from recsys.serving.redis_server import EmbeddedRedis


@dataclass
class RedisStatus:
    version: str
    memory: str  # human-readable, as Redis reports it
    clients: int
    modules: list[str]
    external: bool  # REDIS_URL is set (else the embedded server)


@dataclass
class IndexSummary:
    version: int | None
    index_name: str | None
    alias: str
    documents: int
    vector_index_mb: float
    profiles: int
    meta: dict = field(default_factory=dict)  # indexed_at, model_id, ...


@dataclass
class EmbeddedStatus:
    used: bool  # False when REDIS_URL points elsewhere
    running: bool
    pid: int | None
    port: int | None
    data_dir: str


def redis_status(client, settings: Settings) -> RedisStatus:
    info = client.info()
    modules = client.execute_command("MODULE", "LIST") or []
    names = sorted({text(m.get(b"name") or m.get("name")) for m in modules if isinstance(m, dict)})
    return RedisStatus(version=str(info.get("redis_version", "?")), memory=str(info.get("used_memory_human", "?")),
                       clients=int(info.get("connected_clients", 0)), modules=names, external=bool(settings.redis_url))


def embedded_status(settings: Settings) -> EmbeddedStatus:
    """The embedded server's state, read from its data directory (works while Redis is down)."""
    if settings.redis_url:
        return EmbeddedStatus(False, False, None, None, str(settings.redis_data_dir))
    server = EmbeddedRedis(settings.redis_data_dir)
    port = server.port()
    return EmbeddedStatus(True, bool(port), server.pid() if port else None, port, str(settings.redis_data_dir))
