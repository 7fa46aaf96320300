"""One way to get a Redis client, whichever Redis is behind it, and one error when it is down."""

from __future__ import annotations

import functools
import re
from typing import Any
from urllib.parse import urlsplit

import redis
from redisvl.exceptions import RedisVLError

from recsys.config import Settings
from recsys.serving.redis_server import EmbeddedRedis, EmbeddedRedisError, Notify


class RedisUnavailableError(RuntimeError):
    """Redis cannot be reached. ``url`` never contains the password."""

    def __init__(self, url: str, reason: str, hint: str):
        self.url = redact_url(url)
        self.reason = reason
        self.hint = hint
        self.reason = redact_url(reason)
        super().__init__(f"Redis at {self.url} is unavailable: {self.reason}. {hint}")


# Query parameters that carry secrets (redis-py reads ?password=, some providers use the others).
# The value is hidden up to the next blank, not the next "&": an unencoded "&" in a password
# would otherwise leak its tail (other parameters after a secret are hidden too; it's a message).
_SECRET_PARAMS = re.compile(r"(?i)([?&;](?:password|pass|passwd|pwd|secret|token|auth|access_token|api_key)=)\S*")


def redact_url(url: str) -> str:
    """The URL with every credential replaced by ***, safe to print and log.

    Works on the text, not a URL parser: a password with an unencoded "/", "#", "?" or "@" ends the
    host part early for urlsplit and would leak its start. Userinfo is everything before the last
    "@"; a secret query parameter is redacted with everything after it."""
    text = _SECRET_PARAMS.sub(r"\1***", str(url))
    scheme, sep, rest = text.partition("://")
    if not sep or "@" not in rest:
        return text
    userinfo, host = rest.rsplit("@", 1)
    user = userinfo.split(":", 1)[0] if ":" in userinfo and "/" not in userinfo.split(":", 1)[0] else ""
    return f"{scheme}://{user}:***@{host}"


def _malformed_credentials(url: str) -> bool:
    """An "@" outside the parsed authority: the password holds an unencoded / # or ? (redis-py
    would then connect to the wrong host with a truncated password)."""
    without_query = _SECRET_PARAMS.sub("", url)
    return "@" in without_query and "@" not in urlsplit(without_query).netloc


def text(value: object) -> str:
    """A Redis reply value as text: clients made without decode_responses give bytes."""
    # type() first: this runs for every field of every search result.
    return value.decode("utf-8", "replace") if type(value) is bytes else str(value)


def client_url(client: redis.Redis) -> str:
    """Where a client points, without credentials (for messages)."""
    kwargs = client.connection_pool.connection_kwargs
    return f"redis://{kwargs.get('host', '?')}:{kwargs.get('port', '?')}"


def resolve_url(settings: Settings, start_embedded: bool = True, notify: Notify | None = None) -> str:
    """REDIS_URL when set; otherwise the embedded server's URL (starting it if asked; ``notify``
    hears progress while a large data set loads)."""
    if settings.redis_url:
        return settings.redis_url
    server = EmbeddedRedis(settings.redis_data_dir, port=settings.embedded_redis_port)
    try:
        if start_embedded:
            return server.ensure_running(notify=notify)
        return server.url()
    except EmbeddedRedisError as exc:
        raise RedisUnavailableError(
            f"embedded:{settings.redis_data_dir}", str(exc).splitlines()[0],
            "Run `python -m recsys doctor` for details, or set REDIS_URL.",
        ) from exc


def connect(url: str) -> redis.Redis:
    """A client for ``url`` that has answered PING, or RedisUnavailableError."""
    fix = ("Percent-encode special characters in the password (/ as %2F, # as %23, ? as %3F, @ as %40, & as %26), "
           "or unset REDIS_URL to use the embedded server.")
    if _malformed_credentials(url):
        raise RedisUnavailableError(url, "REDIS_URL is malformed: its password holds an unencoded / # ? or @", fix)
    try:
        client = redis.Redis.from_url(
            url, socket_connect_timeout=2, socket_timeout=10, health_check_interval=15,
            retry_on_timeout=False,
        )
    except ValueError as exc:  # its text may quote part of the URL: never shown
        raise RedisUnavailableError(url, "REDIS_URL is not a valid redis:// or rediss:// URL", fix) from exc
    try:
        check(client, url)
    except TypeError as exc:  # redis-py passes unknown query parameters on as connection arguments
        raise RedisUnavailableError(url, "REDIS_URL has a query parameter that Redis clients do not know "
                                    "(an unencoded & in a password starts a new parameter)", fix) from exc
    return client


def check(client: redis.Redis, url: str) -> None:
    try:
        client.ping()
    except redis.AuthenticationError as exc:
        raise RedisUnavailableError(url, "the password was refused",
                                    "Check the password in REDIS_URL.") from exc
    except redis.BusyLoadingError as exc:
        raise RedisUnavailableError(url, "it is still loading its data set", "Wait a moment and retry; "
                                    "large data sets take a minute to load.") from exc
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
        except redis.ResponseError as exc:
            raise (_refused(self, exc) or exc) from exc
        except RedisVLError as exc:
            cause = exc.__cause__
            if isinstance(cause, (redis.ConnectionError, redis.TimeoutError)):
                raise _unavailable(self, cause) from exc
            if isinstance(cause, redis.ResponseError):
                raise (_refused(self, cause) or exc) from exc
            if "MISCONF" in str(exc) or "OOM" in str(exc):
                raise (_refused(self, redis.ResponseError(str(exc))) or exc) from exc
            raise

    return wrapper


def _unavailable(owner: Any, exc: Exception) -> RedisUnavailableError:
    return RedisUnavailableError(client_url(owner.client), f"lost the connection ({type(exc).__name__})",
                                 "Check that Redis is running (`python -m recsys doctor`); it reconnects by itself.")


def _refused(owner: Any, exc: redis.ResponseError) -> RedisUnavailableError | None:
    """Redis up but refusing writes (disk full, persistence failing, out of memory): say so."""
    text = str(exc)
    if text.startswith("MISCONF") or "MISCONF" in text:
        return RedisUnavailableError(
            client_url(owner.client), "it refuses writes because it cannot save to disk (MISCONF: disk full "
            "or not writable)", "Free disk space where Redis keeps its data (the embedded one: RECSYS_DATA_DIR/redis), "
            "then retry; `python -m recsys doctor` shows the state. Nothing was written.")
    if text.startswith("OOM"):
        return RedisUnavailableError(
            client_url(owner.client), "it refuses writes because it reached its memory limit (OOM)",
            "Give Redis more memory (maxmemory) or use RECSYS_STORAGE=hash / RECSYS_VECTOR_DTYPE=float16.")
    return None
