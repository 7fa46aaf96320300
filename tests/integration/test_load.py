"""Load: 8 concurrent clients calling recommend() for 30 s against the embedded Redis."""

from __future__ import annotations

import json
import random
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from recsys.serving.query import Query

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CLIENTS = 8
SECONDS = 30.0


def test_eight_clients_for_thirty_seconds(service):
    users = service.dataset().users["user_id"].tolist()
    cuisines = service.cuisines()
    latencies: list[list[float]] = [[] for _ in range(CLIENTS)]
    errors: list[BaseException] = []
    stop_at = time.monotonic() + SECONDS
    start = datetime(2026, 11, 23, tzinfo=ZoneInfo("America/Los_Angeles"))

    def client(n: int) -> None:
        rng = random.Random(n)
        while time.monotonic() < stop_at and len(latencies[n]) < 100_000:
            query = Query(lat=37.76 + rng.uniform(-0.03, 0.03), lon=-122.43 + rng.uniform(-0.03, 0.03),
                          radius_m=rng.choice([1000, 2000, 4000]), when=start + timedelta(minutes=rng.randrange(10080)),
                          price_min=1, price_max=rng.randint(2, 4), min_rating=rng.choice([0, 3.5]),
                          cuisines=rng.sample(cuisines, rng.choice([0, 1, 2])), k=10)
            t = time.perf_counter()
            try:
                if rng.random() < 0.5:
                    service.recommend(query, user_id=rng.choice(users))
                else:
                    service.recommend(query, profile={"likes": rng.sample(["pizza", "bbq", "brunch", "mexican"], 2)})
            except BaseException as exc:  # noqa: BLE001 - any error fails the test below
                errors.append(exc)
                return
            latencies[n].append((time.perf_counter() - t) * 1000)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=SECONDS + 30)
    assert not errors, errors[:3]
    flat = [x for per in latencies for x in per]
    assert all(per for per in latencies), "every client completed queries"
    report = {"clients": CLIENTS, "seconds": SECONDS, "queries": len(flat),
              "qps": round(len(flat) / SECONDS, 1), "p50_ms": round(float(np.percentile(flat, 50)), 2),
              "p95_ms": round(float(np.percentile(flat, 95)), 2)}
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "load.json").write_text(json.dumps(report, indent=2))
    print(f"\nload: {report}")
