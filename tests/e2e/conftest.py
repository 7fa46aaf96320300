"""The browser tier: one `streamlit run` per module on the real embedded Redis, the small demo
dataset and model, driven by Debian's chromium through Playwright (nothing downloaded)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests import hostile

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
RED = "#d62728"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(redis_server, small_demo_dir, small_model_dir, tmp_path_factory):
    assert shutil.which(CHROMIUM) or os.path.exists(CHROMIUM), \
        "Debian's chromium is needed for the browser test: `make browser` (apt-get install chromium)"
    port = free_port()
    env = {**os.environ, "REDIS_URL": redis_server, "RECSYS_DATASET_DIR": str(small_demo_dir),
           "RECSYS_MODEL_DIR": str(small_model_dir), "RECSYS_DATA_DIR": str(tmp_path_factory.mktemp("e2e")),
           "RECSYS_NAMESPACE": f"e2e{uuid.uuid4().hex[:8]}"}
    log = open(tmp_path_factory.mktemp("log") / "streamlit.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"),
                             "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).status == 200:
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("streamlit did not start")
    yield url, env
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


def launch(p):
    return p.chromium.launch(executable_path=CHROMIUM, args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"])



# The catalogue's texts (tests/hostile.py): each is stored and shown as literal text, or
# rejected with a message naming the field.
HOSTILE_TEXTS = hostile.HOSTILE_TEXTS
MAP_FRAME = "iframe[title='streamlit_folium.st_folium']"


def service_for(env: dict):
    """A RecommenderService on the same Redis namespace as the test server (to add places)."""
    from recsys.config import Settings
    from recsys.serving.service import RecommenderService

    return RecommenderService.open(Settings(
        redis_url=env["REDIS_URL"], data_dir=Path(env["RECSYS_DATA_DIR"]),
        dataset_dir=Path(env["RECSYS_DATASET_DIR"]), model_dir=Path(env["RECSYS_MODEL_DIR"]),
        namespace=env["RECSYS_NAMESPACE"]))


class Watch:
    """What a page did that a person should never see: script errors, dialogs, stray requests."""

    def __init__(self, page, app_url: str):
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.external: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("console", lambda msg: self.errors.append(f"console: {msg.text} ({msg.location.get('url')})")
                if msg.type == "error" and "tile.openstreetmap.org" not in str(msg.location.get("url")) else None)
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("request", lambda r: self.external.append(r.url) if not r.url.startswith((app_url, "data:", "blob:"))
                and "tile.openstreetmap.org" not in r.url else None)


# A transparent 1x1 PNG for every map tile: no network in tests, and screenshots stay stable.
def _blank_png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x00\x00\x00\x00")) + chunk(b"IEND", b""))


BLANK_TILE = _blank_png()


def new_page(browser, app_url: str, width: int = 1400, height: int = 1000, **device):
    """A page with tiles stubbed and a Watch attached (page.watch); ``device``: more of
    Playwright's context options (has_touch, is_mobile for a phone)."""
    page = browser.new_page(viewport={"width": width, "height": height}, **device)
    page.route("**/tile.openstreetmap.org/**", lambda route: route.fulfill(status=200, content_type="image/png",
                                                                          body=BLANK_TILE))
    page.watch = Watch(page, app_url)
    return page


def qa_details(page, timeout: int = 60_000):
    """The sidebar's "Details for QA" (where the ids are), opened; the locator of its box."""
    box = page.locator("[data-testid=stSidebar] [data-testid=stExpander]").filter(has_text="Details for QA").first
    box.wait_for(timeout=timeout)
    if not box.locator("details").evaluate("d => d.open"):
        box.locator("summary").click()
    box.locator("[data-testid=stText]").first.wait_for(timeout=timeout)
    return box


def qa_profile_id(page) -> str:
    """The active profile's id, as "Details for QA" states it."""
    text = qa_details(page).locator("[data-testid=stText]").first.inner_text()
    return text.split("Profile id: ", 1)[1].split()[0]
