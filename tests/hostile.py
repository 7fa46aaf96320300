"""The hostile-input catalogue (tests/hostile-inputs.md, a copy of the team's
../shared/hostile-inputs.md) as Python values: every entry-point test takes its inputs from here,
and tests/unit/test_hostile_catalogue.py checks that these lists cover every example in the
catalogue and that the copy is current."""

from __future__ import annotations

# "Text shown in HTML, JavaScript or Markdown": each is stored and shown as literal text, or
# rejected with a message naming the field.
HOSTILE_TEXTS = [
    "<script>window.__pwn=1</script>", '<img src=x onerror="window.__pwn=1">', "A ${window.__pwn=1} B",
    "Joe`s Diner", "` + alert(1) + `", "</script><script>window.__pwn=1</script>",
    "\"'><svg onload=window.__pwn=1>", "Line\u2028Sep Diner", "Para\u2029Sep Diner",
    "Pic ![t](http://127.0.0.1:9/x.png) Diner", "[click](javascript:alert(1))", "{{7*7}}", "%s%s%s",
    "Long " + "x" * 9995, "", "   ", "مطعم السلام", "川菜馆", "Chef 👩🏽‍🍳 👍🏿", "Cafe\u0301 Cre\u0300me",
]
BLANK_TEXTS = ["", "   "]  # an empty name and only spaces: rejected, naming the field
LONG_TEXT = HOSTILE_TEXTS[13]  # the 10,000-character name
# What a form can hold (not blank) and what a short text input can hold (profile names: 80).
SHOWABLE_TEXTS = [t for t in HOSTILE_TEXTS if t.strip()]
SHORT_TEXTS = [t for t in SHOWABLE_TEXTS if len(t) <= 80]

# "Text that reaches a RediSearch query": never widens a query, never a Redis error.
QUERY_TEXTS = ["*", "|", "-", "@name:(x)", "}", "{", "\\", "pizza} | @price:[-inf +inf] | {x"]
HOSTILE_LABELS = ["fish & chips", "tex-mex", "o'higgins grill"]  # real cuisine labels with syntax in them
HOSTILE_IDS = ["a,b", "a|b", "a b", ""]
LONG_SEARCH = " ".join(f"word{i}" for i in range(300))

# "Numbers"
HOSTILE_FLOATS = [float("nan"), float("inf"), float("-inf"), 1e308]
HOSTILE_LATITUDES = [85.06, 90.0, -90.0, 200.0]
HOSTILE_LONGITUDES = [180.5]

# "Files": client-supplied upload names
HOSTILE_FILE_NAMES = ["../../../../tmp/x.json", "/etc/passwd", "..\\..\\x.csv", "x.json\x00.py"]
