"""Usage figures for editors: how many questions, how they were answered, what people liked."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlite_utils


@dataclass
class Period:
    """Figures over the last `days` days."""

    days: int
    questions: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    up: int = 0
    down: int = 0
    top_topics: list[tuple[str, int]] = field(default_factory=list)

    def pct(self, outcome: str) -> float:
        """Share of questions with this outcome ("rejected" counts with fallback)."""
        count = self.outcomes[outcome] + (self.outcomes["rejected"] if outcome == "fallback" else 0)
        return round(100 * count / self.questions, 1) if self.questions else 0.0


def period(db: sqlite_utils.Database, days: int, topic_of: dict[str, str]) -> Period:
    """The figures of the last `days` days."""
    since = (datetime.now(UTC) - timedelta(days=days)).replace(microsecond=0).isoformat()
    result = Period(days)
    topics: Counter[str] = Counter()
    for status, entry_id, n in db.execute(
        "select status, entry_id, count(*) from queries where at >= ? group by status, entry_id",
        [since],
    ):
        result.questions += n
        result.outcomes[status] += n
        if status == "answer" and entry_id in topic_of:
            topics[topic_of[entry_id]] += n
    result.top_topics = topics.most_common(5)
    for value, n in db.execute(
        "select value, count(*) from feedback where at >= ? group by value", [since]
    ):
        if value > 0:
            result.up += n
        else:
            result.down += n
    return result


def per_day(db: sqlite_utils.Database, days: int, today: date) -> list[tuple[date, Counter[str]]]:
    """Questions per day by outcome, oldest first, every day present (zero days too)."""
    first = today - timedelta(days=days - 1)
    counts: dict[date, Counter[str]] = {first + timedelta(d): Counter() for d in range(days)}
    for day, status, n in db.execute(
        "select substr(at, 1, 10), status, count(*) from queries where at >= ? "
        "group by 1, 2", [first.isoformat()],
    ):
        bucket = counts.get(date.fromisoformat(day))
        if bucket is not None:
            bucket["fallback" if status == "rejected" else status] += n
    return sorted(counts.items())
