"""The dataset contract: a directory of CSV files plus schema.json, loaded into a validated
Dataset. Nothing here knows about restaurants; recsys.data.restaurants adds those checks.

    DIR/items.csv[.gz]         item_id + item feature columns
    DIR/users.csv[.gz]         user_id + user feature columns
    DIR/interactions.csv[.gz]  user_id,item_id[,weight][,timestamp]
    DIR/schema.json            {"items": {"col": KIND, ...}, "users": {"col": KIND, ...}}

KIND is numeric, categorical, multilabel ("|"-separated), text, id, or geo; a geo feature is
declared on a "lat_column,lon_column" key.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import itertools
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

import pandas as pd

from recsys.data.ids import check_id

KINDS = ("numeric", "categorical", "multilabel", "text", "id", "geo")
ID_COLUMNS = {"items": "item_id", "users": "user_id"}
MULTILABEL_SEP = "|"
MAX_LISTED_PROBLEMS = 5

# Input limits (README "Input limits"), for every file an importer or load_dataset reads. Each is
# checked before the expensive step it protects: the size before reading, the unpacked size while
# gunzipping (a bounded stream), the columns on the header before any row is parsed.
MAX_FILE_BYTES = 64 * 2**20  # a file as stored; far above any city's restaurants
MAX_UNPACKED_BYTES = 256 * 2**20  # what a .gz may unpack to (large interaction tables ship gzipped)
MAX_COLUMNS = 1_000
MAX_FIELD_CHARS = 100_000  # one CSV field (longer: a problem of its row) or JSON text value
MAX_ROWS = 2_000_000  # data rows of a CSV table, records of a JSON file
# How a CSV is streamed: rows per chunk (what an import holds and writes at a time) and bytes per read.
CSV_CHUNK_ROWS = 50_000
CSV_READ_BYTES = 2**20
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None  # 1-based data row (the header is not counted); None for whole-file problems
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.field:
            where += f", field '{self.field}'"
        return f"{where}: {self.message}"


class DatasetError(ValueError):
    """Invalid input. ``problems`` lists every one found; the message shows the first few."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n  ".join(str(p) for p in problems[:MAX_LISTED_PROBLEMS])
        more = len(problems) - MAX_LISTED_PROBLEMS
        tail = f"\n  ... and {more} more problem(s)" if more > 0 else ""
        super().__init__(f"{len(problems)} problem(s) in the dataset:\n  {shown}{tail}")


@dataclass
class Schema:
    items: dict[str, str] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)

    def table(self, name: str) -> dict[str, str]:
        return self.items if name == "items" else self.users

    def to_json(self) -> dict:
        return {"items": self.items, "users": self.users}

    @classmethod
    def from_json(cls, data: dict, file: str = "schema.json") -> "Schema":
        problems = []
        if not isinstance(data, dict):
            raise DatasetError([Problem(file, None, None, "must be a JSON object with 'items' and 'users'")])
        for table in ("items", "users"):
            cols = data.get(table, {})
            if not isinstance(cols, dict):
                problems.append(Problem(file, None, table, "must map column names to kinds"))
                continue
            for col, kind in cols.items():
                if kind not in KINDS:
                    problems.append(Problem(file, None, f"{table}.{col}",
                                            f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}"))
                if kind == "geo" and len(col.split(",")) != 2:
                    problems.append(Problem(file, None, f"{table}.{col}",
                                            "a geo feature is declared as 'lat_column,lon_column'"))
        if problems:
            raise DatasetError(problems)
        return cls(items=dict(data.get("items", {})), users=dict(data.get("users", {})))

    def columns(self, table: str) -> list[str]:
        """Every data column the schema names for a table (geo keys expand to two)."""
        out = []
        for col, kind in self.table(table).items():
            out.extend(col.split(",") if kind == "geo" else [col])
        return out


@dataclass
class Dataset:
    items: pd.DataFrame
    users: pd.DataFrame
    interactions: pd.DataFrame
    schema: Schema

    @property
    def has_timestamps(self) -> bool:
        return "timestamp" in self.interactions.columns and self.interactions["timestamp"].notna().all()

    def with_interactions(self, interactions: pd.DataFrame) -> "Dataset":
        return Dataset(self.items, self.users, interactions.reset_index(drop=True), self.schema)

    def fingerprint(self) -> str:
        """A short content hash: which data a model was trained on."""
        import hashlib

        digest = hashlib.sha256()
        for frame in (self.items, self.users, self.interactions):
            digest.update(pd.util.hash_pandas_object(frame, index=False).values.tobytes())
        digest.update(json.dumps(self.schema.to_json(), sort_keys=True).encode())
        return digest.hexdigest()[:16]


def _find(directory: Path, stem: str) -> Path | None:
    for name in (f"{stem}.csv", f"{stem}.csv.gz"):
        if (directory / name).is_file():
            return directory / name
    return None


def _mib(n: int) -> str:
    return f"{n / 2**20:g} MiB"


def _check_unpacked_size(raw: BinaryIO, name: str) -> None:
    """A gzip file unpacked once, a block at a time and nothing kept, up to one block past
    MAX_UNPACKED_BYTES: a small file that unpacks to gigabytes is refused in bounded memory and
    time, before any of it is parsed."""
    unpacked_bytes = 0
    with gzip.GzipFile(fileobj=raw) as unpacked:
        while block := unpacked.read(CSV_READ_BYTES):
            unpacked_bytes += len(block)
            if unpacked_bytes > MAX_UNPACKED_BYTES:
                raise DatasetError([Problem(name, None, None, f"unpacks to more than {_mib(MAX_UNPACKED_BYTES)}, the "
                                                              "limit for a compressed file (MAX_UNPACKED_BYTES)")])
    raw.seek(0)


@contextmanager
def _open_content(path: Path, name: str) -> Iterator[tuple[BinaryIO, BinaryIO, int]]:
    """(content, stored file, stored size): the content gunzipped when the file is gzip (by its
    magic bytes, not its name), within MAX_FILE_BYTES / MAX_UNPACKED_BYTES; the size is checked
    before anything is read. Read errors are DatasetErrors naming the file."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise DatasetError([Problem(name, None, None, f"is {_mib(size)}; the limit is {_mib(MAX_FILE_BYTES)} "
                                                          "per file (MAX_FILE_BYTES)")])
        with path.open("rb") as raw:
            gzipped = raw.read(2) == _GZIP_MAGIC
            raw.seek(0)
            if not gzipped:
                yield raw, raw, size
                return
            _check_unpacked_size(raw, name)
            with gzip.GzipFile(fileobj=raw) as unpacked:
                yield unpacked, raw, size  # type: ignore[misc]
    except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
        raise DatasetError([Problem(name, None, None, f"cannot be read: {exc}")]) from exc


def read_bytes(path: str | Path, name: str | None = None) -> bytes:
    """The file's bytes, gunzipped when it is gzip, within MAX_FILE_BYTES / MAX_UNPACKED_BYTES."""
    path = Path(path)
    with _open_content(path, name or path.name) as (content, _, _):
        return content.read()


def _not_utf8(data: bytes, start: int, newlines_before: int, name: str) -> DatasetError:
    line = newlines_before + data.count(b"\n", 0, start) + 1
    return DatasetError([Problem(name, None, None, f"is not UTF-8 text (byte 0x{data[start]:02x} on line {line}); "
                                                   "save it as UTF-8")])


def read_text(path: str | Path, name: str | None = None) -> str:
    """A file as UTF-8 text (a leading BOM is dropped); anything else is refused with the line of
    the first bad byte, because guessing a legacy encoding would silently change names."""
    data = read_bytes(path, name)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _not_utf8(data, exc.start, 0, name or Path(path).name) from None


def _first_bad_utf8(path: Path, name: str) -> DatasetError:
    """The error for a file that is not UTF-8, found again by streaming it (its line named)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    newlines = 0
    with _open_content(path, name) as (content, _, _):
        while True:
            block = content.read(CSV_READ_BYTES)
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:  # exc.object: the decoder's held bytes + this block
                return _not_utf8(exc.object, exc.start, newlines, name)
            newlines += block.count(b"\n")
            if not block:
                return DatasetError([Problem(name, None, None, "is not UTF-8 text; save it as UTF-8")])


RowRepair = Callable[[list[str], list[str]], "list[str] | None"]


@dataclass
class CsvChunk:
    """Consecutive rows of a CSV table, as text (empty fields are missing values)."""
    header: list[str]
    frame: pd.DataFrame
    problems: list[Problem]  # of these rows, numbered as in the file
    first_row: int  # the file's row number of frame's first row (1-based, after the header)
    position: int  # bytes of the stored file read so far (for progress)
    size: int  # the stored file's size


def read_csv_table(path: str | Path, name: str | None = None,
                   repair: RowRepair | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """A whole CSV file as one frame of text plus its row problems (iter_csv_table, joined)."""
    chunks = list(iter_csv_table(path, name, repair))
    frame = pd.concat([c.frame for c in chunks], ignore_index=True) if len(chunks) > 1 else chunks[0].frame
    return frame, [p for c in chunks for p in c.problems]


def iter_csv_table(path: str | Path, name: str | None = None, repair: RowRepair | None = None,
                   chunk_rows: int | None = None) -> Iterator[CsvChunk]:
    """A CSV file as chunks of at most ``chunk_rows`` rows (CSV_CHUNK_ROWS), read as a stream: the
    memory it takes is a chunk's, not the file's. At least one chunk (maybe empty) is yielded.

    The csv module, not pandas, reads it: the header is checked against MAX_COLUMNS before any
    row is parsed and the row count against MAX_ROWS, each with a message naming the limit (a
    DatasetError: the whole file is refused). A field over MAX_FIELD_CHARS is a problem of its
    row and field (its text is dropped). A row with more fields than the header is a problem of
    that row (it keeps its first fields only so the frame stays rectangular; callers report
    nothing else for it), unless ``repair`` (header, fields) returns the one reading it can have;
    short rows are padded as missing values. Blank lines are skipped and not counted; rows are
    numbered from 1 after the header. Text that is not UTF-8 is refused naming its line."""
    path = Path(path)
    name = name or path.name
    # Fields are limited by MAX_FIELD_CHARS per row (a row problem), not by the csv module's own
    # 131,072 (which would fail the whole file); no field can exceed what a file may unpack to.
    csv.field_size_limit(max(csv.field_size_limit(), MAX_UNPACKED_BYTES + 1))
    try:
        with _open_content(path, name) as (content, raw, size):
            text = io.TextIOWrapper(content, encoding="utf-8-sig", newline="")
            yield from _csv_chunks(text, raw, size, name, repair, chunk_rows or CSV_CHUNK_ROWS)
    except UnicodeDecodeError:
        raise _first_bad_utf8(path, name) from None


def _csv_chunks(text: io.TextIOWrapper, raw: BinaryIO, size: int, name: str, repair: RowRepair | None,
                chunk_rows: int) -> Iterator[CsvChunk]:
    # The common case, an unquoted header line, is counted without parsing it at all.
    first_line = text.readline()
    if not first_line:
        raise DatasetError([Problem(name, None, None, "is empty (no header line)")])
    if '"' not in first_line and first_line.count(",") >= MAX_COLUMNS:
        raise _too_many_columns(name, first_line.count(",") + 1)
    reader = csv.reader(itertools.chain([first_line], text))
    rows: list[list[str]] = []
    problems: list[Problem] = []
    header: list[str] | None = None
    number = first = 1  # the next row's number; the chunk's first row's

    def chunk() -> CsvChunk:
        frame = pd.DataFrame(rows, columns=header, dtype="str")
        return CsvChunk(list(header or []), frame.mask(frame == ""), problems, first, raw.tell(), size)

    try:
        header = next(reader, None)
        if header is None:
            raise DatasetError([Problem(name, None, None, "is empty (no header line)")])
        if len(header) > MAX_COLUMNS:
            raise _too_many_columns(name, len(header))
        header = [h.strip() for h in header]
        repeated = sorted({h for h in header if header.count(h) > 1})
        if repeated:
            raise DatasetError([Problem(name, None, h or "(empty)", "column appears more than once") for h in repeated])
        width = len(header)
        for fields in reader:
            if len(fields) != width:
                if not fields:
                    continue
                if len(fields) > width:
                    fixed = repair(header, fields) if repair else None
                    if fixed is None:
                        problems.append(Problem(name, number, None,
                                                f"has {len(fields)} fields but the header has {width}; quote values "
                                                'that contain commas, e.g. "Mo-Fr 11:30-14:30,17:00-22:00"'))
                        fixed = fields[:width]
                    fields = fixed
                else:
                    fields = fields + [""] * (width - len(fields))
            if fields and max(map(len, fields)) > MAX_FIELD_CHARS:
                problems.extend(_long_field(name, number, header[j], len(v)) for j, v in enumerate(fields)
                                if len(v) > MAX_FIELD_CHARS)
                fields = ["" if len(v) > MAX_FIELD_CHARS else v for v in fields]
            rows.append(fields)
            if number > MAX_ROWS:
                raise DatasetError([Problem(name, None, None, f"has more than {MAX_ROWS:,} rows (MAX_ROWS)")])
            number += 1
            if len(rows) >= chunk_rows:
                yield chunk()
                rows, problems, first = [], [], number
    except csv.Error as exc:
        where = number if header else None
        raise DatasetError([Problem(name, where, None, f"cannot be read as CSV: {exc}")]) from None
    if rows or first == 1:
        yield chunk()


def _too_many_columns(name: str, count: int) -> DatasetError:
    return DatasetError([Problem(name, None, None, f"has {count:,} columns; at most {MAX_COLUMNS:,} are allowed "
                                                   "(MAX_COLUMNS)")])


def _long_field(name: str, row: int, column: str, length: int) -> Problem:
    return Problem(name, row, column, f"is {length:,} characters long; at most {MAX_FIELD_CHARS:,} are allowed "
                                      "(MAX_FIELD_CHARS)")


def _read_csv(path: Path, repair: RowRepair | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    return read_csv_table(path, path.name, repair)


def _bad_rows(mask: pd.Series) -> list[int]:
    return [int(i) + 1 for i in mask[mask].index]


def check_table(frame: pd.DataFrame, table: str, kinds: dict[str, str], file: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Type-check one users/items table; returns it with numeric columns converted."""
    problems: list[Problem] = []
    id_col = ID_COLUMNS[table]
    required = [id_col] + [c for col, kind in kinds.items() for c in (col.split(",") if kind == "geo" else [col])]
    missing = [c for c in dict.fromkeys(required) if c not in frame.columns]
    if missing:
        return frame, [Problem(file, None, c, "column is missing") for c in missing]
    frame = frame.copy()
    ids = frame[id_col].fillna("").astype(str).str.strip()
    for row, value in enumerate(frame[id_col].tolist(), start=1):
        try:
            check_id(value, id_col)
        except ValueError as exc:
            problems.append(Problem(file, row, id_col, str(exc)))
    dup = ids.duplicated(keep="first") & (ids != "")
    for row in _bad_rows(dup):
        problems.append(Problem(file, row, id_col, f"duplicate id {ids.iloc[row - 1]!r}"))
    frame[id_col] = ids
    for col, kind in kinds.items():
        if kind == "numeric":
            raw = frame[col]
            values = pd.to_numeric(raw, errors="coerce")
            for row in _bad_rows(values.isna() & raw.notna()):
                problems.append(Problem(file, row, col, f"{raw.iloc[row - 1]!r} is not a number"))
            frame[col] = values
        elif kind == "geo":
            lat_col, lon_col = col.split(",")
            for name, limit in ((lat_col, 90.0), (lon_col, 180.0)):
                raw = frame[name]
                values = pd.to_numeric(raw, errors="coerce")
                for row in _bad_rows(values.isna() & raw.notna()):
                    problems.append(Problem(file, row, name, f"{raw.iloc[row - 1]!r} is not a number"))
                for row in _bad_rows(values.abs() > limit):
                    problems.append(Problem(file, row, name, f"{values.iloc[row - 1]} is outside -{limit:g}..{limit:g}"))
                frame[name] = values
    return frame, problems


def check_interactions(frame: pd.DataFrame, users: pd.DataFrame, items: pd.DataFrame,
                       file: str) -> tuple[pd.DataFrame, list[Problem]]:
    problems: list[Problem] = []
    missing = [c for c in ("user_id", "item_id") if c not in frame.columns]
    if missing:
        return frame, [Problem(file, None, c, "column is missing") for c in missing]
    frame = frame.copy()
    for col, known in (("user_id", set(users["user_id"])), ("item_id", set(items["item_id"]))):
        values = frame[col].fillna("").astype(str).str.strip()
        frame[col] = values
        for row in _bad_rows(~values.isin(known)):
            problems.append(Problem(file, row, col, f"unknown id {values.iloc[row - 1]!r}"))
    if "weight" in frame.columns:
        raw = frame["weight"]
        weight = pd.to_numeric(raw, errors="coerce")
        for row in _bad_rows(weight.isna() & raw.notna()):
            problems.append(Problem(file, row, "weight", f"{raw.iloc[row - 1]!r} is not a number"))
        for row in _bad_rows(weight < 0):
            problems.append(Problem(file, row, "weight", "must not be negative"))
        frame["weight"] = weight.fillna(1.0)
    else:
        frame["weight"] = 1.0
    if "timestamp" in frame.columns:
        raw = frame["timestamp"]
        numeric = pd.to_numeric(raw, errors="coerce")
        parsed = pd.to_datetime(raw.where(numeric.isna()), errors="coerce", utc=True, format="mixed")
        stamp = numeric.where(numeric.notna(), parsed.map(lambda t: t.timestamp() if pd.notna(t) else float("nan")))
        for row in _bad_rows(stamp.isna() & raw.notna()):
            problems.append(Problem(file, row, "timestamp", f"{raw.iloc[row - 1]!r} is not a time"))
        frame["timestamp"] = stamp
    return frame, problems


Validator = Callable[[Dataset], list[Problem]]


def load_dataset(directory: str | Path, extra_checks: Validator | None = None,
                 repair: RowRepair | None = None) -> Dataset:
    """Load and validate a contract directory; raise DatasetError listing every problem."""
    return validate_directory(directory, extra_checks, repair=repair)[0]


def validate_directory(directory: str | Path, extra_checks: Validator | None = None, skip_invalid: bool = False,
                       repair: RowRepair | None = None) -> tuple[Dataset, list[Problem]]:
    """Load a contract directory and check everything, collecting every problem of every table
    before raising (the README promises all of them at once).

    With ``skip_invalid`` the rows named by a problem are dropped instead, in any table, and so
    are the interactions that point at a dropped user or item; the dropped rows' problems are
    returned. Whole-file problems (a missing column, an unreadable file) still raise: skipping
    rows cannot fix them. ``repair`` is passed to read_csv_table for the items file."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DatasetError([Problem(str(directory), None, None, "is not a directory")])
    schema_path = directory / "schema.json"
    if not schema_path.is_file():
        raise DatasetError([Problem("schema.json", None, None, f"is missing from {directory}")])
    try:
        schema = Schema.from_json(json.loads(read_text(schema_path)))
    except json.JSONDecodeError as exc:
        raise DatasetError([Problem("schema.json", None, None, f"is not valid JSON at line {exc.lineno}, column "
                                                               f"{exc.colno}: {exc.msg}")]) from exc
    paths = {stem: _find(directory, stem) for stem in ("items", "users", "interactions")}
    absent = [Problem(f"{stem}.csv", None, None, f"is missing from {directory}") for stem, p in paths.items() if p is None]
    if absent:
        raise DatasetError(absent)
    raw_items, p0 = _read_csv(paths["items"], repair)
    raw_users, p1 = _read_csv(paths["users"])
    raw_interactions, p2 = _read_csv(paths["interactions"])
    items, p3 = check_table(raw_items, "items", schema.items, paths["items"].name)
    users, p4 = check_table(raw_users, "users", schema.users, paths["users"].name)
    problems = p0 + p1 + p2 + p3 + p4
    if any(p.row is None for p in problems):  # a missing id column: nothing below can be checked
        raise DatasetError(unique_problems(problems))
    interactions, p5 = check_interactions(raw_interactions, users, items, paths["interactions"].name)
    problems += p5
    dataset = Dataset(items=items, users=users, interactions=interactions, schema=schema)
    if extra_checks is not None and not any(p.row is None for p in problems):
        problems += extra_checks(dataset)
    unreadable = {(p.file, p.row) for p in p0 + p1 + p2}  # fields that do not line up: nothing else to say
    problems = unique_problems([p for p in problems if (p.file, p.row) not in unreadable or p in p0 + p1 + p2])
    if problems and (not skip_invalid or any(p.row is None for p in problems)):
        raise DatasetError(problems)
    if not problems:
        return dataset, []
    names = {"items": paths["items"].name, "users": paths["users"].name, "interactions": paths["interactions"].name}
    bad = {table: {p.row - 1 for p in problems if p.file == names[table]} for table in names}
    items = items.drop(index=sorted(bad["items"])).reset_index(drop=True)
    users = users.drop(index=sorted(bad["users"])).reset_index(drop=True)
    interactions = interactions.drop(index=sorted(bad["interactions"]))
    # Duplicate ids keep their first row, so "is its id kept" is the right test for the links.
    linked = interactions["item_id"].isin(set(items["item_id"])) & interactions["user_id"].isin(set(users["user_id"]))
    kept = Dataset(items=items, users=users, interactions=interactions[linked].reset_index(drop=True), schema=schema)
    if extra_checks is not None:
        leftover = extra_checks(kept)  # normalises the kept rows; they passed once, so none expected
        if leftover:
            raise DatasetError(leftover)
    return kept, problems


def unique_problems(problems: list[Problem]) -> list[Problem]:
    """One problem per file, row and field: the first check to find it words it best."""
    seen: set[tuple] = set()
    out = []
    for p in problems:
        key = (p.file, p.row, p.field)
        if p.row is None or key not in seen:
            seen.add(key)
            out.append(p)
    return out


def save_dataset(dataset: Dataset, directory: str | Path, compress: bool = False,
                 write_extras: Callable[[Path], None] | None = None) -> Path:
    """Write a contract directory atomically: a reader sees the old one or the new one whole.
    ``write_extras(tmp_dir)`` may add files (the demo generator's true utilities) before the swap."""
    def write(tmp: Path) -> None:
        tables = {"items": dataset.items, "users": dataset.users, "interactions": dataset.interactions}
        write_tables(tmp, tables, dataset.schema, compress)
        if write_extras is not None:
            write_extras(tmp)

    return write_directory(directory, write)


def write_tables(directory: Path, tables: dict[str, pd.DataFrame], schema: Schema, compress: bool = False) -> None:
    """The named tables (items, users, interactions) as CSV files, and schema.json."""
    suffix = ".csv.gz" if compress else ".csv"
    options = {"compression": {"method": "gzip", "mtime": 0}} if compress else {}
    for stem, frame in tables.items():
        frame.to_csv(directory / f"{stem}{suffix}", index=False, **options)
    (directory / "schema.json").write_text(json.dumps(schema.to_json(), indent=2) + "\n", encoding="utf-8")


def write_directory(directory: str | Path, write: Callable[[Path], None]) -> Path:
    """``write(tmp_dir)`` fills a fresh directory beside ``directory``, which is then swapped into
    its place: a reader sees the old one or the new one whole, and a failure leaves the old one."""
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        write(tmp)
        replace_directory(tmp, directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return directory


def check_output_file(path: str | Path, option: str) -> Path:
    """An output file's place checked before any work: its directory exists and it is not itself
    a directory. ``option`` names the parameter in the message (e.g. "--out")."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{option} {path}: is a directory; give a file name")
    parent = path.parent
    if not parent.is_dir():
        raise ValueError(f"{option} {path}: the directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise ValueError(f"{option} {path}: the directory {parent} is not writable")
    return path


def replace_directory(new: Path, target: Path) -> None:
    """Swap the finished directory ``new`` into ``target``'s place."""
    if target.exists():
        # A fresh private name beside it (same file system, so the renames are atomic); never a
        # fixed name that another directory could already carry.
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        os.replace(target, old / target.name)
        os.replace(new, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(new, target)


def split_multilabel(value: object) -> list[str]:
    """Labels from stored text ("a|b") or from a list of labels (what profile readers return)."""
    if value is None or (isinstance(value, float) and value != value):
        return []
    if isinstance(value, (list, tuple)):
        return [str(part).strip() for part in value if str(part).strip()]
    return [part.strip() for part in str(value).split(MULTILABEL_SEP) if part.strip()]
