"""Import limits (issue 10 item 10): time and peak memory of `python -m recsys ingest` on the
oversized inputs, each built streaming (nothing huge is written: the 2 GiB gzip is ~14 MB).

    .venv/bin/python benchmarks/import_limits.py [--work DIR] [--ta-mb 20 60 200]

Cases: a 10^6-column CSV; a gzip that unpacks to 2 GiB; TripAdvisor JSON files of the given
sizes (one above MAX_FILE_BYTES is refused by its size; those below are imported in full).
Prints one line per case: wall seconds, peak RSS of the ingest process, exit code, last line.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = "item_id,name,address,lat,lon,cuisines,price,rating,hours"
ROW = 'r{i},Place {i},"1 Main St, San Francisco",37.77,-122.41,thai,2,4.5,"Mo-Fr 11:30-14:30,17:00-22:00"'


def wide_csv(path: Path) -> None:
    with path.open("w") as f:
        f.write(HEADER + "," + ",".join(f"c{i}" for i in range(10**6 - 9)) + "\n")
        f.write(ROW.format(i=0) + "," * (10**6 - 9) + "\n")


def gzip_bomb(path: Path, unpacked: int = 2 * 2**30) -> None:
    block = ("\n".join(ROW.format(i=i) for i in range(100)) + "\n").encode()
    with gzip.open(path, "wb", compresslevel=6) as f:
        f.write((HEADER + "\n").encode())
        for _ in range(unpacked // len(block) + 1):
            f.write(block)


def tripadvisor(path: Path, mb: int) -> None:
    rnd = random.Random(1)
    with path.open("w") as f:
        f.write('{"restaurants": [')
        i = size = 0
        while size < mb * 2**20:
            rec = {"id": f"ta{i}", "name": f"Place {i}", "address": f"{i} Main St", "locality": "San Francisco",
                   "latitude": 37.7 + rnd.random() * 0.1, "longitude": -122.5 + rnd.random() * 0.1,
                   "cuisine": ["Italian", "Pizza"], "price": rnd.randint(1, 4), "rating": 4.0, "meal_dinner": True,
                   "hours": {"monday": [["11:30", "14:30"], ["17:00", "22:00"]], "friday": [["18:00", "02:00"]]},
                   "reviews": [{"review_rating": rnd.randint(1, 5), "author": f"user{rnd.randint(0, 5000)}",
                                "date": "2024-03-0%d" % rnd.randint(1, 9)} for _ in range(20)]}
            text = ("," if i else "") + json.dumps(rec)
            f.write(text)
            size += len(text)
            i += 1
        f.write("]}")


def measure(source: Path, out: Path) -> str:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "recsys", "ingest", str(source), "--out", str(out)],
                          capture_output=True, text=True)
    wall = time.perf_counter() - start
    # RUSAGE_CHILDREN keeps the largest child so far: each case runs in its own measure process.
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    last = (done.stdout + done.stderr).strip().splitlines()[-1][:160] if (done.stdout + done.stderr).strip() else ""
    return f"{source.name}: {wall:.1f} s, peak RSS {peak:.2f} GiB, exit {done.returncode}: {last}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", default=None)
    parser.add_argument("--ta-mb", type=int, nargs="*", default=[20, 60, 200])
    parser.add_argument("--case", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:  # one case in a fresh process, so its peak RSS is its own
        source, out = args.case.split("::")
        print(measure(Path(source), Path(out)))
        return
    work = Path(args.work or tempfile.mkdtemp(prefix="import-limits-"))
    work.mkdir(parents=True, exist_ok=True)
    cases = [work / "wide.csv", work / "items.csv.gz"] + [work / f"ta{mb}.json" for mb in args.ta_mb]
    builders = [wide_csv, gzip_bomb] + [lambda p, mb=mb: tripadvisor(p, mb) for mb in args.ta_mb]
    for path, build in zip(cases, builders):
        if not path.exists():
            build(path)
        size = path.stat().st_size / 2**20
        done = subprocess.run([sys.executable, __file__, "--case", f"{path}::{work / ('out-' + path.stem)}"],
                              capture_output=True, text=True)
        print(f"[{size:.1f} MiB on disk] {done.stdout.strip() or done.stderr.strip()[-300:]}", flush=True)


if __name__ == "__main__":
    main()
