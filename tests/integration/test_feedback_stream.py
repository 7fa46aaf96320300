"""The feedback stream is capped without losing events (issue 10 item 18) and its ids obey the id
rule (item 16), on the real Redis."""

from __future__ import annotations

import pandas as pd
import pytest

from recsys.serving.feedback import FeedbackLog


def node_size(client) -> int:
    """Approximate trimming removes whole stream nodes: the cap may be exceeded by up to one."""
    return int(client.config_get("stream-node-max-entries")["stream-node-max-entries"])


def test_unexported_events_are_never_trimmed_and_exported_ones_are(redis_client, namespace):
    log = FeedbackLog(redis_client, namespace, max_events=20)
    for i in range(300):
        log.record(f"u{i % 7}", f"r{i}", "liked")
    assert redis_client.xlen(log.key) == 300  # nothing exported yet: all kept, cap or not

    written: list[pd.DataFrame] = []
    first = log.export_interactions(written.append)
    assert len(first) == 300 and list(first["item_id"]) == [f"r{i}" for i in range(300)]

    for i in range(300, 600):
        log.record(f"u{i % 7}", f"r{i}", "been_there")
    kept = redis_client.xlen(log.key)
    assert 20 <= kept <= 300 + node_size(redis_client)  # the exported 300 went, down to about the cap
    second = log.export_interactions(written.append)
    # Every event reached some export; the newest ones are in the latest export.
    assert {f"r{i}" for i in range(600)} == set(first["item_id"]) | set(second["item_id"])
    assert {f"r{i}" for i in range(300, 600)} <= set(second["item_id"])

    for i in range(600, 2000):
        log.record("u1", f"r{i}", "liked")
    log.export_interactions(written.append)
    log.record("u1", "r-last", "liked")
    assert redis_client.xlen(log.key) <= 20 + node_size(redis_client)  # exported: capped


def test_the_cap_comes_from_the_environment(redis_client, namespace, monkeypatch):
    monkeypatch.setenv("RECSYS_FEEDBACK_MAXLEN", "1234")
    assert FeedbackLog(redis_client, namespace).max_events == 1234
    monkeypatch.delenv("RECSYS_FEEDBACK_MAXLEN")
    assert FeedbackLog(redis_client, namespace).max_events == 100_000
    for bad in ("0", "-5", "lots", "1e3"):
        monkeypatch.setenv("RECSYS_FEEDBACK_MAXLEN", bad)
        with pytest.raises(ValueError, match="RECSYS_FEEDBACK_MAXLEN"):
            FeedbackLog(redis_client, namespace)


def test_a_failed_export_marks_nothing(redis_client, namespace):
    log = FeedbackLog(redis_client, namespace, max_events=5)
    for i in range(50):
        log.record("u1", f"r{i}", "liked")

    def disk_full(frame: pd.DataFrame) -> None:
        raise OSError("No space left on device")

    with pytest.raises(OSError):
        log.export_interactions(disk_full)
    assert log.exported_up_to() is None
    for i in range(50, 400):
        log.record("u1", f"r{i}", "liked")
    assert redis_client.xlen(log.key) == 400


@pytest.mark.parametrize("field,user_id,item_id", [
    ("item_id", "u1", ""), ("item_id", "u1", "   "), ("item_id", "u1", "r1,r2"), ("item_id", "u1", None),
    ("item_id", "u1", "x\u2028y"), ("user_id", "", "r1"), ("user_id", "a,b", "r1"), ("user_id", None, "r1"),
])
def test_bad_ids_are_refused_and_nothing_is_written(redis_client, namespace, field, user_id, item_id):
    log = FeedbackLog(redis_client, namespace)
    with pytest.raises(ValueError, match=field):
        log.record(user_id, item_id, "not_for_me")
    assert redis_client.xlen(log.key) == 0 and redis_client.keys(f"{namespace}:not_for_me:*") == []


@pytest.mark.parametrize("item_id", ["x|y", "with space", "@name:(x)", "*", "é"])
def test_ids_with_query_syntax_are_kept_literally(redis_client, namespace, item_id):
    log = FeedbackLog(redis_client, namespace)
    log.record("u 1", item_id, "not_for_me")
    assert log.dismissed("u 1") == [item_id]
    log.record("u 1", item_id, "liked")
    assert log.dismissed("u 1") == [] and list(log.as_interactions()["item_id"]) == [item_id]


def test_bad_ids_written_before_the_rule_are_skipped_when_read(redis_client, namespace):
    log = FeedbackLog(redis_client, namespace)
    redis_client.sadd(f"{namespace}:not_for_me:u1", "", "a,b", "r1", " ")
    assert log.dismissed("u1") == ["r1"]
    redis_client.xadd(log.key, {"user_id": "u1", "item_id": "", "event": "liked", "ts": "1.0"})
    redis_client.xadd(log.key, {"user_id": "u1", "item_id": "r2", "event": "liked", "ts": "soon"})
    redis_client.xadd(log.key, {"user_id": "u1", "item_id": "r3", "event": "liked", "ts": "2.5"})
    exported = log.as_interactions()
    assert list(exported["item_id"]) == ["r3"] and list(exported["timestamp"]) == [2]


def test_export_feedback_command_marks_what_it_wrote(redis_server, redis_client, namespace, monkeypatch, tmp_path):
    import argparse

    from recsys.cli import cmd_export_feedback

    monkeypatch.setenv("REDIS_URL", redis_server)
    monkeypatch.setenv("RECSYS_NAMESPACE", namespace)
    log = FeedbackLog(redis_client, namespace, max_events=10)
    for i in range(120):
        log.record("u1", f"r{i}", "liked")
    last = log.record("u1", "r-not", "not_for_me")
    out = tmp_path / "interactions.csv"
    assert cmd_export_feedback(argparse.Namespace(out=str(out))) == 0
    assert list(pd.read_csv(out)["item_id"]) == [f"r{i}" for i in range(120)]
    assert log.exported_up_to() == last
    log.record("u1", "r-after", "liked")  # now the exported events may go, down to about the cap
    assert redis_client.xlen(log.key) <= 10 + node_size(redis_client)
