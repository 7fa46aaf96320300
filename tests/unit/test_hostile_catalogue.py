"""The hostile-input lists the tests use (tests/hostile.py) cover the catalogue, and the copy of
the catalogue in tests/ is the team's current one."""

from __future__ import annotations

import re
from pathlib import Path

from tests import hostile

HERE = Path(__file__).resolve().parents[1]
COPY = HERE / "hostile-inputs.md"
TEAM = HERE.parent.parent / "shared" / "hostile-inputs.md"  # beside the checkout, where the team keeps it


def _code_spans(section: str) -> list[str]:
    text = COPY.read_text(encoding="utf-8").split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    spans = [m.group(2).strip() for m in re.finditer(r"(`+)(.+?)\1", text)]
    # "\u2028" in the catalogue means the character itself.
    return [re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), s) for s in spans]


def test_the_copy_is_the_teams_catalogue():
    if TEAM.exists():  # a clone without the team folder beside it tests against the copy alone
        assert COPY.read_text(encoding="utf-8") == TEAM.read_text(encoding="utf-8"), \
            "tests/hostile-inputs.md is out of date: copy ../shared/hostile-inputs.md over it and extend tests/hostile.py"


def test_every_text_in_the_catalogue_is_in_the_lists():
    texts = _code_spans("Text shown in HTML, JavaScript or Markdown")
    assert len(texts) >= 10
    joined = "\n".join(hostile.HOSTILE_TEXTS)
    for text in texts:
        assert text in joined, f"{text!r} from the catalogue is in no test list"
    assert len(hostile.LONG_TEXT) == 10_000 and hostile.BLANK_TEXTS == ["", "   "]


def test_every_query_text_in_the_catalogue_is_in_the_lists():
    texts = _code_spans("Text that reaches a RediSearch query")
    known = set(hostile.QUERY_TEXTS) | set(hostile.HOSTILE_LABELS)
    for text in texts:  # a lone character (`&`, `,`) is covered by a label or an id that holds it
        assert text in known or (len(text) == 1 and any(text in x for x in hostile.HOSTILE_LABELS + hostile.HOSTILE_IDS)), \
            f"{text!r} from the catalogue is in no test list"


def test_every_upload_name_in_the_catalogue_is_in_the_lists():
    names = [n.replace("\\\\", "\\").replace("\\x00", "\x00") for n in _code_spans("Files")[:4]]
    assert names == hostile.HOSTILE_FILE_NAMES
