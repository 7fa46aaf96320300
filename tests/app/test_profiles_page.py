"""The Profiles page through AppTest on the real embedded Redis: saving is idempotent, the active
profile follows a save, confirmations belong to what just happened, user text stays text."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests import hostile
from tests.app.conftest import markdown_text, plain_text, service

PROFILES = "pages/profiles.py"


def field(at: AppTest, kind: str, form: str, label: str):
    """A widget of the create or edit form, by its label."""
    return next(w for w in getattr(at, kind) if w.form_id.startswith(f"{form}-") and w.label == label)


def button(at: AppTest, label: str, index: int = 0):
    return [b for b in at.button if b.label == label][index]


def open_page(app: AppTest) -> AppTest:
    app.switch_page(PROFILES).run()
    assert not app.exception, app.exception
    return app


def create(app: AppTest, name: str, likes: list[str] = ("bbq",)) -> AppTest:
    field(app, "text_input", "create", "Name").set_value(name)
    field(app, "multiselect", "create", "Likes").set_value(list(likes))
    button(app, "Save profile").click().run()
    assert not app.exception, app.exception
    return app


def test_pressing_save_twice_keeps_one_profile_and_makes_it_active(app):
    """Issue 12 item 7: two presses made two identical profiles."""
    open_page(app)
    before = service().users.count()
    create(app, "Twice Tester")
    user_id = app.session_state["active_user"]
    assert user_id and service().users.get(user_id)["name"] == "Twice Tester"
    assert any("now the active profile" in s.value for s in app.success)
    button(app, "Save profile").click().run()
    assert not app.exception
    assert service().users.count() == before + 1
    assert app.session_state["active_user"] == user_id
    # the form now edits that profile: a change is saved to the same id
    field(app, "text_input", "create", "Name").set_value("Twice Tester Renamed")
    button(app, "Save profile").click().run()
    assert service().users.count() == before + 1
    assert service().users.get(user_id)["name"] == "Twice Tester Renamed"
    # and "Start a new profile" starts another one
    button(app, "Start a new profile").click().run()
    assert field(app, "text_input", "create", "Name").value == ""
    create(app, "Second Tester")
    assert service().users.count() == before + 2
    assert app.session_state["active_user"] != user_id


def test_deleted_confirmation_survives_the_rerun_and_a_stale_saved_goes(app):
    open_page(app)
    create(app, "Delete Me Dana")
    user_id = app.session_state["active_user"]
    app.text_input(key="find_text").set_value("Dana").run()
    app.selectbox(key="edit_pick").set_value(user_id).run()
    field(app, "multiselect", "edit", "Likes").set_value(["pizza"])
    button(app, "Save profile", index=1).click().run()
    assert any(s.value.startswith("Saved") for s in app.success)
    app.checkbox(key=f"confirm-{user_id}").check().run()
    button(app, "Delete profile").click().run()
    assert not app.exception
    assert service().users.get(user_id) is None
    successes = [s.value for s in app.success]
    assert any(s.startswith("Deleted") for s in successes), successes
    assert not any(s.startswith("Saved") for s in successes), successes
    assert "Delete Me Dana" in plain_text(app)
    assert app.session_state["active_user"] == ""
    app.run()  # the next interaction: the confirmation has been seen and goes
    assert not any(s.value.startswith("Deleted") for s in app.success)


def test_likes_offer_every_cuisine_people_can_filter_by(app):
    """Issue 12 item 13: likes were a fixed list of 13 labels."""
    open_page(app)
    options = set(field(app, "multiselect", "create", "Likes").options)
    assert set(service().cuisines()) <= options


# The catalogue's texts a profile name (80 characters) can hold, plus Streamlit's Markdown directives.
HOSTILE = [*hostile.SHORT_TEXTS, "Joe`s **bold** _it_", ":red[x] $x^2$ :smile:"]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_profile_names_are_stored_and_shown_literally(app, name):
    open_page(app)
    create(app, name)
    user_id = app.session_state["active_user"]
    assert service().users.get(user_id)["name"] == name
    assert name in plain_text(app)
    assert name not in markdown_text(app)


def test_the_name_input_has_a_visible_limit(app):
    """A 10,000-character paste stops at the input's limit (the browser shows the counter)."""
    open_page(app)
    assert field(app, "text_input", "create", "Name").max_chars == 80


@pytest.mark.parametrize("name", ["", "   "])
def test_unusable_names_are_refused_naming_the_field(app, name):
    open_page(app)
    before = service().users.count()
    create(app, name)
    assert any(e.value.startswith("Name:") for e in app.error), [e.value for e in app.error]
    assert service().users.count() == before
