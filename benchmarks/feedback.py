"""What a like costs (issue 21): the shipped demo and model on an embedded Redis of its own; a
stored user's "liked" recorded and their vector made again from profile + history in the same
call, for users with their demo history, with 1,000 stored events (the most kept), and a new
ad-hoc profile with 3 session likes; against the same user's recommend() in the same run.

    .venv/bin/python -m benchmarks.feedback [--repeats 50]

Prints one markdown table (p50 / p95 in ms)."""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from benchmarks.__main__ import bench_redis
from recsys.config import SHIPPED_MODEL_DIR, Settings
from recsys.serving.profile_store import MAX_HISTORY_KEPT, history_event
from recsys.serving.query import Query
from recsys.serving.service import RecommenderService


def _timed(call, repeats: int) -> tuple[float, float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(0.95 * len(times)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    with bench_redis() as client, tempfile.TemporaryDirectory() as tmp:
        url = client.connection_pool.connection_kwargs
        settings = Settings(redis_url=f"redis://:{url.get('password') or ''}@{url['host']}:{url['port']}/0",
                            data_dir=Path(tmp), model_dir=SHIPPED_MODEL_DIR, namespace=f"fb{uuid.uuid4().hex[:6]}")
        service = RecommenderService.open(settings)
        items = service.catalogue()["item_id"].tolist()
        query = Query(lat=37.7599, lon=-122.4148, radius_m=3000, k=10, open_only=False)
        demo_user = service.dataset().users["user_id"].iat[0]
        heavy = service.save_profile({"name": "Heavy User", "likes": ["pizza"]})["user_id"]
        pipe = client.pipeline(transaction=False)
        service.users.push_history(pipe, heavy, [history_event(items[i % len(items)], 1.0, i) for i in range(10_000)])
        pipe.execute()
        rows = []
        for label, user in ((f"demo user ({service.users.histories([demo_user], 1000)[demo_user].shape[0]} events)",
                             demo_user), (f"user with {MAX_HISTORY_KEPT:,} stored events (10,000 written)", heavy)):
            like = iter(items * (args.repeats // len(items) + 2))
            p50, p95 = _timed(lambda u=user, it=like: service.record_feedback(u, next(it), "liked"), args.repeats)
            r50, r95 = _timed(lambda u=user: service.recommend(query, user_id=u), args.repeats)
            rows.append({"what": f"like + re-embed, {label}", "p50 ms": p50, "p95 ms": p95,
                         "recommend() p50 ms (same user)": r50, "target": "20 ms"})
        liked = items[:3]
        counter = iter(range(10**9))
        p50, p95 = _timed(lambda: service.recommend(query, profile={"likes": ["thai"], "name": f"x{next(counter)}"},
                                                    liked=liked), args.repeats)
        rows.append({"what": "ad-hoc profile, 3 session likes, embedded anew each time + recommend()",
                     "p50 ms": p50, "p95 ms": p95, "recommend() p50 ms (same user)": float("nan"), "target": ""})
    import pandas as pd

    print(f"machine: {platform.machine()}, Python {platform.python_version()}; {args.repeats} repeats\n")
    print(pd.DataFrame(rows).to_markdown(index=False, floatfmt=".2f"))


if __name__ == "__main__":
    main()
