"""The browser benchmark's pure logic (issue 20): percentiles, message kinds from protobuf field
numbers, and one try's numbers from the page's stamps."""

from __future__ import annotations

import math

import numpy as np

from benchmarks.browser import kind, measure, p50_p90, percentile


def test_percentile_matches_numpy_and_says_nothing_for_no_values():
    values = [610.0, 700.0, 430.0, 460.0, 150.0]
    for q in (0, 50, 90, 100):
        assert math.isclose(percentile(values, q), float(np.percentile(values, q)))
    assert math.isnan(percentile([], 50))
    assert p50_p90([None, None]) == "-"
    assert p50_p90([100.0, 300.0, None]) == "200 / 280"


def test_kinds_come_from_the_first_field_that_is_not_hash_or_metadata():
    assert kind({"dir": "in", "fields": [1, 2, 6]}) == "script_finished"
    assert kind({"dir": "in", "fields": [2, 5]}) == "delta"
    assert kind({"dir": "out", "fields": [11]}) == "rerun_script"


def test_a_try_is_timed_from_the_last_input_before_the_first_rerun_request():
    stamps = {
        "inputs": [{"t": 1000.0}, {"t": 1010.0}, {"t": 1400.0}],  # the last one came after the request
        "ws": [{"dir": "out", "t": 1260.0, "size": 100, "fields": [11]},
               {"dir": "in", "t": 1270.0, "size": 700, "fields": [2, 4]},
               {"dir": "in", "t": 1500.0, "size": 130_000, "fields": [2, 5]},
               {"dir": "in", "t": 1600.0, "size": 44, "fields": [2, 6], "frame": 1610.0}],
        "changes": [{"t": 1550.0, "where": "map", "picks": True}, {"t": 1700.0, "where": "list"}],
        "renders": [{"t": 1540.0, "script": 120_000, "group": 4_000}],
        "headings": [{"t": 1300.0, "text": ""}, {"t": 1650.0, "text": "Recommendations"}],
    }
    got = measure(stamps, mark=900.0)
    assert got["first_rerun"] == 250.0  # the map component's debounce, say
    assert got["first"] == 540.0 and got["map"] == 540.0 and got["list"] == 690.0
    assert got["done"] == 690.0  # the list drew after the last script_finished's frame
    assert got["server"] == 340.0 and got["reruns"] == 1 and got["runs"] == 1 and got["msgs"] == 3
    assert got["flicker"] == 350.0 and got["renders"] == 1
