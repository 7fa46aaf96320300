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

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

KINDS = ("numeric", "categorical", "multilabel", "text", "id", "geo")
ID_COLUMNS = {"items": "item_id", "users": "user_id"}
MULTILABEL_SEP = "|"
MAX_LISTED_PROBLEMS = 5


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


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        # Everything as text first: types are checked column by column with row numbers.
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        raise DatasetError([Problem(path.name, None, None, f"cannot be read as CSV: {exc}")]) from exc


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
    for row in _bad_rows(ids == ""):
        problems.append(Problem(file, row, id_col, "id is empty"))
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


def check_interactions(frame: pd.DataFrame, users: pd.DataFrame, items: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[Problem]]:
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


def load_dataset(directory: str | Path, extra_checks: Validator | None = None) -> Dataset:
    """Load and validate a contract directory; raise DatasetError listing every problem."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DatasetError([Problem(str(directory), None, None, "is not a directory")])
    schema_path = directory / "schema.json"
    if not schema_path.is_file():
        raise DatasetError([Problem("schema.json", None, None, f"is missing from {directory}")])
    try:
        schema = Schema.from_json(json.loads(schema_path.read_text(encoding="utf-8")))
    except json.JSONDecodeError as exc:
        raise DatasetError([Problem("schema.json", exc.lineno, None, f"is not valid JSON: {exc.msg}")]) from exc
    paths = {stem: _find(directory, stem) for stem in ("items", "users", "interactions")}
    absent = [Problem(f"{stem}.csv", None, None, f"is missing from {directory}") for stem, p in paths.items() if p is None]
    if absent:
        raise DatasetError(absent)
    items, p1 = check_table(_read_csv(paths["items"]), "items", schema.items, paths["items"].name)
    users, p2 = check_table(_read_csv(paths["users"]), "users", schema.users, paths["users"].name)
    if p1 or p2:
        raise DatasetError(p1 + p2)
    interactions, p3 = check_interactions(_read_csv(paths["interactions"]), users, items, paths["interactions"].name)
    if p3:
        raise DatasetError(p3)
    dataset = Dataset(items=items, users=users, interactions=interactions, schema=schema)
    if extra_checks is not None:
        problems = extra_checks(dataset)
        if problems:
            raise DatasetError(problems)
    return dataset


def save_dataset(dataset: Dataset, directory: str | Path, compress: bool = False,
                 write_extras: Callable[[Path], None] | None = None) -> Path:
    """Write a contract directory atomically: a reader sees the old one or the new one whole.
    ``write_extras(tmp_dir)`` may add files (the demo generator's true utilities) before the swap."""
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        suffix = ".csv.gz" if compress else ".csv"
        options = {"compression": {"method": "gzip", "mtime": 0}} if compress else {}
        dataset.items.to_csv(tmp / f"items{suffix}", index=False, **options)
        dataset.users.to_csv(tmp / f"users{suffix}", index=False, **options)
        dataset.interactions.to_csv(tmp / f"interactions{suffix}", index=False, **options)
        (tmp / "schema.json").write_text(json.dumps(dataset.schema.to_json(), indent=2) + "\n", encoding="utf-8")
        if write_extras is not None:
            write_extras(tmp)
        replace_directory(tmp, directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return directory


def replace_directory(new: Path, target: Path) -> None:
    """Swap the finished directory ``new`` into ``target``'s place."""
    if target.exists():
        old = target.with_name(f".{target.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
        os.replace(new, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(new, target)


def split_multilabel(value: object) -> list[str]:
    if value is None or (isinstance(value, float) and value != value):
        return []
    return [part.strip() for part in str(value).split(MULTILABEL_SEP) if part.strip()]
