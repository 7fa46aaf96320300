"""One redis-server per data dir under every fault (issue 11, item 1), and the server-side
messages of issue 10 (items 5, 11): each test names the trigger it reproduces and counts the
server processes of the data dir from /proc, independently of the code under test."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis

from recsys.serving.redis_server import EmbeddedRedis, EmbeddedRedisError, find_binaries

ROOT = Path(__file__).resolve().parents[2]


def servers_for(data_dir: Path) -> list[int]:
    """Pids of redis-server processes working in data_dir (not their fork children)."""
    target = os.path.realpath(data_dir)
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink(f"/proc/{pid}/cwd") != target:
                continue
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
        except OSError:
            continue
        if "redis-server" in cmdline and fields[0] != "Z":
            found[int(pid)] = int(fields[1])
    return sorted(pid for pid, ppid in found.items() if ppid not in found)


def kill_all(data_dir: Path) -> None:
    for pid in servers_for(data_dir):
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while servers_for(data_dir) and time.monotonic() < deadline:
        time.sleep(0.05)


class Watch:
    """Samples the number of servers for a data dir in the background; remembers the maximum."""

    def __init__(self, data_dir: Path):
        self.data_dir, self.most, self._stop = data_dir, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.most = max(self.most, len(servers_for(self.data_dir)))
            time.sleep(0.02)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        self.most = max(self.most, len(servers_for(self.data_dir)))
        return self.most


@pytest.fixture
def data_dir(tmp_path):
    path = tmp_path / "data" / "redis"
    yield path
    kill_all(path)


def _write_keys(url: str, n: int) -> None:
    client = redis.Redis.from_url(url)
    pipe = client.pipeline(transaction=False)
    for i in range(n):
        pipe.set(f"k{i}", "x" * 40)
    pipe.execute()
    client.close()


@pytest.fixture
def slow_loading(data_dir):
    """A data dir whose AOF takes ~5 s to load: 20,000 keys in the RDB base, then a server started
    on it with Redis's own load delay (key-load-delay), the way a 100k-restaurant AOF loads for
    40 s. Launched with the data dir's own config, like any other launcher would."""
    server = EmbeddedRedis(data_dir)
    url = server.ensure_running()
    _write_keys(url, 20_000)
    client = redis.Redis.from_url(url)
    client.bgrewriteaof()
    while client.info("persistence")["aof_rewrite_in_progress"] or \
            client.info("persistence")["aof_rewrite_scheduled"]:
        time.sleep(0.05)
    client.close()
    assert server.stop()

    def launch() -> tuple[int, int]:
        port = _free_port()
        subprocess.run([str(find_binaries().server), str(data_dir / "redis.conf"), "--port", str(port),
                        "--daemonize", "yes", "--key-load-delay", "250",
                        "--loading-process-events-interval-bytes", "1024"], check=True,
                       stdout=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 10
        while not servers_for(data_dir) and time.monotonic() < deadline:
            time.sleep(0.01)
        pid = servers_for(data_dir)[0]
        # What an earlier launcher records; the state file is never what decides.
        (data_dir / "server.json").write_text(json.dumps({"pid": pid, "port": port}))
        return pid, port

    return launch


def _embedded_env(data_dir: Path) -> dict:
    """The environment of a CLI run on the embedded server of ``data_dir`` (never a REDIS_URL)."""
    env = {**os.environ, "RECSYS_DATA_DIR": str(data_dir.parent)}
    env.pop("REDIS_URL", None)
    return env


def _serve_redis(data_dir: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "recsys", "serve-redis"], cwd=ROOT, env=_embedded_env(data_dir),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- issue 11.1: the state file missing, empty or corrupt while the server runs ---------------
@pytest.mark.parametrize("damage", ["missing", "empty", "corrupt"])
def test_damaged_state_file_never_starts_a_second_server(data_dir, damage):
    url = EmbeddedRedis(data_dir).ensure_running()
    client = redis.Redis.from_url(url)
    client.set("acknowledged", "yes")
    state = data_dir / "server.json"
    if damage == "missing":
        state.unlink(missing_ok=True)
    else:
        state.write_text("" if damage == "empty" else '{"pid": 1')
    again = EmbeddedRedis(data_dir).ensure_running()
    assert again == url
    assert len(servers_for(data_dir)) == 1
    assert redis.Redis.from_url(again).get("acknowledged") == b"yes"
    client.close()


def test_corrupt_state_file_then_doctor_from_the_cli(data_dir, small_model_dir):
    url = EmbeddedRedis(data_dir).ensure_running()
    (data_dir / "server.json").write_text('{"pid": 1')
    env = {**_embedded_env(data_dir), "RECSYS_MODEL_DIR": str(small_model_dir)}
    done = subprocess.run([sys.executable, "-m", "recsys", "doctor"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert "Traceback" not in done.stderr
    assert f":{url.rsplit(':', 1)[1].split('/')[0]}" in done.stdout  # doctor found the running server
    assert len(servers_for(data_dir)) == 1


# -- issue 11.1: a busy server (a script past Redis's 5 s limit) -------------------------------
def test_server_busy_with_a_long_script_is_waited_for(data_dir):
    url = EmbeddedRedis(data_dir).ensure_running()
    redis.Redis.from_url(url).set("before", "1")
    busy = "local t0 = redis.call('TIME')[1] while tonumber(redis.call('TIME')[1]) - t0 < 7 do end return 1"
    script = threading.Thread(target=lambda: redis.Redis.from_url(url, socket_timeout=30).eval(busy, 0), daemon=True)
    script.start()
    time.sleep(1.0)  # blocked, not yet past the 5 s BUSY threshold; then past it while we wait
    watch = Watch(data_dir)
    started = time.monotonic()
    again = EmbeddedRedis(data_dir).ensure_running()
    assert watch.stop() == 1
    assert again == url and time.monotonic() - started > 3  # it waited for the script to end
    assert redis.Redis.from_url(again).get("before") == b"1"
    script.join(timeout=10)


# -- issue 11.1 + 11.6: an AOF load longer than the start timeout, 4 processes starting at once ----
def _start_in_child(data_dir: str) -> str:
    from recsys.serving.redis_server import EmbeddedRedis

    return EmbeddedRedis(Path(data_dir)).ensure_running(timeout_s=2, notify=lambda m: print(m, file=sys.stderr))


def test_slow_aof_load_is_waited_for_by_four_processes_at_once(data_dir, slow_loading):
    pid, port = slow_loading()
    watch = Watch(data_dir)
    with ThreadPoolExecutor(4) as pool:  # each call spawns its own Python: 4 processes
        futures = [pool.submit(subprocess.run, [sys.executable, "-c",
                                                "import sys; from tests.integration.test_lifecycle_server import "
                                                "_start_in_child as s; print(s(sys.argv[1]))", str(data_dir)],
                               cwd=ROOT, capture_output=True, text=True, timeout=120) for _ in range(4)]
        url = EmbeddedRedis(data_dir).ensure_running(timeout_s=2)
        results = [f.result() for f in futures]
    assert watch.stop() == 1
    assert servers_for(data_dir) == [pid]
    assert [r.returncode for r in results] == [0, 0, 0, 0], [r.stderr[-500:] for r in results]
    assert {r.stdout.strip() for r in results} == {url} and url.endswith(f":{port}/0")
    assert any("loading its data" in r.stderr for r in results)  # progress, not silence
    assert redis.Redis.from_url(url).dbsize() == 20_000  # every acknowledged write is there


def _race_four_starts(data_dir: Path) -> list[subprocess.CompletedProcess]:
    barrier_at = time.time() + 1.5  # every child starts its ensure_running at the same instant
    code = ("import sys, time; from tests.integration.test_lifecycle_server import _start_in_child as s; "
            "time.sleep(max(0, float(sys.argv[2]) - time.time())); print(s(sys.argv[1]))")
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(subprocess.run, [sys.executable, "-c", code, str(data_dir), str(barrier_at)],
                               cwd=ROOT, capture_output=True, text=True, timeout=120) for _ in range(4)]
        return [f.result() for f in futures]


def test_four_processes_starting_on_a_fresh_data_dir_share_one_server(data_dir):
    """The start lock's race: nobody has started a server yet, four processes try at once."""
    watch = Watch(data_dir)
    results = _race_four_starts(data_dir)
    assert [r.returncode for r in results] == [0, 0, 0, 0], [r.stderr[-500:] for r in results]
    assert watch.stop() == 1 and len(servers_for(data_dir)) == 1
    urls = {r.stdout.strip() for r in results}
    assert len(urls) == 1
    client = redis.Redis.from_url(urls.pop())
    client.set("acknowledged", "yes")
    # kill -9, then four processes race again over what the dead server left behind.
    kill_all(data_dir)
    watch = Watch(data_dir)
    results = _race_four_starts(data_dir)
    assert [r.returncode for r in results] == [0, 0, 0, 0], [r.stderr[-500:] for r in results]
    assert watch.stop() == 1 and len(servers_for(data_dir)) == 1
    urls = {r.stdout.strip() for r in results}
    assert len(urls) == 1 and redis.Redis.from_url(urls.pop()).get("acknowledged") == b"yes"


# -- issue 11.1: serve-redis started while the app's server is starting ------------------------
def test_serve_redis_never_starts_a_second_server_beside_the_app(data_dir, slow_loading):
    pid, _ = slow_loading()  # the app's server, still loading
    watch = Watch(data_dir)
    serve = _serve_redis(data_dir)
    try:
        out, err = serve.communicate(timeout=60)
    finally:
        if serve.poll() is None:
            serve.send_signal(signal.SIGINT)
            serve.wait(timeout=20)
    assert watch.stop() == 1 and servers_for(data_dir) == [pid]
    assert serve.returncode == 1 and "already running" in err and "Traceback" not in err


def test_serve_redis_and_app_started_together_share_one_server(data_dir):
    watch = Watch(data_dir)
    serve = _serve_redis(data_dir)
    try:
        url = EmbeddedRedis(data_dir).ensure_running()
        redis.Redis.from_url(url).set("app", "wrote this")
        time.sleep(3)  # long enough for serve-redis to have started (or refused)
        assert watch.stop() == 1
        assert redis.Redis.from_url(EmbeddedRedis(data_dir).ensure_running()).get("app") == b"wrote this"
    finally:
        if serve.poll() is None:
            serve.send_signal(signal.SIGINT)
        serve.wait(timeout=30)


# -- issue 10.11: a fixed port already taken: the message names the cause -----------------------
def test_fixed_port_taken_says_so_in_the_first_line(data_dir):
    from recsys.config import Settings
    from recsys.serving.connection import RedisUnavailableError, resolve_url

    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        with pytest.raises(EmbeddedRedisError) as err:
            EmbeddedRedis(data_dir, port=port).ensure_running(timeout_s=5)
        first = str(err.value).splitlines()[0]
        assert f"port {port}" in first and "already in use" in first
        settings = Settings(redis_url=None, data_dir=data_dir.parent, embedded_redis_port=port)
        with pytest.raises(RedisUnavailableError) as err:
            resolve_url(settings)
        assert "already in use" in err.value.reason  # what the app's banner shows
    assert servers_for(data_dir) == []


# -- issue 10.11: a read-only data dir for `index` and `doctor` ----------------------------------
@pytest.mark.parametrize("command", ["doctor", "index"])
def test_read_only_data_dir_is_a_message_not_a_traceback(command, tmp_path, small_model_dir, small_demo_dir):
    data = tmp_path / "data"
    data.mkdir()
    os.chmod(data, 0o555)
    # Root writes anywhere: as root, run without the capabilities that bypass file modes.
    jail = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner",
            "--inh-caps=-dac_override,-dac_read_search,-fowner", "--"] if os.geteuid() == 0 else []
    env = {**os.environ, "RECSYS_DATA_DIR": str(data), "RECSYS_MODEL_DIR": str(small_model_dir),
           "RECSYS_DATASET_DIR": str(small_demo_dir)}
    env.pop("REDIS_URL", None)
    try:
        done = subprocess.run([*jail, sys.executable, "-m", "recsys", command], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=180)
    finally:
        os.chmod(data, 0o755)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "Traceback" not in output, output[-2000:]
    assert "read-only" in output and str(data) in output
    assert servers_for(data / "redis") == []


# -- issue 10.5: AOF, its directory and the log are owner-only ------------------------------------
def test_aof_dir_files_and_log_are_private_also_after_an_upgrade(data_dir):
    server = EmbeddedRedis(data_dir)
    _write_keys(server.ensure_running(), 10)
    assert server.stop()
    for path in [data_dir, data_dir / "appendonlydir", *(data_dir / "appendonlydir").iterdir(), data_dir / "redis.log"]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)  # as an earlier version left them
    url = server.ensure_running()
    _write_keys(url, 10)
    redis.Redis.from_url(url).bgrewriteaof()
    time.sleep(1)
    files = [data_dir / "redis.log", *(data_dir / "appendonlydir").iterdir()]
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in files} == {"0o600"}, files
    assert stat.S_IMODE((data_dir / "appendonlydir").stat().st_mode) == 0o700
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700


# -- issue 10.11: disk full (Redis MISCONF) --------------------------------------------------------
def test_disk_full_misconf_is_a_clear_error(data_dir, namespace):
    import numpy as np

    from recsys.serving.connection import RedisUnavailableError
    from recsys.serving.profile_store import UserStore

    url = EmbeddedRedis(data_dir).ensure_running()
    client = redis.Redis.from_url(url)
    users = UserStore(client, namespace)
    users.put_many([{"user_id": "u1", "name": "Before"}], np.zeros((1, 4)), "m")
    pid = servers_for(data_dir)[0]
    # Take the directory away under the running server: its next snapshot cannot be written,
    # exactly as with a full disk, and Redis then refuses every write with MISCONF.
    moved = data_dir.parent / "gone"
    os.rename(data_dir, moved)
    subprocess.run(["rm", "-rf", str(moved)], check=True)
    try:
        with pytest.raises(redis.ResponseError):
            client.bgsave()
            deadline = time.monotonic() + 10
            while client.info("persistence")["rdb_last_bgsave_status"] == "ok" and time.monotonic() < deadline:
                time.sleep(0.05)
            client.set("probe", "1")
        with pytest.raises(RedisUnavailableError) as err:
            users.put_many([{"user_id": "u2", "name": "After"}], np.zeros((1, 4)), "m")
        assert "disk" in err.value.reason and "MISCONF" in err.value.reason
        assert "Traceback" not in str(err.value)
    finally:
        client.close()
        os.kill(pid, signal.SIGKILL)  # it cannot save, so it would refuse a clean shutdown


# -- found by an adversarial pass: the password file, SIGTERM, a missing AOF ------------------------
@pytest.mark.parametrize("content", ["topsecret pass\n", 'top"secret\n', "", "topsecret\nloadmodule /x.so\n"])
def test_a_damaged_password_file_is_a_clear_error_that_never_shows_it(data_dir, content):
    data_dir.mkdir(parents=True)
    (data_dir / "password").write_text(content)
    with pytest.raises(EmbeddedRedisError) as err:
        EmbeddedRedis(data_dir).ensure_running()
    assert "password file" in str(err.value) and "Delete it" in str(err.value)
    assert "topsecret" not in str(err.value) and not servers_for(data_dir)
    out = subprocess.run([sys.executable, "-m", "recsys", "serve-redis"], cwd=ROOT, env=_embedded_env(data_dir),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "topsecret" not in out.stdout + out.stderr and "Traceback" not in out.stderr


def test_serve_redis_stops_its_server_on_sigterm(data_dir):
    serve = _serve_redis(data_dir)
    deadline = time.monotonic() + 60
    while not servers_for(data_dir) and time.monotonic() < deadline:
        time.sleep(0.1)
    url = EmbeddedRedis(data_dir).ensure_running()
    redis.Redis.from_url(url).set("kept", "yes")
    serve.send_signal(signal.SIGTERM)  # what docker stop and systemd send
    serve.wait(timeout=30)
    deadline = time.monotonic() + 20
    while servers_for(data_dir) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert servers_for(data_dir) == []
    again = _serve_redis(data_dir)
    try:
        deadline = time.monotonic() + 60
        while not servers_for(data_dir) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert redis.Redis.from_url(EmbeddedRedis(data_dir).ensure_running()).get("kept") == b"yes"
    finally:
        again.send_signal(signal.SIGTERM)
        again.wait(timeout=30)


def test_a_missing_aof_with_a_snapshot_refuses_to_start_and_keeps_the_snapshot(data_dir):
    import shutil

    url = EmbeddedRedis(data_dir).ensure_running()
    client = redis.Redis.from_url(url)
    client.set("profile", "only copy")
    client.save()
    EmbeddedRedis(data_dir).stop()
    snapshot = (data_dir / "dump.rdb").read_bytes()
    shutil.rmtree(data_dir / "appendonlydir")
    with pytest.raises(EmbeddedRedisError) as err:
        EmbeddedRedis(data_dir).ensure_running()
    assert "appendonlydir" in str(err.value) and "would lose" in str(err.value)
    assert not servers_for(data_dir) and (data_dir / "dump.rdb").read_bytes() == snapshot
