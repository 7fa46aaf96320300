"""`python -m recsys doctor`: each dependency of the running product as one line, with a fix."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from recsys.config import Settings


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def run_checks(settings: Settings, notify=None) -> list[Check]:
    from recsys.ml.two_tower import ModelArtifactError, TwoTowerRecommender
    from recsys.serving.connection import RedisUnavailableError, connect, redact_url, resolve_url, text
    from recsys.serving.models import model_to_serve
    from recsys.serving.redis_server import server_processes
    from recsys.serving.store import RestaurantStore

    checks: list[Check] = []
    index_meta: dict = {}  # what the index was built with (its model), when Redis answers
    if not settings.redis_url:
        servers = server_processes(settings.redis_data_dir)
        if len(servers) > 1:  # cannot happen with the server lock; left by older versions
            checks.append(Check("embedded server", False, f"{len(servers)} redis-servers share "
                                f"{settings.redis_data_dir} (pids {', '.join(str(p.pid) for p in servers)})",
                                "stop all but one: `python -m recsys stop-redis` stops them all, then start again"))
    try:
        url = resolve_url(settings, notify=notify)
        client = connect(url)
        where = "REDIS_URL" if settings.redis_url else f"embedded server, data in {settings.redis_data_dir}"
        checks.append(Check("redis", True, f"reachable at {redact_url(url)} ({where})"))
    except RedisUnavailableError as exc:
        checks.append(Check("redis", False, str(exc),
                            "unset REDIS_URL to use the embedded server, or start Redis 8 / Redis Stack"))
        client = None
    if client is not None:
        info = client.info("server")
        version = info.get("redis_version", "?")
        major_minor = tuple(int(x) for x in str(version).split(".")[:2] if x.isdigit())
        checks.append(Check("redis version", major_minor >= (7, 2), f"{version}",
                            "the Query Engine needs Redis 7.2+ (Redis 8 has it built in)"))
        modules = {m.get("name", m.get(b"name")): m for m in _modules(client)}
        names = {text(n) for n in modules}
        has_search = bool(names & {"search", "searchlight"}) or _ft_list_works(client)
        checks.append(Check("query engine (search)", has_search, "loaded" if has_search else "missing",
                            "use Redis 8, Redis Stack, or the embedded server"))
        has_json = "ReJSON" in names or _json_works(client)
        checks.append(Check("JSON (ReJSON)", has_json, "loaded" if has_json else "missing",
                            "use Redis 8, Redis Stack, or the embedded server"))
        persistence = client.info("persistence")
        failing = [name for name in ("aof_last_write_status", "rdb_last_bgsave_status", "aof_last_bgrewrite_status")
                   if persistence.get(name, "ok") != "ok"]
        checks.append(Check("persistence", not failing,
                            "AOF and snapshots are being written" if not failing else
                            f"Redis cannot write to disk ({', '.join(failing)}): it refuses writes (MISCONF)",
                            "free disk space where Redis keeps its data (embedded: RECSYS_DATA_DIR/redis) "
                            "and check that the directory is writable"))
        store = RestaurantStore(client, settings.namespace)
        status = store.status()
        index_meta = status.meta
        checks.append(Check("restaurant index", status.version is not None and status.documents > 0
                            and status.prefix_ok,
                            f"v{status.version}: {status.documents} restaurants, model {status.meta.get('model_id', '?')}"
                            + ("" if status.prefix_ok else " (old key-prefix format: rebuild it)")
                            if status.version is not None else "not built",
                            "run `python -m recsys index` (the app also builds it on first start)"))
        try:
            report = store.cleanup_if_idle()
            checks.append(Check("orphaned index data", True, "not checked: a build is running" if report is None
                                else ("removed: " + report.describe()) if report else "none"))
        except RedisUnavailableError as exc:
            checks.append(Check("orphaned index data", False, str(exc), "free disk space, then run doctor again"))
    served, why = model_to_serve(settings, index_meta)
    try:
        model = TwoTowerRecommender.load(served)
        checks.append(Check("model", True, f"{served} ({why}; trained {model.card.trained_at or '?'}, "
                                           f"dim {model.dim})"))
    except ModelArtifactError as exc:
        checks.append(Check("model", False, str(exc), "run `make model` to retrain the shipped demo model"
                            if why != "RECSYS_MODEL_DIR" else "point RECSYS_MODEL_DIR at a trained model, or unset it"))
    live = index_meta.get("model_dir")
    if live and Path(live) != served:  # the index serves another model until the next start or `index`
        try:
            TwoTowerRecommender.load(live)
            checks.append(Check("active model", True, f"the index serves {live}; the next start (or `python -m "
                                f"recsys index`) rebuilds it with {served}, because RECSYS_MODEL_DIR is set"))
        except ModelArtifactError as exc:
            checks.append(Check("active model", False, str(exc),
                                "the app falls back to the shipped model; retrain on the Model page, or "
                                "`python -m recsys index --force` to serve the shipped one"))
    return checks


def _modules(client) -> list[dict]:
    try:
        return client.execute_command("MODULE", "LIST") or []
    except Exception:  # some managed Redis services disable MODULE LIST
        return []


def _ft_list_works(client) -> bool:
    try:
        client.execute_command("FT._LIST")
        return True
    except Exception:
        return False


def _json_works(client) -> bool:
    try:
        client.execute_command("JSON.GET", "__recsys_doctor_probe__")
        return True
    except Exception:
        return False
