"""Cached views of the catalogue for the pages (recomputed only when the index changes)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from recsys.service import RecommenderService


@st.cache_data(max_entries=4, show_spinner=False)
def _catalogue(_service: RecommenderService, index_version: str, n_custom: int) -> pd.DataFrame:
    return _service.catalogue()


def catalogue(service: RecommenderService) -> pd.DataFrame:
    version = service.restaurants.meta().get("version", "")
    n_custom = int(service.client.hlen(service.restaurants.custom_key))
    return _catalogue(service, version, n_custom)


def restaurant_points(service: RecommenderService) -> list[tuple[float, float, str]]:
    frame = catalogue(service)
    return list(zip(frame["lat"].round(5), frame["lon"].round(5), frame["name"]))
