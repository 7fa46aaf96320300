"""Untrusted text on the Explore map (issue 19 item 16): restaurant names, cuisines and hours reach
the browser only through ``js_literal``, inside the scripts streamlit-folium builds, and are shown
with ``textContent``. Every hostile text of the catalogue ("Text shown in HTML, JavaScript or
Markdown", tests/hostile.py) must come back exactly as typed and never run or become markup.

Checked twice: in Python (the literal's grammar, decoded by hand and as JSON, and an HTML parser
reading it inside a <script>), and by running it in Node: the literals themselves, and the real
map scripts against a stand-in for Leaflet and the DOM (tests/map_script.py)."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import uuid
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from recsys.serving.search import Recommendation
from tests.hostile import HOSTILE_TEXTS
from tests.map_script import NODE, map_script, overlay_script, run_in_node, script_data
from ui import map_view
from ui.map_view import js_literal

pytestmark = pytest.mark.unit
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")

# The catalogue's texts, plus the dangerous characters alone (a lone surrogate is a valid
# JavaScript string, and a name read back from JSON can hold one).
TEXTS = HOSTILE_TEXTS + ["\u2028", "\u2029", "`", "${", "}", "</", "</SCRIPT >", "<!--", "-->", "\\", '"', "'",
                         "\n\r\t\x00", "_x_", "\ud83d", "\udc4d"]
# Characters that end or change a JavaScript string, a template literal, a <script> element or
# an HTML attribute, or that streamlit-folium's regular expressions rewrite (``_[a-z0-9]+``).
NEVER_RAW = ["<", ">", "/", "`", "$", "{", "}", "'", "&", "=", "_", "\n", "\r", "\u2028", "\u2029", "\x00"]
LITERAL = re.compile(r'"(?:[A-Za-z0-9 ]|\\u[0-9a-f]{4})*"')
# Raw fragments of the hostile texts that must not appear anywhere in a script the map sends (their
# words may: letters stay letters).
NEVER_IN_SCRIPT = ["</", "<script", "<img", "<svg", "onerror=", "onload=", "${", "`", "window.__pwn", "\u2028",
                   "\u2029", "{{7"]


def utf16_hex(text: str) -> str:
    return text.encode("utf-16-be", "surrogatepass").hex()


def decode_by_hand(literal: str) -> str:
    """What a JavaScript engine makes of a literal of LITERAL's grammar: each character as it is,
    each \\uXXXX one UTF-16 code unit."""
    units = [int(t[2:], 16) if t.startswith("\\u") else ord(t) for t in re.findall(r"\\u[0-9a-f]{4}|.", literal[1:-1])]
    return b"".join(u.to_bytes(2, "big") for u in units).decode("utf-16-be", "surrogatepass")


class _Events(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.events: list[tuple] = []

    def handle_starttag(self, tag, attrs):
        self.events.append(("start", tag))

    def handle_endtag(self, tag):
        self.events.append(("end", tag))

    def handle_data(self, data):
        self.events.append(("data", data))

    def handle_comment(self, data):
        self.events.append(("comment", data))


def html_events(page: str) -> list[tuple]:
    parser = _Events()
    parser.feed(page)
    parser.close()
    return parser.events


# -- js_literal on every hostile text ------------------------------------------------------------

@pytest.mark.parametrize("text", TEXTS, ids=range(len(TEXTS)))
def test_js_literal_is_plain_escapes_that_decode_to_exactly_the_text(text):
    out = js_literal(text)
    assert LITERAL.fullmatch(out), out[:200]  # a JavaScript (and JSON) string literal, ASCII only
    assert decode_by_hand(out) == text
    assert json.loads(out) == text


@pytest.mark.parametrize("text", TEXTS, ids=range(len(TEXTS)))
def test_js_literal_can_never_end_a_script_element_or_a_template_literal(text):
    out = js_literal(text)
    assert [c for c in NEVER_RAW if c in out] == []
    page = f"<script>var x = {out};</script><p>after</p>"
    assert html_events(page) == [("start", "script"), ("data", f"var x = {out};"), ("end", "script"),
                                 ("start", "p"), ("data", "after"), ("end", "p")]


@needs_node
def test_js_literal_evaluates_back_to_exactly_the_text_in_javascript():
    """Node parses each literal as written: as an expression, inside a template literal (where
    ``${`` would run and a backtick would end it) and through JSON.parse; each gives the text back
    code unit for code unit, and nothing in them ran."""
    hex_of = "s => Array.from({length: s.length}, (_, i) => s.charCodeAt(i).toString(16).padStart(4, '0')).join('')"
    rows = []
    for text in TEXTS:
        out = js_literal(text)
        rows.append(f"[hex({out}), hex(`{out}`), hex(JSON.parse({json.dumps(out)}))]")
    program = f"const hex = {hex_of};\nconst rows = [\n" + ",\n".join(rows) + "\n];\n" \
              "process.stdout.write(JSON.stringify({rows: rows, pwn: typeof globalThis.__pwn}));"
    done = subprocess.run([NODE, "-"], input=program, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["pwn"] == "undefined"
    for text, (expression, template, parsed) in zip(TEXTS, result["rows"], strict=True):
        want = utf16_hex(text)
        assert expression == want and parsed == want, text[:80]
        assert template == utf16_hex('"' + text + '"'), text[:80]  # the quotes and the text, inert


def test_js_literal_values_other_than_text():
    assert js_literal(None) == "null" and js_literal(True) == "true" and js_literal(False) == "false"
    assert js_literal(7) == "7" and js_literal(-0.0) == "-0.0" and js_literal(1e308) == "1e+308"
    value = {"lat": 37.7, "lon": -122.4, "rank": 1, "lines": ["a</script>", "", "`${x}`"], "n": None}
    out = js_literal(value)
    assert json.loads(out) == value and "<" not in out and "`" not in out and "$" not in out
    assert json.loads(js_literal({1: "k"})) == {"1": "k"}  # keys are text too
    assert json.loads(js_literal(("a", 1))) == ["a", 1]
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError, match="not a finite number"):
            js_literal([1, bad])
    for bad in (b"bytes", object(), {1, 2}):
        with pytest.raises(TypeError, match="cannot put a"):
            js_literal(bad)


# -- the scripts the map really sends ------------------------------------------------------------

def rec(name: str, cuisines: list[str], open_until: str, lat: float = 37.76, lon: float = -122.42) -> Recommendation:
    return Recommendation(dict(item_id="x", name=name, address="", lat=lat, lon=lon, cuisines=cuisines, price=2,
                               rating=4.0), distance_m=10.0, score=1.0, open_until=open_until, why="")


def hostile_recs() -> list[Recommendation]:
    return [rec(text, [text, "pizza"], text, 37.70 + i * 1e-3, -122.45 + i * 1e-3) for i, text in enumerate(TEXTS)]


def _raw_fragments(script: str) -> list[str]:
    lower = script.lower()
    return [f for f in NEVER_IN_SCRIPT if f.lower() in lower]


def test_the_overlay_script_carries_every_popup_field_as_data_only():
    recs = hostile_recs()
    m = map_view.base_map((37.77, -122.42), 13, [])
    script = overlay_script(m, map_view.overlay((37.76, -122.42), 1500, recs))
    assert _raw_fragments(script) == []
    picks = script_data(script, "picks")
    assert [p["rank"] for p in picks] == list(range(1, len(recs) + 1))
    for pick, r in zip(picks, recs, strict=True):
        assert (pick["lat"], pick["lon"]) == (r.lat, r.lon)
        name, cuisines, _, open_until = pick["lines"]
        assert name == r.name and cuisines == f"{r.name}, pizza" and open_until == r.open_until


def test_every_popup_field_is_escaped_where_the_map_puts_it():
    """Moved from the popup_html test (the map never called popup_html): markup in the name, a
    cuisine and the hours reaches the overlay script only as escapes."""
    script = overlay_script(map_view.base_map((37.77, -122.42), 13, []),
                            map_view.overlay((0.0, 0.0), 100, [rec("<script>x</script>", ["<i>c</i>"], "<b>late</b>")]))
    assert "<script>" not in script and "<i>" not in script and "<b>late" not in script
    assert script_data(script, "picks")[0]["lines"][:2] == ["<script>x</script>", "<i>c</i>"]


@needs_node
def test_the_overlay_shows_every_hostile_field_as_text_when_it_runs():
    recs = hostile_recs()
    m = map_view.base_map((37.77, -122.42), 13, [])
    drawn = run_in_node(overlay_script(m, map_view.overlay((37.76, -122.42), 1500, recs)))
    assert drawn["markup"] == [] and drawn["pwn"] == "undefined"
    pin, *picks = drawn["markers"]
    assert pin["at"] == [37.76, -122.42] and pin["tooltips"][0]["text"] == "Your pin"
    assert len(picks) == len(recs)
    for rank, (pick, r) in enumerate(zip(picks, recs, strict=True), start=1):
        assert pick["at"] == [r.lat, r.lon]
        assert [t["text"] for t in pick["tooltips"]] == [f"{rank}. {r.name}"]
        (popup,) = pick["popups"]
        assert [(c["tag"], c["text"]) for c in popup["children"]] == [
            ("b", r.name), ("div", f"{r.name}, pizza"), ("div", "$$ · 4.0★ · 10 m"), ("div", r.open_until)]


@pytest.mark.parametrize("cached", [False, True], ids=["points", "dot_rows (what Explore passes)"])
def test_the_base_map_script_carries_every_name_as_data_only(cached):
    points = [(37.70 + i * 1e-3, -122.45, text) for i, text in enumerate(TEXTS)]
    script = map_script(map_view.base_map((37.77, -122.42), 13, map_view.dot_rows(points) if cached else points))
    assert _raw_fragments(script) == []
    assert script_data(script, "rows") == [[lat, lon, name] for lat, lon, name in points]


@needs_node
def test_the_base_map_shows_every_name_as_text_when_it_runs():
    points = [(37.70 + i * 1e-3, -122.45, text) for i, text in enumerate(TEXTS)]
    drawn = run_in_node(map_script(map_view.base_map((37.77, -122.42), 13, points)))
    assert drawn["markup"] == [] and drawn["pwn"] == "undefined"
    dots = [d for d in drawn["markers"] if d["placeName"] is not None]
    assert [d["placeName"] for d in dots] == TEXTS
    assert [[t["text"] for t in d["tooltips"]] for d in dots] == [[text] for text in TEXTS]


def test_the_dots_travel_as_a_file_the_map_fetches_once_with_every_name_as_json_text(tmp_path):
    """Issue 20: the dots leave the component arguments of every run for a file (named by its
    content, ASCII JSON), and the map draws every hostile name from it as text."""
    points = [(37.70 + i * 1e-3, -122.45, text) for i, text in enumerate(TEXTS)]
    url = map_view.publish_dots(points, tmp_path)
    (written,) = tmp_path.glob("*.json")
    assert url == f"{map_view.STATIC}/dots/{written.name}"
    assert written.read_bytes().isascii() and json.loads(written.read_text()) == [list(p) for p in points]
    script = map_script(map_view.base_map((37.77, -122.42), 13, url))
    assert script_data(script, "rows") == url and TEXTS[0] not in script  # the names are not in the map
    if NODE is None:
        pytest.skip("node is not installed: the file and the script are checked, not the drawing")
    drawn = run_in_node(script, {url: written.read_text()})
    assert drawn["markup"] == [] and drawn["pwn"] == "undefined" and drawn["errors"] == []
    dots = [d for d in drawn["markers"] if d["placeName"] is not None]
    assert [d["placeName"] for d in dots] == TEXTS
    assert [[t["text"] for t in d["tooltips"]] for d in dots] == [[text] for text in TEXTS]
    missing = run_in_node(script, {})  # the file gone: the map still draws, and says why there are no dots
    assert not [d for d in missing["markers"] if d["placeName"] is not None]
    assert missing["errors"] and "the restaurant dots did not load" in missing["errors"][0]


def _publish(directory: Path, n: int) -> str:
    return map_view.publish_dots([(37.7, -122.4, f"place {i}") for i in range(n)], directory)


# Writers in processes of their own, started together (not multiprocessing: after AppTest has run
# in this process, its __main__ is a Streamlit script, which spawned workers would run).
_WRITER = ("import sys; from pathlib import Path; from ui import map_view; "
           "print(map_view.publish_dots([(37.7, -122.4, f'place {i}') for i in range(20_000)], Path(sys.argv[1])))")


def test_dots_files_survive_concurrent_writers_a_killed_writer_and_a_truncated_file(tmp_path):
    """The dots file is written whole or not at all: eight processes publishing the same catalogue
    leave one complete file; a truncated file is rewritten, a killed writer's leftover is cleaned
    up, and only the newest DOTS_KEPT catalogues stay."""
    root = Path(map_view.__file__).resolve().parents[1]
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path)], cwd=root, stdout=subprocess.PIPE,
                                text=True) for _ in range(8)]
    urls = {w.communicate(timeout=120)[0].strip() for w in writers}
    assert len(urls) == 1 and all(w.returncode == 0 for w in writers)
    (written,) = tmp_path.glob("*.json")
    assert len(json.loads(written.read_text())) == 20_000 and not list(tmp_path.glob(".*"))
    written.write_bytes(written.read_bytes()[:1000])  # a file cut short (a full disk, a copy)
    stale = tmp_path / f".{written.name}.dead.partial"
    stale.write_bytes(b"[[1,")
    os.utime(stale, (0, 0))  # left by a writer killed hours ago
    _publish(tmp_path, 20_000)
    assert len(json.loads(written.read_text())) == 20_000 and not stale.exists()
    for n in range(1, map_view.DOTS_KEPT + 3):
        _publish(tmp_path, n)
    assert len(list(tmp_path.glob("*.json"))) == map_view.DOTS_KEPT


def test_explore_writes_the_dots_file_again_when_it_is_gone_or_cut_short(tmp_path, monkeypatch):
    """QA: a dots file another process removed, or one cut short, is written again on the next run
    (the map of a new tab would otherwise have no dots until the catalogue changed)."""
    from ui import catalogue

    monkeypatch.setattr(map_view, "DOTS_DIR", tmp_path)
    frame = pd.DataFrame({"lat": [37.7, 37.8], "lon": [-122.4, -122.5], "name": ["A", "B"]})
    version = uuid.uuid4().hex
    service = SimpleNamespace(catalogue=lambda: frame, catalogue_version=lambda: version,
                              settings=SimpleNamespace(namespace="test"))
    url = catalogue.restaurant_dots(service)
    path = tmp_path / url.rsplit("/", 1)[-1]
    expected = path.read_bytes()
    path.unlink()
    assert catalogue.restaurant_dots(service) == url and path.read_bytes() == expected
    path.write_bytes(expected[:5])
    assert catalogue.restaurant_dots(service) == url and path.read_bytes() == expected


def test_explore_sends_the_dots_with_the_map_when_their_file_cannot_be_written(tmp_path, monkeypatch):
    """A read-only install (here: a file where the dots directory would be) still gets every dot,
    in the map's arguments as before, and a log line naming the directory."""
    from ui import catalogue

    blocked = tmp_path / "static"
    blocked.write_text("not a directory")
    monkeypatch.setattr(map_view, "DOTS_DIR", blocked / "dots")
    frame = pd.DataFrame({"lat": [37.7], "lon": [-122.4], "name": ["Joe's <b>"]})
    service = SimpleNamespace(catalogue=lambda: frame, catalogue_version=lambda: uuid.uuid4().hex,
                              settings=SimpleNamespace(namespace="test"))
    dots = catalogue.restaurant_dots(service)
    assert isinstance(dots, map_view.JsLiteral) and json.loads(dots) == [[37.7, -122.4, "Joe's <b>"]]


def test_the_ranked_list_shows_every_hostile_name_as_text_in_its_table_and_its_cards():
    """The ranked list (ui.picks: the table a wide screen shows, the cards a phone shows) carries
    names, reasons and ids as escaped text: no tag, attribute or entity of the hostile inputs
    survives as markup, and the table reads back cell for cell as what was written."""
    import html as html_module

    import pandas as pd

    from tests.readings import picks_from_html
    from ui.picks import picks_html, shown_columns

    texts = [t for t in TEXTS if not any(0xD800 <= ord(c) <= 0xDFFF for c in t)]  # lone surrogates: refused at input
    rows = pd.DataFrame([{"#": i + 1, "name": text, "why": text, "cuisines": text, "price": "$", "rating": 4.0,
                          "distance": "1 km", "open": text, "id": text} for i, text in enumerate(texts)])
    markup = picks_html(rows, shown_columns([]))
    for text in texts:
        assert markup.count(html_module.escape(text)) >= 2 * 4 + 1  # 4 fields in the table and the cards, the id
    assert "<script" not in markup.lower() and "<img" not in markup.lower()
    back = picks_from_html(markup)
    assert back.attrs["columns"] == shown_columns([])
    for field in ("name", "why", "cuisines", "open", "id"):
        assert list(back[field]) == texts, field
