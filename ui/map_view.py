"""The map: folium built with local Leaflet assets (served from ./static, so it draws with no
internet), blue clustered markers for every restaurant, red markers for recommendations, the
pin and the radius circle. ``st_folium_component`` is the one seam tests replace inside AppTest."""

from __future__ import annotations

import html
import math

import folium
from folium.plugins import FastMarkerCluster
from streamlit_folium import st_folium

from recsys.data.sf_geography import SHORELINE
from recsys.recommend import Recommendation

STATIC = "/app/static"
# folium's popups are built with jQuery, so it ships too (leaflet@1.9.4, jquery@3.7.1 from npm).
LEAFLET_JS = [("leaflet", f"{STATIC}/leaflet/leaflet.js"), ("jquery", f"{STATIC}/jquery/jquery.min.js")]
LEAFLET_CSS = [("leaflet_css", f"{STATIC}/leaflet/leaflet.css")]
CLUSTER_JS = [("markerclusterjs", f"{STATIC}/markercluster/leaflet.markercluster.js")]
CLUSTER_CSS = [("markerclustercss", f"{STATIC}/markercluster/MarkerCluster.css"),
               ("markerclusterdefaultcss", f"{STATIC}/markercluster/MarkerCluster.Default.css")]
TILES_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

st_folium_component = st_folium  # replaced by a recording stub in the AppTest tests


def _price(p: int) -> str:
    return "$" * int(p)


def popup_html(rec: Recommendation) -> str:
    """Popup text for a red marker; every value is HTML-escaped."""
    e = html.escape
    return (f"<b>{e(rec.name)}</b><br>{e(', '.join(rec.cuisines))}<br>"
            f"{_price(rec.price)} · {rec.rating:.1f}★ · {rec.distance_m:.0f} m<br>{e(rec.open_until)}")


def base_map(center: tuple[float, float], zoom: int, restaurants: list[tuple[float, float, str]]) -> folium.Map:
    """The part of the map that does not change between reruns."""
    m = folium.Map(location=center, zoom_start=zoom, tiles=None, control_scale=True)
    m.default_js, m.default_css = LEAFLET_JS, LEAFLET_CSS  # local files instead of CDN links
    # Online, OpenStreetMap tiles appear; offline, the city outline below still shows the land.
    folium.TileLayer(TILES_URL, attr="© OpenStreetMap contributors", name="OpenStreetMap", max_zoom=19).add_to(m)
    folium.Polygon([list(p) for p in SHORELINE], color="#7a8c99", weight=1, fill=True,
                   fill_color="#eef1e6", fill_opacity=0.6, interactive=False).add_to(m)
    callback = """function (row) {
        var marker = L.circleMarker(new L.LatLng(row[0], row[1]),
            {radius: 4, color: '#1f77b4', weight: 1, fillColor: '#1f77b4', fillOpacity: 0.7});
        marker.bindTooltip(row[2]);
        return marker;
    }"""
    data = [[lat, lon, html.escape(name)] for lat, lon, name in restaurants]
    cluster = FastMarkerCluster(data, callback=callback, name="All restaurants",
                                options={"disableClusteringAtZoom": 17, "chunkedLoading": True})
    cluster.default_js, cluster.default_css = CLUSTER_JS, CLUSTER_CSS
    cluster.add_to(m)
    return m


def overlay(pin: tuple[float, float], radius_m: float, recs: list[Recommendation]) -> folium.FeatureGroup:
    """What changes with every query: pin, radius circle, red recommendation markers."""
    group = folium.FeatureGroup(name="Recommendations")
    folium.Circle(pin, radius=radius_m, color="#2ca02c", weight=2, fill=True, fill_opacity=0.06).add_to(group)
    folium.CircleMarker(pin, radius=7, color="#111", weight=2, fill=True, fill_color="#fff", fill_opacity=1,
                        tooltip="Your pin").add_to(group)
    for rank, rec in enumerate(recs, start=1):
        folium.CircleMarker((rec.lat, rec.lon), radius=9, color="#8b0000", weight=2, fill=True,
                            fill_color="#d62728", fill_opacity=0.95,
                            tooltip=f"{rank}. {html.escape(rec.name)}",
                            popup=folium.Popup(popup_html(rec), max_width=280)).add_to(group)
    return group


def zoom_for(radius_m: float) -> int:
    """A zoom at which the radius circle fills a good part of a ~500 px map."""
    return int(max(10, min(17, round(14 - math.log2(max(radius_m, 50) / 1500)))))


def show(m: folium.Map, group: folium.FeatureGroup, center: tuple[float, float], key: str,
         radius_m: float = 1500, height: int = 520) -> dict | None:
    """Draw the map; returns {"last_clicked": {"lat", "lng"}} or None. Only clicks rerun the page;
    the pin, circle and red markers update in place (feature_group_to_add) without a reload."""
    return st_folium_component(m, key=key, height=height, use_container_width=True,
                               feature_group_to_add=group, center=center, zoom=zoom_for(radius_m),
                               returned_objects=["last_clicked"])


def red_markers(group: folium.FeatureGroup) -> list[dict]:
    """The red markers of an overlay as plain dicts (what a test or a screenshot checks)."""
    out = []
    for child in group._children.values():
        if isinstance(child, folium.CircleMarker) and child.options.get("fillColor") == "#d62728":
            out.append({"location": list(child.location)})
    return out
