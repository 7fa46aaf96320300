"""One way to get a Redis client, whichever Redis is behind it, and one error when it is down."""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
from redisvl.exceptions import RedisVLError

from recsys.config import Settings
from recsys.redis_server import EmbeddedRedis, EmbeddedRedisError


class RedisUnavailableError(RuntimeError):
    """Redis cannot be reached. ``url`` never contains the password."""

    def __init__(self, url: str, reason: str, hint: str):
        self.url = redact_url(url)
        self.reason = reason
        self.hint = hint
        super().__init__(f"Redis at {self.url} is unavailable: {reason}. {hint}")


def redact_url(url: str) -> str:
    """The URL with any password replaced by ***, safe to print and log."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, f"{user}:***@{host}", parts.path, parts.query, parts.fragment))


def client_url(client: redis.Redis) -> str:
    """Where a client points, without credentials (for messages)."""
    kwargs = client.connection_pool.connection_kwargs
    return f"redis://{kwargs.get('host', '?')}:{kwargs.get('port', '?')}"


def resolve_url(settings: Settings, start_embedded: bool = True) -> str:
    """REDIS_URL when set; otherwise the embedded server's URL (starting it if asked)."""
    if settings.redis_url:
        return settings.redis_url
    server = EmbeddedRedis(settings.redis_data_dir, port=settings.embedded_redis_port)
    try:
        if start_embedded:
            return server.ensure_running()
        return server.url()
    except EmbeddedRedisError as exc:
        raise RedisUnavailableError(
            f"embedded:{settings.redis_data_dir}", str(exc).splitlines()[0],
            "Run `python -m recsys doctor` for details, or set REDIS_URL.",
        ) from exc


def connect(url: str) -> redis.Redis:
    """A client for ``url`` that has answered PING, or RedisUnavailableError."""
    client = redis.Redis.from_url(
        url, socket_connect_timeout=2, socket_timeout=10, health_check_interval=15,
        retry_on_timeout=False,
    )
    check(client, url)
    return client


def check(client: redis.Redis, url: str) -> None:
    try:
        client.ping()
    except redis.AuthenticationError as exc:
        raise RedisUnavailableError(url, "the password was refused",
                                    "Check the password in REDIS_URL.") from exc
    except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
        raise RedisUnavailableError(
            url, f"no answer ({type(exc).__name__})",
            "Start it (`python -m recsys serve-redis`, or `docker compose up redis`) "
            "or point REDIS_URL at a running server; the app reconnects by itself.",
        ) from exc


def redis_errors(method):
    """Turn connection-level Redis failures into RedisUnavailableError with a redacted URL."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise _unavailable(self, exc) from exc
        except RedisVLError as exc:
            cause = exc.__cause__
            if isinstance(cause, (redis.ConnectionError, redis.TimeoutError)):
                raise _unavailable(self, cause) from exc
            raise

    return wrapper


def _unavailable(owner: Any, exc: Exception) -> RedisUnavailableError:
    return RedisUnavailableError(client_url(owner.client), f"lost the connection ({type(exc).__name__})",
                                 "Check that Redis is running (`python -m recsys doctor`); it reconnects by itself.")
