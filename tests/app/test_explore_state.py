"""Explore's state across reruns and links (AppTest, real Redis, map stubbed): the price range,
shared links with the ad-hoc profile, unknown profiles, out-of-city pins, the radius steps, the
sidebar naming the chosen profile, and "More like these"."""

from __future__ import annotations

import html

from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP
from tests.readings import metres, picks_table

PLACE = dict(lat="37.7599", lon="-122.4148", radius="3000", day="Fr", time="19:00", open="0")


def param(at: AppTest, name: str) -> str:
    value = at.query_params[name]
    return value[0] if isinstance(value, list) else value


def widget(at: AppTest, kind: str, key: str):
    return next(w for w in getattr(at, kind) if w.key == key)


def table(at: AppTest):
    return picks_table(at)


def shown_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [s.value for s in at.subheader] + [w.value for w in at.warning]
    parts += [i.value for i in at.info] + [e.value for e in at.error]
    return "\n".join(str(p) for p in parts)


def test_price_range_keeps_both_ends_after_other_interactions(app):
    """Issue 12 item 1: price=1-4 collapsed to 1-1 ("$" only) after the first other interaction."""
    app.query_params.update(**PLACE, price="1-4")
    app.run()
    assert set(table(app)["price"]) - {"$"}, "the 1-4 range should show more than $ places"
    widget(app, "slider", "w_rating").set_value(0.5).run()
    assert widget(app, "select_slider", "w_price").value == (1, 4)
    assert param(app, "price") == "1-4"
    assert set(table(app)["price"]) - {"$"}
    app.map_stub.click = (37.7610, -122.4150)  # a map click keeps the range too
    app.run()
    app.run()
    assert param(app, "price") == "1-4" and param(app, "rating") == "0.5"
    assert param(app, "lat") == "37.76100"
    assert set(table(app)["price"]) - {"$"}
    widget(app, "select_slider", "w_price").set_range(2, 3).run()
    widget(app, "slider", "w_k").set_value(12).run()
    assert param(app, "price") == "2-3" and widget(app, "select_slider", "w_price").value == (2, 3)
    assert set(table(app)["price"]) <= {"$$", "$$$"} and len(table(app)) == 12


def test_a_shared_link_carries_the_adhoc_profile_and_ranks_the_same(app):
    """Issue 12 item 5: likes and price bracket of the ad-hoc profile travel with the link."""
    app.query_params.update(**PLACE)
    app.run()
    widget(app, "multiselect", "adhoc_likes").set_value(["bbq", "breweries"]).run()
    widget(app, "radio", "adhoc_bracket").set_value("low").run()
    assert param(app, "likes") == "bbq,breweries" and param(app, "bracket") == "low"
    ranked = list(table(app)["id"])
    fresh = AppTest.from_file(APP, default_timeout=120)  # another browser: only the link is shared
    fresh.query_params.update({name: param(app, name) for name in app.query_params})
    fresh.run()
    assert not fresh.exception
    assert widget(fresh, "multiselect", "adhoc_likes").value == ["bbq", "breweries"]
    assert list(table(fresh)["id"]) == ranked


def test_a_link_naming_an_unknown_profile_says_so_and_uses_the_adhoc_profile(app):
    """Issue 12 item 8: no raw 'no profile with user_id' and no empty map."""
    app.query_params.update(**PLACE, user="p-deleted-long-ago")
    app.run()
    assert not app.exception
    text = shown_text(app)
    assert "does not exist" in text and "ad-hoc profile" in text and "no profile with user_id" not in text
    assert len(table(app)) == 10 and len(app.map_stub.last_red) == 10
    assert app.session_state["active_user"] == "" and "user" not in app.query_params
    assert "likes" in app.query_params  # the link now carries the ad-hoc profile instead


def test_an_out_of_city_link_says_so_instead_of_clamping_silently(app):
    """Issue 12 item 15."""
    app.query_params.update(lat="48.85800", lon="2.29400", radius="3000", open="0")
    app.run()
    assert not app.exception
    assert "outside the area this app covers" in shown_text(app)
    from ui.state import DEFAULT_CENTER

    assert (widget(app, "number_input", "w_lat").value, widget(app, "number_input", "w_lon").value) == DEFAULT_CENTER
    assert param(app, "lat") == f"{DEFAULT_CENTER[0]:.5f}"


def test_radius_moves_in_steps_from_250_m_to_the_search_limit(app):
    """Issue 12 item 11: steps that suit 250 m ... 50 km, the top being the search's own limit."""
    from recsys.serving.query import MAX_RADIUS_M

    app.query_params.update(**PLACE, price="1-4", rating="0.5")
    app.run()
    radius = widget(app, "select_slider", "w_radius")
    assert radius.options[0] == "250 m" and radius.options[-1] == f"{MAX_RADIUS_M / 1000:g} km"
    assert len(radius.options) >= 10
    radius.set_value(750).run()
    assert param(app, "radius") == "750" and (table(app)["distance"].map(metres) <= 751).all()
    assert param(app, "price") == "1-4" and param(app, "rating") == "0.5" and param(app, "day") == "Fr"


def test_the_sidebar_names_the_profile_a_page_just_chose(app):
    """Issue 12 item 7 (sidebar): after a page sets session_state["active_user"], the sidebar shows
    that profile's name in the same run, not "Ad-hoc" and not a raw id."""
    app.switch_page("pages/profiles.py").run()
    next(t for t in app.text_input if t.label == "Name").set_value("Quinn Sidebar")
    next(m for m in app.multiselect if m.label == "Likes").set_value(["bbq"])
    next(b for b in app.button if b.label == "Save profile").click().run()
    assert not app.exception
    chosen = app.session_state["active_user"]
    assert chosen and chosen != ""
    box = next(s for s in app.sidebar.selectbox if s.label == "Recommend for")
    assert box.value == chosen
    assert box.options[box.index].startswith("Quinn Sidebar")


def test_more_like_these_names_the_chosen_places_and_says_why(app):
    """Issue 12 item 9: heading with names, reasons 'similar to X', no 'Select all' in a max-3 picker."""
    app.query_params.update(**PLACE)
    app.run()
    first = table(app).iloc[0]
    picker = widget(app, "multiselect", "more_like_pick")
    assert picker.max_selections == 3 and picker.proto.select_all == 0
    picker.set_value([first["id"]]).run()
    next(b for b in app.button if b.label == "Show more like these").click().run()
    assert not app.exception
    heading = " ".join(html.unescape(e.proto.body) for e in app.get("html"))
    assert f"More like {first['name']}" in heading and first["id"] not in heading
    more = table(app)
    assert first["id"] not in set(more["id"]) and len(more) == 10
    assert set(more["why"]) == {f"similar to {first['name']}"}
    # Issue 19 item 7: "More like these" is part of the view, so its link shows the same list.
    assert param(app, "more") == first["id"] and param(app, "radius") == PLACE["radius"]
    fresh = AppTest.from_file(APP, default_timeout=120)
    fresh.query_params.update({name: param(app, name) for name in app.query_params})
    fresh.run()
    assert not fresh.exception and list(table(fresh)["id"]) == list(more["id"])
    next(b for b in app.button if b.label == "Back to recommendations for the profile").click().run()
    assert "more" not in app.query_params and first["id"] in set(table(app)["id"])


def test_legend_and_icons_match_what_is_drawn(app):
    """Issue 12 items 3 and 17: the legend names the colours map_view draws (blue bubbles, not
    green/yellow/orange), and every icon is a bundled Material icon, never an emoji."""
    from ui import map_view
    from ui.router import APP_ICON, PAGES

    app.query_params.update(**PLACE)
    app.run()
    legend = next(m.value for m in app.markdown if "explore-legend" in m.value)
    for colour in (map_view.PICK_COLOUR, map_view.DOT_COLOUR, map_view.RADIUS_COLOUR):
        assert colour in legend
    assert "bubbles" in legend and "blue are all the others" not in shown_text(app)
    assert all(icon.startswith(":material/") for _, _, icon, _ in PAGES) and APP_ICON.is_file()
    assert map_view.PICKS_Z > 600 and map_view.PIN_Z > 600  # above the cluster bubbles' markerPane


def test_the_view_survives_a_visit_to_another_page(app):
    """Going to Profiles and back through the menu: the menu's link carries no query string, and
    Streamlit forgets the widgets of a page it does not draw; the view must come back whole."""
    app.query_params.update(**PLACE, price="2-3", cuisines="pizza")
    app.run()
    widget(app, "slider", "w_rating").set_value(4.0).run()
    widget(app, "multiselect", "adhoc_likes").set_value(["bbq"]).run()
    before = {name: param(app, name) for name in app.query_params}
    ranked = list(table(app)["id"])
    app.switch_page("pages/profiles.py").run()
    assert not app.exception
    app.query_params.clear()  # what the browser's URL holds on another page
    app.switch_page("pages/explore.py").run()
    assert not app.exception
    assert {name: param(app, name) for name in app.query_params} == before
    assert widget(app, "slider", "w_rating").value == 4.0 and widget(app, "multiselect", "adhoc_likes").value == ["bbq"]
    assert list(table(app)["id"]) == ranked


def test_the_first_run_of_a_process_lays_the_page_out_as_every_later_run(app, monkeypatch):
    """The progress box of the first open takes a place on the page; if only the first run had it,
    every element after it moves on the next run, and the browser mounts them afresh: the map
    reloads and an open expander closes under the person's click."""
    import ui.services

    monkeypatch.setattr(ui.services, "_started", False)  # as in a process that has not opened yet

    def layout() -> list[str]:
        return [type(node).__name__ for node in app.main.children.values()]

    app.query_params.update(PLACE)
    app.run()
    first = layout()
    app.run()
    assert layout() == first
    assert "Block" in first  # the columns are there to be moved


def test_must_have_filters_the_picks_and_travels_in_the_link(app):
    """Issue 14: "Must have" (the record's choice fields) narrows the picks, shows in the table and
    the URL, and a fresh session from the link shows the same list."""
    app.query_params.update(**PLACE, k="20")
    app.run()
    widget(app, "multiselect", "w_need").set_value(["wheelchair"]).run()
    assert not app.exception and param(app, "need") == "wheelchair"
    shown = table(app)
    assert len(shown) == 20 and set(shown["wheelchair access"]) <= {"yes", "limited"}
    assert param(app, "radius") == PLACE["radius"] and param(app, "time") == PLACE["time"]  # the rest kept
    fresh = AppTest.from_file(APP, default_timeout=120)
    fresh.query_params.update({name: param(app, name) for name in app.query_params})
    fresh.run()
    assert widget(fresh, "multiselect", "w_need").value == ["wheelchair"]
    assert list(table(fresh)["id"]) == list(shown["id"])


def test_choosing_a_saved_profile_and_back_keeps_the_adhoc_tastes(app):
    """Found by a new user: after choosing a saved profile in a session that used the ad-hoc one,
    the ad-hoc expander is not drawn, Streamlit forgets its widgets, and the next rerun crashed
    (KeyError 'adhoc_likes'); back on the ad-hoc profile its likes and bracket were lost."""
    app.query_params.update(**PLACE, likes="italian,cocktails", bracket="high")
    app.run()
    assert not app.exception and param(app, "likes") == "italian,cocktails"
    next(t for t in app.sidebar.text_input if t.label == "Find a profile").set_value("u00001").run()
    next(s for s in app.sidebar.selectbox if s.label == "Recommend for").set_value("u00001").run()
    assert not app.exception, app.exception
    for k in (3, 4):  # further changes while the saved profile is chosen
        widget(app, "slider", "w_k").set_value(k).run()
        assert not app.exception, app.exception
        assert param(app, "user") == "u00001" and len(table(app)) == k
    next(s for s in app.sidebar.selectbox if s.label == "Recommend for").set_value("").run()  # back to ad-hoc
    assert not app.exception
    assert param(app, "likes") == "italian,cocktails" and param(app, "bracket") == "high"
    assert widget(app, "multiselect", "adhoc_likes").value == ["italian", "cocktails"]


def test_one_owner_holds_the_view_and_the_link_is_written_once_per_run(app, monkeypatch):
    """Issue 20 item 2: the view lives in one session entry (no last-view, kept ad-hoc or pending-pin
    copies): after a map click, a filter change and a like it is what the URL says, and no run
    writes the URL more than once."""
    from streamlit.runtime.state.query_params_proxy import QueryParamsProxy

    from recsys.serving.query_link import from_params
    from ui.state import VIEW

    writes: list[int] = []
    real = QueryParamsProxy.from_dict
    monkeypatch.setattr(QueryParamsProxy, "from_dict", lambda self, params: (writes.append(1), real(self, params))[1])
    app.query_params.update(**PLACE)
    app.run()
    app.map_stub.click = (37.7610, -122.4150)
    app.run()  # the map reports the click; the next run is the one it triggers
    app.map_stub.click = None
    widget(app, "slider", "w_rating").set_value(3.5).run()
    next(b for b in app.button if b.key == "fb-liked").click().run()
    assert not app.exception
    for legacy in ("explore_last_view", "explore_adhoc_kept", "pending_pin"):
        assert legacy not in app.session_state
    view = app.session_state[VIEW]
    shown, _, _ = from_params({name: param(app, name) for name in app.query_params}, "America/Los_Angeles",
                              set(view.likes) | set(view.cuisines))
    assert (view.lat, view.lon, view.min_rating) == (37.761, -122.415, 3.5) and len(view.liked) == 1
    assert shown == view
    # Four runs (the open, the map reporting its click, the slider with the click, the like: no
    # second runs), three with a new view (the open completes the link's defaults): one write each.
    assert len(writes) == 3


def test_a_link_whose_more_like_places_are_gone_says_so_without_echoing_them(app):
    """Hostile input through the new `more=` parameter: an id the catalogue lacks (markup, Markdown)
    never reaches the page as text to render; the page says what happened and shows the profile's
    picks, every other parameter kept."""
    for hostile in ("**bold**", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))"):
        fresh = AppTest.from_file(APP, default_timeout=120)
        fresh.query_params.update(**PLACE, more=hostile)
        fresh.run()
        assert not fresh.exception
        text = shown_text(fresh)
        assert hostile not in text and "no longer in the catalogue" in text
        assert len(table(fresh)) == 10 and "more" not in fresh.query_params
        assert param(fresh, "radius") == PLACE["radius"]
