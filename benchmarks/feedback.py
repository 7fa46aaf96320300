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
from dataclasses import replace
from pathlib import Path

import numpy as np

from benchmarks.__main__ import bench_redis
from recsys.config import SHIPPED_MODEL_DIR, Settings
from recsys.serving.profile_store import MAX_HISTORY_KEPT, as_record, history_event
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
        movement = _movement(service, query)
        rerun = _explore_rerun_after_like(settings, service, max(5, args.repeats // 5))
    import pandas as pd

    print(f"machine: {platform.machine()}, Python {platform.python_version()}; {args.repeats} repeats\n")
    print(pd.DataFrame(rows).to_markdown(index=False, floatfmt=".2f"))
    print("\n" + pd.DataFrame([movement]).to_markdown(index=False, floatfmt=".2f"))
    print("\n" + pd.DataFrame([rerun]).to_markdown(index=False, floatfmt=".1f"))


def _movement(service: RecommenderService, query: Query, profiles: int = 100) -> dict:
    """New profiles (the demo's own, without their history) like three places of a kitchen they
    do not list, the nearest ones: how many of the top 10 are of that kitchen before and after,
    and how many of the 10 changed."""
    catalogue = service.catalogue().set_index("item_id")
    cuisines = catalogue["cuisines"].map(lambda c: list(c) if not isinstance(c, str) else c.split("|"))
    users = service.dataset().users.head(profiles)
    kitchens = sorted({c for cs in cuisines for c in cs})
    before_share, after_share, changed = [], [], []
    for n, user in enumerate(users.to_dict("records")):
        profile = as_record({k: v for k, v in user.items() if k != "user_id"})
        likes = set(profile.get("likes") or [])
        kitchen = next(k for k in kitchens[n % len(kitchens):] + kitchens if k not in likes)
        before = service.recommend(query, profile=profile).items
        pool = service.recommend(replace(query, k=50, cuisines=[kitchen]),
                                 profile=profile).items
        liked = [r.item_id for r in sorted(pool, key=lambda r: r.distance_m)[:3]]
        if len(liked) < 3:
            continue
        after = service.recommend(query, profile=profile, liked=liked).items

        def share(items, kitchen=kitchen, liked=liked) -> int:
            return sum(kitchen in cuisines[r.item_id] for r in items if r.item_id not in liked)

        before_share.append(share(before))
        after_share.append(share(after))
        changed.append(len({r.item_id for r in before} - {r.item_id for r in after}))
    return {"profiles": len(changed), "top-10 of the liked kitchen, before (mean)": float(np.mean(before_share)),
            "after 3 likes (mean)": float(np.mean(after_share)),
            "profiles with more of it after": f"{np.mean(np.array(after_share) > np.array(before_share)):.0%}",
            "top-10 places replaced (mean)": float(np.mean(changed))}


def _explore_rerun_after_like(settings: Settings, service: RecommenderService, repeats: int) -> dict:
    """Server time of the Explore run after "Liked it" on a saved profile (the click's run, the
    feedback write and re-embedding, and the st.rerun that redraws the picks), in AppTest."""
    import os

    from streamlit.testing.v1 import AppTest

    import ui.services

    os.environ.update(REDIS_URL=settings.redis_url, RECSYS_NAMESPACE=settings.namespace,
                      RECSYS_DATA_DIR=str(settings.data_dir), RECSYS_MODEL_DIR=str(settings.model_dir))
    ui.services._open_service.clear()
    user = service.save_profile({"name": "Bench Liker", "likes": ["pizza"]})["user_id"]
    app = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "streamlit_app.py"), default_timeout=120)
    app.query_params.update(lat="37.7599", lon="-122.4148", radius="3000", user=user)
    app.run()
    times, open_runs = [], []
    for n in range(repeats + 1):
        started = time.perf_counter()
        next(b for b in app.button if b.key == "fb-liked").click().run()
        if n:  # the first also warms the caches
            times.append((time.perf_counter() - started) * 1000)
        assert not app.exception, app.exception
        started = time.perf_counter()
        app.run()
        open_runs.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"what": "Explore run after 'Liked it' (saved profile, AppTest)", "runs": repeats,
            "p50 ms": statistics.median(times), "p95 ms": times[min(len(times) - 1, int(0.95 * len(times)))],
            "plain rerun p50 ms (same page)": statistics.median(open_runs), "target": "300 ms"}


if __name__ == "__main__":
    main()
