"""Reading back what the app writes for a person, for assertions (the inverse of its formatters)."""

from __future__ import annotations


def metres(text: str) -> float:
    """A distance as recsys.data.geo.distance_text writes it ("897 m", "1.2 km") in metres."""
    number, unit = str(text).split()
    return float(number) * (1000 if unit == "km" else 1)


def picks_from_html(markup: str):
    """Explore's ranked list as ui.picks.pick_table writes it, back as a DataFrame: one column per
    header cell (their order is the table's), the text unescaped, "#" as int and "rating" as float,
    and each row's restaurant id (a data attribute, not a column people read) as "id"."""
    from html.parser import HTMLParser

    import pandas as pd

    class Table(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.inside, self.head, self.rows, self.cell = False, [], [], None

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "table" and "picks-table" in (attrs.get("class") or "").split():
                self.inside = True
            elif self.inside and tag == "tr" and "data-item-id" in attrs:
                self.rows.append({"id": attrs["data-item-id"]})
            elif self.inside and tag in ("th", "td"):
                self.cell = [tag, attrs.get("data-field"), ""]

        def handle_data(self, data):
            if self.cell is not None:
                self.cell[2] += data

        def handle_endtag(self, tag):
            if tag == "table":
                self.inside = False
            elif self.cell is not None and tag == self.cell[0]:
                kind, field, text = self.cell
                if kind == "th":
                    self.head.append(text)
                else:
                    self.rows[-1][field] = text
                self.cell = None

    parser = Table()
    parser.feed(markup)
    frame = pd.DataFrame(parser.rows, columns=[*parser.head, "id"])
    if "#" in frame:
        frame["#"] = frame["#"].astype(int)
    if "rating" in frame:
        frame["rating"] = frame["rating"].astype(float)
    frame.attrs["columns"] = parser.head  # the order a person reads them in
    return frame


def picks_table(at):
    """The ranked list an AppTest run of Explore shows (an empty frame when it shows none)."""
    markup = next((h.value for h in at.html if 'class="picks-table"' in h.value), "")
    return picks_from_html(markup)
