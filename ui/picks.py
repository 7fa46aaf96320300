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
# What a person reads a pick by comes first; "why" right after the name, so the reason is never
# pushed past the right edge. The must-have columns show only while that filter is on (then right
# after "why"). The browser sizes the columns to their text (CSS), SHORT ones on one line.
COLUMNS = ("#", "name", "why", "price", "rating", "distance", "open", "cuisines")
SHORT = ("#", "price", "rating", "distance")
META = ("cuisines", "price", "rating", "distance", "open")  # a card's second line, after the must-haves


def shown_columns(must_have: list[str] | tuple[str, ...]) -> list[str]:
    """The table's columns, in order, for the must-have fields filtered on now."""
    needed = [MUST_HAVE[name].lower() for name in must_have if name in MUST_HAVE]
    return [*COLUMNS[:3], *needed, *COLUMNS[3:]]


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
    column); each row carries its restaurant's id (QA selects by it), which is not a column. A long
    text cell shows its first lines (CSS) and all of it as its tooltip."""
    def cell(column: str, value: object) -> str:
        text = _text(value)
        if column in SHORT:
            return f'<td data-field="{_text(column)}">{text}</td>'
        return f'<td data-field="{_text(column)}" title="{text}"><div class="pick-cell">{text}</div></td>'

    head = "".join(f'<th data-field="{_text(c)}">{_text(c)}</th>' for c in columns)
    body = "".join(f'<tr data-item-id="{_text(row["id"])}">' + "".join(cell(c, row[c]) for c in columns) + "</tr>"
                   for row in rows.to_dict("records"))
    return (f'<div class="picks-scroll"><table class="picks-table"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def picks_html(rows: pd.DataFrame, columns: list[str]) -> str:
    """The list as one piece of HTML: the table (shown on a wide screen) and the cards (below
    1200 px) of the same ``columns``, the CSS choosing between them (assets/web/explore/picks.css)."""
    return f'{pick_table(rows, columns)}<div class="pick-cards">{pick_cards(rows, columns)}</div>'


def pick_cards(rows: pd.DataFrame, columns: list[str] | None = None) -> str:
    """The rows as cards (HTML; every value escaped, each in a span named by its column): rank and
    name, then the must-haves of ``columns`` (as "label: value") and the rest, then the reason."""
    def span(column: str, value: object) -> str:
        return f'<span data-field="{_text(column)}">{_text(value)}</span>'

    needed = [c for c in (columns or ()) if c not in COLUMNS]
    cards = []
    for row in rows.to_dict("records"):
        meta = " · ".join([*(f"{_text(c)}: {span(c, row[c])}" for c in needed), *(span(c, row[c]) for c in META)])
        cards.append(f'<div class="pick-card"><div class="pick-title">{span("#", row["#"])}. {span("name", row["name"])}'
                     f'</div><div class="pick-meta">{meta}</div><div class="pick-why">{span("why", row["why"])}</div></div>')
    return "".join(cards)
