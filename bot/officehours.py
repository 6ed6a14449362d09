"""Office hours of the support team, in Cambodia time: open now? when next? said in words.

`GOVBOT_OFFICE_HOURS` reads like a sign on an office door: "Mon-Fri 08:00-17:00", or with a
lunch break and a Saturday morning "Mon-Fri 08:00-11:30,14:00-17:00; Sat 08:00-11:30".
"always" means the team answers at any hour. `GOVBOT_OFFICE_CLOSED` lists days off (public
holidays) as YYYY-MM-DD, comma-separated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import get_day_names

from bot.config import DEFAULT_OFFICE_HOURS as DEFAULT_HOURS
from bot.i18n import _, format_day, gettext, khmer_digits

CAMBODIA = ZoneInfo("Asia/Phnom_Penh")
ALWAYS = "always"
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME_RANGE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class Span:
    """One opening on some weekdays (0 = Monday): from `start` to `end`, same day."""

    days: tuple[int, ...]
    start: time
    end: time


def _day(word: str, spec: str) -> int:
    key = word.strip().lower()[:3]
    if key not in _DAYS:
        raise ValueError(f'office hours "{spec}": "{word.strip()}" is not a day (Mon … Sun)')
    return _DAYS.index(key)


def _days(part: str, spec: str) -> tuple[int, ...]:
    days: list[int] = []
    for piece in part.split(","):
        first, sep, last = piece.partition("-")
        if not sep:
            days.append(_day(first, spec))
            continue
        a, b = _day(first, spec), _day(last, spec)
        days.extend(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return tuple(dict.fromkeys(days))


def _clock(hours: str, minutes: str, spec: str) -> time:
    h, m = int(hours), int(minutes)
    if h == 24 and m == 0:
        return time(23, 59, 59)
    if not (0 <= h < 24 and 0 <= m < 60):
        raise ValueError(f'office hours "{spec}": {hours}:{minutes} is not a time of day')
    return time(h, m)


@dataclass(frozen=True)
class OfficeHours:
    """When the support team works. Empty `spans` with `always` set: any hour."""

    spans: tuple[Span, ...]
    closed: frozenset[date] = frozenset()
    always: bool = False

    @classmethod
    def parse(cls, spec: str = DEFAULT_HOURS, closed: str = "") -> OfficeHours:
        """From "Mon-Fri 08:00-17:00; Sat 08:00-11:30" and "2027-04-14,2027-04-15".

        Raises ValueError with a message an operator understands.
        """
        spec = (spec or DEFAULT_HOURS).strip()
        days_off = frozenset(
            date.fromisoformat(d.strip()) for d in closed.split(",") if d.strip()
        ) if closed else frozenset()
        if spec.lower() in (ALWAYS, "24/7"):
            return cls((), days_off, always=True)
        spans = []
        for group in filter(None, (g.strip() for g in spec.split(";"))):
            match = re.match(r"^([A-Za-z,\s-]+?)\s+(\d.*)$", group)
            if not match:
                raise ValueError(f'office hours "{spec}": write days then hours, '
                                 'e.g. "Mon-Fri 08:00-17:00"')
            days = _days(match.group(1), spec)
            for window in match.group(2).split(","):
                times = _TIME_RANGE.match(window.strip())
                if not times:
                    raise ValueError(f'office hours "{spec}": "{window.strip()}" is not a time '
                                     'range like 08:00-17:00')
                start = _clock(times.group(1), times.group(2), spec)
                end = _clock(times.group(3), times.group(4), spec)
                if end <= start:
                    raise ValueError(f'office hours "{spec}": {window.strip()} ends before it '
                                     "starts")
                spans.append(Span(days, start, end))
        if not spans:
            raise ValueError(f'office hours "{spec}": no opening hours given')
        return cls(tuple(spans), days_off)

    def _local(self, when: datetime | None) -> datetime:
        return (when or datetime.now(UTC)).astimezone(CAMBODIA)

    def is_open(self, when: datetime | None = None) -> bool:
        """True when `when` (default: now) falls in office hours, Cambodia time."""
        if self.always:
            return True
        local = self._local(when)
        if local.date() in self.closed:
            return False
        now = local.time()
        return any(local.weekday() in s.days and s.start <= now < s.end for s in self.spans)

    def next_opening(self, when: datetime | None = None) -> datetime | None:
        """The next moment office hours start after `when` (Cambodia time); None if always."""
        if self.always:
            return None
        local = self._local(when)
        for offset in range(0, 370):
            day = local.date() + timedelta(days=offset)
            if day in self.closed:
                continue
            starts = sorted(s.start for s in self.spans if day.weekday() in s.days)
            for start in starts:
                moment = datetime.combine(day, start, CAMBODIA)
                if moment > local:
                    return moment
        return None

    def describe(self, lang: str) -> str:
        """The hours in words: "Monday to Friday 08:00–17:00" / "ពីថ្ងៃច័ន្ទ ដល់ថ្ងៃសុក្រ ម៉ោង …"."""
        if self.always:
            return gettext(lang, _("every day, at any hour"))
        names = get_day_names("wide", locale=lang)
        by_days: dict[tuple[int, ...], list[str]] = {}
        for span in self.spans:
            start, end = f"{span.start:%H:%M}", f"{span.end:%H:%M}".replace("23:59", "24:00")
            if lang == "km":
                start, end = khmer_digits(start), khmer_digits(end)
            by_days.setdefault(span.days, []).append(
                gettext(lang, _("{start}–{end}"), start=start, end=end))
        parts = [f"{_day_list(days, names, lang)} {', '.join(windows)}"
                 for days, windows in by_days.items()]
        return "; ".join(parts)

    def when_words(self, moment: datetime, lang: str, now: datetime | None = None) -> str:
        """"today at 08:00", "tomorrow at 08:00" or "Monday at 08:00", Cambodia time."""
        local_now = self._local(now)
        local = moment.astimezone(CAMBODIA)
        clock = f"{local:%H:%M}"
        if lang == "km":
            clock = khmer_digits(clock)
        days = (local.date() - local_now.date()).days
        if days == 0:
            return gettext(lang, _("today at {time}"), time=clock)
        if days == 1:
            return gettext(lang, _("tomorrow at {time}"), time=clock)
        if days >= 7:
            return gettext(lang, _("on {date} at {time}"), date=format_day(local.date(), lang),
                           time=clock)
        day = get_day_names("wide", locale=lang)[local.weekday()]
        return gettext(lang, _("{day} at {time}"), day=day, time=clock)


def _day_list(days: tuple[int, ...], names, lang: str) -> str:
    """(0, 1, 2, 3, 4) → "Monday to Friday"; (5,) → "every Saturday"."""
    runs: list[list[int]] = []
    for d in sorted(days):
        if runs and d == runs[-1][-1] + 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    return ", ".join(
        gettext(lang, _("{first} to {last}"), first=names[r[0]], last=names[r[-1]])
        if len(r) > 1 else gettext(lang, _("every {day}"), day=names[r[0]])
        for r in runs
    )
