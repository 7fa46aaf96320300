"""Issue 19 item 15: a large CSV is read in chunks (bounded memory), checked whole before anything
is written, its progress reported; an oversized field is a problem of its row, not of the file."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from recsys.data.contract import MAX_FIELD_CHARS, DatasetError, iter_csv_table, read_csv_table
from recsys.data.importers import check_import, import_file, ingest

HEADER = "name,address,lat,lon,cuisines,price,rating,hours\n"


def row(i: int, price: int = 2, name: str | None = None) -> str:
    return f"{name or f'Place {i}'},{i} Main St,37.76,-122.42,thai,{price},4.5,24/7\n"


def write(tmp_path: Path, rows: list[str], name: str = "many.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def test_the_csv_reader_yields_bounded_chunks_numbered_as_the_file(tmp_path):
    path = write(tmp_path, [row(i) for i in range(2_500)])
    chunks = list(iter_csv_table(path, chunk_rows=1_000))
    assert [len(c.frame) for c in chunks] == [1_000, 1_000, 500]
    assert [c.first_row for c in chunks] == [1, 1_001, 2_001]
    assert chunks[-1].position == chunks[-1].size == path.stat().st_size
    assert pd.concat([c.frame for c in chunks])["name"].tolist() == [f"Place {i}" for i in range(2_500)]


@pytest.mark.parametrize("length", [MAX_FIELD_CHARS + 1, 200_000, 10 * 2**20])
def test_an_oversized_field_is_a_problem_of_its_row_and_field(tmp_path, length):
    """A 10 MB field once failed the whole file (the csv module's own 131,072 limit)."""
    path = write(tmp_path, [row(1), row(2, name="x" * length), row(3)])
    frame, problems = read_csv_table(path)
    assert [(p.file, p.row, p.field) for p in problems] == [("many.csv", 2, "name")]
    assert f"{MAX_FIELD_CHARS:,}" in problems[0].message and f"{length:,}" in problems[0].message
    assert frame["name"].tolist()[::2] == ["Place 1", "Place 3"]
    result = import_file(path, skip_invalid=True)
    assert result.dataset.items["name"].tolist() == ["Place 1", "Place 3"] and result.rejected_records == 1
    with pytest.raises(DatasetError) as err:
        import_file(path)
    assert [(p.row, p.field) for p in err.value.problems] == [(2, "name")]


def test_a_gzipped_csv_streams_too(tmp_path):
    path = tmp_path / "many.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(HEADER + "".join(row(i) for i in range(1_200)))
    assert [len(c.frame) for c in iter_csv_table(path, chunk_rows=500)] == [500, 500, 200]
    assert len(import_file(path).dataset.items) == 1_200


def test_check_import_checks_everything_before_yielding_any_row(tmp_path):
    """Unticked "import valid rows": one bad row at the very end and nothing is ever yielded."""
    path = write(tmp_path, [row(i) for i in range(2_400)] + [row(2_400, price=9)])
    with pytest.raises(DatasetError) as err:
        check_import(path, chunk_rows=1_000)
    assert [(p.row, p.field) for p in err.value.problems] == [(2_401, "price")]


def test_check_import_streams_the_valid_rows_in_chunks_with_progress(tmp_path):
    path = write(tmp_path, [row(i, price=9 if i in (5, 1_500) else 2) for i in range(2_500)])
    seen = []
    checked = check_import(path, skip_invalid=True, chunk_rows=1_000,
                           progress=lambda done, total, stage: seen.append((done, total, stage)))
    assert checked.rows == 2_498 and [(p.row, p.field) for p in checked.rejects] == [(6, "price"), (1_501, "price")]
    assert seen and seen[-1][0] == seen[-1][1] == path.stat().st_size
    assert [d for d, _, _ in seen] == sorted(d for d, _, _ in seen)
    chunks = list(checked.chunks())
    assert [len(c) for c in chunks] == [999, 999, 500]
    items = pd.concat(chunks)
    assert len(items) == 2_498 and items["item_id"].is_unique and items["price"].dtype.kind == "i"


def test_duplicate_ids_across_chunks_are_problems_of_the_later_row(tmp_path):
    rows = [f"id{i}," + row(i) for i in range(1_500)] + ["id3," + row(9_999)]
    path = tmp_path / "dups.csv"
    path.write_text("item_id," + HEADER + "".join(rows), encoding="utf-8")
    checked = check_import(path, skip_invalid=True, chunk_rows=1_000)
    assert [(p.row, p.field) for p in checked.rejects] == [(1_501, "item_id")]
    assert sum(len(c) for c in checked.chunks()) == 1_500


def test_ingest_streams_into_one_directory_and_writes_nothing_on_a_late_bad_row(tmp_path):
    good = write(tmp_path, [row(i) for i in range(2_500)], name="good.csv")
    out = tmp_path / "out"
    ingest(good, out)
    stored = pd.read_csv(out / "items.csv")
    assert len(stored) == 2_500 and stored["name"].iloc[-1] == "Place 2499"
    bad = write(tmp_path, [row(i) for i in range(2_500)] + [row(7, price=9)], name="bad.csv")
    with pytest.raises(DatasetError):
        ingest(bad, tmp_path / "never")
    assert not (tmp_path / "never").exists()
