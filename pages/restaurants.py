"""Restaurants: search the catalogue, see a week's opening hours, add a restaurant or import a
file; added restaurants are embedded by the item tower and recommendable at once."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from recsys.data.contract import DatasetError
from recsys.data.hours import WeeklyHours
from recsys.data.importers import import_osm, import_tripadvisor, detect_format
from recsys.data.restaurants import NewRestaurant, check_restaurant_rows
from ui.catalogue import catalogue
from ui.services import guard
from ui.state import HOODS, PRICE_LABELS
from ui.router import start_page


service = start_page("Restaurants")

browse, add, upload = st.tabs(["Browse", "Add a restaurant", "Import a file"])

with browse:
    items = catalogue(service)
    c1, c2 = st.columns([2, 1])
    text = c1.text_input("Search name, address or neighbourhood", key="cat_text")
    cuisine = c2.multiselect("Cuisines", guard(service.cuisines) or [], key="cat_cuisines")
    shown = items
    if text:
        needle = text.lower()
        hay = (items["name"].str.lower() + " " + items["address"].str.lower() + " "
               + items["locality"].fillna("").str.lower())
        shown = shown[hay.str.contains(needle, regex=False)]
    if cuisine:
        shown = shown[shown["cuisines"].fillna("").map(lambda c: bool(set(c.split("|")) & set(cuisine)))]
    st.caption(f"{len(shown)} of {len(items)} restaurants")
    table = shown[["item_id", "name", "locality", "cuisines", "price", "rating"]].copy()
    table["price"] = table["price"].map(lambda p: PRICE_LABELS.get(int(p), "?"))
    table["cuisines"] = table["cuisines"].fillna("").str.replace("|", ", ", regex=False)
    st.dataframe(table.head(500), hide_index=True, width="stretch")
    if len(shown):
        pick = st.selectbox("Details for", shown["item_id"].head(500).tolist(), key="cat_pick",
                            format_func=lambda i: f"{shown.loc[shown.item_id == i, 'name'].iat[0]} ({i})")
        row = shown[shown["item_id"] == pick].iloc[0]
        st.markdown(f"#### {row['name']}")
        st.text(f"{row['address']}\n{row['cuisines'].replace('|', ', ')} · {PRICE_LABELS.get(int(row['price']))} · "
                f"{float(row['rating']):.1f}★")
        st.table(pd.DataFrame(WeeklyHours.parse(row["hours"]).describe_days(), columns=["day", "hours"]))

with add:
    st.caption("A new restaurant is validated, embedded by the item tower and added to the live index: "
               "it can be recommended on the very next query, without retraining.")
    with st.form("add-restaurant"):
        name = st.text_input("Name", key="add_name")
        address = st.text_input("Address", placeholder="123 Valencia St, San Francisco, CA")
        hood = st.selectbox("Neighbourhood", sorted(HOODS), index=sorted(HOODS).index("Mission"))
        c1, c2 = st.columns(2)
        lat = c1.number_input("Latitude", value=HOODS["Mission"][0], format="%.5f", step=0.001)
        lon = c2.number_input("Longitude", value=HOODS["Mission"][1], format="%.5f", step=0.001)
        known = guard(service.cuisines) or []
        cuisines = st.multiselect("Cuisines", known, key="add_cuisines")
        extra = st.text_input("Other cuisines (comma-separated)")
        c3, c4 = st.columns(2)
        price = c3.select_slider("Price", options=[1, 2, 3, 4], value=2, format_func=PRICE_LABELS.get)
        rating = c4.slider("Rating", 0.0, 5.0, 4.0, step=0.5)
        hours = st.text_input("Opening hours", value="Mo-Su 11:00-22:00",
                              help="e.g. 'Mo-Th 11:30-14:30,17:00-22:00; Fr,Sa 17:00-02:00' or '24/7'; days not named are closed")
        submitted = st.form_submit_button("Add restaurant", type="primary")
    if submitted:
        all_cuisines = cuisines + [c.strip() for c in extra.split(",") if c.strip()]
        try:
            new_id = guard(service.add_restaurant, NewRestaurant(
                name=name, address=address, lat=float(lat), lon=float(lon), cuisines=all_cuisines,
                price=int(price), rating=float(rating), hours=hours, locality=hood))
            if new_id:
                st.success(f"Added **{name}** as `{new_id}`; it is in the live index and can be recommended now.")
        except DatasetError as exc:
            st.error("The restaurant was not added:\n\n" + "\n".join(f"- {p.field}: {p.message}" for p in exc.problems))

with upload:
    st.caption("TripAdvisor/Factual JSON, OpenStreetMap Overpass JSON, or an items CSV with the restaurant "
               "columns (name, address, lat, lon, cuisines, price, rating, hours). Invalid records are skipped "
               "and listed; the valid ones are embedded and indexed.")
    file = st.file_uploader("File", type=["json", "csv"], key="import_file")
    if file is not None and st.button("Import", type="primary"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / file.name
            path.write_bytes(file.getvalue())
            try:
                if path.suffix == ".csv":
                    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
                    if "item_id" not in frame.columns:
                        frame["item_id"] = [f"csv-{i}" for i in range(len(frame))]
                    rows, rejects = check_restaurant_rows(frame, file.name)
                    bad = {p.row for p in rejects}
                    rows = rows[[i + 1 not in bad for i in range(len(rows))]]
                    if rejects:
                        rows, _ = check_restaurant_rows(rows.reset_index(drop=True), file.name)
                else:
                    importer = import_osm if detect_format(path) == "osm" else import_tripadvisor
                    result = importer(path, skip_invalid=True)
                    rows, rejects = result.dataset.items, result.rejects
            except DatasetError as exc:
                rows, rejects = pd.DataFrame(), exc.problems
        bar = st.progress(0.0, text="Embedding and indexing…")
        added = guard(service.add_restaurants, rows, lambda done, total: bar.progress(done / max(total, 1))) if len(rows) else 0
        bar.empty()
        st.success(f"Imported {added or 0} restaurant(s) from {file.name}.")
        if rejects:
            st.warning(f"{len(rejects)} record(s) rejected:")
            st.dataframe(pd.DataFrame([{"row": p.row, "field": p.field, "problem": p.message} for p in rejects]),
                         hide_index=True, width="stretch")
