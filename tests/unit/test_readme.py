"""README.md and docs/*.md name only what exists: the files they link (and the headings the links
point at), the make targets, the `python -m recsys` subcommands and flags, the `python -m benchmarks`
modules and flags and the repository paths they show; and the README stays short."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [README, *DOCS]
README_LIMIT = 15_000  # bytes

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
MAKE = re.compile(r"(?:^|[\s;&|(])make\s+([a-z][\w-]*)(?![\w=-])")
RECSYS = re.compile(r"python -m recsys\s+(.*)")
BENCHMARKS = re.compile(r"python -m benchmarks(?:\.(\w+))?(?![\w.])(.*)")
SCRIPT = re.compile(r"python\s+((?:[\w.-]+/)*[\w.-]+\.py)\b")
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
REPO_PATH = re.compile(r"(?<![\w./-])((?:recsys|tests|benchmarks|ui|pages|static|assets|docs)/[\w./-]*)")


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _prose_and_code(text: str) -> tuple[str, list[str]]:
    """The text outside fenced code blocks, and each command line inside them (a line that starts
    with whitespace continues the one above, as the wrapped `evaluate` line does)."""
    prose, code, fenced = [], [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced:
            prose.append(line)
        elif line[:1].isspace() and code and line.strip():
            code[-1] += " " + line.strip()
        else:
            code.append(line)
    return "\n".join(prose), code


def _snippets(path: Path) -> list[str]:
    """Command-like text of a page: each line of its code blocks and each inline code span (a span
    may wrap across lines of one paragraph)."""
    prose, code = _prose_and_code(path.read_text(encoding="utf-8"))
    spans = [m.group(1).replace("\n", " ")
             for paragraph in prose.split("\n\n") for m in re.finditer(r"`([^`]+)`", paragraph)]
    return code + spans


def _without_comment(snippet: str) -> str:
    return re.sub(r"\s#.*$", "", snippet)


def _slug(heading: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped (not - and _), spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    prose, _ = _prose_and_code(path.read_text(encoding="utf-8"))
    seen: dict[str, int] = {}
    anchors = set()
    for line in prose.splitlines():
        match = HEADING.match(line)
        if match:
            slug = _slug(match.group(1))
            anchors.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
            seen[slug] = seen.get(slug, 0) + 1
    return anchors


def _make_targets() -> set[str]:
    """Targets with a rule in the Makefile (a name only listed in .PHONY is not a target)."""
    targets = set()
    for line in (ROOT / "Makefile").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_][\w.-]*(?:\s+[A-Za-z0-9_][\w.-]*)*)\s*:(?!=)", line)
        if match:
            targets.update(match.group(1).split())
    return targets


def _cli_commands() -> dict[str, set[str]]:
    """Each `python -m recsys` subcommand with its option strings, from the CLI's own parser."""
    from recsys.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {name: {s for action in p._actions for s in action.option_strings} for name, p in sub.choices.items()}


def _recsys_uses() -> list[tuple[str, str, set[str]]]:
    """(page, subcommand, flags) for every `python -m recsys SUB ...` the pages show; `a | b | c`
    names alternatives, each with its own flags."""
    uses = []
    for page in PAGES:
        for snippet in _snippets(page):
            for match in RECSYS.finditer(_without_comment(snippet)):
                for part in re.split(r"\s\|\s", match.group(1)):
                    words = part.split()
                    if words and re.fullmatch(r"[a-z][a-z-]*", words[0]):
                        uses.append((_name(page), words[0], set(FLAG.findall(part))))
    return uses


def _benchmark_uses() -> list[tuple[str, str, set[str]]]:
    """(page, module file, flags) for every `python -m benchmarks[.X] ...` the pages show."""
    uses = []
    for page in PAGES:
        for snippet in _snippets(page):
            for match in BENCHMARKS.finditer(_without_comment(snippet)):
                module = f"benchmarks/{match.group(1)}.py" if match.group(1) else "benchmarks/__main__.py"
                uses.append((_name(page), module, set(FLAG.findall(match.group(2)))))
    return uses


def test_readme_is_short():
    size = README.stat().st_size
    assert size < README_LIMIT, f"README.md is {size} bytes; move detail to docs/ (limit {README_LIMIT})"


def test_quick_start_is_make_run_and_make_test():
    text = README.read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    _, code = _prose_and_code(section)
    commands = [_without_comment(line).strip() for line in code if line.strip()]
    assert commands == ["make run", "make test"]


def test_each_docs_page_says_what_it_is_for_and_links_back_to_the_readme():
    assert DOCS, "docs/ has no page"
    readme_links = set(LINK.findall(README.read_text(encoding="utf-8")))
    for page in DOCS:
        lines = page.read_text(encoding="utf-8").splitlines()
        assert lines[0].startswith("# "), f"{_name(page)}: starts with its title"
        purpose = next(line for line in lines[1:] if line.strip())
        assert "](../README.md)" in purpose, f"{_name(page)}: the purpose line links back to the README"
        assert any(link.split("#")[0] == _name(page) for link in readme_links), \
            f"README.md does not link {_name(page)}"


def test_every_relative_link_points_to_an_existing_file_and_heading():
    broken = []
    checked = 0
    for page in PAGES:
        prose, _ = _prose_and_code(page.read_text(encoding="utf-8"))
        for link in LINK.findall(prose):
            if re.match(r"^[a-z][a-z0-9+.-]*:", link):  # http:, https:, mailto:
                continue
            checked += 1
            target, _, anchor = link.partition("#")
            path = (page.parent / target).resolve() if target else page
            if not path.exists():
                broken.append(f"{_name(page)}: {link} (no such file)")
            elif anchor and path.suffix == ".md" and anchor not in _anchors(path):
                broken.append(f"{_name(page)}: {link} (no such heading in {path.name})")
    assert checked, "no relative link found"
    assert not broken, "\n".join(broken)


def test_every_make_target_named_exists():
    targets = _make_targets()
    named = {(_name(page), m) for page in PAGES for snippet in _snippets(page)
             for m in MAKE.findall(_without_comment(snippet))}
    assert {"run", "test"} <= {target for _, target in named}
    missing = sorted(f"{page}: make {target}" for page, target in named if target not in targets)
    assert not missing, "no such Makefile target:\n" + "\n".join(missing)


def test_every_recsys_subcommand_and_flag_named_exists():
    commands = _cli_commands()
    uses = _recsys_uses()
    assert {sub for _, sub, _ in uses} >= {"demo-data", "ingest", "train", "evaluate", "index", "doctor"}
    problems = []
    for page, sub, flags in uses:
        if sub not in commands:
            problems.append(f"{page}: python -m recsys {sub} (no such subcommand)")
        else:
            problems += [f"{page}: python -m recsys {sub} {flag} (no such flag)" for flag in sorted(flags - commands[sub])]
    assert not problems, "\n".join(sorted(set(problems)))


def test_every_benchmark_module_and_flag_named_exists():
    uses = _benchmark_uses()
    assert uses, "no `python -m benchmarks` command found"
    problems = []
    for page, module, flags in uses:
        path = ROOT / module
        if not path.is_file():
            problems.append(f"{page}: {module} does not exist")
            continue
        source = path.read_text(encoding="utf-8")
        problems += [f"{page}: {module} has no {flag} option" for flag in sorted(flags)
                     if not re.search(rf"add_argument\(\s*['\"]{re.escape(flag)}['\"]", source)]
    assert not problems, "\n".join(sorted(set(problems)))


def test_every_script_and_repository_path_named_exists():
    missing = set()
    for page in PAGES:
        for snippet in _snippets(page):
            for path in SCRIPT.findall(snippet) + REPO_PATH.findall(snippet):
                if not (ROOT / path.rstrip(".,;:)")).exists():
                    missing.add(f"{_name(page)}: {path}")
    assert not missing, "\n".join(sorted(missing))


def test_the_readme_names_exactly_the_map_libraries_the_app_serves():
    """It still said jQuery was served after jQuery left the map (and assets/web)."""
    text = README.read_text()
    served = {"Leaflet": "leaflet", "marker-cluster": "markercluster", "jQuery": "jquery"}
    for name, folder in served.items():
        assert (name in text) == (ROOT / "assets" / "web" / folder).is_dir(), name
