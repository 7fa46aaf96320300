"""The command-line contract end to end on a tiny dataset, as pipelines will call it."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd

from recsys.data.contract import save_dataset
from tests.synthetic import category_dataset


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "recsys", *args], capture_output=True, text=True, timeout=300, env=env)


def test_train_evaluate_recommend_batch(tmp_path):
    data = category_dataset(n_users=100, n_items=60)
    cold = pd.DataFrame({"user_id": ["brand-new"], "likes": ["green"], "age": [30.0]})
    data.users = pd.concat([data.users, cold], ignore_index=True)
    directory = save_dataset(data, tmp_path / "data")
    model = tmp_path / "model"

    done = run("train", "--dataset", str(directory), "--out", str(model), "--epochs", "15", "--seed", "1")
    assert done.returncode == 0, done.stderr
    assert (model / "model.pt").is_file() and (model / "config.json").is_file()

    done = run("evaluate", "--model", str(model), "--dataset", str(directory), "--k", "5", "--split", "random")
    assert done.returncode == 0, done.stderr
    assert "two-tower" in done.stdout and "most popular" in done.stdout and "recall@5" in done.stdout
    assert (model / "metrics.json").is_file()

    users = tmp_path / "users.txt"
    users.write_text("u0\nu1\nbrand-new\n")
    out = tmp_path / "out.csv"
    done = run("recommend-batch", "--model", str(model), "--dataset", str(directory), "--users", str(users),
               "--k", "4", "--exclude-seen", "--out", str(out))
    assert done.returncode == 0, done.stderr
    recs = pd.read_csv(out)
    assert list(recs.columns) == ["user_id", "rank", "item_id", "score"]
    assert recs.groupby("user_id").size().to_dict() == {"brand-new": 4, "u0": 4, "u1": 4}
    seen = set(data.interactions.loc[data.interactions.user_id == "u0", "item_id"])
    assert not seen & set(recs.loc[recs.user_id == "u0", "item_id"])
    category = dict(zip(data.items.item_id, data.items.category))
    assert all(category[i] == "green" for i in recs.loc[recs.user_id == "brand-new", "item_id"])  # cold start


def test_bad_input_is_one_clear_line(tmp_path):
    done = run("train", "--dataset", str(tmp_path / "missing"), "--out", str(tmp_path / "m"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "is not a directory" in done.stderr
    data = category_dataset()
    directory = save_dataset(data, tmp_path / "data")
    users = tmp_path / "users.txt"
    users.write_text("u0\nghost\n")
    done = run("recommend-batch", "--model", str(tmp_path / "nomodel"), "--dataset", str(directory),
               "--users", str(users), "--k", "3", "--out", str(tmp_path / "o.csv"))
    assert done.returncode == 1 and "does not exist" in done.stderr and "Traceback" not in done.stderr


def test_model_and_dataset_with_other_columns_is_a_clear_error(tmp_path):
    data = category_dataset()
    directory = save_dataset(data, tmp_path / "data")
    model = tmp_path / "model"
    assert run("train", "--dataset", str(directory), "--out", str(model), "--epochs", "2").returncode == 0
    data.items = data.items.rename(columns={"size": "weight_kg"})
    data.schema.items = {"item_id": "id", "category": "categorical", "weight_kg": "numeric"}
    other = save_dataset(data, tmp_path / "other")
    users = tmp_path / "users.txt"
    users.write_text("u0\n")
    done = run("recommend-batch", "--model", str(model), "--dataset", str(other), "--users", str(users),
               "--k", "3", "--out", str(tmp_path / "o.csv"))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "items columns missing: size" in done.stderr and "unknown to the model: weight_kg" in done.stderr


def test_ingest_command(tmp_path):
    import json

    from tests.unit.test_data import TRIPADVISOR

    source = tmp_path / "ta.json"
    source.write_text(json.dumps(TRIPADVISOR))
    done = run("ingest", str(source), "--format", "tripadvisor", "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and "row 2" in done.stderr and not (tmp_path / "out").exists()
    done = run("ingest", str(source), "--format", "tripadvisor", "--out", str(tmp_path / "out"), "--skip-invalid")
    assert done.returncode == 0 and "skipped 2 invalid record(s)" in done.stdout


HEADER = "item_id,name,address,lat,lon,cuisines,price,rating,hours"
ROW = "a1,Foo,1 Main St,37.7,-122.4,thai,2,4.5,Mo-Fr 11:30-14:30,17:00-22:00"


def test_ingest_a_csv_file_as_the_readme_says(tmp_path):
    source = tmp_path / "places.csv"
    source.write_text(HEADER + "\n" + ROW + "\n" + ROW.replace("a1", "a2").replace("37.7", "85.06") + "\n")
    out = tmp_path / "out"
    done = run("ingest", str(source), "--format", "csv", "--out", str(out))
    assert done.returncode == 2 and "Traceback" not in done.stderr and not out.exists()
    assert "places.csv, row 2, field 'lat'" in done.stderr
    done = run("ingest", str(source), "--format", "csv", "--out", str(out), "--skip-invalid")
    assert done.returncode == 0, done.stderr
    assert "imported 1 restaurants" in done.stdout and "skipped 1 invalid record(s)" in done.stdout
    assert list(pd.read_csv(out / "items.csv")["item_id"]) == ["a1"]


def test_ingest_refuses_an_unrelated_out_directory_without_force(tmp_path):
    source = tmp_path / "places.csv"
    source.write_text(HEADER + "\n" + ROW + "\n")
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.tex").write_text("years of work")
    done = run("ingest", str(source), "--out", str(home))
    assert done.returncode == 2 and "--force" in done.stderr and "Traceback" not in done.stderr
    assert (home / "thesis.tex").read_text() == "years of work"
    assert run("ingest", str(source), "--out", str(home), "--force").returncode == 0
    assert (home / "items.csv").is_file() and not (home / "thesis.tex").exists()


def test_ingest_with_a_rejects_file_in_a_missing_directory_writes_nothing(tmp_path):
    source = tmp_path / "places.csv"
    source.write_text(HEADER + "\n" + ROW + "\n" + ROW.replace("a1", "a2").replace("37.7", "99") + "\n")
    out = tmp_path / "out"
    done = run("ingest", str(source), "--out", str(out), "--skip-invalid", "--rejects", str(tmp_path / "no" / "r.csv"))
    assert done.returncode == 2 and "--rejects" in done.stderr and "does not exist" in done.stderr
    assert not out.exists()


def test_ingest_keeping_nothing_is_an_error_and_changes_nothing(tmp_path):
    source = tmp_path / "places.csv"
    source.write_text(HEADER + "\n" + ROW + "\n")
    out = tmp_path / "out"
    assert run("ingest", str(source), "--out", str(out)).returncode == 0
    before = (out / "items.csv").read_text()
    source.write_text(HEADER + "\n" + ROW.replace("37.7", "99") + "\n")
    done = run("ingest", str(source), "--out", str(out), "--skip-invalid")
    assert done.returncode == 2 and "no restaurant" in done.stderr
    empty = tmp_path / "empty.json"
    empty.write_text('{"restaurants": []}')
    done = run("ingest", str(empty), "--out", str(out), "--skip-invalid")
    assert done.returncode == 2 and "no restaurant" in done.stderr
    assert (out / "items.csv").read_text() == before


def test_export_feedback_to_a_missing_directory_is_one_clear_line(tmp_path):
    done = run("export-feedback", "--out", str(tmp_path / "no" / "dir" / "f.csv"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "--out" in done.stderr and "does not exist" in done.stderr


def test_recommend_batch_k_must_be_positive(tmp_path):
    for k in ("0", "-3"):
        done = run("recommend-batch", "--model", "m", "--dataset", "d", "--users", "u", "--k", k,
                   "--out", str(tmp_path / "o.csv"))
        assert done.returncode == 2 and "--k" in done.stderr and "Traceback" not in done.stderr
        assert not (tmp_path / "o.csv").exists()
