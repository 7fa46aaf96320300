"""Weekly opening hours: exact "open at T" with split shifts, past-midnight closing, closed days,
24-hour places and DST, plus the tag encoding that makes the same test an exact Redis filter.

A week is minutes 0..10079 from Monday 00:00 local wall-clock time. Hours are wall-clock times
in the restaurant's zone, so a DST change moves nothing: 22:00 is 22:00 on both sides of it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_LONG_DAYS = {name.lower(): i for i, name in enumerate(DAY_NAMES)}
MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
# Tag encoding: a minute is open if its hour is fully open ("h"), or its 5-minute block is ("f"),
# or the minute itself is ("m"). Hours on :00/:30 boundaries need only "h" and "f" tags.
_BLOCK = 5

_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})$")
CLOSED_WORDS = ("closed", "off")  # a rule with either closes the hours given so far for its days


class HoursError(ValueError):
    """Opening hours that cannot be understood; the message says which part."""


def parse_clock(text: str) -> int:
    """'17:30' -> minutes after midnight; '24:00' is allowed as an end of day."""
    match = _TIME_RE.match(text.strip())
    if not match:
        raise HoursError(f"time {text!r} is not HH:MM")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise HoursError(f"time {text!r} is out of range")
    return hours * 60 + minutes


def format_clock(minute_of_day: int) -> str:
    return f"{minute_of_day // 60 % 24:02d}:{minute_of_day % 60:02d}"


def _local(at: datetime, tz: str | None) -> datetime:
    """``at`` on the wall clock of ``tz``, or on its own when ``tz`` is None (hours are wall-clock
    times of the place's city; this module knows no city)."""
    if at.tzinfo is None:
        raise ValueError("the time must be timezone-aware (e.g. datetime.now(ZoneInfo(...)))")
    return at.astimezone(ZoneInfo(tz)) if tz else at


def minute_of_week(at: datetime, tz: str | None = None) -> int:
    local = _local(at, tz)
    return local.weekday() * MINUTES_PER_DAY + local.hour * 60 + local.minute


def query_tags(minute: int) -> list[str]:
    """The tags any one of which marks a place open at this minute of the week."""
    hour, rest = divmod(minute % MINUTES_PER_WEEK, 60)
    return [f"h{hour}", f"f{hour}_{rest // _BLOCK}", f"m{hour}_{rest}"]


@dataclass(frozen=True)
class WeeklyHours:
    """Open intervals as sorted, merged, non-overlapping [start, end) minutes of the week."""

    intervals: tuple[tuple[int, int], ...] = ()

    # -- construction --------------------------------------------------------------------
    @classmethod
    def from_spans(cls, spans: list[tuple[int, int]]) -> "WeeklyHours":
        """Spans may run past the end of the week (Sunday night into Monday): they wrap."""
        pieces: list[tuple[int, int]] = []
        for start, end in spans:
            if end <= start:
                continue
            if end - start >= MINUTES_PER_WEEK:
                return cls(((0, MINUTES_PER_WEEK),))
            start %= MINUTES_PER_WEEK
            end = start + (end - start)
            if end > MINUTES_PER_WEEK:
                pieces += [(start, MINUTES_PER_WEEK), (0, end - MINUTES_PER_WEEK)]
            else:
                pieces.append((start, end))
        merged: list[list[int]] = []
        for start, end in sorted(pieces):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        return cls(tuple((s, e) for s, e in merged))

    @classmethod
    def from_day_intervals(cls, days: dict[int, list[tuple[str, str]]]) -> "WeeklyHours":
        """{weekday: [("11:30", "14:30"), ("18:00", "02:00")]}; a close at or before the open
        time means the next day (18:00-02:00), and equal times mean 24 hours from the open."""
        spans = []
        for day, intervals in days.items():
            for open_text, close_text in intervals:
                start, end = parse_clock(open_text), parse_clock(close_text)
                if start >= MINUTES_PER_DAY:
                    raise HoursError(f"opening time {open_text!r} must be before 24:00")
                if end <= start:
                    end += MINUTES_PER_DAY
                base = day * MINUTES_PER_DAY
                spans.append((base + start, base + end))
        return cls.from_spans(spans)

    @classmethod
    def always(cls) -> "WeeklyHours":
        return cls(((0, MINUTES_PER_WEEK),))

    @classmethod
    def parse(cls, text: str) -> "WeeklyHours":
        """Canonical text: 'Mo 11:30-14:30,17:00-02:00; Sa 10:00-15:00', '24/7' or '' (never
        open). Days not named are closed; several days may share a rule: 'Mo,Tu,We 09:00-17:00'.

        Rules separated by ';' add up, read left to right, except that `closed` (or `off`) for a
        day drops the hours given for that day so far: 'Mo-Su 10:00-20:00; Su closed' is closed
        on Sunday. Hours are kept under the day they start on, so a previous day's time past
        midnight ('Sa 18:00-02:00') still spills into a closed Sunday."""
        text = (text or "").strip()
        if text == "24/7":
            return cls.always()
        days: dict[int, list[tuple[str, str]]] = {}
        for rule in filter(None, (part.strip() for part in text.split(";"))):
            head, _, times = rule.partition(" ")
            day_ids = []
            for name in head.split(","):
                name = name.strip()
                first, dash, last = name.partition("-")
                if dash and first in DAYS and last in DAYS:  # a range such as Mo-Fr or Fr-Mo
                    start, stop = DAYS.index(first), DAYS.index(last)
                    day_ids.extend(d % 7 for d in range(start, stop + (7 if stop < start else 0) + 1))
                elif name in DAYS:
                    day_ids.append(DAYS.index(name))
                elif name.lower() in _LONG_DAYS:
                    day_ids.append(_LONG_DAYS[name.lower()])
                else:
                    raise HoursError(f"unknown day {name!r} in {rule!r}")
            times = times.strip()
            if times.lower() in CLOSED_WORDS:
                for day in day_ids:
                    days[day] = []
                continue
            for span in times.split(","):
                open_text, sep, close_text = span.strip().partition("-")
                if not sep:
                    raise HoursError(f"interval {span.strip()!r} in {rule!r} is not HH:MM-HH:MM")
                for day in day_ids:
                    days.setdefault(day, []).append((open_text, close_text))
        return cls.from_day_intervals(days)

    # -- questions -----------------------------------------------------------------------
    @property
    def is_always_open(self) -> bool:
        return self.intervals == ((0, MINUTES_PER_WEEK),)

    def _interval_at(self, minute: int) -> tuple[int, int] | None:
        for start, end in self.intervals:
            if start <= minute < end:
                return start, end
        return None

    def is_open_minute(self, minute: int) -> bool:
        return self._interval_at(minute % MINUTES_PER_WEEK) is not None

    def is_open(self, at: datetime, tz: str | None = None) -> bool:
        return self.is_open_minute(minute_of_week(at, tz))

    def closes_at(self, at: datetime, tz: str | None = None) -> datetime | None:
        """Local time at which the place closes, or None if it is closed at ``at`` or never
        closes. Intervals that touch across the week's end (Sun night to Mon) count as one."""
        minute = minute_of_week(at, tz)
        found = self._interval_at(minute)
        if found is None or self.is_always_open:
            return None
        end = found[1]
        if end == MINUTES_PER_WEEK and self.intervals[0][0] == 0:
            end += self.intervals[0][1]
        local = _local(at, tz).replace(second=0, microsecond=0)
        return local + timedelta(minutes=end - minute)

    def open_until_text(self, at: datetime, tz: str | None = None) -> str:
        if self.is_always_open:
            return "open 24 hours"
        closes = self.closes_at(at, tz)
        if closes is None:
            return "closed"
        local = _local(at, tz)
        suffix = "" if closes.date() == local.date() else f" ({closes.strftime('%a')})"
        return f"open until {closes.strftime('%H:%M')}{suffix}"

    # -- encodings -----------------------------------------------------------------------
    def by_day(self) -> list[list[tuple[int, int]]]:
        """For each weekday, the intervals that start that day as (start, end) minutes after
        that day's midnight; end may exceed 1440 for a past-midnight close."""
        days: list[list[tuple[int, int]]] = [[] for _ in DAYS]
        spans = list(self.intervals)
        # Rejoin an interval split at the week's end, so Sunday shows 22:00-02:00.
        if len(spans) > 1 and spans[0][0] == 0 and spans[-1][1] == MINUTES_PER_WEEK:
            first = spans.pop(0)
            last = spans.pop()
            spans.append((last[0], MINUTES_PER_WEEK + first[1]))
        for start, end in spans:
            day = start // MINUTES_PER_DAY
            while True:
                day_start, day_end = day * MINUTES_PER_DAY, (day + 1) * MINUTES_PER_DAY
                spill = end - day_end
                # A short spill past midnight reads as a late close ("18:00-02:00"), as on a sign;
                # it must stay shorter than the open time so the text parses back the same.
                if spill <= 0 or spill <= min(12 * 60, start - day_start):
                    days[day % 7].append((start - day_start, end - day_start))
                    break
                days[day % 7].append((start - day_start, MINUTES_PER_DAY))
                start, day = day_end, day + 1
        return days

    def to_text(self) -> str:
        if self.is_always_open:
            return "24/7"
        rules = []
        for day, spans in enumerate(self.by_day()):
            if spans:
                times = ",".join(f"{format_clock(s)}-{format_clock(e) if e != MINUTES_PER_DAY else '24:00'}"
                                 for s, e in spans)
                rules.append(f"{DAYS[day]} {times}")
        return "; ".join(rules)

    def describe_days(self) -> list[tuple[str, str]]:
        """[(day name, '11:30-14:30, 17:00-02:00' or 'closed')] for a detail view."""
        if self.is_always_open:
            return [(name, "open 24 hours") for name in DAY_NAMES]
        out = []
        for name, spans in zip(DAY_NAMES, self.by_day()):
            text = ", ".join(f"{format_clock(s)}–{format_clock(e) if e != MINUTES_PER_DAY else '24:00'}"
                             for s, e in spans)
            out.append((name, text or "closed"))
        return out

    def redis_tags(self) -> list[str]:
        """Tags such that a minute is open exactly when one of query_tags(minute) is present."""
        tags: list[str] = []
        for start, end in self.intervals:
            minute = start
            while minute < end:
                hour, rest = divmod(minute, 60)
                if rest == 0 and minute + 60 <= end:
                    tags.append(f"h{hour}")
                    minute += 60
                elif rest % _BLOCK == 0 and minute + _BLOCK <= end:
                    tags.append(f"f{hour}_{rest // _BLOCK}")
                    minute += _BLOCK
                else:
                    tags.append(f"m{hour}_{rest}")
                    minute += 1
        return tags


@functools.lru_cache(maxsize=16_384)
def parse_hours(text: str) -> WeeklyHours:
    """WeeklyHours.parse, remembered: a catalogue holds far fewer distinct schedules than places
    (the demo city: about 1,300 for 3,000), and search results parse them on every query."""
    return WeeklyHours.parse(text)
