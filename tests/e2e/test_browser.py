"""A real headless Chromium (Debian's, driven by Playwright) against `streamlit run`: the map
draws from local assets with no internet, a click moves the pin, red markers appear."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import ARTIFACTS, RED, launch


def test_a_fresh_server_opened_on_a_page_url_still_gets_the_router(app_url):
    """The very first request to a new server is /model: it must show the app's navigation and
    sidebar, not pages/model.py run on its own (see ui/router.py)."""
    from playwright.sync_api import sync_playwright

    app_url, _env = app_url
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{app_url}/model")
        page.wait_for_selector("text=Model card", timeout=60_000)
        page.wait_for_selector("text=Recommend for", timeout=30_000)  # the shared sidebar
        nav = page.locator("[data-testid='stSidebarNav']").inner_text()
        assert "Explore" in nav and "Restaurants" in nav and "streamlit app" not in nav
        browser.close()


def test_map_draws_offline_and_click_moves_the_pin(app_url):
    from playwright.sync_api import sync_playwright

    app_url, _env = app_url
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1400})
        external = []
        page.on("request", lambda r: external.append(r.url)
                if not r.url.startswith(app_url) and not r.url.startswith("data:") and "tile.openstreetmap" not in r.url
                else None)
        page.goto(f"{app_url}/?lat=37.7599&lon=-122.4148&radius=3000&day=Fr&time=19:00&open=0")
        frame_el = page.wait_for_selector("iframe[title='streamlit_folium.st_folium']", timeout=60_000)
        frame = frame_el.content_frame()
        frame.wait_for_selector(".leaflet-container", timeout=60_000)
        frame.wait_for_function(f"document.querySelectorAll('path[fill=\"{RED}\"]').length >= 10", timeout=60_000)
        before = frame.evaluate(f"document.querySelectorAll('path[fill=\"{RED}\"]').length")
        assert before == 10
        assert frame.evaluate("typeof L") == "object"  # Leaflet came from the app, not a CDN
        page.screenshot(path=str(ARTIFACTS / "explore-before-click.png"), full_page=True)

        box = frame_el.bounding_box()
        lat_input = page.get_by_label("Latitude").first
        old_lat = lat_input.input_value()
        frame.locator(".leaflet-container").click(position={"x": box["width"] * 0.3, "y": box["height"] * 0.3})
        page.wait_for_function(
            f"() => {{ const e = [...document.querySelectorAll('input')].find(i => i.getAttribute('aria-label') === 'Latitude');"
            f" return e && e.value !== '{old_lat}'; }}", timeout=60_000)
        frame.wait_for_selector(f"path[fill='{RED}']", timeout=60_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(ARTIFACTS / "explore-after-click.png"), full_page=True)
        assert lat_input.input_value() != old_lat
        assert "lat=" in page.url and old_lat not in page.url
        browser.close()
    assert not external, f"the page fetched from outside the app: {external[:5]}"


def test_hostile_names_are_escaped_in_the_browser(app_url):
    from playwright.sync_api import sync_playwright

    from recsys.config import Settings
    from recsys.data.restaurants import NewRestaurant
    from recsys.service import RecommenderService

    app_url, env = app_url
    settings = Settings(redis_url=env["REDIS_URL"], data_dir=Path(env["RECSYS_DATA_DIR"]),
                        dataset_dir=Path(env["RECSYS_DATASET_DIR"]), model_dir=Path(env["RECSYS_MODEL_DIR"]),
                        namespace=env["RECSYS_NAMESPACE"])
    service = RecommenderService.open(settings)
    name = '<img src=x onerror="window.__xss=1">Evil<script>window.__xss=2</script>'
    service.add_restaurant(NewRestaurant(name=name, address="1 Test St", lat=37.7160, lon=-122.4790,
                                         cuisines=["cocktails"], price=2, rating=4.5, hours="24/7"))
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1400})
        page.goto(f"{app_url}/?lat=37.7160&lon=-122.4790&radius=100&open=0")
        frame_el = page.wait_for_selector("iframe[title='streamlit_folium.st_folium']", timeout=60_000)
        frame = frame_el.content_frame()
        marker = frame.wait_for_selector(f"path[fill='{RED}']", timeout=60_000)
        marker.click(force=True)
        popup = frame.wait_for_selector(".leaflet-popup-content", timeout=20_000)
        assert "<img" in popup.inner_text() and "Evil" in popup.inner_text()  # shown as text
        assert frame.evaluate("window.__xss") is None and page.evaluate("window.__xss") is None
        page.screenshot(path=str(ARTIFACTS / "escaped-popup.png"), full_page=True)
        browser.close()
