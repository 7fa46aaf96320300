"""`python -m benchmarks.serving_floor [--size 10000]`: where a filtered search's time goes, from
raw FT.SEARCH commands over the benchmark's catalogue and queries (real city densities): a PING
round trip, the filtered KNN with no fields, with ids, with every stored field, the filter alone,
and the KNN with one clause dropped at a time. Prints one table (best of 3 passes, ms per query)."""

from __future__ import annotations

import argparse
import re
import time

from benchmarks.__main__ import bench_redis, embedded_city_catalogue, print_table, queries
from recsys.data.city import CITY
from recsys.data.geo import sphere_radius_for
from recsys.serving.search import build_filter
from recsys.serving.store import Layout, RestaurantStore

CLAUSES = {"geo": r"@location:\[[^\]]*\]", "hours": r"@open_slots:\{[^}]*\}", "price": r"@price:\[[^\]]*\]",
           "rating": r"@rating:\[[^\]]*\]", "cuisines": r"@cuisines:\{[^}]*\}"}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.serving_floor")
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    catalogue, offsets, vectors = embedded_city_catalogue(args.size)
    layout = Layout("hash", "float16")
    qs = queries(args.queries, ["pizza", "mexican", "chinese", "cocktails", "cafe", "thai", "italian"], offsets)
    vector = vectors[0].astype(layout.datatype).tobytes()
    rows = []
    with bench_redis() as client:
        store = RestaurantStore(client, "floor", layout=layout)
        store.rebuild(catalogue, vectors, {"model_id": "floor"}, batch_size=1000)
        name = store.index().name

        def knn(fields: list[str], drop: str | None = None, vector_part: bool = True):
            def command(q):
                expression = str(build_filter(q, CITY.timezone, sphere_radius_for(q.radius_m)))
                if drop:
                    expression = re.sub(CLAUSES[drop], "", expression)
                if not vector_part:
                    return ["FT.SEARCH", name, expression, "NOCONTENT", "LIMIT", 0, 12, "DIALECT", 2]
                return ["FT.SEARCH", name, f"({expression})=>[KNN 12 @embedding $v AS d]", "PARAMS", 2, "v",
                        vector, "RETURN", len(fields), *fields, "SORTBY", "d", "LIMIT", 0, 12, "DIALECT", 2]
            return command

        cases = {"PING (the round trip)": lambda q: ["PING"], "filtered KNN, no fields": knn([]),
                 "filtered KNN, ids": knn(["item_id"]), "filtered KNN, every stored field": knn(layout.return_fields),
                 "the filter alone (no KNN)": knn([], vector_part=False),
                 **{f"filtered KNN without the {c} clause": knn([], drop=c) for c in CLAUSES}}
        for label, command in cases.items():
            for q in qs[:30]:
                client.execute_command(*command(q))
            best = float("inf")
            for _ in range(3):
                started = time.perf_counter()
                for q in qs:
                    client.execute_command(*command(q))
                best = min(best, (time.perf_counter() - started) * 1000 / len(qs))
            rows.append({"command": label, "ms per query": f"{best:.3f}"})
            print(f"  {label}: {best:.3f} ms", flush=True)
    print_table(f"{args.size:,} restaurants in {len(offsets)} cities, hash/float16, {args.queries} queries, "
                "every filter on", rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
