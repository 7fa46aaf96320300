"""`python -m benchmarks.first_map`: from a fresh clone, seconds from `make run` to a map with red
markers in headless Chromium (the README's "first command to a usable map" figure).

It clones this repository's HEAD into a temp dir, runs `make run PORT=8600` there (venv, install,
embedded Redis, indexing, streamlit), and polls until the Explore map shows recommendations."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 8600


def main() -> int:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        started = time.monotonic()
        log = open(Path(tmp) / "make-run.log", "w")
        proc = subprocess.Popen(["make", "run", f"PORT={PORT}"], cwd=clone, stdout=log, stderr=subprocess.STDOUT)
        try:
            while proc.poll() is None:
                try:
                    if urllib.request.urlopen(f"http://127.0.0.1:{PORT}/_stcore/health", timeout=1).status == 200:
                        break
                except OSError:
                    time.sleep(0.5)
            healthy = time.monotonic() - started
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
                page = browser.new_page(viewport={"width": 1400, "height": 1200})
                page.goto(f"http://127.0.0.1:{PORT}/")
                frame = page.wait_for_selector("iframe[title='streamlit_folium.st_folium']", timeout=180_000)
                frame.content_frame().wait_for_selector("path[fill='#d62728']", timeout=180_000)
                usable = time.monotonic() - started
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            subprocess.run([str(clone / ".venv/bin/python"), "-m", "recsys", "stop-redis"], cwd=clone,
                           capture_output=True)
    print(f"| first run | fresh clone: `make run` to server up (s) | {healthy:.1f} |")
    print(f"| first run | fresh clone: `make run` to a map with red markers (s) | {usable:.1f} | target 60 s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
