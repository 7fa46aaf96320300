"""Explore's ranked list as people read it: the table's rows (wide screens) and the same rows as
cards (a phone), from one list of fields, so the two never disagree."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from recsys.data.geo import distance_text
from recsys.data.record import MUST_HAVE
from recsys.serving.query_link import PRICE_LABELS
from recsys.serving.search import Recommendation

PICKS_CSS = Path(__file__).resolve().parents[1] / "assets" / "web" / "explore" / "picks.css"
# What a person reads a pick by comes first, in widths (px) that fit the main column at 1400 px
# beside the sidebar; "why" right after the name, so the reason is never the column cut off at the
# right edge. The must-have columns show only while that filter is on (then right after "why").
WIDTHS = {"#": 40, "name": 180, "why": 360, "price": 50, "rating": 60, "distance": 70, "open": 130, "cuisines": 160}


def shown_columns(must_have: list[str] | tuple[str, ...]) -> list[str]:
    """The table's columns, in order, for the must-have fields filtered on now."""
    needed = [MUST_HAVE[name].lower() for name in must_have if name in MUST_HAVE]
    return ["#", "name", "why", *needed, *[c for c in WIDTHS if c not in ("#", "name", "why")]]


def column_config() -> dict:
    import streamlit as st  # ui/ may; kept local so the card and row builders stay plain

    return {name: st.column_config.Column(width=width) for name, width in WIDTHS.items()}


def pick_rows(recs: list[Recommendation], why: str = "") -> pd.DataFrame:
    """One row per pick: rank, name, the reason (``why`` instead of each pick's own, when given;
    without the distance and the hours, which have columns of their own),
    cuisines, price, rating, distance, open until, the known must-haves, and the id (for QA)."""
    return pd.DataFrame([{
        "#": i + 1, "name": r.name, "why": why or r.why, "cuisines": ", ".join(r.cuisines),
        "price": PRICE_LABELS[r.price], "rating": r.rating, "distance": distance_text(r.distance_m),
        "open": r.open_until, **{label.lower(): r.restaurant.get(name, "") for name, label in MUST_HAVE.items()},
        "id": r.item_id} for i, r in enumerate(recs)])


def pick_cards(rows: pd.DataFrame) -> str:
    """The rows as cards (HTML; every value escaped, each in a span named by its column)."""
    def span(column: str, value: object) -> str:
        return f'<span data-field="{html.escape(column)}">{html.escape(str(value))}</span>'

    cards = []
    for row in rows.to_dict("records"):
        meta = " · ".join(span(c, row[c]) for c in ("cuisines", "price", "rating", "distance", "open"))
        cards.append(f'<div class="pick-card"><div class="pick-title">{span("#", row["#"])}. {span("name", row["name"])}'
                     f'</div><div class="pick-meta">{meta}</div><div class="pick-why">{span("why", row["why"])}</div></div>')
    return "".join(cards)
