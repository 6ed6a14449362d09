"""What the bot keeps about the people it talks to: language, questions, feedback — by hash only.

A channel's user id (a Telegram id) never reaches the database: it is replaced by a keyed hash
(HMAC-SHA-256 with `GOVBOT_SECRET`, or a random key kept in the store when none is set), so the
query log cannot be joined back to a Telegram account without the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlite_utils

from bot.engine.normalize import normalize
from bot.store import handovers, outbox
from bot.store.db import scrub
from bot.store.knowledge import now_iso
from bot.store.resilient import DeferredWrites

log = logging.getLogger(__name__)


def user_key(db: sqlite_utils.Database, configured_secret: str) -> bytes:
    """The HMAC key: the configured secret, else a random one generated once per store."""
    if configured_secret:
        return configured_secret.encode()
    row = db.execute("select value from meta where key = 'hash_salt'").fetchone()
    if row:
        return bytes.fromhex(row[0])
    salt = secrets.token_bytes(32)
    with db.atomic():
        db["meta"].insert({"key": "hash_salt", "value": salt.hex()}, ignore=True)
    return bytes.fromhex(db.execute("select value from meta where key = 'hash_salt'").fetchone()[0])


def hash_user(key: bytes, user_ref: str) -> str:
    """Stable pseudonym of a channel user reference such as "tg:123456"."""
    return hmac.new(key, user_ref.encode(), hashlib.sha256).hexdigest()[:32]


@dataclass
class Profile:
    """A stored user: the hash and the language they read."""

    user_hash: str
    lang: str
    lang_chosen: bool


class People:
    """Users, the query log and feedback, all keyed by user hash.

    Every write goes through `DeferredWrites`: a locked, full or read-only database delays
    these records but never a reply. Reads fall back to defaults for the same reason.
    """

    def __init__(
        self, db: sqlite_utils.Database, secret: str = "", writes: DeferredWrites | None = None
    ) -> None:
        self.db = db
        self.writes = writes or DeferredWrites()
        self._key = user_key(db, secret)
        # Called after a scrub, for holders of other copies of updates (the inbox, which still
        # holds the update being handled: bot/store/inbox.py).
        self.scrubbed: list[Callable[[], None]] = []

    def hash(self, user_ref: str) -> str:
        """The pseudonym stored for `user_ref`."""
        return hash_user(self._key, user_ref)

    def profile(self, user_ref: str, lang_hint: str) -> Profile:
        """The stored profile, or a new one (not yet saved) in the hinted language."""
        user_hash = self.hash(user_ref)
        try:
            row = self.db.execute(
                "select lang, lang_chosen from users where user_hash = ?", [user_hash]
            ).fetchone()
        except sqlite3.Error as exc:
            log.warning("could not read a profile (%s); using the channel's language", exc)
            row = None
        if row:
            return Profile(user_hash, row[0], bool(row[1]))
        return Profile(user_hash, lang_hint, False)

    def save(self, profile: Profile) -> None:
        """Create or update the profile; touches last_seen."""
        values = [profile.user_hash, profile.lang, int(profile.lang_chosen), now_iso(), now_iso()]
        self._write(
            "insert into users (user_hash, lang, lang_chosen, created, last_seen) "
            "values (?, ?, ?, ?, ?) on conflict(user_hash) do update set "
            "lang = excluded.lang, lang_chosen = excluded.lang_chosen, "
            "last_seen = excluded.last_seen",
            values,
        )

    def _write(self, sql: str, params: list[object]) -> None:
        def write() -> None:
            with self.db.atomic():
                self.db.execute(sql, params)

        self.writes.run(write)

    def log_query(
        self, user_hash: str, lang: str, text: str, status: str, entry_id: str | None,
        score: float,
    ) -> None:
        """Record a question and its outcome (the gaps editors review come from here)."""
        self._write(
            "insert into queries (at, user_hash, lang, text, normalized, status, entry_id, "
            "score) values (?, ?, ?, ?, ?, ?, ?, ?)",
            [now_iso(), user_hash, lang, text, normalize(text), status, entry_id,
             round(score, 2)],
        )

    def mark_rejected(self, user_hash: str) -> None:
        """The user's last suggested question got "none of these": it is a gap too."""
        self._write(
            "update queries set status = 'rejected' where id = (select max(id) from "
            "queries where user_hash = ? and status = 'suggest')",
            [user_hash],
        )

    def feedback(self, user_hash: str, entry_id: str, value: int) -> None:
        """👍 (+1) or 👎 (-1) on an answer; a second vote on the same entry replaces the first."""
        def write() -> None:
            with self.db.atomic():
                self.db.execute("delete from feedback where user_hash = ? and entry_id = ?",
                                [user_hash, entry_id])
                self.db["feedback"].insert({"at": now_iso(), "user_hash": user_hash,
                                            "entry_id": entry_id, "value": value})

        self.writes.run(write)

    def forget(self, user_hash: str) -> None:
        """Delete everything stored about one user (now, or as soon as the database allows):
        questions, feedback, profile, subscriptions, their chat, and the texts of their
        requests to staff (those requests are closed; only their timings stay)."""
        def write() -> None:
            with self.db.atomic():
                for table in ("queries", "feedback", "users"):
                    self.db.execute(f"delete from {table} where user_hash = ?", [user_hash])
                outbox.forget(self.db, user_hash)
                handovers.forget(self.db, user_hash)
            self._scrub()

        self.writes.run(write)

    def scrub(self) -> None:
        """Make what was just deleted unrecoverable from the database files (after the daily
        retention purge; /forget does it itself)."""
        self.writes.run(self._scrub)

    def _scrub(self) -> None:
        scrub(self.db)
        for scrubbed in self.scrubbed:
            scrubbed()

    def purge(self, retention_days: int) -> None:
        """Delete questions, feedback and users older than the retention period."""
        cutoff = (datetime.now(UTC) - timedelta(days=retention_days)).replace(
            microsecond=0).isoformat()

        def write() -> None:
            with self.db.atomic():
                self.db.execute("delete from queries where at < ?", [cutoff])
                self.db.execute("delete from feedback where at < ?", [cutoff])
                self.db.execute("delete from users where last_seen < ?", [cutoff])

        self.writes.run(write)
