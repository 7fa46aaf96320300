"""Issue 15's benchmark catalogue at real city densities: the demo city copied to other sites
with fresh ids, each copy keeping San Francisco's shape (and so its density), none overlapping."""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.__main__ import city_catalogue
from recsys.data.geo import distances_m


def test_copies_keep_the_city_shape_with_fresh_ids_and_never_overlap():
    rng = np.random.default_rng(0)
    city = pd.DataFrame({"item_id": [f"r{i}" for i in range(300)], "lat": 37.70 + rng.uniform(0, 0.11, 300),
                         "lon": -122.51 + rng.uniform(0, 0.14, 300), "name": "x"})
    catalogue, offsets = city_catalogue(city, 1_000)
    assert len(catalogue) == 1_000 and catalogue["item_id"].is_unique and len(offsets) == 4
    assert offsets[0] == (0.0, 0.0)
    sf = distances_m(city["lat"].iat[0], city["lon"].iat[0], city["lat"].to_numpy(), city["lon"].to_numpy())
    boxes = []
    for c in range(3):  # the three whole copies
        copy = catalogue.iloc[c * 300:(c + 1) * 300]
        spread = distances_m(copy["lat"].iat[0], copy["lon"].iat[0], copy["lat"].to_numpy(), copy["lon"].to_numpy())
        ratio = spread[1:] / sf[1:]
        assert 0.8 < ratio.min() and ratio.max() < 1.25  # the same city, give or take cos(latitude)
        boxes.append((copy["lat"].min(), copy["lat"].max(), copy["lon"].min(), copy["lon"].max()))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a[1] < b[0] or b[1] < a[0] or a[3] < b[2] or b[3] < a[2]  # disjoint
