"""The map: folium built with local Leaflet assets (served from ./static, so it draws with no
internet), blue clustered dots for every restaurant, red picks for the recommendations, the pin
and the radius circle. ``st_folium_component`` is the one seam tests replace inside AppTest.

Untrusted text (restaurant names, cuisines) never becomes markup or code. folium would put it
inside JavaScript template literals (where ``${…}`` runs and a backtick ends the string), and
streamlit-folium rewrites the generated script with regular expressions. So the text travels as
data: JavaScript string literals made only of ASCII letters, digits, spaces and ``\\uXXXX``
escapes (see ``js_literal``), which no surrounding context can read as syntax, and the browser
shows it with ``textContent``.

Clicks: the picks, the pin and the blue dots swallow their clicks (``bubblingMouseEvents:
false``), so a click on them opens a popup or tooltip and never reaches the map; only a click on
empty map (the radius circle is not interactive) moves the pin."""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
import uuid
from pathlib import Path
from string import ascii_letters, digits

import folium
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template
from streamlit_folium import st_folium

from recsys.data.city import CITY
from recsys.data.geo import distance_text
from recsys.data.record import describe_choices
from recsys.serving.search import Recommendation

STATIC = "/app/static"
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"  # what STATIC serves (server.enableStaticServing)
DOTS_DIR = STATIC_DIR / "dots"  # the catalogues' dots files (publish_dots; not in git)
DOTS_KEPT = 4  # dots files left in DOTS_DIR (the newest): one per catalogue version still served
# leaflet@1.9.4 from npm. Not folium's default jQuery: nothing the map runs uses it, and
# streamlit-folium loads each script only after the one before (one wait fewer on every open).
LEAFLET_JS = [("leaflet", f"{STATIC}/leaflet/leaflet.js")]
LEAFLET_CSS = [("leaflet_css", f"{STATIC}/leaflet/leaflet.css")]
CLUSTER_JS = [("markerclusterjs", f"{STATIC}/markercluster/leaflet.markercluster.js")]
CLUSTER_CSS = [("markerclustercss", f"{STATIC}/markercluster/MarkerCluster.css"),
               ("explorecss", f"{STATIC}/explore/map.css")]
TILES_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

# What is drawn, in one place: the legend on the Explore page is written from these.
PICK_COLOUR = "#d62728"
PICK_EDGE = "#8b0000"
DOT_COLOUR = "#1f77b4"
RADIUS_COLOUR = "#2ca02c"
PIN_FILL = "#fff"
# Leaflet panes stack by z-index: overlayPane 400 (radius circle, blue dots), markerPane 600
# (cluster bubbles), tooltipPane 650, popupPane 700. The pin and the picks get their own panes
# between the cluster bubbles and the tooltips, so a bubble can never hide a pick.
PIN_PANE, PIN_Z = "explorePin", 610
PICKS_PANE, PICKS_Z = "explorePicks", 620

st_folium_component = st_folium  # replaced by a recording stub in the AppTest tests

_PLAIN = frozenset(ascii_letters + digits + " ")


def js_literal(value: object) -> str:
    """``value`` (str, int, finite float, bool, None, list, tuple, dict with str keys) as a
    JavaScript literal in which every string character other than an ASCII letter, digit or
    space is a ``\\uXXXX`` escape (UTF-16 code units). The literal is inert in a ``<script>``,
    a template literal, an HTML attribute and a regular-expression rewrite alike."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ValueError(f"cannot put {value!r} on the map: not a finite number")
        return repr(int(value)) if isinstance(value, int) else repr(float(value))
    if isinstance(value, str):
        units = value.encode("utf-16-be", "surrogatepass")  # a lone surrogate is a JS string's code unit too
        out = []
        for i in range(0, len(units), 2):
            code = int.from_bytes(units[i:i + 2], "big")
            out.append(chr(code) if chr(code) in _PLAIN else f"\\u{code:04x}")
        return '"' + "".join(out) + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(js_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{js_literal(str(k))}:{js_literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot put a {type(value).__name__} on the map")


def price_text(price: int) -> str:
    return "$" * int(price)


def popup_lines(rec: Recommendation) -> list[str]:
    """What a pick's popup says, one line each: name, cuisines, price · rating · distance, hours,
    and the attributes known about it (outdoor seating, wheelchair access) when any is."""
    known = describe_choices(rec.restaurant)
    return [rec.name, ", ".join(rec.cuisines),
            f"{price_text(rec.price)} · {rec.rating:.1f}★ · {distance_text(rec.distance_m)}", rec.open_until,
            *([known] if known else [])]


class JsLiteral(str):
    """Text js_literal made already (kept, so an unchanged catalogue is escaped once, not per run)."""


def dot_rows(restaurants: list[tuple[float, float, str]]) -> JsLiteral:
    """Every restaurant's dot (lat, lon, name) as the map script's literal."""
    return JsLiteral(js_literal([[float(lat), float(lon), str(name)] for lat, lon, name in restaurants]))


class DotsUrl(str):
    """Where the map fetches its dots from: a file publish_dots wrote, of ``size`` bytes."""

    size: int = 0


def publish_dots(restaurants: list[tuple[float, float, str]], directory: Path | None = None) -> DotsUrl:
    """Every restaurant's dot (lat, lon, name) as a JSON file the app serves, named by its content
    (so never rewritten, safe to cache, and the same for every process with this catalogue), and
    its URL. The map fetches it once when it is drawn, instead of carrying 120 KB (3.7 MB at
    100,000 places) in the component arguments of every run. Written whole or not at all (a
    temporary file, then a rename); the newest DOTS_KEPT stay. OSError when it cannot be written."""
    content = json.dumps([[float(lat), float(lon), str(name)] for lat, lon, name in restaurants],
                         ensure_ascii=True, separators=(",", ":")).encode("ascii")
    name = hashlib.sha256(content).hexdigest()[:20] + ".json"
    directory = directory or DOTS_DIR
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    if path.is_file() and path.stat().st_size == len(content):
        os.utime(path)  # in use again: kept by the clean-up below
    else:
        partial = directory / f".{name}.{uuid.uuid4().hex}.partial"
        try:
            partial.write_bytes(content)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
    for old in sorted(directory.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)[DOTS_KEPT:]:
        old.unlink(missing_ok=True)
    for stale in directory.glob(".*.partial"):  # a writer killed mid-write (an hour is long past any write)
        if time.time() - stale.stat().st_mtime > 3600:
            stale.unlink(missing_ok=True)
    url = DotsUrl(f"{STATIC}/{DOTS_DIR.name}/{name}")  # where the app serves DOTS_DIR (tests pass another)
    url.size = len(content)
    return url


class _Script(MacroElement):
    """A piece of map script whose data arrives through ``js_literal`` only."""

    def __init__(self, template: str, **data: object):
        super().__init__()
        self._template = Template("{% macro script(this, kwargs) %}" + template + "{% endmacro %}")
        self.data = {name: value if isinstance(value, JsLiteral) else js_literal(value) for name, value in data.items()}


class _RestaurantDots(JSCSSMixin, _Script):
    default_js = CLUSTER_JS
    default_css = CLUSTER_CSS


# Blue dots, clustered into blue bubbles (the legend says so); a dot's name is its tooltip,
# built as text only when it is shown.
_DOTS_JS = """
(function (map) {
    map.createPane('%(pin_pane)s').style.zIndex = %(pin_z)d;
    map.createPane('%(picks_pane)s').style.zIndex = %(picks_z)d;
    var rows = {{ this.data.rows }};  // the dots, or the URL of their file (publish_dots)
    var cluster = L.markerClusterGroup({
        disableClusteringAtZoom: 17, chunkedLoading: true, showCoverageOnHover: false,
        iconCreateFunction: function (group) {
            var count = group.getChildCount();
            var inner = document.createElement('div');
            var label = document.createElement('span');
            label.textContent = String(count);
            inner.appendChild(label);
            var size = count < 10 ? 'small' : (count < 100 ? 'medium' : 'large');
            return L.divIcon({html: inner, className: 'marker-cluster explore-cluster explore-cluster-' + size,
                              iconSize: L.point(40, 40)});
        }
    });
    var nameOf = function (layer) {
        var box = document.createElement('div');
        box.textContent = layer.options.placeName;
        return box;
    };
    var draw = function (rows) {
        var dots = [];
        for (var i = 0; i < rows.length; i++) {
            var dot = L.circleMarker([rows[i][0], rows[i][1]], {
                radius: 4, color: '%(dot)s', weight: 1, fillColor: '%(dot)s', fillOpacity: 0.7,
                bubblingMouseEvents: false, placeName: String(rows[i][2])});
            dot.bindTooltip(nameOf);
            dots.push(dot);
        }
        cluster.addLayers(dots);
        map.getContainer().dataset.restaurantDots = String(dots.length);  // drawn: QA and tests wait for it
    };
    cluster.addTo(map);
    if (typeof rows === 'string') {  // fetched once per drawn map: the picks draw meanwhile
        fetch(rows).then(function (response) {
            if (!response.ok) { throw new Error('HTTP ' + response.status); }
            return response.json();
        }).then(draw).catch(function (error) { console.error('the restaurant dots did not load:', rows, error); });
    } else {
        draw(rows);
    }
    // A tap that focuses the map's frame makes the page scroll the whole frame into view before
    // the browser turns the tap into a click, so the click landed as far from the finger as the
    // page scrolled (on a phone the first tap put the pin ~200 px away, and a tap on a pick hit
    // the map behind it). A tap's click goes to what the finger touched, where it touched it.
    var container = map.getContainer(), touched = null;
    container.addEventListener('pointerdown', function (e) {
        touched = e.pointerType === 'mouse' ? null : {x: e.clientX, y: e.clientY, at: Date.now(), target: e.target};
    }, true);
    container.addEventListener('click', function (e) {
        var tap = touched;
        touched = null;
        if (!tap || Date.now() - tap.at > 1500 || (Math.abs(e.clientX - tap.x) < 2 && Math.abs(e.clientY - tap.y) < 2)) {
            return;  // no scroll came between: the browser's own click is right
        }
        e.stopImmediatePropagation();
        e.preventDefault();
        var target = tap.target && tap.target.isConnected ? tap.target : container;
        target.dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true, view: window,
                                                      clientX: tap.x, clientY: tap.y}));
    }, true);
    // A click on empty map goes to Python at once: streamlit-folium sends it after a 250 ms
    // debounce (its own later call then finds the same value and sends nothing). The pin and the
    // circle move now, so the click shows before the new picks arrive. The value is what the
    // component would send with returned_objects=["last_clicked"] (see show()).
    map.on('click', function (e) {
        var shared = window.__GLOBAL_DATA__;
        if (window.__explorePin) {
            window.__explorePin.forEach(function (layer) { layer.setLatLng(e.latlng); });
        }
        if (!shared || !window.Streamlit) { return; }
        var value = {last_clicked: shared.wrap_longitude ? map.wrapLatLng(e.latlng) : e.latlng};
        shared.lat_lng_clicked = e.latlng;
        if (JSON.stringify(shared.previous_data) !== JSON.stringify(value)) {
            shared.previous_data = value;
            window.Streamlit.setComponentValue(value);
        }
    });
})({{ this._parent.get_name() }});
""" % {"pin_pane": PIN_PANE, "pin_z": PIN_Z, "picks_pane": PICKS_PANE, "picks_z": PICKS_Z, "dot": DOT_COLOUR}

# Neighbourhood names and the big parks, added to the map only when a tile fails to load (no
# internet): a grey map with a shoreline alone gives a person nothing to find their way by. Below
# the dots (their own pane), never interactive, names set as text.
_OFFLINE_JS = """
(function (map) {
    var places = {{ this.data.places }}, parks = {{ this.data.parks }};
    map.createPane('exploreLabels').style.zIndex = 350;
    var layer = L.layerGroup();
    var label = function (text, className) {
        var box = document.createElement('div');
        box.textContent = text;
        box.className = className;
        return L.divIcon({html: box, className: 'explore-label', iconSize: null});
    };
    var at = function (lat, lon, icon) {
        L.marker([lat, lon], {icon: icon, interactive: false, keyboard: false, pane: 'exploreLabels'}).addTo(layer);
    };
    parks.forEach(function (park) {
        var box = park[1];
        L.rectangle([[box[0], box[1]], [box[2], box[3]]], {weight: 0, fillColor: '#b9dcb0', fillOpacity: 0.7,
                                                          interactive: false, pane: 'exploreLabels'}).addTo(layer);
        at((box[0] + box[2]) / 2, (box[1] + box[3]) / 2, label(park[0], 'explore-park-label'));
    });
    places.forEach(function (place) { at(place[1], place[2], label(place[0], 'explore-place-label')); });
    var shown = false;
    map.eachLayer(function (tiles) {
        if (tiles instanceof L.TileLayer) {
            tiles.on('tileerror', function () { if (!shown) { shown = true; layer.addTo(map); } });
        }
    });
})({{ this._parent.get_name() }});
"""

# The pin, the radius circle and the picks. A pick's popup and tooltip are elements whose text is
# set with textContent.
_OVERLAY_JS = """
(function (group) {
    var text = function (tag, value) {
        var element = document.createElement(tag);
        element.textContent = value;
        return element;
    };
    var pin = {{ this.data.pin }}, radius = {{ this.data.radius }};
    var ring = L.circle(pin, {radius: radius, color: '%(ring)s', weight: 2, fill: true,
                              fillOpacity: 0.06, interactive: false}).addTo(group);
    // The whole circle in view, at whatever width the map has (a phone, a laptop): only when the
    // pin or the radius changed, so a person's own panning and zooming is left alone otherwise.
    var view = pin.join(',') + '@' + radius;
    setTimeout(function () {
        if (!window.map || window.__exploreView === view) { return; }
        window.__exploreView = view;
        window.map.fitBounds(L.latLng(pin).toBounds(2.1 * radius), {animate: false});
    }, 0);
    var marker = L.circleMarker(pin, {radius: 7, color: '#111', weight: 2, fill: true, fillColor: '%(pin_fill)s',
                                      fillOpacity: 1, pane: '%(pin_pane)s', bubblingMouseEvents: false})
        .bindTooltip(text('div', 'Your pin')).addTo(group);
    window.__explorePin = [marker, ring];  // what a map click moves at once (see the dots script)
    var picks = {{ this.data.picks }};
    for (var i = 0; i < picks.length; i++) {
        var pick = picks[i];
        var popup = document.createElement('div');
        popup.className = 'explore-popup';
        popup.appendChild(text('b', pick.lines[0]));
        for (var j = 1; j < pick.lines.length; j++) {
            popup.appendChild(text('div', pick.lines[j]));
        }
        L.circleMarker([pick.lat, pick.lon], {
            radius: 9, color: '%(edge)s', weight: 2, fill: true, fillColor: '%(fill)s', fillOpacity: 0.95,
            pane: '%(picks_pane)s', bubblingMouseEvents: false, className: 'explore-pick'})
            .bindTooltip(text('div', pick.rank + '. ' + pick.lines[0]))
            .bindPopup(popup, {maxWidth: 280})
            .addTo(group);
    }
})({{ this._parent.get_name() }});
""" % {"ring": RADIUS_COLOUR, "pin_fill": PIN_FILL, "pin_pane": PIN_PANE, "edge": PICK_EDGE, "fill": PICK_COLOUR,
       "picks_pane": PICKS_PANE}


def base_map(center: tuple[float, float], zoom: int,
             restaurants: list[tuple[float, float, str]] | JsLiteral | DotsUrl) -> folium.Map:
    """The part of the map that does not change between reruns; ``restaurants`` as (lat, lon, name),
    as dot_rows made them, or the URL publish_dots gave (what Explore passes: once per catalogue
    version)."""
    m = folium.Map(location=center, zoom_start=zoom, tiles=None, control_scale=True)
    m.default_js, m.default_css = LEAFLET_JS, LEAFLET_CSS  # local files instead of CDN links
    # Online, OpenStreetMap tiles appear; offline, the city outline below still shows the land.
    folium.TileLayer(TILES_URL, attr="© OpenStreetMap contributors", name="OpenStreetMap", max_zoom=19).add_to(m)
    folium.Polygon([list(p) for p in CITY.shoreline], color="#7a8c99", weight=1, fill=True,
                   fill_color="#eef1e6", fill_opacity=0.6, interactive=False).add_to(m)
    _Script(_OFFLINE_JS, places=[[name, lat, lon] for name, (lat, lon) in CITY.places.items()],
            parks=[[name, list(box)] for name, box in CITY.no_restaurants.items()]).add_to(m)
    rows = restaurants if isinstance(restaurants, (JsLiteral, DotsUrl)) else dot_rows(restaurants)
    _RestaurantDots(_DOTS_JS, rows=rows).add_to(m)
    return m


class _Overlay(_Script):
    """Pin, radius circle and picks."""

    def __init__(self, pin: tuple[float, float], radius_m: float, recs: list[Recommendation]):
        picks = [{"lat": float(r.lat), "lon": float(r.lon), "rank": rank, "lines": popup_lines(r)}
                 for rank, r in enumerate(recs, start=1)]
        super().__init__(_OVERLAY_JS, pin=[float(pin[0]), float(pin[1])], radius=float(radius_m), picks=picks)


def overlay(pin: tuple[float, float], radius_m: float, recs: list[Recommendation]) -> folium.FeatureGroup:
    """What changes with every query: pin, radius circle, red picks."""
    group = folium.FeatureGroup(name="Recommendations")
    _Overlay(pin, radius_m, recs).add_to(group)
    return group


def show(m: folium.Map, group: folium.FeatureGroup, key: str, height: int = 520) -> dict | None:
    """Draw the map; returns {"last_clicked": {"lat", "lng"}} or None. Only clicks on empty map
    rerun the page; the pin, circle and picks update in place (feature_group_to_add)."""
    # No center or zoom here: the overlay fits the map to the radius circle itself (it knows the
    # map's real width; a zoom picked here would assume one).
    return st_folium_component(m, key=key, height=height, use_container_width=True,
                               feature_group_to_add=group, returned_objects=["last_clicked"])  # _DOTS_JS sends this shape
