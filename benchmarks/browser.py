"""How fast Explore answers in a real browser (issue 20): Debian's chromium driven by Playwright
against a `streamlit run` this benchmark starts itself (its own embedded Redis in a temp dir, the
shipped model; the shipped 3,000 restaurants, or the demo city copied to more city sites).

    .venv/bin/python -m benchmarks.browser [--restaurants 3000] [--tries 5] [--trace] [--only NAME]

For each interaction it times, on the browser's clock (``performance.timeOrigin + now()``, stamped
in the page and in the map's iframe by an init script), from the input event (the last key or
pointer event before the rerun request, or the navigation start for an open) to

- **first**: the first visible change of the ranked list / page title (a MutationObserver on the
  main document) or of the map's pin, radius circle and red picks (one on the map iframe's panes);
- **done**: no script running any more (every rerun request answered by a ``script_finished``
  forward message, nothing received for a quiet period) and the last change drawn (the animation
  frame after the last ``script_finished``, or the last change if later).

It also counts, per interaction, the reruns (``rerun_script`` back messages), the forward messages
and their bytes, the server's script time (rerun request sent to ``script_finished`` received), the
map component's render messages and how many of the marker layer's nodes changed. ``--trace``
adds a Chromium performance trace of the slowest interactions (main-thread time by kind) and the
server-side cost of building and serialising the map (outside Streamlit, same code).

Prints markdown tables: p50 / p90 in ms of ``--tries`` tries per interaction. Take the load
(``uptime``, printed with the table) into account: the tries are wall-clock timings."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
MAP_FRAME = "iframe[title='streamlit_folium.st_folium']"
# Open at that time only (the default), so that day and time change the picks; a minimum rating, so
# that one step of it does too.
START = "lat=37.75990&lon=-122.41480&radius=3000&day=Fr&time=19:00&price=1-4&rating=3.5"
PAGES = (("profiles", "Profiles"), ("restaurants", "Restaurants"), ("model", "Model"), ("system", "System"),
         ("explore", "Explore"))
GOALS = {"first": 300, "done": 600, "open": 800, "page": 1500}

# The instrumentation, in every frame (Playwright runs init scripts in child frames too). The top
# frame keeps every stamp in window.__bench; the map iframe (same origin) writes into the top's.
INSTRUMENT = r"""
(() => {
  const now = () => performance.timeOrigin + performance.now();
  const isTop = window === window.top;
  if (isTop) {
    window.__bench = {ws: [], changes: [], inputs: [], renders: [], headings: [], frames: [], markers: 0, mainSig: null,
                      headSig: null, mapSig: null};
  }
  const B = () => window.top.__bench;
  // Top-level protobuf field numbers of a Streamlit message (ForwardMsg in, BackMsg out).
  const fields = (data) => {
    const out = [];
    let b;
    if (data instanceof ArrayBuffer) b = new Uint8Array(data);
    else if (ArrayBuffer.isView(data)) b = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    else return out;
    let i = 0;
    const varint = () => { let r = 0, s = 1; for (;;) { const x = b[i++]; r += (x & 127) * s; s *= 128;
                                                        if (x < 128 || i >= b.length) return r; } };
    while (i < b.length) {
      const key = varint(), wire = key % 8;
      out.push(Math.floor(key / 8));
      if (wire === 0) varint(); else if (wire === 1) i += 8; else if (wire === 5) i += 4;
      else if (wire === 2) { const n = varint(); i += n; } else break;
    }
    return out;
  };
  const size = (d) => (d && (d.byteLength || d.size || d.length)) || 0;
  for (const type of ["keydown", "keyup", "pointerdown", "pointerup", "click"]) {
    window.addEventListener(type, (e) => { if (e.isTrusted) B().inputs.push(
      {t: performance.timeOrigin + e.timeStamp, type, frame: isTop ? "main" : "map"}); }, true);
  }
  if (isTop) {
    const Native = window.WebSocket;
    const send = Native.prototype.send;
    Native.prototype.send = function (d) {
      B().ws.push({dir: "out", t: now(), size: size(d), fields: fields(d)});
      return send.call(this, d);
    };
    const Wrapped = function (url, protocols) {
      const ws = protocols === undefined ? new Native(url) : new Native(url, protocols);
      ws.addEventListener("message", (e) => {
        const rec = {dir: "in", t: now(), size: size(e.data), fields: fields(e.data)};
        B().ws.push(rec);
        requestAnimationFrame(() => { rec.frame = now(); });
      });
      return ws;
    };
    Wrapped.prototype = Native.prototype;
    for (const k of ["CONNECTING", "OPEN", "CLOSING", "CLOSED"]) Wrapped[k] = Native[k];
    window.WebSocket = Wrapped;
    // The ranked list and the page's title and subheader, as text.
    const mainSig = () => {
      const grid = document.querySelector('table.picks-table');
      const h1 = document.querySelector('[data-testid="stMain"] h1');
      const h3 = document.querySelector('[data-testid="stMain"] h3');
      return [(h1 || {}).textContent + "|" + (grid || {}).textContent, (h3 || {}).textContent];
    };
    const watchMain = () => {
      [B().mainSig, B().headSig] = mainSig();
      new MutationObserver(() => {
        const [s, head] = mainSig();
        if (s !== B().mainSig) { B().mainSig = s; B().changes.push({t: now(), where: "list", sig: s.slice(0, 90)}); }
        if (head !== B().headSig) { B().headSig = head; B().headings.push({t: now(), text: head}); }
      }).observe(document.body, {subtree: true, childList: true, characterData: true});
    };
    if (document.body) watchMain(); else document.addEventListener("DOMContentLoaded", watchMain);
  } else {
    // The map component: its render messages from Streamlit, and the pin / circle / picks drawn.
    B().frames.push({t: now(), what: "map iframe document created"});
    window.addEventListener("message", (e) => {
      const d = e.data || {};
      if (d.type !== "streamlit:render") return;
      const a = d.args || {};
      B().renders.push({t: now(), script: (a.script || "").length, group: (a.feature_group || "").length});
    }, true);
    const mapSig = () => {
      const picks = [...document.querySelectorAll("path.explore-pick")].map(p => p.getAttribute("d"));
      const other = [...document.querySelectorAll('.leaflet-explorePin-pane path, path[stroke="#2ca02c"]')]
        .map(p => p.getAttribute("d"));
      return picks.length + ":" + picks.join() + "|" + other.join();
    };
    const watchMap = () => {
      const pane = document.querySelector(".leaflet-map-pane");
      if (!pane) { setTimeout(watchMap, 20); return; }
      B().frames.push({t: now(), what: "Leaflet map created (base map script ran)"});
      const first = mapSig();
      if (first !== "0:|") { B().mapSig = first; B().changes.push({t: now(), where: "map", picks: true}); }
      new MutationObserver((records) => {
        for (const r of records) {
          if (r.target.closest && r.target.closest(".leaflet-marker-pane")) B().markers += r.addedNodes.length
            + r.removedNodes.length;
        }
        const s = mapSig();
        if (s !== B().mapSig) {
          B().mapSig = s;
          B().changes.push({t: now(), where: "map", picks: !s.startsWith("0:")});
        }
      }).observe(pane, {subtree: true, childList: true, attributes: true, attributeFilter: ["d"]});
    };
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", watchMap); else watchMap();
  }
})();
"""

EMPTY_SPOT = """() => { const box = document.querySelector('.leaflet-container').getBoundingClientRect();
    for (const fy of [0.3, 0.7, 0.25, 0.75, 0.5]) for (const fx of [0.3, 0.7, 0.2, 0.8, 0.45]) {
        const x = box.left + box.width * fx, y = box.top + box.height * fy;
        const hit = document.elementFromPoint(x, y);
        if (hit.closest('.leaflet-interactive, .leaflet-marker-icon, .leaflet-control')) continue;
        return [x, y]; } return null; }"""
MAP_AT_REST = """() => { const m = window.map; if (!m) return null; const c = m.getCenter();
    return [c.lat, c.lng, m.getZoom(), !!m._animatingZoom, !!(m._panAnim && m._panAnim._inProgress)].join(); }"""


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between the sorted values (as
    numpy's default); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def p50_p90(values: list[float]) -> str:
    """"p50 / p90" in whole ms, "-" when nothing was measured."""
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    return f"{percentile(values, 50):.0f} / {percentile(values, 90):.0f}"


def message_names() -> tuple[dict[int, str], dict[int, str]]:
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    return ({f.number: f.name for f in ForwardMsg.DESCRIPTOR.fields},
            {f.number: f.name for f in BackMsg.DESCRIPTOR.fields})


FORWARD, BACK = message_names()


def kind(record: dict) -> str:
    """The oneof type of a recorded websocket message, from its top-level field numbers."""
    names = FORWARD if record["dir"] == "in" else BACK
    skip = {"hash", "metadata", "debug_last_backmsg_id"}
    for number in record["fields"]:
        name = names.get(number, str(number))
        if name not in skip:
            return name
    return "?"


def measure(records: dict, mark: float, started: float | None = None) -> dict:
    """One try's numbers from the page's stamps since ``mark`` (epoch ms). ``started``: the input
    time when known (a navigation start); otherwise the last input event before the first rerun
    request."""
    ws = [dict(r, kind=kind(r)) for r in records["ws"] if r["t"] >= mark]
    out_runs = [r for r in ws if r["dir"] == "out" and r["kind"] == "rerun_script"]
    finished = [r for r in ws if r["dir"] == "in" and r["kind"] == "script_finished"]
    if started is None:
        limit = out_runs[0]["t"] if out_runs else float("inf")
        inputs = [i["t"] for i in records["inputs"] if mark <= i["t"] <= limit]
        started = inputs[-1] if inputs else (out_runs[0]["t"] if out_runs else mark)
    changes = [c for c in records["changes"] if c["t"] >= started]
    first = min((c["t"] for c in changes), default=None)
    first_map = min((c["t"] for c in changes if c["where"] == "map"), default=None)
    first_list = min((c["t"] for c in changes if c["where"] == "list"), default=None)
    picks = min((c["t"] for c in changes if c["where"] == "map" and c.get("picks")), default=None)
    last_change = max((c["t"] for c in changes), default=None)
    end = finished[-1].get("frame", finished[-1]["t"]) if finished else None
    done = max(x for x in (end, last_change) if x is not None) if (end or last_change) else None
    server = []  # each rerun request to the next script_finished
    for run in out_runs:
        after = [f["t"] for f in finished if f["t"] >= run["t"]]
        if after:
            server.append(after[0] - run["t"])
    received = [r for r in ws if r["dir"] == "in"]

    def ms(t):
        return None if t is None else t - started
    heads = [h for h in records.get("headings", []) if h["t"] >= started]
    blank = next((h["t"] for h in heads if not h["text"]), None)  # the list's heading gone (a flicker)
    back = next((h["t"] for h in heads if blank is not None and h["t"] > blank and h["text"]), None)
    return {"first": ms(first), "done": ms(done), "map": ms(first_map), "list": ms(first_list), "picks": ms(picks),
            "reruns": len(out_runs), "runs": len(finished), "msgs": len(received),
            "kb": sum(r["size"] for r in received) / 1024, "server": sum(server) if server else None,
            "renders": len([r for r in records["renders"] if r["t"] >= started]),
            "render_kb": sum(r["script"] + r["group"] for r in records["renders"] if r["t"] >= started) / 1024,
            "first_rerun": ms(out_runs[0]["t"]) if out_runs else None,
            "biggest_kb": max((r["size"] for r in received), default=0) / 1024,
            "flicker": (back - blank) if blank is not None and back is not None else None,
            "ws": ws, "started": started}


# -- the app server ------------------------------------------------------------------------------

def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_catalogue(n: int, out: Path) -> Path | None:
    """The shipped demo (None) at its own size, or the demo city copied to city sites up to ``n``
    restaurants (SF keeps its ids, which the visits name), written as a dataset under ``out``."""
    from benchmarks.__main__ import city_catalogue
    from recsys.config import DEMO_DATASET_DIR
    from recsys.data.contract import save_dataset
    from recsys.data.restaurants import load_restaurant_dataset

    dataset = load_restaurant_dataset(DEMO_DATASET_DIR)
    if n <= len(dataset.items):
        return None
    items, _ = city_catalogue(dataset.items, n)
    items.loc[: len(dataset.items) - 1, "item_id"] = dataset.items["item_id"].to_numpy()
    save_dataset(type(dataset)(items, dataset.users, dataset.interactions, dataset.schema), out)
    return out


@contextmanager
def app_server(n: int, options: tuple[str, ...] = ()):
    """`streamlit run` on an embedded Redis of its own (temp dir) over ``n`` restaurants, with
    extra Streamlit config ``options`` ("runner.postScriptGC=false"); yields (url, log path). The
    index is built on the first page open (the warm-up)."""
    from recsys.serving.redis_server import EmbeddedRedis

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "RECSYS_DATA_DIR": str(Path(tmp) / "data"),
               "RECSYS_NAMESPACE": f"benchui{uuid.uuid4().hex[:6]}"}
        dataset = write_catalogue(n, Path(tmp) / "dataset")
        if dataset:
            env["RECSYS_DATASET_DIR"] = str(dataset)
        port = free_port()
        log_path = Path(tmp) / "streamlit.log"
        log = open(log_path, "w")
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"),
                                 "--server.port", str(port), "--server.address", "127.0.0.1",
                                 "--server.headless", "true", "--browser.gatherUsageStats", "false",
                                 *[f"--{option}" for option in options]],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).status == 200:
                        break
                except OSError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise RuntimeError(f"streamlit did not start; see {log_path}") from None
                    time.sleep(0.3)
            yield url, log_path
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()
            EmbeddedRedis(Path(env["RECSYS_DATA_DIR"]) / "redis").stop()


def blank_tile() -> bytes:
    from tests.e2e.conftest import BLANK_TILE  # the e2e tier's transparent 1x1 tile

    return BLANK_TILE


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"])


def new_page(browser, width: int = 1400, height: int = 1000, context=None):
    """A page in its own browser context (cold cache), or a new tab of ``context`` (its cache)."""
    page = context.new_page() if context is not None else browser.new_page(viewport={"width": width, "height": height})
    tile = blank_tile()
    page.route("**/tile.openstreetmap.org/**",
               lambda route: route.fulfill(status=200, content_type="image/png", body=tile))
    page.add_init_script(INSTRUMENT)
    return page


# -- driving the page --------------------------------------------------------------------------

def now_ms(page) -> float:
    return page.evaluate("performance.timeOrigin + performance.now()")


def records(page) -> dict:
    return page.evaluate("() => { const b = window.__bench; return {ws: b.ws.map(r => ({...r})), changes: b.changes,"
                         " inputs: b.inputs, renders: b.renders, headings: b.headings, frames: b.frames, markers: b.markers}; }")


def wait_done(page, mark: float, quiet_ms: int = 500, timeout_s: float = 120, nothing_s: float = 8,
              require: str = "") -> dict:
    """Until every rerun request since ``mark`` has its script_finished, at least one ran, and
    nothing arrived or changed for ``quiet_ms`` (twice the map component's 250 ms debounce); with
    ``require`` ("map"), also until that part changed (a map click's second run can start more
    than the quiet period after the first ends)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = page.evaluate("""(mark) => { const b = window.__bench; const ws = b.ws.filter(r => r.t >= mark);
            const last = Math.max(mark, ...ws.map(r => r.t), ...b.changes.filter(c => c.t >= mark).map(c => c.t));
            return [performance.timeOrigin + performance.now() - last, ws.map(r => [r.dir, r.fields, r.t]),
                    b.changes.filter(c => c.t >= mark).map(c => c.where)]; }""", mark)
        quiet, seen, changed = state
        kinds = [(kind({"dir": d, "fields": f}), t) for d, f, t in seen]
        asked = max((t for k, t in kinds if k == "rerun_script"), default=0.0)
        finished = max((t for k, t in kinds if k == "script_finished"), default=None)
        if finished is not None and finished >= asked and quiet >= quiet_ms and (not require or require in changed):
            return records(page)
        if not seen and time.monotonic() > deadline - timeout_s + nothing_s:
            raise TimeoutError(f"no rerun within {nothing_s} s of the input")
        page.wait_for_timeout(100)
    raise TimeoutError("the page never became idle")


def map_frame(page, timeout_s: float = 120):
    frame = page.wait_for_selector(MAP_FRAME, timeout=timeout_s * 1000).content_frame()
    frame.wait_for_selector(".leaflet-container", timeout=timeout_s * 1000)
    return frame


def map_at_rest(frame) -> None:
    last, same = None, 0
    for _ in range(60):
        view = frame.evaluate(MAP_AT_REST)
        if view == last and view and "true" not in view:
            same += 1
            if same >= 3:
                return
        else:
            last, same = view, 0
        frame.page.wait_for_timeout(50)


def open_explore(page, url: str, timeout_s: float = 120, query: str = START) -> dict:
    """A fresh session on Explore at ``query``; the stamps of its open, once idle."""
    page.goto(f"{url}/?{query}")
    map_frame(page, timeout_s)
    page.wait_for_function("document.querySelectorAll('[data-testid=\"stMain\"] h3').length > 0",
                           timeout=timeout_s * 1000)
    return wait_done(page, 0, timeout_s=timeout_s)


def slider(page, label: str):
    return page.locator('[data-testid="stSlider"]').filter(has_text=label).get_by_role("slider")


def open_box(page, label: str, text: str = "") -> None:
    box = page.locator(f'[data-testid="stMain"] input[aria-label="{label}"]')
    box.click()
    if text:
        box.fill(text)


def pick_option(page, name: str | None = None, nth: int = 0) -> None:
    options = page.get_by_role("option", name=name, exact=True) if name else page.get_by_role("option")
    options.nth(nth).click(timeout=10_000)


def choose(page, label: str, name: str | None = None, nth: int = 0) -> None:
    """Pick an option as a person does, untimed (a setup step); once more if a rerun closed the list."""
    for attempt in range(3):
        open_box(page, label)
        try:
            mark = now_ms(page)
            pick_option(page, name, nth)
            wait_done(page, mark)
            page.keyboard.press("Escape")
            return
        except Exception:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
            page.wait_for_timeout(500)


def timed(page, action, started: float | None = None, require: str = "") -> dict:
    """Run ``action`` (the input), wait until idle, and measure from its input event."""
    mark = now_ms(page)
    action()
    result = measure(wait_done(page, mark, require=require), mark, started)
    result["markers"] = page.evaluate("window.__bench.markers")
    return result


class Explore:
    """Each interaction as a setup (not timed) and an input (timed), alternating values so that
    every try changes something."""

    def __init__(self, page, url: str):
        self.page, self.url = page, url

    def reset(self, name: str = "") -> None:
        query = START
        for key, value in STARTS.get(name, {}).items():
            query = "&".join(f"{key}={value}" if part.startswith(f"{key}=") else part for part in query.split("&"))
        open_explore(self.page, self.url, query=query)

    def map_click(self, i: int) -> dict:
        frame = map_frame(self.page)
        map_at_rest(frame)
        spot = frame.evaluate(EMPTY_SPOT)
        box = self.page.locator(MAP_FRAME).bounding_box()
        self.page.evaluate("window.__bench.markers = 0")
        return timed(self.page, lambda: self.page.mouse.click(box["x"] + spot[0], box["y"] + spot[1]), require="map")

    def _key(self, control, keys: tuple[str, str], i: int) -> dict:
        control.focus()
        return timed(self.page, lambda: self.page.keyboard.press(keys[i % 2]))

    def radius(self, i: int) -> dict:
        return self._key(slider(self.page, "Radius"), ("ArrowLeft", "ArrowRight"), i)

    def price(self, i: int) -> dict:  # the lower end: $$ to $$$ and back
        return self._key(slider(self.page, "Price").nth(0), ("ArrowRight", "ArrowLeft"), i)

    def rating(self, i: int) -> dict:
        return self._key(slider(self.page, "Minimum rating"), ("ArrowRight", "ArrowLeft"), i)

    def day(self, i: int) -> dict:
        open_box(self.page, "Day", ("Saturday", "Friday")[i % 2])
        return timed(self.page, lambda: pick_option(self.page, ("Saturday", "Friday")[i % 2]))

    def time(self, i: int) -> dict:
        field = self.page.locator('[data-testid="stMain"] [data-testid="stTimeInput"]').filter(
            has_text="Time (San Francisco)")
        field.get_by_role("spinbutton").first.click()
        self.page.keyboard.type(("23", "19")[i % 2])
        self.page.keyboard.type("0")

        def commit():
            self.page.keyboard.type("0")
            self.page.keyboard.press("Tab")
        return timed(self.page, commit)

    def _chip(self, label: str, option: str, i: int) -> dict:
        if i % 2 == 0:  # add the option
            open_box(self.page, label, option)
            result = timed(self.page, lambda: pick_option(self.page, option))
        else:  # remove it again: Backspace in the empty box removes the last chip
            self.page.locator(f'[data-testid="stMain"] input[aria-label="{label}"]').focus()
            result = timed(self.page, lambda: self.page.keyboard.press("Backspace"))
        self.page.keyboard.press("Escape")
        return result

    def cuisine(self, i: int) -> dict:
        return self._chip("Cuisines (any of)", "pizza", i)

    def must_have(self, i: int) -> dict:
        return self._chip("Must have", "Outdoor seating", i)

    def more_like(self, i: int) -> dict:
        self.reset()
        choose(self.page, "More like these (pick 1 to 3)")
        button = self.page.get_by_role("button", name="Show more like these")
        return timed(self.page, button.click)

    def like(self, i: int) -> dict:  # a pick not liked yet: the second, third, ... of the list
        choose(self.page, "Feedback on", nth=1 + i)
        button = self.page.get_by_role("button", name="Liked it")
        return timed(self.page, button.click)


# Where an interaction starts, when not at START: one step of it then changes the picks.
STARTS = {"price": {"price": "2-4"}, "rating": {"rating": "4"}}
INTERACTIONS = ("map_click", "radius", "day", "time", "price", "rating", "cuisine", "must_have", "more_like", "like")
LABELS = {"map_click": "map click on empty land", "radius": "radius one step", "day": "day change",
          "time": "time change (19:00 / 23:00)", "price": "price (lower end one step)", "rating": "minimum rating one step",
          "cuisine": "cuisine add / remove", "must_have": "must-have add / remove",
          "more_like": '"more like these"', "like": "feedback: liked it"}


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout.strip()
    except OSError:
        return "?"


OPEN_LABELS = {"open": "open Explore (fresh session) to red picks",
               "reopen": "open Explore again (new tab, browser cache warm) to red picks"}


def run_suite(browser, url: str, tries: int, only: list[str]) -> tuple[dict[str, list[dict]], list[str]]:
    """Every interaction ``tries`` times; returns the tries by interaction and the load seen."""
    results: dict[str, list[dict]] = {}
    loads = [uptime()]
    # Open Explore: a fresh page each try (its own session), from the navigation start; first in
    # a new browser context (nothing cached: a first visit), then in a new tab of the same one
    # (the browser's cache warm: a person coming back).
    if not only or "open" in only:
        results["open"], results["reopen"] = [], []
        for _ in range(tries):
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            for key in ("open", "reopen"):
                tab = new_page(browser, context=context)
                stamps = open_explore(tab, url)
                results[key].append(measure(stamps, 0, started=tab.evaluate("performance.timeOrigin")))
                tab.close()
            context.close()
        for key in ("open", "reopen"):
            print(f"  {OPEN_LABELS[key]}: first picks {p50_p90([r['picks'] for r in results[key]])} ms", flush=True)
    page = new_page(browser)
    explore = Explore(page, url)
    for name in INTERACTIONS:
        if only and name not in only:
            continue
        explore.reset(name)
        results[name] = []
        for i in range(tries):
            try:
                results[name].append(getattr(explore, name)(i))
            except Exception as exc:  # noqa: BLE001 - one failed try must not lose the others
                print(f"  {name} try {i + 1} failed: {str(exc).splitlines()[0]}", flush=True)
                explore.reset(name)
        loads.append(uptime())
        print(f"  {LABELS[name]}: first {p50_p90([r['first'] for r in results[name]])}, "
              f"done {p50_p90([r['done'] for r in results[name]])} ms", flush=True)
    if not only or "pages" in only:
        explore.reset()
        for _slug, title in PAGES:
            results[f"page:{title}"] = []
        for _ in range(tries):
            for _slug, title in PAGES:
                link = page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title)
                try:
                    results[f"page:{title}"].append(timed(page, link.click))
                except Exception as exc:  # noqa: BLE001
                    print(f"  open {title} failed: {str(exc).splitlines()[0]}", flush=True)
        loads.append(uptime())
        for _slug, title in PAGES:
            print(f"  open {title} (menu): first {p50_p90([r['first'] for r in results[f'page:{title}']])}, "
                  f"done {p50_p90([r['done'] for r in results[f'page:{title}']])} ms", flush=True)
    page.close()
    return results, loads


def table(results: dict[str, list[dict]], n: int) -> str:
    head = ("| interaction | first visible change p50 / p90 (ms) | done p50 / p90 (ms) | goal (first / done) "
            "| reruns | forward msgs / KB received | server script ms p50 | map renders / KB of args |\n"
            "|---|---|---|---|---|---|---|---|")
    lines = [head]
    for name, tries in results.items():
        if not tries:
            continue
        if name in OPEN_LABELS:
            label, goal = OPEN_LABELS[name], f"picks {GOALS['open']}"
            first = p50_p90([r["picks"] for r in tries])
        elif name.startswith("page:"):
            label, goal = f"open {name[5:]} (sidebar menu)", f"done {GOALS['page']}"
            first = p50_p90([r["first"] for r in tries])
        else:
            label, goal = LABELS[name], f"{GOALS['first']} / {GOALS['done']}"
            first = p50_p90([r["first"] for r in tries])

        def med(key, tries=tries):
            return percentile([r[key] for r in tries if r[key] is not None], 50)
        lines.append(f"| {label} | {first} | {p50_p90([r['done'] for r in tries])} | {goal} "
                     f"| {med('reruns'):.0f} | {med('msgs'):.0f} / {med('kb'):.0f} | {med('server'):.0f} "
                     f"| {med('renders'):.0f} / {med('render_kb'):.0f} |")
    return f"\n{n:,} restaurants\n\n" + "\n".join(lines)


# -- where the time goes -------------------------------------------------------------------------

def timeline(result: dict) -> str:
    """One try's websocket messages on the browser's clock, from its input event."""
    lines = ["| ms from input | direction | message | KB |", "|---|---|---|---|"]
    for r in result["ws"]:
        if r["t"] < result["started"] - 1:
            continue
        lines.append(f"| {r['t'] - result['started']:.0f} | {r['dir']} | {r['kind']} | {r['size'] / 1024:.1f} |")
    return "\n".join(lines)


def trace_summary(trace: bytes, marker: float, start: float, end: float) -> str:
    """Renderer main-thread time by event kind within [start, end] (the page's epoch ms) of a
    Chromium trace, whose clock is aligned through the console.timeStamp made at ``marker``."""
    events = json.loads(trace)
    events = events["traceEvents"] if isinstance(events, dict) else events
    mains = {(e["pid"], e["tid"]) for e in events if e.get("name") == "thread_name"
             and e.get("args", {}).get("name") == "CrRendererMain"}
    # Trace timestamps are monotonic µs; align them with the page's clock through the marker.
    marks = [e for e in events if e.get("name") == "TimeStamp" and "bench" in json.dumps(e.get("args", {}))]
    if not marks:
        return "(no clock marker in the trace)"
    offset = marks[0]["ts"] / 1000 - marker  # trace ms minus page ms
    lo, hi = start + offset, end + offset
    busy: dict[str, float] = {}
    tasks = 0.0
    for e in events:
        if e.get("ph") != "X" or (e.get("pid"), e.get("tid")) not in mains:
            continue
        ts = e["ts"] / 1000
        if ts < lo or ts > hi:
            continue
        dur = e.get("dur", 0) / 1000
        name = e["name"]
        if name in ("RunTask", "ThreadControllerImpl::RunTask"):
            tasks += dur
            continue
        if name == "FunctionCall" or name == "EvaluateScript":
            data = e.get("args", {}).get("data", {})
            where = "map iframe" if "component" in str(data.get("url", "")) or "st_folium" in str(data.get("url", "")) \
                else ("main page" if data.get("url") else "?")
            name = f"{name} ({where})"
        busy[name] = busy.get(name, 0.0) + dur
    top = sorted(busy.items(), key=lambda kv: -kv[1])[:12]
    rows = [f"| main-thread tasks in all | {tasks:.0f} |"] + [f"| {k} | {v:.0f} |" for k, v in top]
    return "| renderer main thread, input to done | ms |\n|---|---|\n" + "\n".join(rows)


def traced(browser, page, action, require: str = "") -> tuple[dict, str]:
    browser.start_tracing(page=page, categories=["devtools.timeline", "disabled-by-default-devtools.timeline",
                                                 "v8.execute", "blink.user_timing"])
    mark = now_ms(page)
    page.evaluate("console.timeStamp('bench')")
    start_mark = now_ms(page)
    action()
    stamps = wait_done(page, mark, require=require)
    trace = browser.stop_tracing()
    result = measure(stamps, mark)
    summary = trace_summary(trace, start_mark, result["started"], result["started"] + (result["done"] or 0))
    return result, summary


def server_map_cost(n: int, repeats: int = 3) -> str:
    """What every Explore run spends on the map in Python, outside Streamlit (the same code):
    base_map over every restaurant, the overlay, and streamlit-folium's rendering and rewriting
    before the component call; and the size of the arguments sent."""
    import pickle

    import streamlit_folium as sf

    from benchmarks.__main__ import city_catalogue
    from recsys.config import DEMO_DATASET_DIR
    from recsys.data.restaurants import load_restaurant_dataset
    from ui import map_view
    from ui.state import DEFAULT_CENTER

    items = load_restaurant_dataset(DEMO_DATASET_DIR).items
    if n > len(items):
        items, _ = city_catalogue(items, n)
    points = list(zip(items["lat"].round(5), items["lon"].round(5), items["name"]))
    steps: dict[str, list[float]] = {}

    def clock(name, call):
        t = time.perf_counter()
        value = call()
        steps.setdefault(name, []).append((time.perf_counter() - t) * 1000)
        return value

    t = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        url = map_view.publish_dots(points, Path(scratch))  # once per catalogue version, not per run
        dots_kb = sum(f.stat().st_size for f in Path(scratch).glob("*.json")) / 1024
    published_ms = (time.perf_counter() - t) * 1000
    size = 0
    for _ in range(repeats):
        clock("catalogue copy (st.cache_data pickle round trip)", lambda: pickle.loads(pickle.dumps(items)))
        clock("restaurant_points (list of tuples)",
              lambda: list(zip(items["lat"].round(5), items["lon"].round(5), items["name"])))
        m = clock("map_view.base_map (the dots file's URL, as Explore passes)",
                  lambda: map_view.base_map(DEFAULT_CENTER, 13, url))
        group = map_view.overlay((37.7599, -122.4148), 3000, [])
        clock("folium render of the map", m.get_root().render)
        header = clock("streamlit_folium _get_html/_get_header", partial(lambda mm: (sf._get_html(mm), sf._get_header(mm)), m))
        leaflet = clock("streamlit_folium _get_map_string (regex rewrite)", partial(sf._get_map_string, m))
        clock("streamlit_folium generate_js_hash (regex + sha256)", partial(sf.generate_js_hash, leaflet, "explore-map"))
        fg = clock("streamlit_folium feature group string", partial(sf._get_feature_group_string, group, m))
        size = len(leaflet) + len(fg) + len(header[0]) + len(header[1])
    lines = ["| step (Python, per Explore run) | ms (median) |", "|---|---|"]
    for name, ms in steps.items():
        lines.append(f"| {name} | {percentile(ms, 50):.1f} |")
    total = sum(percentile(ms, 50) for ms in steps.values())
    lines.append(f"| **in all** | **{total:.0f}** |")
    lines.append(f"| map script + overlay sent as component args every run | {size / 1024:.0f} KB |")
    lines.append(f"| once per catalogue version: publish_dots (a {dots_kb:.0f} KB file, fetched once per map) "
                 f"| {published_ms:.0f} |")
    return f"\nServer-side map cost at {n:,} restaurants (same code, outside Streamlit)\n\n" + "\n".join(lines)


PROFILED = ("ui/map_view.py:base_map", "ui/map_view.py:js_literal", "ui/map_view.py:overlay",
            "ui/map_view.py:show", "streamlit_folium/__init__.py:st_folium", "ui/catalogue.py:restaurant_points",
            "ui/catalogue.py:catalogue", "recsys/serving/service.py:recommend", "ui/sidebar.py:sidebar",
            "streamlit/elements/arrow.py:dataframe")


def server_profile(n: int, reruns: int = 5) -> str:
    """Where a warm Explore rerun spends its server time: the same script through Streamlit's
    AppTest (no browser), cProfile'd in the script thread; cumulative ms per run of the named
    functions (profiled, so inflated), next to the unprofiled run time."""
    import cProfile
    import gc
    import pstats

    from streamlit.runtime.scriptrunner import script_runner
    from streamlit.testing.v1 import AppTest

    from recsys.serving.redis_server import EmbeddedRedis

    profile, on = cProfile.Profile(), [False]
    original = script_runner.ScriptRunner._run_script

    def run_script(self, *args, **kwargs):
        if not on[0]:
            return original(self, *args, **kwargs)
        profile.enable()
        try:
            return original(self, *args, **kwargs)
        finally:
            profile.disable()

    saved = {k: os.environ.get(k) for k in ("RECSYS_DATA_DIR", "RECSYS_NAMESPACE", "RECSYS_DATASET_DIR")}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update({"RECSYS_DATA_DIR": str(Path(tmp) / "data"), "RECSYS_NAMESPACE": f"benchprof{uuid.uuid4().hex[:6]}"})
        dataset = write_catalogue(n, Path(tmp) / "dataset")
        if dataset:
            os.environ["RECSYS_DATASET_DIR"] = str(dataset)
        script_runner.ScriptRunner._run_script = run_script
        try:
            at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=900)
            at.query_params.update(dict(pair.split("=") for pair in START.split("&")))
            at.run()
            at.run()
            plain = []
            for _ in range(reruns):
                t = time.perf_counter()
                at.run()
                plain.append((time.perf_counter() - t) * 1000)
            from streamlit import config

            config.set_option("runner.postScriptGC", False)
            no_gc = []
            for _ in range(reruns):
                t = time.perf_counter()
                at.run()
                no_gc.append((time.perf_counter() - t) * 1000)
            config.set_option("runner.postScriptGC", True)
            collect = []
            for _ in range(reruns):
                t = time.perf_counter()
                gc.collect(2)
                collect.append((time.perf_counter() - t) * 1000)
            objects = len(gc.get_objects())
            on[0] = True
            for _ in range(reruns):
                at.run()
        finally:
            script_runner.ScriptRunner._run_script = original
            EmbeddedRedis(Path(tmp) / "data" / "redis").stop()
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    stats = pstats.Stats(profile).stats
    lines = ["| function (server, per warm rerun) | cumulative ms, profiled |", "|---|---|"]
    for wanted in PROFILED:
        path, func = wanted.split(":")
        total = sum(v[3] for (file, _line, name), v in stats.items() if file.endswith(path) and name == func)
        lines.append(f"| {wanted} | {total * 1000 / reruns:.0f} |")
    lines.append(f"| whole rerun, not profiled (AppTest, p50) | {percentile(plain, 50):.0f} |")
    lines.append(f"| whole rerun, not profiled, runner.postScriptGC off (p50) | {percentile(no_gc, 50):.0f} |")
    lines.append(f"| gc.collect(2) alone in that process ({objects:,} objects tracked, p50) | {percentile(collect, 50):.0f} |")
    return f"\nServer script of a warm Explore rerun at {n:,} restaurants\n\n" + "\n".join(lines)


def analyse(browser, url: str) -> None:
    """One traced try each of the slowest interactions, with its message timeline."""
    page = new_page(browser)
    explore = Explore(page, url)
    explore.reset()
    for name in ("map_click", "day"):
        explore.reset()
        if name == "map_click":
            frame = map_frame(page)
            map_at_rest(frame)
            spot = frame.evaluate(EMPTY_SPOT)
            box = page.locator(MAP_FRAME).bounding_box()
            action = partial(page.mouse.click, box["x"] + spot[0], box["y"] + spot[1])
        else:
            open_box(page, "Day", "Saturday")
            action = partial(pick_option, page, "Saturday")
        page.evaluate("window.__bench.markers = 0")
        result, summary = traced(browser, page, action, require="map" if name == "map_click" else "")
        markers = page.evaluate("window.__bench.markers")
        print(f"\n### {LABELS[name]}: first {result['first']:.0f} ms (map {result['map'] or float('nan'):.0f}, "
              f"list {result['list'] or float('nan'):.0f}), done {result['done']:.0f} ms, "
              f"{result['reruns']} rerun requests, first request at {result['first_rerun']:.0f} ms, "
              f"{result['renders']} map render messages ({result['render_kb']:.0f} KB of args), "
              f"{markers} marker-pane nodes added/removed\n")
        print(timeline(result))
        print()
        print(summary)
        renders = [r for r in records(page)["renders"] if r["t"] >= result["started"]]
        print("\nmap iframe render messages (ms from input): "
              + ", ".join(f"{r['t'] - result['started']:.0f} ({(r['script'] + r['group']) / 1024:.0f} KB)"
                          for r in renders))
    page.close()
    # Open Explore, traced from the navigation.
    page = new_page(browser)
    page.goto("about:blank")
    browser.start_tracing(page=page, categories=["devtools.timeline", "disabled-by-default-devtools.timeline",
                                                 "v8.execute"])
    stamps = open_explore(page, url)
    trace = browser.stop_tracing()
    start = page.evaluate("performance.timeOrigin")
    result = measure(stamps, 0, started=start)
    print(f"\n### open Explore: red picks at {result['picks']:.0f} ms, list at {result['list'] or float('nan'):.0f} ms, "
          f"done {result['done']:.0f} ms, {result['runs']} script runs, {result['msgs']} forward messages "
          f"({result['kb']:.0f} KB)\n")
    print(timeline(result))
    print("\nIn the map iframe (ms from the navigation start):\n")
    for f in records(page)["frames"]:
        print(f"- {f['t'] - start:.0f}: {f['what']}")
    for r in records(page)["renders"]:
        print(f"- {r['t'] - start:.0f}: render message ({(r['script'] + r['group']) / 1024:.0f} KB of args)")
    print(f"- {result['picks']:.0f}: red picks drawn")
    loads = map_frame(page).evaluate("""() => performance.getEntriesByType('resource').map(e =>
        [e.name.split('/').slice(-1)[0], performance.timeOrigin + e.startTime, performance.timeOrigin + e.responseEnd])""")
    for name, begin, end in loads:
        print(f"- {begin - start:.0f} to {end - start:.0f}: loads {name}")
    print()
    print(open_trace_summary(trace))
    page.close()


def open_trace_summary(trace: bytes) -> str:
    """Main-thread time by kind over a whole page open (the trace spans only the open)."""
    events = json.loads(trace)
    events = events["traceEvents"] if isinstance(events, dict) else events
    mains = {(e["pid"], e["tid"]) for e in events if e.get("name") == "thread_name"
             and e.get("args", {}).get("name") == "CrRendererMain"}
    busy: dict[str, float] = {}
    for e in events:
        if e.get("ph") != "X" or (e.get("pid"), e.get("tid")) not in mains:
            continue
        name = e["name"]
        if name in ("FunctionCall", "EvaluateScript", "v8.compile", "v8.run"):
            data = e.get("args", {}).get("data", {})
            src = str(data.get("url", "") or data.get("fileName", ""))
            where = "map iframe" if "st_folium" in src or "component" in src or "leaflet" in src or "markercluster" in src \
                else ("streamlit bundle" if "static/js" in src else (src.rsplit("/", 1)[-1][:40] or "inline"))
            name = f"{name} ({where})"
        busy[name] = busy.get(name, 0.0) + e.get("dur", 0) / 1000
    top = sorted(busy.items(), key=lambda kv: -kv[1])[:14]
    return "| renderer main thread, whole open | ms |\n|---|---|\n" + "\n".join(f"| {k} | {v:.0f} |" for k, v in top)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.browser", description=__doc__.splitlines()[0])
    parser.add_argument("--restaurants", type=int, default=3000, help="catalogue size (above 3,000: city copies)")
    parser.add_argument("--tries", type=int, default=5)
    parser.add_argument("--trace", action="store_true", help="also trace the slowest interactions and cost the map")
    parser.add_argument("--server-option", action="append", default=[], metavar="KEY=VALUE",
                        help="a Streamlit config option for the app server (repeatable), e.g. runner.postScriptGC=false")
    parser.add_argument("--only", action="append", default=[],
                        help=f"measure only these (repeatable): open, pages, {', '.join(INTERACTIONS)}")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    began = time.monotonic()
    print(f"load before: {uptime()}", flush=True)
    with app_server(args.restaurants, tuple(args.server_option)) as (url, _log), sync_playwright() as p:
        browser = launch(p)
        warm = new_page(browser)
        t = time.monotonic()
        open_explore(warm, url, timeout_s=900)  # builds the index on a fresh Redis and warms every cache
        open_explore(warm, url)
        warm.close()
        print(f"server up and warm in {time.monotonic() - t:.0f} s", flush=True)
        results, loads = run_suite(browser, url, args.tries, args.only)
        if args.trace:
            print(table(results, args.restaurants), flush=True)  # now too, in case what follows fails
            try:
                analyse(browser, url)
            except Exception as exc:  # noqa: BLE001
                print(f"analysis failed: {exc}")
        browser.close()
    if args.trace:
        print(server_map_cost(args.restaurants))
        print(server_profile(args.restaurants))
    command = " ".join(["python -m benchmarks.browser", *sys.argv[1:]])
    print(f"\nMachine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"chromium {CHROMIUM}, {datetime.now():%Y-%m-%d %H:%M}; command: {command}; "
          f"{time.monotonic() - began:.0f} s in all")
    print("Load during the run (uptime):\n" + "\n".join(f"- {line}" for line in loads))
    print(table(results, args.restaurants))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
