"""Where the tools write and what they are configured with: an ingest never destroys a file or a
directory it was not asked to replace, and settings that would reach other deployments' keys or a
broken server config are refused with the variable's name."""

from __future__ import annotations

import pytest

from recsys.config import Settings
from recsys.data.importers import ingest
from recsys.serving.query import Query

CSV = ("name,address,lat,lon,cuisines,price,rating,hours\n"
       "Good Cafe,1 Main St,37.76,-122.42,cafe,2,4.5,Mo-Su 08:00-16:00\n"
       "Bad Cafe,2 Main St,37.76,-122.42,cafe,9,4.5,Mo-Su 08:00-16:00\n")


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text(CSV)
    return path


def test_rejects_can_never_be_the_input_file(source, tmp_path):
    for force in (False, True):
        with pytest.raises(ValueError, match="--rejects"):
            ingest(source, tmp_path / "out", skip_invalid=True, rejects_path=source, force=force)
        assert source.read_text() == CSV


def test_an_existing_rejects_file_is_not_replaced_without_force(source, tmp_path):
    old = tmp_path / "old-rejects.csv"
    old.write_text("keep me")
    with pytest.raises(ValueError, match="exists"):
        ingest(source, tmp_path / "out", skip_invalid=True, rejects_path=old)
    assert old.read_text() == "keep me" and not (tmp_path / "out").exists()


def test_rejects_inside_the_replaced_dataset_is_refused_before_anything_changes(source, tmp_path):
    out = tmp_path / "out"
    ingest(source, out, skip_invalid=True)
    before = sorted(p.name for p in out.iterdir())
    with pytest.raises(ValueError, match="inside --out"):
        ingest(source, out, skip_invalid=True, rejects_path=out / "rej.csv")
    assert sorted(p.name for p in out.iterdir()) == before


def test_replacing_a_dataset_leaves_its_neighbours_alone(source, tmp_path):
    out = tmp_path / "victim"
    ingest(source, out, skip_invalid=True)
    neighbour = tmp_path / ".victim.old"  # the name the old copy once took, blindly
    neighbour.mkdir()
    (neighbour / "keep.txt").write_text("precious")
    ingest(source, out, skip_invalid=True)
    assert (neighbour / "keep.txt").read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".victim.old", "in.csv", "victim"]


@pytest.mark.parametrize("namespace", ["atk?", "a*", "a[b]", "x:y", "", "a b", "n" * 65])
def test_a_namespace_that_could_reach_other_keys_is_refused(namespace):
    with pytest.raises(ValueError, match="RECSYS_NAMESPACE"):
        Settings(namespace=namespace)


def test_a_bad_port_names_the_variable(monkeypatch):
    monkeypatch.setenv("RECSYS_REDIS_PORT", "abc")
    with pytest.raises(ValueError, match="RECSYS_REDIS_PORT"):
        Settings()
    with pytest.raises(ValueError, match="RECSYS_REDIS_PORT"):
        Settings(embedded_redis_port=70000)


@pytest.mark.parametrize("field", ["lat", "lon", "radius_m"])
def test_numbers_too_large_for_a_float_are_value_errors(field):
    with pytest.raises(ValueError, match=field):
        Query(**{"lat": 37.76, "lon": -122.42, field: 10 ** 400}).validate()
