"""`python -m recsys COMMAND`: the pipelines and checks. Errors print one clear line (what is
wrong and where) and exit non-zero; they never dump a traceback for bad input."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from recsys.config import DEMO_DATASET_DIR, Settings


def _progress_bar(total: int | None, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, file=sys.stderr, leave=False)


def cmd_serve_redis(args: argparse.Namespace) -> int:
    from recsys.serving.redis_server import EmbeddedRedis

    settings = Settings()
    server = EmbeddedRedis(settings.redis_data_dir, port=args.port or settings.embedded_redis_port)
    print(f"Embedded Redis for {settings.redis_data_dir} (Ctrl-C stops it)", flush=True)
    return server.run_foreground()


def cmd_stop_redis(args: argparse.Namespace) -> int:
    from recsys.serving.redis_server import EmbeddedRedis

    stopped = EmbeddedRedis(Settings().redis_data_dir).stop()
    print("stopped" if stopped else "no embedded Redis was running")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from recsys.doctor import run_checks

    ok = True
    for check in run_checks(Settings()):
        ok &= check.ok
        print(f"[{'ok' if check.ok else 'FAIL'}] {check.name}: {check.detail}")
        if not check.ok and check.fix:
            print(f"       fix: {check.fix}")
    return 0 if ok else 1


def cmd_demo_data(args: argparse.Namespace) -> int:
    from recsys.data.demo import DemoConfig, write_demo

    cfg = DemoConfig(seed=args.seed, n_restaurants=args.restaurants, n_users=args.users)
    path = write_demo(args.out, cfg)
    print(f"wrote the synthetic demo dataset to {path}")
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from recsys.data.importers import ingest

    result = ingest(args.source, args.out, args.format, skip_invalid=args.skip_invalid, rejects_path=args.rejects,
                    force=args.force)
    print(f"imported {result.imported} restaurants, {len(result.dataset.users)} users, "
          f"{len(result.dataset.interactions)} interactions ({result.format}) into {args.out}")
    if result.rejects:
        where = args.rejects or str(Path(args.out) / "rejects.csv")
        print(f"skipped {result.rejected_records} invalid record(s) ({len(result.rejects)} problem(s)); "
              f"reasons in {where}")
    return 0


def _load_any_dataset(directory: str):
    """Restaurant checks apply when the items look like restaurants; any contract dir works."""
    import pandas as pd

    from recsys.data.contract import load_dataset
    from recsys.data.record import REQUIRED_COLUMNS
    from recsys.data.restaurants import load_restaurant_dataset

    items_path = next((p for p in (Path(directory) / "items.csv", Path(directory) / "items.csv.gz") if p.is_file()), None)
    if items_path is not None:
        columns = set(pd.read_csv(items_path, nrows=0).columns)
        # The record's contract columns say "restaurants" (one without an address is still read as
        # restaurants, so the restaurant checks name the missing column).
        if set(REQUIRED_COLUMNS) - {"address"} <= columns:
            return load_restaurant_dataset(directory)
    return load_dataset(directory)


def cmd_train(args: argparse.Namespace) -> int:
    from recsys.ml.training import TrainConfig
    from recsys.ml.two_tower import TwoTowerRecommender

    dataset = _load_any_dataset(args.dataset)
    cfg = TrainConfig(seed=args.seed, loss=args.loss)
    if args.epochs is not None:
        cfg.epochs = args.epochs
    bar = _progress_bar(None, "training")  # epochs are an upper bound (early stopping), per variant

    def progress(epoch: int, total: int, record: dict) -> None:
        bar.update(1)
        bar.set_postfix({k: round(v, 4) if isinstance(v, float) else v for k, v in record.items() if k != "epoch"})

    model = TwoTowerRecommender(cfg, progress).fit(dataset)
    bar.close()
    model.save(args.out)
    card = model.card
    variants = ", ".join(f"{name} {score:.4f}" for name, score in card.validation_recall.items())
    skipped = "; ".join(f"{n} {reason}" for reason, n in card.data_problems.items())
    print(f"trained in {card.train_seconds:.1f} s; best epoch {card.best_epoch} "
          f"(validation recall@{cfg.eval_k} {card.best_record.get('val_recall', float('nan')):.4f}; {variants}); "
          + (f"events skipped: {skipped}; " if skipped else "") + f"saved to {args.out}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from recsys.data.demo import load_oracle
    from recsys.ml.baselines import EaseRecommender, PopularRecommender
    from recsys.ml.evaluation import CURVE_KEY, baselines, cold_start_curve, compare, make_split
    from recsys.ml.two_tower import TwoTowerRecommender, seed_recipe_baseline

    dataset = _load_any_dataset(args.dataset)
    trained = TwoTowerRecommender.load(args.model)
    # Never score a model on what it trained on: refit its recipe on this split's training part.
    candidate = TwoTowerRecommender(trained.config)
    models = [*baselines(dataset, load_oracle(args.dataset), seed_recipe_baseline), candidate]
    splits = args.split or ["random"]
    tables = []
    for split in splits:
        print(f"split {split}: {make_split(dataset, split).note}", file=sys.stderr)
        table = compare(dataset, models, split, k=args.k, exclude_seen=not args.include_seen,
                        max_users=args.max_users, on_model=lambda name: print(f"  fitting {name}", file=sys.stderr))
        tables.append(table)
        print(table.to_markdown(index=False, floatfmt=".4f"))
    print("cold-start curve: held-out users given their first n interactions as history", file=sys.stderr)
    curve = cold_start_curve(dataset, [PopularRecommender(), EaseRecommender(), TwoTowerRecommender(trained.config)],
                             k=args.k, max_users=args.max_users,
                             on_model=lambda name: print(f"  fitting {name}", file=sys.stderr))
    print(curve.pivot(index="revealed", columns="model", values=f"recall@{args.k}").reset_index()
          .to_markdown(index=False, floatfmt=".4f"))
    if not args.no_write:
        path = Path(args.model) / "metrics.json"
        metrics = json.loads(path.read_text()) if path.is_file() else {}
        for table in tables:
            metrics[table["split"].iat[0]] = table.to_dict("records")
        metrics[CURVE_KEY] = curve.to_dict("records")
        path.write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    return 0


def cmd_recommend_batch(args: argparse.Namespace) -> int:
    import pandas as pd

    from recsys.data.contract import DatasetError, Problem
    from recsys.ml.baselines import top_k
    from recsys.ml.two_tower import TwoTowerRecommender

    model = TwoTowerRecommender.load(args.model)
    dataset = _load_any_dataset(args.dataset)
    model.check_schema(dataset)
    wanted = [line.strip() for line in Path(args.users).read_text(encoding="utf-8").splitlines()]
    known = set(dataset.users["user_id"])
    problems = [Problem(Path(args.users).name, i + 1, "user_id", f"{u!r} is not in users.csv")
                for i, u in enumerate(wanted) if u and u not in known]
    if problems:
        raise DatasetError(problems)
    wanted = [u for u in wanted if u]
    users = dataset.users.set_index("user_id").loc[wanted].reset_index()
    exclude = None
    if args.exclude_seen:
        exclude = dataset.interactions.groupby("user_id")["item_id"].agg(set).to_dict()
    rows = []
    item_vectors = model.embed_items(dataset.items)
    model.set_catalogue(dataset.items)  # a user's history is their interactions in the dataset
    for start in range(0, len(users), 2048):
        chunk = users.iloc[start:start + 2048]
        scores = model.embed_users(chunk, dataset.interactions) @ item_vectors.T
        ranked = top_k(scores, dataset.items["item_id"].to_numpy(), chunk["user_id"].tolist(), args.k, exclude)
        rows += [(user, rank, item, score) for user, row in zip(chunk["user_id"], ranked)
                 for rank, (item, score) in enumerate(row, start=1)]
    out = pd.DataFrame(rows, columns=["user_id", "rank", "item_id", "score"])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(args.out, index=False, float_format="%.6f")
    print(f"wrote {len(out)} recommendations for {len(users)} users to {args.out}")
    return 0


def cmd_index(args: argparse.Namespace) -> int:
    from recsys.serving.service import RecommenderService

    service = RecommenderService.open(Settings(), bootstrap=False)
    built = service.ensure_indexed(force=args.force, notify=logging.getLogger("recsys").info)
    status = service.restaurants.status()
    print(f"{'built' if built else 'already up to date'}: index v{status.version} with {status.documents} "
          f"restaurants, model {service.loaded.model_id}, {service.users.count()} profiles")
    return 0


def cmd_export_feedback(args: argparse.Namespace) -> int:
    from recsys.data.contract import check_output_file
    from recsys.serving.connection import connect, resolve_url
    from recsys.serving.feedback import FeedbackLog

    check_output_file(args.out, "--out")  # before Redis is asked for anything

    settings = Settings()
    log = FeedbackLog(connect(resolve_url(settings)), settings.namespace)
    # Events count as exported (and may be trimmed from the capped stream) only once written.
    frame = log.export_interactions(lambda interactions: interactions.to_csv(args.out, index=False))
    print(f"wrote {len(frame)} interactions from feedback to {args.out}")
    return 0


def _positive_int(text: str) -> int:
    """argparse type for counts such as --k: argparse names the option in its error."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m recsys", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve-redis", help="run the embedded Redis in the foreground")
    p.add_argument("--port", type=int, default=0)
    p.set_defaults(func=cmd_serve_redis)
    sub.add_parser("stop-redis", help="stop the embedded Redis of this data dir").set_defaults(func=cmd_stop_redis)
    sub.add_parser("doctor", help="check Redis, modules, index and model").set_defaults(func=cmd_doctor)

    p = sub.add_parser("demo-data", help="generate the synthetic San Francisco dataset")
    p.add_argument("--out", default=str(DEMO_DATASET_DIR))
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--restaurants", type=int, default=3000)
    p.add_argument("--users", type=int, default=5000)
    p.set_defaults(func=cmd_demo_data)

    p = sub.add_parser("ingest", help="import TripAdvisor JSON, OSM Overpass JSON, a restaurant CSV file or a "
                                      "contract directory")
    p.add_argument("source", metavar="FILE_OR_DIR")
    p.add_argument("--format", choices=["tripadvisor", "osm", "csv"], default=None,
                   help="default: detected from the content")
    p.add_argument("--out", required=True, help="the dataset directory to write (replaced whole)")
    p.add_argument("--force", action="store_true", help="replace OUT even if it is a directory that is not a dataset")
    p.add_argument("--skip-invalid", action="store_true", help="import the valid rows, report the rest")
    p.add_argument("--rejects", default=None, help="where to write rejected rows (default OUT/rejects.csv)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("train", help="train the two-tower model on a contract directory")
    p.add_argument("--dataset", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--loss", choices=["softmax", "cosine"], default="softmax")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="compare the model's recipe with baselines on a split")
    p.add_argument("--model", required=True)
    p.add_argument("--dataset", required=True)
    p.add_argument("--k", type=_positive_int, default=10)
    p.add_argument("--split", action="append", choices=["random", "time", "cold-users", "cold-items"])
    p.add_argument("--include-seen", action="store_true", help="do not exclude training items from rankings")
    p.add_argument("--max-users", type=int, default=2000, help="evaluate on a sample of this many test users")
    p.add_argument("--no-write", action="store_true", help="do not record the table in MODEL/metrics.json")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("recommend-batch", help="top-K for a file of user ids")
    p.add_argument("--model", required=True)
    p.add_argument("--dataset", required=True)
    p.add_argument("--users", required=True)
    p.add_argument("--k", type=_positive_int, default=10)
    p.add_argument("--exclude-seen", action="store_true")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_recommend_batch)

    p = sub.add_parser("index", help="load the dataset and model into Redis (idempotent)")
    p.add_argument("--force", action="store_true")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("export-feedback", help="write feedback events as interactions.csv rows")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_export_feedback)
    return parser


def main(argv: list[str] | None = None) -> int:
    from recsys.data.contract import DatasetError
    from recsys.ml.two_tower import ModelArtifactError
    from recsys.serving.connection import RedisUnavailableError
    from recsys.serving.redis_server import EmbeddedRedisError

    args = build_parser().parse_args(argv)
    # What the library waits for (Redis loading a large data set, another process's index build)
    # and what it repaired reaches the person at the terminal, on stderr, as plain sentences.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("recsys")
    if not logger.handlers:
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        return int(args.func(args) or 0)
    except (DatasetError, ValueError, LookupError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (RedisUnavailableError, EmbeddedRedisError, ModelArtifactError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a read-only or full disk, a permission: the system's words, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
