"""The Restaurants page through AppTest on the real embedded Redis: what a person sees in Browse,
in the add form and in the import tab, with hostile names and hostile upload file names."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests import hostile
from tests.app.conftest import markdown_text, plain_text, service

RESTAURANTS = "pages/restaurants.py"
HEADER = "name,address,lat,lon,cuisines,price,rating,hours\n"


def widget(at: AppTest, kind: str, key: str):
    return next(w for w in getattr(at, kind) if w.key == key)


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def open_page(app: AppTest) -> AppTest:
    app.switch_page(RESTAURANTS).run()
    assert not app.exception, app.exception
    return app


# -- Browse ------------------------------------------------------------------------------------

def test_table_and_details_picker_show_what_the_count_says(app):
    """Issue 12 item 12: "600 of 600" must not sit above a table that silently stops at 500."""
    open_page(app)
    total = len(service().catalogue())
    caption = next(c.value for c in app.caption if f"of {total} restaurants" in c.value)
    table = app.dataframe[0].value
    picker = widget(app, "selectbox", "cat_pick")
    assert len(picker.options) == len(table)
    seen = set(table["item_id"])
    if len(table) < total:  # paginated: it says so, and the pages reach every row
        assert f"rows 1–{len(table)}" in caption, caption
        page = widget(app, "number_input", "cat_page")
        while len(seen) < total:
            page.set_value(page.value + 1).run()
            assert not app.exception
            table = app.dataframe[0].value
            assert len(widget(app, "selectbox", "cat_pick").options) == len(table) > 0
            assert not seen & set(table["item_id"])
            seen |= set(table["item_id"])
            page = widget(app, "number_input", "cat_page")
    assert seen == set(service().catalogue()["item_id"])


def test_markdown_in_a_name_is_shown_as_text_in_details(app):
    """Issue 10 item 3: an image in a name would load a remote URL when rendered as Markdown."""
    from recsys.data.restaurants import NewRestaurant

    open_page(app)
    name = "Pic ![t](http://127.0.0.1:9/x.png) Diner [click](javascript:alert(1))"
    service().add_restaurant(NewRestaurant(name=name, address="1 *Bold* St", lat=37.76, lon=-122.42,
                                           cuisines=["mexican"], price=2, rating=4.0, hours="24/7"))
    widget(app, "text_input", "cat_text").set_value("Pic").run()
    assert not app.exception
    assert list(app.dataframe[0].value["name"]) == [name]
    assert name in plain_text(app)
    assert "![t]" not in markdown_text(app) and "javascript:" not in markdown_text(app)


def test_browse_shows_the_current_name_after_an_update(app):
    """The catalogue cache must notice an update of an existing id (hlen does not change)."""
    from recsys.data.restaurants import NewRestaurant

    open_page(app)
    svc = service()
    row = NewRestaurant(name="Old Name Cafe", address="2 Test St", lat=37.76, lon=-122.42, cuisines=["mexican"],
                        price=2, rating=4.0, hours="24/7", item_id="h5-update-me").to_row()
    svc.add_restaurants(__import__("pandas").DataFrame([row]))
    widget(app, "text_input", "cat_text").set_value("Name Cafe").run()
    assert list(app.dataframe[0].value["name"]) == ["Old Name Cafe"]
    row["name"] = "New Name Cafe"
    svc.add_restaurants(__import__("pandas").DataFrame([row]))
    app.run()
    assert list(app.dataframe[0].value["name"]) == ["New Name Cafe"]


# -- Add a restaurant --------------------------------------------------------------------------

def fill_add_form(app: AppTest, name: str, cuisines: list[str], new_cuisine: str = "", confirm: bool = False):
    widget(app, "text_input", "add_name").set_value(name)
    widget(app, "text_input", "add_address").set_value("1 Test St")
    widget(app, "multiselect", "add_cuisines").set_value(cuisines)
    widget(app, "text_input", "add_new_cuisine").set_value(new_cuisine)
    widget(app, "checkbox", "add_new_confirm").set_value(confirm)
    button(app, "Add restaurant").click().run()
    assert not app.exception, app.exception


def test_a_typed_cuisine_needs_the_explicit_new_cuisine_step(app):
    """Issue 12 item 14: a typo must not silently become a new global filter label."""
    open_page(app)
    before = len(service().catalogue())
    known = service().cuisines()
    fill_add_form(app, "Typo Taqueria", [], new_cuisine="mexcian")
    assert any("not added" in e.value for e in app.error)
    problems = app.dataframe[-1].value
    assert list(problems["field"]) == ["new cuisine"]
    assert "'mexican'" in problems["problem"].iat[0]  # names the close known label
    assert len(service().catalogue()) == before and service().cuisines() == known

    fill_add_form(app, "Typo Taqueria", ["mexican"], new_cuisine="Fish & Chips", confirm=True)
    assert any("can be recommended now" in s.value for s in app.success)
    assert "fish & chips" in service().cuisines()
    assert len(service().catalogue()) == before + 1


def test_every_problem_of_the_form_is_named_at_once(app):
    """A bad cuisine no longer hides the other fields' problems until the next submit."""
    open_page(app)
    widget(app, "text_input", "add_name").set_value("Two Problems Bistro")
    widget(app, "text_input", "add_address").set_value("2 Test St")
    widget(app, "text_input", "add_new_cuisine").set_value("fremch")
    next(t for t in app.text_input if t.label == "Opening hours").set_value("Mo-Fr 25:00-26:00")
    button(app, "Add restaurant").click().run()
    assert not app.exception
    assert {"new cuisine", "hours"} <= set(app.dataframe[-1].value["field"])


def test_the_same_place_added_twice_is_one_restaurant(app):
    """Same name, address and location: the second add is refused, saying which place it is."""
    open_page(app)
    fill_add_form(app, "Twice Added Bistro", ["mexican"])
    assert any("can be recommended now" in s.value for s in app.success)
    added = service().catalogue().set_index("name").loc["Twice Added Bistro", "item_id"]
    assert added not in markdown_text(app)  # the id is for QA only
    before = len(service().catalogue())
    tables = len(app.dataframe)
    fill_add_form(app, "Twice Added Bistro", ["mexican"])
    # Issue 19 item 7: one clear line, naming the place (as text), not a table of empty cells.
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and "already in the catalogue" in errors[0] and "\n" not in errors[0], errors
    assert "Twice Added Bistro · 1 Test St" in plain_text(app)
    assert len(app.dataframe) == tables  # no problems table
    item_id = service().catalogue().set_index("name").loc["Twice Added Bistro", "item_id"]
    assert item_id not in errors[0] and item_id not in markdown_text(app)
    assert len(service().catalogue()) == before
    fill_add_form(app, "Twice Added Bistro (Annex)", ["mexican"])  # another name: another place
    assert len(service().catalogue()) == before + 1


def test_the_add_form_records_outdoor_seating_and_wheelchair_access(app):
    """Issue 14: the record's choice fields appear in the form and reach the index and the search."""
    from recsys.serving.query import Query

    open_page(app)
    assert widget(app, "selectbox", "add_wheelchair").options == ["yes", "limited", "no", "unknown"]
    widget(app, "selectbox", "add_outdoor_seating").set_value("yes")
    widget(app, "selectbox", "add_wheelchair").set_value("limited")
    fill_add_form(app, "Ramp And Patio Cafe", ["mexican"])
    assert any("can be recommended now" in s.value for s in app.success)
    row = service().catalogue().set_index("name").loc["Ramp And Patio Cafe"]
    assert (row["outdoor_seating"], row["wheelchair"]) == ("yes", "limited")
    query = Query(lat=float(row["lat"]), lon=float(row["lon"]), radius_m=50, k=5, open_only=False,
                  must_have=["outdoor_seating", "wheelchair"])
    found = service().recommend(query, profile={"likes": ["mexican"]}).items
    assert [(r.name, r.outdoor_seating, r.wheelchair) for r in found] == [("Ramp And Patio Cafe", "yes", "limited")]


# The catalogue's texts the Name input can hold (it stops at 200 characters, so the 10,000-character
# name is tested by the importers and the browser), plus Streamlit's own Markdown directives.
HOSTILE_NAMES = [*(t for t in hostile.SHOWABLE_TEXTS if len(t) <= 200), ":red[alert] $x^2$ :smile:"]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_through_the_add_form_are_stored_and_shown_literally(app, name):
    open_page(app)
    fill_add_form(app, name, ["mexican"])
    assert any("can be recommended now" in s.value for s in app.success)
    assert name.strip() in plain_text(app)
    assert name.strip() not in markdown_text(app)
    assert name.strip() in set(service().catalogue()["name"])


def test_the_name_input_has_a_visible_limit(app):
    """A 10,000-character paste stops at the input's limit (the browser shows the counter)."""
    open_page(app)
    assert widget(app, "text_input", "add_name").max_chars == 200


@pytest.mark.parametrize("name", ["", "   "])
def test_unusable_names_are_rejected_naming_the_field(app, name):
    open_page(app)
    before = len(service().catalogue())
    fill_add_form(app, name, ["mexican"])
    table = app.dataframe[-1].value
    assert "name" in list(table["field"]), table
    assert len(service().catalogue()) == before


# -- Import a file -----------------------------------------------------------------------------

class WriteGuard:
    """An audit hook that records (and blocks) any write outside the allowed directory while on.
    Blocking matters: this suite runs as root, and the bug under test writes to client paths."""

    installed = False
    allowed: Path | None = None
    outside: list[str] = []

    @classmethod
    def hook(cls, event, args):
        if cls.allowed is None or event != "open" or not args or not isinstance(args[0], (str, bytes, os.PathLike)):
            return
        path, mode, flags = (list(args) + [None, None])[:3]
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or \
                  (isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
        if not writing:
            return
        target = Path(os.fsdecode(path)).resolve()
        if target != cls.allowed and cls.allowed not in target.parents and target.name in {"x.json", "passwd", "x.csv"}:
            cls.outside.append(str(target))
            raise PermissionError(f"test guard: write outside the temp dir blocked: {target}")


@pytest.fixture
def write_guard(tmp_path, monkeypatch):
    root = tmp_path / "a" / "b" / "c" / "d" / "e"
    root.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    if not WriteGuard.installed:
        sys.addaudithook(WriteGuard.hook)
        WriteGuard.installed = True
    WriteGuard.allowed, WriteGuard.outside = root.resolve(), []
    yield WriteGuard
    WriteGuard.allowed = None


def upload(app: AppTest, name: str, content: bytes, existing: str | None = None,
           skip_invalid: bool | None = None) -> AppTest:
    widget(app, "file_uploader", "import_file").set_value((name, content, "application/octet-stream"))
    app.run()
    assert not app.exception, app.exception
    if existing is not None:
        widget(app, "radio", "import_existing").set_value(existing)
    if skip_invalid is not None:
        widget(app, "checkbox", "import_skip_invalid").set_value(skip_invalid)
    button(app, "Import").click().run()
    assert not app.exception, app.exception
    assert not app.get("progress"), "the progress bar is still showing"
    return app


GOOD_CSV = (HEADER + "Hostile Upload Bistro,1 Upload St,37.76,-122.42,mexican,2,4.5,24/7\n").encode()


@pytest.mark.parametrize("name", ["../../../../tmp/x.json", "/etc/passwd", "..\\..\\x.csv", "x.json\x00.py",
                                  "../../../../tmp/x.csv"])
def test_hostile_upload_names_write_nothing_outside_a_private_temp_dir(app, write_guard, name):
    """Issue 10 item 2: the client's file name never becomes a path; it is shown literally."""
    open_page(app)
    upload(app, name, GOOD_CSV if name.endswith(".csv") else b'{"elements": []}')
    assert write_guard.outside == []
    shown = plain_text(app)
    assert name.replace("\x00", "\\x00") in shown
    assert name not in markdown_text(app)
    leftovers = [p for p in Path(tempfile.tempdir).rglob("*") if p.is_file()]
    assert leftovers == []  # the private temp dir is removed after the import


def test_a_good_csv_is_imported_and_browse_shows_it(app):
    open_page(app)
    upload(app, "places.csv", GOOD_CSV)
    assert any("1 new" in s.value for s in app.success), markdown_text(app)
    assert "Hostile Upload Bistro" in set(service().catalogue()["name"])
    widget(app, "text_input", "cat_text").set_value("Upload Bistro").run()
    assert list(app.dataframe[0].value["name"]) == ["Hostile Upload Bistro"]


def test_a_csv_without_name_lists_the_problem_by_field_and_stores_nothing(app):
    open_page(app)
    before = len(service().catalogue())
    upload(app, "bad.csv", b"address,lat,lon,cuisines,price,rating,hours\n1 St,37.76,-122.42,mexican,2,4,24/7\n")
    problems = app.dataframe[-1].value
    assert "name" in list(problems["field"])
    assert len(service().catalogue()) == before
    assert not any("Imported" in s.value and "1 new" in s.value for s in app.success)


MIXED_CSV = (HEADER + "Good Row Grill,1 St,37.76,-122.42,bbq,2,4,24/7\n"
             "Bad Price Grill,2 St,37.76,-122.42,bbq,9,4,24/7\n").encode()


def test_invalid_rows_are_listed_by_row_and_field(app):
    open_page(app)
    before = len(service().catalogue())
    upload(app, "mixed.csv", MIXED_CSV, skip_invalid=True)
    problems = app.dataframe[-1].value
    assert [(int(r), f) for r, f in zip(problems["row"], problems["field"])] == [(2, "price")]
    assert len(service().catalogue()) == before + 1


def test_by_default_a_file_with_one_bad_row_imports_nothing_and_says_so(app):
    """Issue 19 item 2: "Import the valid rows" starts unticked, so a broken file is never
    half-imported by default; the page says nothing was imported and lists the bad row."""
    open_page(app)
    assert widget(app, "checkbox", "import_skip_invalid").value is False
    before = len(service().catalogue())
    upload(app, "mixed-default.csv", MIXED_CSV.replace(b"Grill", b"Default Grill"))
    assert any("Nothing was imported" in e.value for e in app.error), markdown_text(app)
    assert not any("Imported" in s.value for s in app.success), markdown_text(app)
    problems = app.dataframe[-1].value
    assert [(int(r), f) for r, f in zip(problems["row"], problems["field"])] == [(2, "price")]
    assert len(service().catalogue()) == before


def test_an_oversized_field_rejects_its_row_not_the_file(app):
    """Issue 19 item 15: a field over MAX_FIELD_CHARS (beyond the csv module's own 131,072) once
    failed the whole file even with "import the valid rows"; now its row is named and the rest in."""
    open_page(app)
    before = len(service().catalogue())
    content = (HEADER + "Long Field Grill,1 St,37.76,-122.42,bbq,2,4,24/7\n"
               + "x" * 200_000 + ",2 St,37.76,-122.42,bbq,2,4,24/7\n"
               + "Long Field Diner,3 St,37.76,-122.42,bbq,2,4,24/7\n").encode()
    upload(app, "long.csv", content, skip_invalid=True)
    assert any("2 new" in s.value and "1 rejected" in s.value for s in app.success), markdown_text(app)
    problems = app.dataframe[-1].value
    assert [(int(r), f) for r, f in zip(problems["row"], problems["field"])] == [(2, "name")]
    assert "MAX_FIELD_CHARS" in problems["problem"].iloc[0]
    assert len(service().catalogue()) == before + 2


def test_reimport_skips_or_updates_existing_places_by_choice(app):
    """Counts equal what is stored; "update" replaces the names Browse shows."""
    open_page(app)
    first = (HEADER + "Twice Cafe,9 Twice St,37.761,-122.421,brunch,2,4,24/7\n").encode()
    upload(app, "twice.csv", first)
    before = len(service().catalogue())
    upload(app, "twice.csv", first, existing="Skip them")
    assert any("0 new" in s.value and "1 skipped" in s.value for s in app.success), markdown_text(app)
    assert len(service().catalogue()) == before
    svc = service()
    item_id = svc.catalogue().set_index("name").loc["Twice Cafe", "item_id"]
    # the same place (same address and coordinates) with a corrected rating: updated in place
    second = (HEADER + "Twice Cafe,9 Twice St,37.761,-122.421,brunch,2,4.5,24/7\n").encode()
    upload(app, "twice-v2.csv", second, existing="Update them")
    assert any("1 updated" in s.value for s in app.success), markdown_text(app)
    assert len(service().catalogue()) == before
    assert float(service().catalogue().set_index("item_id").loc[item_id, "rating"]) == 4.5


def test_the_catalogue_shows_names_and_words_and_keeps_the_id_for_qa(app):
    """Issue 19 item 3: an `item_id` column and "Name (id)" in the details picker."""
    open_page(app)
    grid = app.dataframe[0]
    shown = list(grid.proto.column_order)
    assert shown == ["name", "neighbourhood", "cuisines", "price", "rating"], shown
    picker = widget(app, "selectbox", "cat_pick")
    table = grid.value
    assert picker.options[0] == table["name"].iat[0] and "(" not in picker.options[0]
    qa = next(e for e in app.expander if e.label == "Details for QA")
    assert qa.text[0].value == f"Restaurant id: {table['item_id'].iat[0]}"
