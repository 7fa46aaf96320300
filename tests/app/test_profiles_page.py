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


# -- Issue 19: names and words on screen, the ids in "Details for QA" ----------------------------

def qa_details(at: AppTest) -> str:
    return "\n".join(t.value for e in at.expander if e.label == "Details for QA" for t in e.text)


def shown_outside_qa(at: AppTest) -> str:
    """What a person reads without opening "Details for QA": texts, Markdown, choices, tables."""
    qa = [e for e in at.expander if e.label == "Details for QA"]
    qa_texts = {t.value for e in qa for t in e.text}
    qa_frames = [d.value for e in qa for d in e.dataframe]
    parts = [t.value for t in at.text if t.value not in qa_texts] + [markdown_text(at)]
    parts += [str(o) for box in [*at.selectbox, *at.sidebar.selectbox] for o in box.options]
    parts += [" ".join(map(str, d.value.columns)) + " " + d.value.to_string() for d in at.dataframe
              if not any(d.value.equals(frame) for frame in qa_frames)]
    return "\n".join(parts)


def test_profiles_are_named_without_their_ids_which_sit_in_details_for_qa(app):
    """Issue 19 item 3: "Nora Newcomer (p-bfa60c34a6)" in the sidebar and messages."""
    open_page(app)
    create(app, "Nora Newcomer")
    first = app.session_state["active_user"]
    assert "Nora Newcomer" in plain_text(app)  # the saved message names it
    box = next(s for s in app.sidebar.selectbox if s.label == "Recommend for")
    assert box.value == first and "Nora Newcomer" in box.options
    assert first not in shown_outside_qa(app) and f"Profile id: {first}" in qa_details(app)
    model_id = service().loaded.model_id
    assert model_id not in shown_outside_qa(app) and f"Model id: {model_id}" in qa_details(app)

    # A second profile with the same name: the person can still tell the two apart.
    app.run()  # the create tab offers "Start a new profile" once the form edits a saved one
    button(app, "Start a new profile").click().run()
    create(app, "Nora Newcomer")
    second = app.session_state["active_user"]
    app.sidebar.text_input(key="profile_search").set_value("Nora Newcomer").run()
    box = next(s for s in app.sidebar.selectbox if s.label == "Recommend for")
    noras = [o for o in box.options if o.startswith("Nora Newcomer")]
    assert len(noras) == 2 and len(set(noras)) == 2, box.options
    app.text_input(key="find_text").set_value("Nora Newcomer").run()
    pick = app.selectbox(key="edit_pick")
    assert len({o for o in pick.options if o.startswith("Nora Newcomer")}) == 2, pick.options
    found = app.dataframe[0].value
    assert "user_id" not in found.columns and not any("_" in str(c) for c in found.columns), found.columns
    outside = shown_outside_qa(app)
    assert first not in outside and second not in outside
    qa = next(e for e in app.expander if e.label == "Details for QA" and e.dataframe)
    assert {first, second} <= set(qa.dataframe[0].value["user_id"])


def test_the_profile_settings_say_what_they_do(app):
    """Issue 19 item 7: newsletter, notifications, data sharing and visibility were unexplained."""
    open_page(app)
    for kind, label in (("checkbox", "Newsletter"), ("checkbox", "Notifications"), ("checkbox", "Data sharing"),
                        ("selectbox", "Profile visibility")):
        help_text = field(app, kind, "create", label).help or ""
        assert len(help_text) > 20, (label, help_text)
