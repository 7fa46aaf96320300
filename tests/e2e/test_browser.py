"""A real headless Chromium (Debian's, driven by Playwright) against `streamlit run`: the map
draws from local assets with no internet, a click moves the pin, red markers appear."""

from __future__ import annotations

from tests.e2e.conftest import ARTIFACTS, HOSTILE_TEXTS, MAP_FRAME, RED, launch, new_page, service_for


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
        # Issue 19 item 6: with no tiles (no internet here) the map names the neighbourhoods and
        # the big parks, as text, so a person can find the Mission without the list.
        frame.wait_for_selector(".explore-place-label", timeout=30_000)
        places = frame.evaluate("[...document.querySelectorAll('.explore-place-label')].map(e => e.textContent)")
        parks = frame.evaluate("[...document.querySelectorAll('.explore-park-label')].map(e => e.textContent)")
        assert "Mission" in places and "North Beach" in places and "Golden Gate Park" in parks
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


# Reads, for every red pick and every blue dot near the spot, the text a person sees in its popup
# and tooltip (opened through Leaflet, so overlapping markers need no pixel-exact clicks).
SHOWN_TEXTS = """([lat0, lon0, lat1, lon1]) => {
    const inside = (ll) => ll.lat >= lat0 && ll.lat <= lat1 && ll.lng >= lon0 && ll.lng <= lon1;
    const picks = [], dots = [];
    for (const layer of Object.values(window.map._layers)) {
        if (!layer.options || layer.options.fillColor !== '%s' || !layer.getPopup()) continue;
        layer.openPopup();
        const popup = layer.getPopup().getElement().querySelector('.leaflet-popup-content').textContent;
        layer.closePopup();
        layer.openTooltip();
        const tooltip = layer.getTooltip().getElement().textContent;
        layer.closeTooltip();
        picks.push({popup, tooltip});
    }
    window.map.eachLayer((group) => {
        if (!(group instanceof L.MarkerClusterGroup)) return;
        for (const dot of group.getLayers()) {
            if (!inside(dot.getLatLng())) continue;
            dot.openTooltip();
            dots.push(dot.getTooltip().getElement().textContent);
            dot.closeTooltip();
        }
    });
    return {picks, dots};
}""" % RED


def test_hostile_names_render_as_literal_text_in_popups_tooltips_and_clusters(app_url):
    """Issue 10 item 1: every text of the hostile catalogue, as a restaurant name, is shown as
    itself in its popup, tooltip and cluster dot; nothing runs (page and map frame), no script
    error, and the overlay (pin, radius circle, every pick) still draws."""
    from playwright.sync_api import sync_playwright

    from recsys.data.restaurants import NewRestaurant
    from recsys.serving.query import Query

    app_url, env = app_url
    service = service_for(env)
    lat0, lon0 = 37.7150, -122.4800  # a corner of a 4 x 5 grid, ~45 m apart; the pin sits mid-grid
    accepted = []
    for i, name in enumerate(HOSTILE_TEXTS):
        place = NewRestaurant(name=name, address="1 Test St", lat=lat0 + (i // 5) * 0.0004,
                             lon=lon0 + (i % 5) * 0.0005, cuisines=["cocktails"], price=2, rating=4.5, hours="24/7")
        try:
            service.add_restaurant(place)
            accepted.append(name)
        except ValueError as exc:  # rejecting is allowed, if the message names the field
            assert "name" in str(exc), (name[:40], str(exc))
    assert len(accepted) >= len(HOSTILE_TEXTS) - 3  # at most the empty, blank and too-long names go
    pin = (lat0 + 0.0006, lon0 + 0.0010)
    expected = service.recommend(Query(lat=pin[0], lon=pin[1], radius_m=250, k=50, open_only=False),
                                 profile={"likes": ["cocktails"]}).items
    stored = {r.name for r in expected}
    assert stored >= {n.strip() for n in accepted} or stored >= set(accepted)

    with sync_playwright() as p:
        browser = launch(p)
        page = new_page(browser, app_url)
        page.goto(f"{app_url}/?lat={pin[0]:.5f}&lon={pin[1]:.5f}&radius=250&open=0&k=50")
        frame = page.wait_for_selector(MAP_FRAME, timeout=60_000).content_frame()
        frame.wait_for_selector(".leaflet-container", timeout=60_000)
        picks_drawn = f"document.querySelectorAll('path[fill=\"{RED}\"]').length === {len(expected)}"
        frame.wait_for_function(picks_drawn, timeout=30_000)
        assert frame.locator("path[stroke='#2ca02c']").count() == 1  # the radius circle
        assert frame.locator("path[fill='#fff']").count() == 1  # the pin
        # Zoomed in as a person would to read single places (below zoom 17 they are clustered).
        frame.evaluate(f"() => window.map.setView([{pin[0]}, {pin[1]}], 18, {{animate: false}})")
        shown = frame.evaluate(SHOWN_TEXTS, [lat0 - 1e-4, lon0 - 1e-4, lat0 + 0.0013, lon0 + 0.0021])
        page.screenshot(path=str(ARTIFACTS / "hostile-names.png"), full_page=True)
        for name in stored:
            assert any(name in pick["popup"] for pick in shown["picks"]), f"popup lost {name[:40]!r}"
            assert any(pick["tooltip"].endswith(f". {name}") for pick in shown["picks"]), f"tooltip lost {name[:40]!r}"
            assert name in shown["dots"], f"cluster dot lost {name[:40]!r}"
        assert frame.evaluate("window.__pwn") is None and page.evaluate("window.__pwn") is None
        assert not page.watch.dialogs, page.watch.dialogs
        assert not page.watch.errors, page.watch.errors[:5]
        assert not page.watch.external, page.watch.external[:5]  # e.g. the Markdown image
        browser.close()
