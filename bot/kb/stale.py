"""Content past its use-by date: entries due for review, and entries that have expired.

An answer about fees or deadlines goes wrong quietly. Every entry records when an editor last
checked it against its sources (`reviewed`); six months later it is due again, the same period
after which `govbot kb validate` starts warning. An entry past its `expires` date is no longer
served as a current answer (the assistant indexes only current entries), so it needs an editor
either to update it or to remove it. An entry whose `deadline` has passed still answers, but
with a call nobody can answer any more: it needs an editor too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from bot.kb.validate import REVIEW_EVERY
from bot.model import Entry

# Expired entries first: people are not getting those answers at all any more.
URGENCY = ("expired", "deadline passed", "never reviewed", "review due", "expires soon",
           "deadline soon", "review soon")


@dataclass(frozen=True)
class StaleEntry:
    """An entry that needs an editor, why, and since when."""

    entry: Entry
    reason: str  # one of URGENCY
    due: date | None
    reviewed_by: str | None = None  # the editor who last set `reviewed`, from the revisions

    def as_dict(self) -> dict[str, object]:
        """JSON-able form (for `govbot kb stale --json`)."""
        return {
            "id": self.entry.id, "title": self.entry.text("en").title,
            "category": self.entry.category, "reason": self.reason,
            "due": self.due.isoformat() if self.due else None,
            "reviewed": self.entry.reviewed.isoformat() if self.entry.reviewed else None,
            "expires": self.entry.expires.isoformat() if self.entry.expires else None,
            "deadline": self.entry.deadline.isoformat() if self.entry.deadline else None,
            "reviewed_by": self.reviewed_by,
        }


def review_due(entry: Entry) -> date | None:
    """The date the entry must be checked again by: `reviewed` plus six months."""
    return entry.reviewed + REVIEW_EVERY if entry.reviewed else None


def stale_entries(
    entries: Iterable[Entry], today: date, within_days: int = 0,
    reviewers: Mapping[str, str] | None = None,
) -> list[StaleEntry]:
    """Entries expired, past their deadline or due for review by `today` (+ `within_days`),
    most urgent first; `reviewers` (entry id → editor) says who last checked each one.

    An entry is listed once, for its most urgent reason: expired before a passed deadline
    (people are no longer getting that answer at all), a passed deadline before a due review.
    """
    horizon = today + timedelta(days=within_days)
    found = []
    for entry in entries:
        due = review_due(entry)
        by = (reviewers or {}).get(entry.id)
        if entry.expires is not None and entry.expires < horizon:
            reason = "expired" if entry.expires < today else "expires soon"
            found.append(StaleEntry(entry, reason, entry.expires, by))
        elif entry.deadline is not None and entry.deadline < horizon:
            reason = "deadline passed" if entry.deadline < today else "deadline soon"
            found.append(StaleEntry(entry, reason, entry.deadline, by))
        elif due is None:
            found.append(StaleEntry(entry, "never reviewed", None, by))
        elif due < horizon:
            found.append(StaleEntry(entry, "review due" if due < today else "review soon", due,
                                    by))
    return sorted(found, key=lambda s: (URGENCY.index(s.reason), s.due or date.min, s.entry.id))
