"""Explore's ranked list as people read it: the table's rows (wide screens) and the same rows as
cards (a phone), from one list of fields, so the two never disagree.

Both are plain HTML (one `st.html` element), not `st.dataframe`: a 10-row dataframe takes about
280 ms from a selectbox change to its new text in the browser, an HTML table about 80 ms
(`python -m benchmarks.streamlit_floor`), and every Explore interaction redraws the list."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from recsys.data.geo import distance_text
from recsys.data.record import MUST_HAVE
from recsys.serving.query_link import PRICE_LABELS
from recsys.serving.search import Recommendation

PICKS_CSS = Path(__file__).resolve().parents[1] / "assets" / "web" / "explore" / "picks.css"
# What a person reads a pick by comes first; the widths are relative (each column's share of the
# table), a must-have column MUST_HAVE_WIDTH. "why" right after the name, so the reason is never
# pushed past the right edge. The must-have columns show only while that filter is on (then
# right after "why").
MUST_HAVE_WIDTH = 90
WIDTHS = {"#": 40, "name": 180, "why": 330, "price": 60, "rating": 60, "distance": 80, "open": 130, "cuisines": 160}


def shown_columns(must_have: list[str] | tuple[str, ...]) -> list[str]:
    """The table's columns, in order, for the must-have fields filtered on now."""
    needed = [MUST_HAVE[name].lower() for name in must_have if name in MUST_HAVE]
    return ["#", "name", "why", *needed, *[c for c in WIDTHS if c not in ("#", "name", "why")]]


def pick_rows(recs: list[Recommendation], why: str = "") -> pd.DataFrame:
    """One row per pick: rank, name, the reason (``why`` instead of each pick's own, when given;
    without the distance and the hours, which have columns of their own),
    cuisines, price, rating, distance, open until, the known must-haves, and the id (for QA)."""
    return pd.DataFrame([{
        "#": i + 1, "name": r.name, "why": why or r.why, "cuisines": ", ".join(r.cuisines),
        "price": PRICE_LABELS[r.price], "rating": r.rating, "distance": distance_text(r.distance_m),
        "open": r.open_until, **{label.lower(): r.restaurant.get(name, "") for name, label in MUST_HAVE.items()},
        "id": r.item_id} for i, r in enumerate(recs)])


def _text(value: object) -> str:
    """A value as escaped text; a missing one (None, NaN: a must-have nobody recorded) as nothing."""
    return "" if value is None or value != value else html.escape(str(value))


def pick_table(rows: pd.DataFrame, columns: list[str]) -> str:
    """The rows as a table of ``columns`` (HTML; every value escaped, each cell named by its
    column); each row carries its restaurant's id (QA selects by it), which is not a column."""
    # The widths as shares of the column the table is in, so it never needs sideways scrolling.
    total = sum(WIDTHS.get(c, MUST_HAVE_WIDTH) for c in columns)
    cols = "".join(f'<col style="width:{100 * WIDTHS.get(c, MUST_HAVE_WIDTH) / total:.1f}%">' for c in columns)
    head = "".join(f'<th data-field="{_text(c)}">{_text(c)}</th>' for c in columns)
    body = "".join(f'<tr data-item-id="{_text(row["id"])}">'
                   + "".join(f'<td data-field="{_text(c)}">{_text(row[c])}</td>' for c in columns) + "</tr>"
                   for row in rows.to_dict("records"))
    return f'<table class="picks-table"><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def picks_html(rows: pd.DataFrame, columns: list[str]) -> str:
    """The list as one piece of HTML: the table (shown on a wide screen) and the cards (below
    1200 px), the CSS choosing between them (assets/web/explore/picks.css)."""
    return f'{pick_table(rows, columns)}<div class="pick-cards">{pick_cards(rows)}</div>'


def pick_cards(rows: pd.DataFrame) -> str:
    """The rows as cards (HTML; every value escaped, each in a span named by its column)."""
    def span(column: str, value: object) -> str:
        return f'<span data-field="{_text(column)}">{_text(value)}</span>'

    cards = []
    for row in rows.to_dict("records"):
        meta = " · ".join(span(c, row[c]) for c in ("cuisines", "price", "rating", "distance", "open"))
        cards.append(f'<div class="pick-card"><div class="pick-title">{span("#", row["#"])}. {span("name", row["name"])}'
                     f'</div><div class="pick-meta">{meta}</div><div class="pick-why">{span("why", row["why"])}</div></div>')
    return "".join(cards)
