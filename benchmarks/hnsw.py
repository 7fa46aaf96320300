"""`python -m benchmarks.hnsw [--size 100000] [--ef-construction 200,100] [--jitter 0.02]`: the HNSW
index alone on the benchmark catalogue (real city densities, hash/float16): bulk-index speed and
unfiltered recall@10 (by score, against the vectors as stored) at the schema's EF_RUNTIME and at
100 (the old default), for each EF_CONSTRUCTION. ``--jitter`` moves every vector a little (distinct places, as real
restaurants are, where the copies of one city are otherwise exact duplicates)."""

from __future__ import annotations

import argparse
import time

import numpy as np

from benchmarks.__main__ import bench_redis, embedded_city_catalogue, hnsw_recall_at, print_table
from recsys.serving import store as store_module
from recsys.serving.store import HNSW_EF_RUNTIME, Layout, RestaurantStore


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.hnsw")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--ef-construction", default="200")
    parser.add_argument("--jitter", type=float, default=0.0)
    args = parser.parse_args()
    catalogue, offsets, vectors = embedded_city_catalogue(args.size)
    if args.jitter:
        vectors = vectors + np.random.default_rng(7).normal(0, args.jitter, vectors.shape).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    layout = Layout("hash", "float16")
    rows = []
    schema = store_module.restaurant_schema
    with bench_redis() as client:
        try:
            for ef_construction in [int(x) for x in args.ef_construction.split(",")]:
                def with_ef(*a, ef=ef_construction, **k):
                    built = schema(*a, **k)
                    for f in built["fields"]:
                        if f["type"] == "vector":
                            f["attrs"]["ef_construction"] = ef
                    return built
                store_module.restaurant_schema = with_ef  # this run's index only
                store = RestaurantStore(client, f"hnsw{ef_construction}", layout=layout)
                started = time.perf_counter()
                store.rebuild(catalogue, vectors, {"model_id": "hnsw"}, batch_size=1000)
                seconds = time.perf_counter() - started
                for ef_runtime in (None, 100):
                    recall, ms = hnsw_recall_at(store, catalogue, vectors, layout, ef_runtime)
                    rows.append({"EF_CONSTRUCTION": ef_construction, "bulk docs/s": f"{len(catalogue) / seconds:,.0f}",
                                 "EF_RUNTIME": ef_runtime or HNSW_EF_RUNTIME, "recall@10": f"{recall:.3f}",
                                 "ms per query": f"{ms:.2f}"})
                    print(f"  {rows[-1]}", flush=True)
                store.drop_versions(keep=-1)
        finally:
            store_module.restaurant_schema = schema
    print_table(f"{args.size:,} restaurants in {len(offsets)} cities, hash/float16, jitter {args.jitter}", rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
