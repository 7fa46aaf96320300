"""Cached views of the catalogue for the pages (recomputed only when the catalogue changes)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from recsys.serving.service import RecommenderService


@st.cache_data(max_entries=4, show_spinner=False)
def _catalogue(_service: RecommenderService, namespace: str, catalogue_version: str) -> pd.DataFrame:
    return _service.catalogue()


def catalogue(service: RecommenderService) -> pd.DataFrame:
    """Every restaurant served now. The key is the service's catalogue version, which changes on
    every rebuild, add and update (a count such as HLEN misses an update of an existing id)."""
    return _catalogue(service, service.settings.namespace, service.catalogue_version())


def restaurant_points(service: RecommenderService) -> list[tuple[float, float, str]]:
    frame = catalogue(service)
    return list(zip(frame["lat"].round(5), frame["lon"].round(5), frame["name"]))
