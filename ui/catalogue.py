"""Cached views of the catalogue for the pages (recomputed only when the catalogue changes)."""

from __future__ import annotations

import logging

import pandas as pd
import streamlit as st

from recsys.serving.service import RecommenderService
from ui import map_view

log = logging.getLogger(__name__)


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


@st.cache_resource(max_entries=4, show_spinner=False)
def _restaurant_dots(_service: RecommenderService, namespace: str,
                     catalogue_version: str) -> map_view.DotsUrl | map_view.JsLiteral:
    points = restaurant_points(_service)
    try:
        return map_view.publish_dots(points)
    except OSError as exc:  # a read-only install: the dots travel with the map, as before
        log.warning("could not write the map's dots file in %s (%s); sending them with every map", map_view.DOTS_DIR, exc)
        return map_view.dot_rows(points)


def _intact(path, size: int) -> bool:
    try:
        return path.stat().st_size == size
    except OSError:
        return False


def restaurant_dots(service: RecommenderService) -> map_view.DotsUrl | map_view.JsLiteral:
    """The map's dots for every restaurant, once per catalogue version: the URL of a file the app
    serves (the map fetches it once when drawn; benchmarks.browser), or where that file cannot be
    written, the dots escaped once (43 ms a run at 3,000 places, 1.6 s at 100,000). A file another
    process cleaned up (or cut short) is written again."""
    dots = _restaurant_dots(service, service.settings.namespace, service.catalogue_version())
    if isinstance(dots, map_view.DotsUrl) and not _intact(map_view.DOTS_DIR / dots.rsplit("/", 1)[-1], dots.size):
        _restaurant_dots.clear()
        dots = _restaurant_dots(service, service.settings.namespace, service.catalogue_version())
    return dots
