"""A large but legal import (issue 19 item 15): a generated 1M-row restaurant CSV, under every
limit, through `python -m recsys ingest` (the same importer the Restaurants page uses), each run in
its own process so its peak RSS is its own.

    .venv/bin/python -m benchmarks.import_large [--rows 1000000] [--work DIR] [--old-tree DIR]
                                                 [--bad-rows 0] [--skip-invalid]

``--old-tree`` is another checkout of the project (e.g. `git archive main | tar -x -C DIR`): the
same file is also imported by that tree's code in the same run, and the table gives the ratios.
``--bad-rows N`` puts N invalid rows in the file (one of them a 10 MB field). Prints one table:
tree, rows, MB, seconds, peak MB, rows stored, exit code.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
HEADER = "name,address,lat,lon,cuisines,price,rating,hours\n"
# Mostly short hours, one row in ten with two intervals a day: ~62 bytes a row, so 1M rows stay
# under MAX_FILE_BYTES (64 MiB).
HOURS = ('"Mo-Fr 11:30-14:30,17:00-22:00; Sa 10:00-15:00"', "Mo-Su 11:00-22:00", *["24/7"] * 8)


def build(path: Path, rows: int, bad_rows: int = 0) -> None:
    """``rows`` distinct San Francisco places (names and addresses differ, so do their ids)."""
    rnd = random.Random(19)
    bad = set(rnd.sample(range(rows), bad_rows)) if bad_rows else set()
    huge = min(bad, default=None)
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(HEADER)
        for i in range(rows):
            name = "x" * (10 * 2**20) if i == huge else f"P{i}"
            price = 9 if i in bad else rnd.randint(1, 4)
            f.write(f"{name},{i} Main St,{37.71 + rnd.random() * 0.08:.4f},{-122.50 + rnd.random() * 0.11:.4f},"
                    f"thai,{price},4.5,{HOURS[i % len(HOURS)]}\n")


def one_case(tree: Path, source: Path, out: Path, skip_invalid: bool) -> dict:
    """Runs in a fresh process: the ingest's own wall time and peak RSS."""
    command = [sys.executable, "-m", "recsys", "ingest", str(source), "--out", str(out), "--force"]
    if skip_invalid:
        command.append("--skip-invalid")
    env = {**os.environ, "PYTHONPATH": str(tree)}
    shutil.rmtree(out, ignore_errors=True)  # rows stored: this run's, never an earlier run's
    start = time.perf_counter()
    done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    items = out / "items.csv"
    stored = len(pd.read_csv(items, usecols=["item_id"])) if items.is_file() else 0
    return {"seconds": seconds, "peak_mb": peak, "stored": stored, "exit": done.returncode,
            "last": (done.stdout + done.stderr).strip().splitlines()[-1][:100] if (done.stdout + done.stderr).strip()
            else ""}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--work", default=None)
    parser.add_argument("--old-tree", default=None)
    parser.add_argument("--bad-rows", type=int, default=0)
    parser.add_argument("--skip-invalid", action="store_true")
    parser.add_argument("--case", nargs=4, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:  # one import in a fresh process, so RUSAGE_CHILDREN is that import's alone
        tree, source, out, skip = args.case
        print(repr(one_case(Path(tree), Path(source), Path(out), skip == "1")))
        return
    work = Path(args.work or tempfile.mkdtemp(prefix="import-large-"))
    work.mkdir(parents=True, exist_ok=True)
    source = work / f"places-{args.rows}-{args.bad_rows}.csv"
    if not source.exists():
        build(source, args.rows, args.bad_rows)
    mb = source.stat().st_size / 1e6
    trees = [("this tree", ROOT)] + ([("old tree", Path(args.old_tree).resolve())] if args.old_tree else [])
    results = {}
    print(f"{'tree':<10} {'rows':>9} {'MB':>6} {'seconds':>8} {'peak MB':>8} {'rows stored':>11} {'exit':>4}")
    for label, tree in trees:
        done = subprocess.run([sys.executable, __file__, "--case", str(tree), str(source), str(work / f"out-{label[0]}"),
                               "1" if args.skip_invalid else "0"], capture_output=True, text=True)
        try:
            result = eval(done.stdout.strip().splitlines()[-1])  # our own repr of a dict of numbers and text
        except (IndexError, SyntaxError):
            print(f"{label}: failed: {done.stderr.strip()[-300:]}")
            continue
        results[label] = result
        print(f"{label:<10} {args.rows:>9,} {mb:>6.1f} {result['seconds']:>8.1f} {result['peak_mb']:>8.0f} "
              f"{result['stored']:>11,} {result['exit']:>4}   {result['last']}", flush=True)
    if len(results) == 2:
        new, old = results["this tree"], results["old tree"]
        print(f"ratios (old / this tree): time {old['seconds'] / new['seconds']:.2f}x, "
              f"peak memory {old['peak_mb'] / new['peak_mb']:.2f}x")


if __name__ == "__main__":
    main()
