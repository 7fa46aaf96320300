"""Restaurants: search the catalogue, see a week's opening hours, add a restaurant or import a
file; added restaurants are embedded by the item tower and recommendable at once.

Names, addresses and file names come from users and files: they are shown with st.text and
st.dataframe (plain text), never inside Markdown, where `![t](http://…)` would load a remote image."""

from __future__ import annotations

import difflib
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from recsys.data.contract import DatasetError, Problem
from recsys.data.geo import LAT_RANGE, LON_RANGE
from recsys.data.hours import WeeklyHours
from recsys.data.record import CHOICE_FIELDS, UNKNOWN
from recsys.data.restaurants import NewRestaurant, clean_label
from recsys.serving.service import PlaceExistsError
from ui.catalogue import catalogue
from ui.labels import distinct_labels
from ui.router import start_page
from ui.services import guard
from ui.sidebar import qa_details
from ui.state import HOODS, PRICE_LABELS

PAGE_SIZE = 500  # rows per Browse page: the table and the details picker show the same rows
NAME_MAX_CHARS = 200  # the input stops there (Streamlit also truncates on the server)
# Upload suffixes the importers read. The file is saved under a name the server picks, with one of
# these suffixes: the client's file name is never part of a path.
UPLOAD_SUFFIXES = (".json", ".csv", ".json.gz", ".csv.gz")
EXISTING_CHOICES = ("Skip them", "Update them")

service = start_page("Restaurants")
ss = st.session_state


def problems_table(problems: list[Problem]) -> None:
    """Problems by row and field, as data (their messages may quote the user's text)."""
    st.dataframe(pd.DataFrame([{"row": "" if p.row is None else str(p.row), "field": p.field or "",
                                "problem": p.message} for p in problems], columns=["row", "field", "problem"]),
                 hide_index=True, width="stretch")


def shown_file_name(name: str) -> str:
    """The client's file name as literal text, control characters written as escapes (\\x00)."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in name)


def _first_page() -> None:
    ss["cat_page"] = 1


# Stateful tabs: a form submitted in "Add" or "Import" reruns the page and the person stays there.
browse, add, upload = st.tabs(["Browse", "Add a restaurant", "Import a file"], key="restaurants_tab", on_change="rerun")

with browse:
    items = catalogue(service)
    c1, c2 = st.columns([2, 1])
    text = c1.text_input("Search name, address or neighbourhood", key="cat_text", on_change=_first_page)
    cuisine = c2.multiselect("Cuisines", guard(service.cuisines) or [], key="cat_cuisines", on_change=_first_page)
    shown = items
    if text:
        needle = text.lower()
        hay = (items["name"].str.lower() + " " + items["address"].fillna("").str.lower() + " "
               + items["locality"].fillna("").str.lower())
        shown = shown[hay.str.contains(needle, regex=False)]
    if cuisine:
        shown = shown[shown["cuisines"].fillna("").map(lambda c: bool(set(c.split("|")) & set(cuisine)))]
    pages = max(1, -(-len(shown) // PAGE_SIZE))
    page = 1
    if pages > 1:
        ss["cat_page"] = min(max(int(ss.get("cat_page", 1)), 1), pages)
        page = int(st.number_input(f"Page (of {pages})", min_value=1, max_value=pages, step=1, key="cat_page"))
    rows = shown.iloc[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    caption = f"{len(shown)} of {len(items)} restaurants"
    if pages > 1:
        caption += (f" · showing rows {(page - 1) * PAGE_SIZE + 1}–{(page - 1) * PAGE_SIZE + len(rows)}"
                    f" (page {page} of {pages}; {PAGE_SIZE} per page)")
    st.caption(caption)
    table = rows[["item_id", "name", "locality", "cuisines", "price", "rating"]].copy()
    table["price"] = table["price"].map(lambda p: PRICE_LABELS.get(int(p), "?"))
    table["cuisines"] = table["cuisines"].fillna("").str.replace("|", ", ", regex=False)
    table = table.rename(columns={"locality": "neighbourhood"})
    # The id stays in the data (tests page through it; QA reads it under "Details for QA"), not on screen.
    st.dataframe(table, hide_index=True, width="stretch", column_order=[c for c in table.columns if c != "item_id"])
    if len(rows):
        # Names, told apart by their address only where two on this page share one.
        names = distinct_labels(zip(rows["item_id"], rows["name"], rows["address"]), unnamed="Unnamed restaurant")
        pick = st.selectbox("Details for", list(names), key="cat_pick", format_func=names.get)
        row = rows[rows["item_id"] == pick].iloc[0]
        with st.container(border=True):
            st.text(row["name"])
            st.text(f"{row['address']}\n{str(row['cuisines'] or '').replace('|', ', ')} · "
                    f"{PRICE_LABELS.get(int(row['price']), '?')} · {float(row['rating']):.1f}★")
            st.table(pd.DataFrame(WeeklyHours.parse(row["hours"]).describe_days(), columns=["day", "hours"]))
            qa_details(f"Restaurant id: {pick}")


def chosen_cuisines(picked: list[str], new_text: str, confirmed: bool, known: list[str]) -> tuple[list[str], list[Problem]]:
    """The form's cuisines: known labels, plus a new label only when the user said so."""
    if not new_text.strip():
        return picked, []
    label = clean_label(new_text)
    if not label:
        return picked, [Problem("form", None, "new cuisine", "has no letters or digits")]
    if label in known:
        return list(dict.fromkeys([*picked, label])), []
    if not confirmed:
        close = difflib.get_close_matches(label, known, n=3, cutoff=0.7)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else "."
        return picked, [Problem("form", None, "new cuisine",
                                f"{label!r} is not a known cuisine{hint} Pick it from the list, or tick "
                                "'Create it as a new cuisine label' to add it for everyone's filters.")]
    return list(dict.fromkeys([*picked, label])), []


with add:
    st.caption("A new restaurant is validated, embedded by the item tower and added to the live index: "
               "it can be recommended on the very next query, without retraining.")
    known = guard(service.cuisines) or []
    with st.form("add-restaurant"):
        name = st.text_input("Name", key="add_name", max_chars=NAME_MAX_CHARS)
        address = st.text_input("Address", key="add_address", placeholder="123 Valencia St, San Francisco, CA")
        hood = st.selectbox("Neighbourhood", sorted(HOODS), index=sorted(HOODS).index("Mission"))
        c1, c2 = st.columns(2)
        lat = c1.number_input("Latitude", value=HOODS["Mission"][0], format="%.5f", step=0.001,
                              min_value=LAT_RANGE[0], max_value=LAT_RANGE[1])
        lon = c2.number_input("Longitude", value=HOODS["Mission"][1], format="%.5f", step=0.001,
                              min_value=LON_RANGE[0], max_value=LON_RANGE[1])
        cuisines = st.multiselect("Cuisines", known, key="add_cuisines", select_all=False,
                                  help="The labels people filter by.")
        c5, c6 = st.columns([2, 1])
        new_cuisine = c5.text_input("New cuisine (only if none in the list fits)", key="add_new_cuisine")
        new_confirmed = c6.checkbox("Create it as a new cuisine label", key="add_new_confirm",
                                    help="A new label appears in everyone's cuisine filter.")
        c3, c4 = st.columns(2)
        price = c3.select_slider("Price", options=[1, 2, 3, 4], value=2, format_func=PRICE_LABELS.get)
        rating = c4.slider("Rating", 0.0, 5.0, 4.0, step=0.5)
        hours = st.text_input("Opening hours", value="Mo-Su 11:00-22:00",
                              help="e.g. 'Mo-Th 11:30-14:30,17:00-22:00; Fr,Sa 17:00-02:00' or '24/7'; days not named are closed")
        # One box per choice field of the record (outdoor seating, wheelchair access, ...).
        choice_columns = st.columns(len(CHOICE_FIELDS))
        choices = {f.name: column.selectbox(f.must_have or f.name, f.choices, index=f.choices.index(UNKNOWN),
                                            key=f"add_{f.name}")
                   for f, column in zip(CHOICE_FIELDS, choice_columns)}
        submitted = st.form_submit_button("Add restaurant", type="primary")
    if submitted:
        all_cuisines, problems = chosen_cuisines(cuisines, new_cuisine, new_confirmed, known)
        place = NewRestaurant(name=name, address=address, lat=float(lat), lon=float(lon), cuisines=all_cuisines,
                              price=int(price), rating=float(rating), hours=hours, locality=hood, **choices)
        new_id, exists = None, None
        try:
            if problems:  # every other field's problem too, all at once
                place.to_row()
            else:
                new_id = guard(service.add_restaurant, place)
        except DatasetError as exc:
            problems += [p for p in exc.problems if not (problems and p.field == "cuisines")]
        except PlaceExistsError as exc:
            exists = exc
        except ValueError as exc:  # a check outside the dataset rules (coordinates, a duplicate)
            problems = [*problems, Problem("form", None, "", str(exc))]
        if exists is not None:  # one line; the place is named below it as text (it is the user's)
            st.error("Not added: this place is already in the catalogue (same name, address and location). "
                     "Change one of them to add another place.", icon=":material/content_copy:")
            st.text(f"{exists.name} · {exists.address}")
            qa_details(f"Restaurant id: {exists.item_id}")
        elif problems:
            st.error("The restaurant was not added. Fix these fields:")
            problems_table(problems)
        elif new_id:
            st.success("Added: it is in the live index and can be recommended now.")
            st.text(name.strip())
            qa_details(f"Restaurant id: {new_id}")
            if new_cuisine.strip() and clean_label(new_cuisine) not in known:
                st.info("A new cuisine label was created:")
                st.text(clean_label(new_cuisine))


def save_upload(data: bytes, suffix: str, directory: str) -> Path:
    """Where an upload is read from: a fixed name in a private directory (mkdtemp is 0700)."""
    path = Path(directory) / f"upload{suffix}"
    path.write_bytes(data)
    return path


def run_import(file, skip_invalid: bool, update_existing: bool) -> None:
    st.text(f"File: {shown_file_name(file.name)}")
    suffix = next((s for s in sorted(UPLOAD_SUFFIXES, key=len, reverse=True) if file.name.lower().endswith(s)), None)
    if suffix is None:
        st.error(f"Not imported: the file name must end in {' or '.join(UPLOAD_SUFFIXES)}.")
        return
    bar = st.empty()

    def progress(done: int, total: int, stage: str) -> None:
        bar.progress(min(done / max(total, 1), 1.0), text=f"{stage}… {done / max(total, 1):.0%}")

    with tempfile.TemporaryDirectory(prefix="sfrec-upload-") as private:
        path = save_upload(file.getvalue(), suffix, private)
        try:
            report = guard(service.import_restaurants, path, shown_file_name(file.name), skip_invalid,
                           update_existing, progress)
        except (ValueError, OSError) as exc:  # unreadable in a way the importer did not name
            st.error("Not imported: the file could not be read.")
            st.text(str(exc).replace(str(path), shown_file_name(file.name)))
            return
        finally:
            bar.empty()
    if report is None:
        return  # Redis failed: guard showed what to do
    summary = (f"{report.new} new, {report.updated} updated, {report.skipped} skipped (already in the catalogue), "
               f"{report.rejected_rows} rejected.")
    if report.stored or report.skipped:
        st.success("Imported: " + summary)
    elif report.problems and not skip_invalid:
        st.error("Nothing was imported: fix the problems below, or tick 'Import the valid rows' to skip them.")
    else:
        st.error("Nothing was imported: " + summary)
    if report.problems:
        st.warning(f"{len(report.problems)} problem(s), by row and field (row numbers count records in the file):")
        problems_table(report.problems)


with upload:
    st.caption("TripAdvisor/Factual JSON, OpenStreetMap Overpass JSON, or an items CSV with the restaurant "
               "columns (name, address, lat, lon, cuisines, price, rating, hours). Each problem is listed by "
               "row and field; the valid places are embedded and indexed.")
    # No `type=` filter: Streamlit would raise on a name it dislikes; the page checks the suffix itself.
    file = st.file_uploader("File (.json or .csv, optionally gzipped)", key="import_file")
    existing_choice = st.radio("Places already in the catalogue (same id)", EXISTING_CHOICES, key="import_existing",
                               horizontal=True, help="An imported place has a stable id derived from the place; "
                               "'Update them' replaces the stored place with the file's version.")
    skip_invalid = st.checkbox("Import the valid rows when some are invalid", value=False, key="import_skip_invalid",
                               help="Unticked, a file with any invalid row imports nothing (fix it and import again).")
    if file is not None and st.button("Import", type="primary"):
        run_import(file, skip_invalid, existing_choice == EXISTING_CHOICES[1])
