"""`python -m benchmarks [--sizes 1000,10000,100000] [--skip-quality]`: every benchmark, one
markdown table. Ratios are against a baseline measured in the same run (numpy brute force for
serving, most-popular and the oracle for quality). Uses its own embedded Redis in a temp dir."""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from recsys.config import DEMO_DATASET_DIR, SHIPPED_MODEL_DIR
from recsys.data.city import CITY
from recsys.data.geo import within_m
from recsys.data.hours import WeeklyHours, minute_of_week
from recsys.data.restaurants import load_restaurant_dataset
from recsys.ml.two_tower import TwoTowerRecommender
from recsys.serving.query import Query
from recsys.serving.store import HNSW_EF_RUNTIME, Layout, RestaurantStore

SF = ZoneInfo(CITY.timezone)
ROWS: list[dict] = []


def row(area: str, what: str, value: str, baseline: str = "", ratio: str = "") -> None:
    ROWS.append({"area": area, "measure": what, "value": value, "baseline (same run)": baseline, "ratio": ratio})
    print(f"  {area}: {what} = {value} {('vs ' + baseline) if baseline else ''} {ratio}", flush=True)


def quality(dataset, model: TwoTowerRecommender) -> None:
    from recsys.data.demo import load_oracle
    from recsys.ml.evaluation import baselines, compare
    from recsys.ml.two_tower import seed_recipe_baseline

    oracle = load_oracle(DEMO_DATASET_DIR)
    for split in ("random", "cold-users"):
        candidate = TwoTowerRecommender(model.config)
        table = compare(dataset, [*baselines(dataset, oracle, seed_recipe_baseline), candidate], split, k=10)
        recall = dict(zip(table["model"], table["recall@10"]))
        tt = recall["two-tower"]
        row("quality", f"Recall@10 two-tower, {split}", f"{tt:.4f}", f"most popular {recall['most popular']:.4f}",
            f"{tt / max(recall['most popular'], 1e-9):.1f}x popular")
        row("quality", f"Recall@10 two-tower, {split}", f"{tt:.4f}", f"oracle {recall['oracle (true utility)']:.4f}",
            f"{tt / recall['oracle (true utility)']:.2f}x oracle")
        ceiling = recall["ceiling (true utility without noise)"]
        row("quality", f"Recall@10 two-tower, {split}", f"{tt:.4f}", f"ceiling {ceiling:.4f}",
            f"{tt / ceiling:.2f}x ceiling")
        row("quality", f"Recall@10 two-tower, {split}", f"{tt:.4f}", f"content-only {recall['content-only']:.4f}",
            f"{tt / max(recall['content-only'], 1e-9):.1f}x content")
        row("quality", f"Recall@10 seed recipe, {split}", f"{recall['seed recipe (cosine, random labels)']:.4f}")
        if split == "random":
            row("training", "train demo model to best val recall (s)", f"{candidate.card.train_seconds:.1f}",
                "target 60 s", f"best epoch {candidate.card.best_epoch}")


def scaled_catalogue(items: pd.DataFrame, n: int, seed: int = 0) -> pd.DataFrame:
    """The dense stress case: the demo catalogue repeated with jittered places and fresh ids in
    one city, up to n restaurants (at 1M, 330 twins of every place)."""
    rng = np.random.default_rng(seed)
    reps = math.ceil(n / len(items))
    frame = pd.concat([items] * reps, ignore_index=True).iloc[:n].copy()
    frame["item_id"] = [f"b{i:07d}" for i in range(n)]
    frame["lat"] = frame["lat"] + rng.normal(0, 0.002, n)
    frame["lon"] = frame["lon"] + rng.normal(0, 0.002, n)
    return frame


def city_centres(count: int, seed: int = 0) -> list[tuple[float, float]]:
    """Offsets that move San Francisco to ``count`` city sites (SF itself first): latitudes 30-45
    north and south (where a degree of longitude is within 10% of SF's), a degree apart, so the
    copies never overlap and each keeps SF's shape and density."""
    sites = [(sign * lat, float(lon)) for lat in np.arange(30.0, 45.1, 1.5) for sign in (1, -1)
             for lon in range(-179, 180)]
    offsets = [(0.0, 0.0)]
    for i in np.random.default_rng(seed).permutation(len(sites)):
        lat, lon = sites[i]
        if abs(lat - CITY.centre[0]) < 1 and abs(lon - CITY.centre[1]) < 1:
            continue  # SF's own site
        if len(offsets) == count:
            break
        offsets.append((lat - CITY.centre[0], lon - CITY.centre[1]))
    return offsets


def city_catalogue(items: pd.DataFrame, n: int) -> tuple[pd.DataFrame, list[tuple[float, float]]]:
    """Real city densities: the demo catalogue copied to ceil(n / 3,000) city sites with fresh
    ids, up to n restaurants. Returns the catalogue and the sites' offsets from SF."""
    offsets = city_centres(math.ceil(n / len(items)))
    frames = []
    for c, (dlat, dlon) in enumerate(offsets):
        copy = items.copy()
        copy["item_id"] = [f"c{c:03d}-{i:05d}" for i in range(len(items))]
        copy["lat"] = copy["lat"] + dlat
        copy["lon"] = (copy["lon"] + dlon + 180.0) % 360.0 - 180.0
        frames.append(copy)
    return pd.concat(frames, ignore_index=True).iloc[:n].reset_index(drop=True), offsets


def embedded_city_catalogue(n: int) -> tuple[pd.DataFrame, list[tuple[float, float]], np.ndarray]:
    """The demo city copied to city sites up to n restaurants, their offsets, and their vectors
    from the shipped model's item tower."""
    catalogue, offsets = city_catalogue(load_restaurant_dataset(DEMO_DATASET_DIR).items, n)
    return catalogue, offsets, TwoTowerRecommender.load(SHIPPED_MODEL_DIR).embed_items(catalogue)


class NumpyBruteForce:
    """The same filtered query as exact numpy (the geodesic radius, the hours, every filter): the
    baseline Redis is compared against."""

    def __init__(self, items: pd.DataFrame, vectors: np.ndarray):
        self.vectors = vectors
        self.lat = items["lat"].to_numpy(float)
        self.lon = items["lon"].to_numpy(float)
        self.price = items["price"].to_numpy(int)
        self.rating = items["rating"].to_numpy(float)
        self.cuisines = [set(c.split("|")) for c in items["cuisines"]]
        owner, start, end = [], [], []
        for i, text in enumerate(items["hours"]):
            for s, e in WeeklyHours.parse(text).intervals:
                owner.append(i), start.append(s), end.append(e)
        self.owner, self.start, self.end = np.array(owner), np.array(start), np.array(end)
        self.ids = items["item_id"].to_numpy()
        self.cuisine_sets: dict[str, np.ndarray] = {}

    def _has(self, cuisine: str) -> np.ndarray:
        if cuisine not in self.cuisine_sets:
            self.cuisine_sets[cuisine] = np.array([cuisine in c for c in self.cuisines])
        return self.cuisine_sets[cuisine]

    def search(self, vector: np.ndarray, q: Query) -> list[str]:
        minute = minute_of_week(q.when)
        open_ = np.zeros(len(self.lat), bool)
        open_[self.owner[(self.start <= minute) & (minute < self.end)]] = True
        mask = open_ & (self.price >= q.price_min) & (self.price <= q.price_max) & (self.rating >= q.min_rating)
        if q.cuisines:
            mask &= np.logical_or.reduce([self._has(c) for c in q.cuisines])
        idx = np.flatnonzero(mask)
        inside, _ = within_m(q.lat, q.lon, self.lat[idx], self.lon[idx], q.radius_m)
        idx = idx[inside]
        scores = self.vectors[idx] @ vector
        top = idx[np.argsort(-scores)[: q.k]]
        return list(self.ids[top])


def queries(n: int, cuisines: list[str], offsets: list[tuple[float, float]], seed: int = 1) -> list[Query]:
    """All filters on, pins spread over SF's busy centre, in a random city copy."""
    rng = np.random.default_rng(seed)
    base = datetime(2026, 11, 27, 12, 0, tzinfo=SF)
    out = []
    for _ in range(n):
        dlat, dlon = offsets[int(rng.integers(0, len(offsets)))]
        lon = (-122.43 + rng.normal(0, 0.02) + dlon + 180.0) % 360.0 - 180.0
        out.append(Query(lat=37.775 + rng.normal(0, 0.015) + dlat, lon=lon, radius_m=2000,
                         when=base + timedelta(minutes=int(rng.integers(0, 7 * 24 * 60))), price_min=1, price_max=3,
                         min_rating=3.5, cuisines=list(rng.choice(cuisines, 2, replace=False)), k=10))
    return out


def _percentiles(ms: list[float]) -> tuple[float, float]:
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def hnsw_recall_at(store: RestaurantStore, catalogue: pd.DataFrame, vectors: np.ndarray, layout: Layout,
                   ef_runtime: int | None = None, n_queries: int = 100) -> tuple[float, float]:
    """Unfiltered KNN, where HNSW approximates (filtered queries mostly run exact): recall@10
    against the exact top 10 over the vectors as stored (float16 rounding is not HNSW's error),
    counted by score, since the city copies hold near-identical vectors and any of those tied
    with the exact 10th is as right as the one numpy happened to list. Returns (recall, ms)."""
    from redisvl.query import VectorQuery

    idx = store.index()
    stored = vectors.astype(layout.datatype).astype(np.float32)
    rng = np.random.default_rng(3)
    recalls, times = [], []
    for _ in range(n_queries):
        v = vectors[rng.integers(0, len(vectors))] + rng.normal(0, 0.05, vectors.shape[1]).astype(np.float32)
        v /= np.linalg.norm(v)
        query = VectorQuery(list(map(float, v)), "embedding", return_fields=["item_id"], num_results=10,
                            dtype=layout.datatype, ef_runtime=ef_runtime)
        t = time.perf_counter()
        res = idx.query(query)
        times.append((time.perf_counter() - t) * 1000)
        scores = stored @ v.astype(layout.datatype).astype(np.float32)
        tenth = np.sort(scores)[-10]
        got = np.flatnonzero(catalogue["item_id"].isin([r["item_id"] for r in res]).to_numpy())
        recalls.append(float(np.sum(scores[got] >= tenth - 1e-4)) / 10)
    return statistics.mean(recalls), float(np.median(times))


def serve_one(client, model: TwoTowerRecommender, catalogue: pd.DataFrame, vectors: np.ndarray,
              offsets: list[tuple[float, float]], layout: Layout, n_queries: int, hnsw_recall: bool,
              label: str) -> None:
    from recsys.config import Settings
    from recsys.serving.service import LoadedModel, RecommenderService, model_id

    n = len(catalogue)
    label = f"{n:,} restaurants {label}, {layout.storage}/{layout.datatype}"
    namespace = f"bench{n}{layout.storage}{layout.datatype}"
    store = RestaurantStore(client, namespace, layout=layout)
    before = client.info("memory")["used_memory"]
    started = time.perf_counter()
    store.rebuild(catalogue, vectors, {"model_id": model_id(SHIPPED_MODEL_DIR)}, batch_size=1000)
    seconds = time.perf_counter() - started
    used = client.info("memory")["used_memory"] - before
    row("serving", f"bulk index, {label} (docs/s)", f"{n / seconds:,.0f}", "", f"{seconds:.1f} s")
    row("memory", f"Redis memory per restaurant, {label}", f"{used / n / 1024:.2f} KiB", "", f"{used / 2**30:.2f} GiB in all")
    settings = Settings(namespace=namespace, storage=layout.storage, vector_dtype=layout.datatype, timezone=CITY.timezone)
    service = RecommenderService(settings, client, LoadedModel(model, SHIPPED_MODEL_DIR, model_id(SHIPPED_MODEL_DIR)))
    profile = {"likes": ["pizza", "cocktails"], "price_bracket": "middle"}
    user = service.save_profile({**profile, "name": "Bench User"})
    vector = np.array(user["embedding"], dtype=np.float32)
    brute = NumpyBruteForce(catalogue, vectors)
    qs = queries(n_queries, ["pizza", "mexican", "chinese", "cocktails", "cafe", "thai", "italian"], offsets)
    likes = sorted({c for cs in brute.cuisines for c in cs})
    rng = np.random.default_rng(5)
    ad_hoc = [{"likes": list(rng.choice(likes, 2, replace=False)), "price_bracket": "middle"} for _ in qs]
    for q in qs[:5]:  # warm up every path
        service.recommend(q, user_id=user["user_id"])
        service.recommend(q, profile=profile)
        brute.search(vector, q)
    timings: dict[str, list[float]] = {"stored": [], "adhoc": [], "repeat": [], "numpy": []}
    overlap = []
    for q, new_profile in zip(qs, ad_hoc):
        t = time.perf_counter()
        got = [r.item_id for r in service.recommend(q, user_id=user["user_id"]).items]
        timings["stored"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        service.recommend(q, profile=new_profile)  # a profile never seen: embedded now
        timings["adhoc"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        service.recommend(q, profile=profile)  # Explore's rerun: the same ad-hoc profile again
        timings["repeat"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        exact = brute.search(vector, q)
        timings["numpy"].append((time.perf_counter() - t) * 1000)
        if exact:
            overlap.append(len(set(got) & set(exact)) / len(exact))
    b50, b95 = _percentiles(timings["numpy"])
    for key, what, target in (("stored", "stored user", 2.0), ("adhoc", "new ad-hoc profile", 2.5),
                              ("repeat", "same ad-hoc profile again", 2.5)):
        p50, p95 = _percentiles(timings[key])
        row("serving", f"recommend() all filters, {what}, {label}, p50 / p95 (ms)", f"{p50:.2f} / {p95:.2f}",
            f"numpy brute force {b50:.2f} / {b95:.2f}", f"{p50 / b50:.2f}x at p50 (goal <= {target}x)")
    row("serving", f"recall@10 vs exact, all filters, {label}", f"{statistics.mean(overlap):.3f}",
        f"{len(overlap)} queries with results")
    if hnsw_recall:
        for ef_runtime in (None, 100):  # the schema's, and the old default
            recall, ms = hnsw_recall_at(store, catalogue, vectors, layout, ef_runtime)
            row("serving", f"HNSW recall@10 vs exact, no filters, {label}, EF_RUNTIME {ef_runtime or HNSW_EF_RUNTIME}",
                f"{recall:.3f}", "target 0.95", f"{ms:.1f} ms per query")
    store.drop_versions(keep=-1)
    client.delete(store.meta_key)
    for key in client.scan_iter(match=f"{namespace}:*", count=1000):
        client.delete(key)


@contextmanager
def bench_redis():
    """A Redis client on an embedded server of its own in a temp dir, stopped at the end; no
    append-only file (the benchmarks measure the index, not the disk)."""
    from recsys.serving.connection import connect
    from recsys.serving.redis_server import EmbeddedRedis

    with tempfile.TemporaryDirectory() as tmp:
        server = EmbeddedRedis(Path(tmp) / "redis")
        try:
            client = connect(server.ensure_running())
            client.config_set("appendonly", "no")
            yield client
        finally:
            server.stop()


def print_table(title: str, rows: list[dict]) -> None:
    print(f"\n{title}\n")
    print(pd.DataFrame(rows).to_markdown(index=False))


def serving(items: pd.DataFrame, model: TwoTowerRecommender, sizes: list[int], n_queries: int,
            layouts: list[Layout], dense: list[int]) -> None:
    with bench_redis() as client:
        for n in sizes:
            catalogue, offsets = city_catalogue(items, n)
            t = time.perf_counter()
            vectors = model.embed_items(catalogue)
            row("serving", f"item tower: embed {n:,} restaurants (items/s)", f"{n / (time.perf_counter() - t):,.0f}")
            for layout in layouts if n <= 100_000 else layouts[-1:]:  # above 100k: the compact layout only
                serve_one(client, model, catalogue, vectors, offsets, layout, n_queries, hnsw_recall=True,
                          label=f"in {len(offsets)} cities")
            if n in dense:  # the stress case: every place's twins in one city
                catalogue = scaled_catalogue(items, n)
                serve_one(client, model, catalogue, model.embed_items(catalogue), [(0.0, 0.0)], layouts[-1],
                          n_queries, hnsw_recall=False, label="dense, one city")
            del catalogue, vectors


def explore_rerun(items_count: int = 3000, reruns: int = 5) -> None:
    """Server time of a warm rerun of Explore, all filters on: the shipped 3,000 restaurants, or
    the demo city copied to more city sites (benchmark catalogue) up to ``items_count``."""
    import os
    import uuid

    from streamlit.testing.v1 import AppTest

    from recsys.data.contract import save_dataset

    with tempfile.TemporaryDirectory() as tmp:
        env = {"RECSYS_DATA_DIR": tmp, "RECSYS_NAMESPACE": f"benchapp{uuid.uuid4().hex[:6]}"}
        dataset = load_restaurant_dataset(DEMO_DATASET_DIR)
        if items_count > len(dataset.items):  # SF keeps its ids (the visits name them); copies get fresh ones
            items, _ = city_catalogue(dataset.items, items_count)
            items.loc[: len(dataset.items) - 1, "item_id"] = dataset.items["item_id"].to_numpy()
            save_dataset(type(dataset)(items, dataset.users, dataset.interactions, dataset.schema), Path(tmp) / "dataset")
            env["RECSYS_DATASET_DIR"] = str(Path(tmp) / "dataset")
        saved = {k: os.environ.get(k) for k in (*env, "RECSYS_DATASET_DIR")}
        os.environ.update(env)
        try:
            root = Path(__file__).resolve().parent.parent
            at = AppTest.from_file(str(root / "streamlit_app.py"), default_timeout=900)
            at.query_params.update(lat="37.7599", lon="-122.4148", radius="2000", day="Fr", time="19:00", price="1-3",
                                   rating="3.5", cuisines="pizza,mexican", k="10")
            at.run()
            times = []
            for _ in range(reruns):
                t = time.perf_counter()
                at.run()
                times.append((time.perf_counter() - t) * 1000)
            assert not at.exception, at.exception
            row("app", f"Explore warm rerun, {items_count:,} restaurants, all filters (ms, median)",
                f"{statistics.median(times):.0f}", "target 300 ms")
        finally:
            from recsys.serving.redis_server import EmbeddedRedis

            EmbeddedRedis(Path(tmp) / "redis").stop()
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-app", action="store_true")
    parser.add_argument("--layouts", default="json/float32,hash/float16",
                        help="storage/datatype pairs to measure at each size")
    parser.add_argument("--app-sizes", default="3000", help="catalogue sizes for the Explore rerun row")
    parser.add_argument("--dense", default="", help="sizes that also run the dense one-city stress case")
    args = parser.parse_args()
    dataset = load_restaurant_dataset(DEMO_DATASET_DIR)
    model = TwoTowerRecommender.load(SHIPPED_MODEL_DIR)
    if not args.skip_quality:
        quality(dataset, model)
    layouts = [Layout(*pair.split("/")) for pair in args.layouts.split(",")]
    dense = [int(s) for s in args.dense.split(",") if s]
    serving(dataset.items, model, [int(s) for s in args.sizes.split(",")], args.queries, layouts, dense)
    if not args.skip_app:
        for count in [int(s) for s in args.app_sizes.split(",") if s]:
            explore_rerun(count)
    import os

    command = " ".join(["python -m benchmarks", *sys.argv[1:]])
    print(f"\nMachine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{datetime.now().date()}; command: {command}\n")
    print(pd.DataFrame(ROWS).to_markdown(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
