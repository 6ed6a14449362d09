"""Telegram updates accepted but not yet handled, kept so that a crash loses none of them.

The poller writes each batch here before confirming it to Telegram, then hands the updates to
the bot; an update leaves the inbox once handled. After a restart the bot first handles what the
inbox still holds (the journal skips any that had been answered just before the crash).
"""

from __future__ import annotations

import json
import sqlite3

import sqlite_utils

from bot.store.knowledge import now_iso
from bot.store.resilient import DeferredWrites


class Inbox:
    """Durable hand-off between getUpdates and the handlers."""

    def __init__(self, db: sqlite_utils.Database, writes: DeferredWrites) -> None:
        self.db = db
        self.writes = writes

    def accept(self, updates: list[dict]) -> bool:
        """Store raw updates durably; False when the database refuses (then don't confirm)."""
        if not updates:
            return True
        at = now_iso()
        try:
            with self.db.atomic():
                self.db.conn.executemany(
                    "insert or ignore into inbox (update_id, payload, at) values (?, ?, ?)",
                    [(u["update_id"], json.dumps(u, ensure_ascii=False), at) for u in updates],
                )
        except sqlite3.Error:
            return False
        return True

    def pending(self) -> list[dict]:
        """Accepted updates not yet handled, oldest first."""
        try:
            rows = self.db.execute("select payload from inbox order by update_id").fetchall()
        except sqlite3.Error:
            return []
        return [json.loads(payload) for (payload,) in rows]

    def done(self, update_id: int) -> None:
        """The update was handled: it leaves the inbox (now, or when the database allows)."""
        def write() -> None:
            with self.db.atomic():
                self.db.execute("delete from inbox where update_id = ?", [update_id])

        self.writes.run(write)
