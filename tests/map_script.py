"""The Explore map as the browser gets it: the scripts streamlit-folium builds from ui.map_view's
folium objects (the same functions ``st_folium`` calls), and a way to run them in Node against a
stand-in for Leaflet and the DOM that records every text the page would show.

Used by tests/unit/test_map_escaping.py, tests/integration/test_security.py and the AppTest map
stub (tests/app/conftest.py), so each checks what the map really runs, not a helper beside it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import folium
from streamlit_folium import _get_feature_group_string, _get_map_string

NODE = shutil.which("node")


def overlay_script(m: folium.Map, group: folium.FeatureGroup) -> str:
    """The script ``st_folium(m, feature_group_to_add=group)`` sends for the pin, circle and picks
    (the frontend ``eval``s it)."""
    return _get_feature_group_string(group, m)


def map_script(m: folium.Map) -> str:
    """The script ``st_folium(m)`` sends for the base map (tiles, outline, blue dots)."""
    m.get_root().render()
    m.render()
    return _get_map_string(m)


def script_data(script: str, name: str) -> object:
    """The value of ``var <name> = <literal>;`` in a map script, read as JSON: a ``js_literal`` is
    JSON too, and holds no ``;``."""
    found = re.findall(rf"\bvar {name} = ([^;]*);", script)
    assert len(found) == 1, f"expected one `var {name} = ...;` in the map script, found {len(found)}"
    return json.loads(found[0])


# A stand-in for Leaflet and the DOM: every L.* call and every method of what it returns is
# accepted and recorded; document.createElement gives elements whose textContent is recorded and
# whose innerHTML (markup) is a failure. Prints what was drawn as JSON.
_HARNESS = r"""
const source = require('fs').readFileSync(0, 'utf8');
const made = [], markup = [];
function element(tag) {
  const e = {tagName: tag, children: [], style: {}, className: ''};
  Object.defineProperty(e, 'textContent', {set(v) { e.text = String(v); }, get() { return e.text; }});
  for (const name of ['innerHTML', 'outerHTML']) {
    Object.defineProperty(e, name, {set(v) { markup.push(name + ' = ' + v); }, get() { return ''; }});
  }
  e.insertAdjacentHTML = (where, html) => markup.push('insertAdjacentHTML ' + html);
  e.appendChild = (child) => { e.children.push(child); return child; };
  return e;
}
function thing(name, args) {
  const own = {name: name, args: args || [], tooltips: [], popups: []};
  const target = function () {};
  const proxy = new Proxy(target, {
    get(t, prop) {
      if (prop === 'options') { return own.args[1] || {}; }
      if (prop === 'bindTooltip') {
        return (v) => { own.tooltips.push(typeof v === 'function' ? v(proxy) : v); return proxy; };
      }
      if (prop === 'bindPopup') { return (v) => { own.popups.push(v); return proxy; }; }
      if (prop === '__own') { return own; }
      if (prop === Symbol.toPrimitive) { return () => name; }
      if (typeof prop === 'symbol') { return undefined; }
      if (Object.prototype.hasOwnProperty.call(t, prop)) { return t[prop]; }
      return thing(name + '.' + String(prop));
    },
    apply(t, self, callArgs) { const r = thing(name + '()', callArgs); made.push(r); return r; },
    construct(t, callArgs) { const r = thing('new ' + name, callArgs); made.push(r); return r; },
  });
  return proxy;
}
globalThis.window = globalThis;
globalThis.document = {createElement: element, head: element('head'), body: element('body')};
globalThis.L = thing('L');
globalThis.map_div = thing('map_div');
globalThis.setTimeout = (fn) => 0;
const shown = (e) => e && typeof e === 'object' && 'tagName' in e
  ? {tag: e.tagName, text: e.text === undefined ? null : e.text, children: e.children.map(shown)} : e;
const files = JSON.parse(process.env.MAP_FILES || '{}');  // URL -> JSON text: what fetch() gets
globalThis.fetch = (url) => Promise.resolve(url in files
  ? {ok: true, status: 200, json: () => Promise.resolve(JSON.parse(files[url]))} : {ok: false, status: 404});
const failed = [];
globalThis.console = {...console, error: (...args) => failed.push(args.map(String).join(' '))};
(0, eval)(source);
setImmediate(() => {  // after the fetches' promises
const markers = made.map((m) => m.__own).filter((o) => o.name === 'L.circleMarker()').map((o) => ({
  at: o.args[0], placeName: (o.args[1] || {}).placeName === undefined ? null : o.args[1].placeName,
  tooltips: o.tooltips.map(shown), popups: o.popups.map(shown)}));
process.stdout.write(JSON.stringify({markers: markers, markup: markup, pwn: typeof window.__pwn, errors: failed}));
});
"""


def run_in_node(script: str, files: dict[str, str] | None = None) -> dict:
    """Run a map script under the Leaflet/DOM stand-in, ``files`` (URL -> JSON text) what its
    fetch() calls get (any other URL is a 404): {"markers": [{"at", "placeName", "tooltips",
    "popups"}], "markup": [what was written as HTML], "pwn": typeof window.__pwn, "errors": [what
    it logged with console.error]}. Elements come back as {"tag", "text", "children"}."""
    done = subprocess.run([NODE, "-e", _HARNESS], input=script, capture_output=True, text=True, timeout=60,
                          encoding="utf-8", env={**os.environ, "MAP_FILES": json.dumps(files or {})})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)
