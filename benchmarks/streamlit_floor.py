"""What Streamlit itself costs before Explore does anything: the floor under "open Explore to red
picks" (benchmarks.browser). Two pages with nothing of this app in them, each opened in a fresh
browser context (nothing cached), timed from the navigation start in Debian's chromium:

- **a title**: `st.title` alone, to the title drawn (Streamlit's bundle, its websocket, one run);
- **a bare map**: the title and an `st_folium` map with no tiles and no layers, Leaflet served
  by the app as Explore's is (ui/map_view.py), to Leaflet's container in the component's frame;
- **a list update**: a selectbox whose value is written into ten rows of seven text columns (a
  list of picks' shape), drawn by `st.dataframe` or by an HTML table in `st.html`; timed from the
  option's pointer-down to the new text in the page (the dataframe's accessible grid, which the
  canvas is drawn with), the floor under "day change" (benchmarks.browser).

    python -m benchmarks.streamlit_floor [--tries 7]

The first try of each page is a warm-up and is not counted."""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime
from pathlib import Path

from benchmarks.browser import CHROMIUM, ROOT, free_port, launch, uptime

TITLE_APP = 'import streamlit as st\nst.title("floor")\n'
MAP_APP = TITLE_APP + """import folium
from streamlit_folium import st_folium
from ui import map_view
m = folium.Map(location=[37.77, -122.42], zoom_start=13, tiles=None)
m.default_js, m.default_css = map_view.LEAFLET_JS, map_view.LEAFLET_CSS
st_folium(m, height=400, returned_objects=[])
"""
LIST_APP = """import pandas as pd
import streamlit as st
day = st.selectbox("Day", ["Friday", "Saturday"], key="day")
rows = pd.DataFrame([{"name": f"{day} place {i}", "cuisine": "pizza, italian", "price": "$$", "rating": 4.5,
                      "distance": f"{i / 10:.1f} km", "open": "until 22:00", "why": "close to your taste"}
                     for i in range(10)])
"""
LIST_KINDS = {
    "st.dataframe": LIST_APP + 'st.dataframe(rows, hide_index=True, width="stretch")\n',
    "an HTML table (st.html)": LIST_APP + 'st.html(rows.to_html(index=False, classes="floor-list"))\n',
}
# The list's text, whichever element draws it; the time it last changed and of the last pointer-down.
LIST_STAMP = r"""
(() => {
  if (window !== window.top) return;
  const text = () => [...document.querySelectorAll('[data-testid="stDataFrame"] table[role=grid], table.floor-list')]
    .map(t => t.textContent).join();
  let last = null;
  addEventListener("pointerdown", () => { window.__input = performance.now(); }, true);
  const watch = () => new MutationObserver(() => {
    const now = text();
    if (now !== last) { last = now; window.__listed = performance.now(); }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
  if (document.body) watch(); else document.addEventListener("DOMContentLoaded", watch);
})();
"""
# Stamps (ms from the top page's navigation start) when the title and Leaflet's container exist.
STAMP = r"""
(() => {
  const top = window === window.top;
  const check = () => {
    if (top && !window.__title && [...document.querySelectorAll('h1')].some(h => h.textContent.includes('floor')))
      window.__title = performance.now();
    if (!top && !window.__leaflet && document.querySelector('.leaflet-container'))
      window.__leaflet = performance.timeOrigin + performance.now() - window.top.performance.timeOrigin;
  };
  new MutationObserver(check).observe(document, {subtree: true, childList: true});
  const poll = setInterval(() => { check(); if (window.__title || window.__leaflet) clearInterval(poll); }, 10);
})();
"""


def serve(script: Path):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true",
                             "--server.enableStaticServing", "true", "--browser.gatherUsageStats", "false"],
                            cwd=script.parent, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).status == 200:
                return proc, url
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError(f"streamlit did not start for {script}") from None
            time.sleep(0.3)


def open_once(browser, url: str, wants_map: bool) -> tuple[float, float | None]:
    context = browser.new_context()
    context.add_init_script(STAMP)
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("window.__title", timeout=60_000)
    leaflet = None
    deadline = time.monotonic() + 60
    while wants_map and leaflet is None and time.monotonic() < deadline:
        for frame in page.frames[1:]:
            try:
                leaflet = frame.evaluate("window.__leaflet || null")
            except Exception:  # noqa: BLE001 - a frame navigating away
                leaflet = None
            if leaflet:
                break
        page.wait_for_timeout(20)
    title = page.evaluate("window.__title")
    context.close()
    return title, leaflet


def update_once(page, day: str) -> float:
    """Switch the selectbox to ``day``; ms from the option's pointer-down to the new text."""
    page.locator('input[aria-label="Day"]').click()
    page.get_by_role("option", name=day, exact=True).click()
    page.wait_for_function("window.__listed > window.__input", timeout=30_000)
    page.wait_for_timeout(300)  # idle again before the next try
    return page.evaluate("window.__listed - window.__input")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.streamlit_floor", description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=7)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    loads = [uptime()]
    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        (Path(tmp) / "static").symlink_to(ROOT / "static")  # Leaflet, served as the app serves it
        browser = launch(p)
        for name, source, wants_map in (("a title", TITLE_APP, False), ("a bare map", MAP_APP, True)):
            script = Path(tmp) / f"{name.replace(' ', '_')}.py"
            script.write_text(source)
            proc, url = serve(script)
            try:
                tries = [open_once(browser, url, wants_map) for _ in range(args.tries)][1:]
            finally:
                proc.terminate()
                proc.wait(timeout=20)
            loads.append(uptime())
            drawn = [t[1] if wants_map else t[0] for t in tries]
            what = "Leaflet's container in the map frame" if wants_map else "the title drawn"
            rows.append(f"| {name} | {what} | {statistics.median(drawn):.0f} | {min(drawn):.0f} | {len(drawn)} |")
        for kind, source in LIST_KINDS.items():
            script = Path(tmp) / "list.py"
            script.write_text(source)
            proc, url = serve(script)
            try:
                context = browser.new_context()
                context.add_init_script(LIST_STAMP)
                page = context.new_page()
                page.goto(url)
                page.wait_for_function("window.__listed", timeout=60_000)
                page.wait_for_timeout(500)
                drawn = [update_once(page, ("Saturday", "Friday")[i % 2]) for i in range(args.tries + 1)][1:]
                context.close()
            finally:
                proc.terminate()
                proc.wait(timeout=20)
            loads.append(uptime())
            rows.append(f"| a list update, {kind} | the new text, from the option's pointer-down "
                        f"| {statistics.median(drawn):.0f} | {min(drawn):.0f} | {len(drawn)} |")
        browser.close()
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, chromium "
          f"{CHROMIUM}, {datetime.now():%Y-%m-%d %H:%M}; command: python -m benchmarks.streamlit_floor "
          f"{' '.join(sys.argv[1:])}".rstrip())
    print("Load (uptime):\n" + "\n".join(f"- {line}" for line in loads))
    print("\n| page (nothing of this app) | to | p50 ms | min ms | tries |\n|---|---|---|---|---|\n" + "\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
