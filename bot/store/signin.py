"""Sign-in to the editors' web console: one-time links sent in Telegram, and sessions.

There are no passwords. An editor asks the bot for a link (/console); the link carries a random
token that works once, for ten minutes, and trades it for a session that lasts a working day.
Only a SHA-256 hash of each token is stored, so a copy of the database signs nobody in. Whether
the editor is still an editor is not stored here: the console checks GOVBOT_EDITORS on every
request, so removing someone takes effect at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlite_utils

from bot.model import editor_name

LINK_LIFETIME = timedelta(minutes=10)
SESSION_LIFETIME = timedelta(hours=9)  # a working day


@dataclass(frozen=True)
class Session:
    """A signed-in editor: their channel reference ("tg:777"), display name and CSRF token."""

    editor: str
    name: str
    csrf: str
    expires_at: datetime

    @property
    def label(self) -> str:
        """How edits are recorded: the editor's name with their account ("Dara (telegram:777)"),
        named the way every revision names a Telegram editor."""
        recorded = editor_name(self.editor)
        return f"{self.name} ({recorded})" if self.name else recorded


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _store_token(db: sqlite_utils.Database, table: str, lifetime: timedelta, now: datetime,
                 fields: dict[str, object]) -> str:
    """A new random token, kept in `table` only as its hash, expiring `lifetime` after `now`;
    rows already expired are cleared on the way. Runs inside the caller's transaction."""
    token = secrets.token_urlsafe(32)
    db.execute(f"delete from {table} where expires_at < ?", [now.isoformat()])
    db[table].insert({"token_hash": _hash(token), **fields,
                      "expires_at": (now + lifetime).isoformat()})
    return token


def issue_link(db: sqlite_utils.Database, editor: str, name: str) -> str:
    """A new one-time sign-in token for `editor`; expired links are cleared on the way."""
    with db.atomic():
        return _store_token(db, "console_links", LINK_LIFETIME, _now(),
                            {"editor": editor, "name": name, "used_at": None})


def redeem_link(db: sqlite_utils.Database, token: str) -> tuple[str, str] | None:
    """(editor, name) for an unused, unexpired link token, which is used up; None otherwise."""
    now = _now().isoformat()
    with db.atomic():
        cursor = db.execute(
            "update console_links set used_at = ? where token_hash = ? and used_at is null "
            "and expires_at >= ?", [now, _hash(token), now])
        if cursor.rowcount != 1:
            return None
        row = db.execute("select editor, name from console_links where token_hash = ?",
                         [_hash(token)]).fetchone()
    return row[0], row[1] or ""


def start_session(db: sqlite_utils.Database, editor: str, name: str) -> str:
    """A new session for a signed-in editor (recorded as a sign-in); returns its cookie token."""
    now = _now()
    with db.atomic():
        token = _store_token(db, "console_sessions", SESSION_LIFETIME, now, {
            "editor": editor, "name": name, "csrf": secrets.token_urlsafe(24),
            "created_at": now.isoformat()})
        db["console_signins"].insert({"at": now.isoformat(), "editor": editor, "name": name})
    return token


def find_session(db: sqlite_utils.Database, token: str) -> Session | None:
    """The unexpired session behind a cookie token, or None."""
    if not token:
        return None
    row = db.execute(
        "select editor, name, csrf, expires_at from console_sessions where token_hash = ? "
        "and expires_at >= ?", [_hash(token), _now().isoformat()]).fetchone()
    if row is None:
        return None
    return Session(row[0], row[1] or "", row[2], datetime.fromisoformat(row[3]))


def end_session(db: sqlite_utils.Database, token: str) -> None:
    """Sign out: the cookie token no longer opens anything."""
    with db.atomic():
        db.execute("delete from console_sessions where token_hash = ?", [_hash(token)])


def recent_signins(db: sqlite_utils.Database, limit: int = 20) -> list[tuple[str, str, str]]:
    """(at, editor, name) of the latest sign-ins, newest first."""
    return [tuple(row) for row in db.execute(
        "select at, editor, name from console_signins order by id desc limit ?", [limit])]
