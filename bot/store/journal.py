"""The journal of Telegram updates already answered, so a redelivered update is not answered twice.

Telegram redelivers every update it has not seen confirmed (after a crash, a restart, a lost
getUpdates response, a webhook that failed). An update id is recorded right after its reply
was sent; the remaining window for a duplicate is a crash between Telegram accepting the reply
and this record (a few milliseconds), documented in the README.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import sqlite_utils

from bot.store.knowledge import now_iso
from bot.store.resilient import DeferredWrites

KEEP_DAYS = 7  # Telegram keeps unconfirmed updates for 24 hours; a week is ample
MEMORY = 100_000  # ids kept in memory too (enough for a day of a busy bot)


class Journal:
    """Update ids already handled: in memory for speed, in SQLite to survive restarts."""

    def __init__(self, db: sqlite_utils.Database, writes: DeferredWrites) -> None:
        self.db = db
        self.writes = writes
        self._recent: dict[int, None] = {}  # insertion-ordered: the oldest go first

    def seen(self, update_id: int) -> bool:
        """True when this update was handled before (by this process or an earlier one)."""
        if update_id in self._recent:
            return True
        try:
            return self.db.execute(
                "select 1 from updates_seen where update_id = ?", [update_id]
            ).fetchone() is not None
        except sqlite3.Error:
            return False  # the database is down: the in-memory set is all we have

    def record(self, update_id: int) -> None:
        """Mark an update handled."""
        self._recent[update_id] = None
        if len(self._recent) > MEMORY:
            del self._recent[next(iter(self._recent))]
        at = now_iso()

        def write() -> None:
            with self.db.atomic():
                self.db.execute(
                    "insert or ignore into updates_seen (update_id, at) values (?, ?)",
                    [update_id, at],
                )

        self.writes.run(write)

    def purge(self) -> None:
        """Forget ids older than any redelivery could be."""
        cutoff = (datetime.now(UTC) - timedelta(days=KEEP_DAYS)).replace(
            microsecond=0).isoformat()

        def write() -> None:
            with self.db.atomic():
                self.db.execute("delete from updates_seen where at < ?", [cutoff])

        self.writes.run(write)
