"""Telegram updates accepted but not yet handled, kept so that a crash loses none of them.

The poller writes each batch here before confirming it to Telegram, then hands the updates to
the bot; an update leaves the inbox once handled. After a restart the bot first handles what the
inbox still holds (the journal skips any that had been answered just before the crash).

Only what handling needs is kept: names, usernames and shared phone numbers are removed before
an update is written, and the text of a replied-to message is not kept (the handlers only look at
who wrote it). Rows are deleted as soon as they are handled, with `secure_delete` on; after a
/forget or a retention purge the WAL is emptied once the updates in the inbox at that moment have
been handled, so that the /forget update itself leaves nothing behind either.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import sqlite_utils

from bot.store.db import scrub
from bot.store.knowledge import now_iso
from bot.store.resilient import DeferredWrites

_PERSONAL = ("first_name", "last_name", "username")
_KEPT_OF_REPLIED = ("message_id", "from", "chat", "date", "message_thread_id")


def minimal(value: Any) -> Any:
    """The update without what identifies a person beyond their numeric id: no names or
    usernames of people (a bot's username stays: a reply to this bot is recognised by it), no
    shared contact, and of a replied-to message only who wrote it and where."""
    if isinstance(value, list):
        return [minimal(item) for item in value]
    if not isinstance(value, dict):
        return value
    kept = {}
    for key, item in value.items():
        if key == "contact" or (key in _PERSONAL and not value.get("is_bot")):
            continue
        if key == "reply_to_message" and isinstance(item, dict):
            item = {k: v for k, v in item.items() if k in _KEPT_OF_REPLIED}
        kept[key] = minimal(item)
    if "is_bot" in kept:
        kept.setdefault("first_name", "")  # required by the Bot API's User object
    return kept


class Inbox:
    """Durable hand-off between getUpdates and the handlers."""

    def __init__(self, db: sqlite_utils.Database, writes: DeferredWrites) -> None:
        self.db = db
        self.writes = writes
        self._scrub_after: set[int] = set()

    def accept(self, updates: list[dict]) -> bool:
        """Store raw updates durably; False when the database refuses (then don't confirm)."""
        if not updates:
            return True
        at = now_iso()
        rows = [(u["update_id"], json.dumps(minimal(u), ensure_ascii=False), at) for u in updates]
        try:
            with self.db.atomic():
                self.db.conn.executemany(
                    "insert or ignore into inbox (update_id, payload, at) values (?, ?, ?)", rows)
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

    def scrub_when_handled(self) -> None:
        """Scrub the files again once every update in the inbox now has left it (called after
        /forget and the purge: the update that asked for /forget is still here)."""
        self._scrub_after = {
            update_id for (update_id,) in self.db.execute("select update_id from inbox")}

    def done(self, update_id: int) -> None:
        """The update was handled: it leaves the inbox (now, or when the database allows)."""
        def write() -> None:
            with self.db.atomic():
                self.db.execute("delete from inbox where update_id = ?", [update_id])
            if update_id in self._scrub_after:
                self._scrub_after.discard(update_id)
                if not self._scrub_after:
                    scrub(self.db)

        self.writes.run(write)
