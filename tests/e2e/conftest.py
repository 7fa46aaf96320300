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


