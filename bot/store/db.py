"""Opening the SQLite file and migrating its schema, in code, in order.

Each migration runs once, inside a transaction, and records itself in `meta.schema_version`: a
database from any earlier release opens with the current code, and a half-applied migration
cannot be left behind.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import sqlite_utils

log = logging.getLogger(__name__)


def _v1_knowledge(db: sqlite_utils.Database) -> None:
    db["meta"].create({"key": str, "value": str}, pk="key")
    db["entries"].create(
        {
            "id": str, "topic": str, "category": str, "status": str, "audience": str,
            "official_url": str, "sources": str, "reviewed": str, "expires": str,
            "related": str, "updated_at": str,
        },
        pk="id",
    )
    db["entry_texts"].create(
        {"entry_id": str, "lang": str, "title": str, "answer": str},
        pk=("entry_id", "lang"),
        foreign_keys=[("entry_id", "entries", "id")],
    )
    db["questions"].create(
        {"id": int, "entry_id": str, "lang": str, "text": str, "origin": str, "added_at": str},
        pk="id",
        foreign_keys=[("entry_id", "entries", "id")],
    )
    db["questions"].create_index(["entry_id"])
    db["synonyms"].create({"lang": str, "term": str, "canonical": str}, pk=("lang", "term"))
    db["revisions"].create(
        {
            "id": int, "entry_id": str, "at": str, "editor": str, "action": str,
            "before": str, "after": str, "version": int,
        },
        pk="id",
    )
    db["revisions"].create_index(["entry_id"])


def _v2_people(db: sqlite_utils.Database) -> None:
    db["categories"].create({"slug": str, "position": int, "en": str, "km": str}, pk="slug")
    db["users"].create(
        {"user_hash": str, "lang": str, "lang_chosen": int, "created": str, "last_seen": str},
        pk="user_hash",
    )
    db["queries"].create(
        {
            "id": int, "at": str, "user_hash": str, "lang": str, "text": str,
            "normalized": str, "status": str, "entry_id": str, "score": float,
        },
        pk="id",
    )
    db["queries"].create_index(["user_hash"])
    db["queries"].create_index(["status", "at"])
    db["feedback"].create(
        {"id": int, "at": str, "user_hash": str, "entry_id": str, "value": int}, pk="id"
    )
    db["feedback"].create_index(["user_hash"])


def _v3_journal(db: sqlite_utils.Database) -> None:
    db["updates_seen"].create({"update_id": int, "at": str}, pk="update_id")
    db["updates_seen"].create_index(["at"])


def _v4_gap_resolution(db: sqlite_utils.Database) -> None:
    # An editor's decision on a gap (attached / dismissed) is kept apart from the outcome the
    # person got, so usage figures stay true after gaps are closed.
    db["queries"].add_column("resolution", str)


def _v5_handover_and_subscriptions(db: sqlite_utils.Database) -> None:
    # Optional dates of an entry that subscribers are reminded of.
    db["entries"].add_column("opens", str)
    db["entries"].add_column("deadline", str)
    # How to reach a person: kept only for subscribers and open handovers (docs/security.md).
    db["contacts"].create(
        {"user_hash": str, "chat": str, "lang": str, "created": str, "updated": str},
        pk="user_hash",
    )
    db["subscriptions"].create(
        {"user_hash": str, "topic": str, "created": str}, pk=("user_hash", "topic")
    )
    db["subscriptions"].create_index(["topic"])
    # The outbox: one row per message to a subscriber, marked sent only once Telegram took it.
    db["notifications"].create(
        {
            "id": int, "user_hash": str, "lang": str, "kind": str, "batch": str,
            "entries": str, "topics": str, "created": str, "status": str, "attempts": int,
            "sent_at": str, "error": str,
        },
        pk="id",
    )
    db["notifications"].create_index(["user_hash", "batch"], unique=True)
    db["notifications"].create_index(["status", "id"])
    db["handovers"].create(
        {
            "id": int, "user_hash": str, "lang": str, "question": str, "bot_status": str,
            "suggested": str, "status": str, "in_hours": int, "created": str, "updated": str,
            "opened_at": str, "answered_at": str, "closed_at": str, "closed_by": str,
            "answered_by": str, "staff_replies": int, "user_messages": int,
        },
        pk="id",
    )
    db["handovers"].create_index(["user_hash", "status"])
    db["handovers"].create_index(["opened_at"])
    # Which message in the staff chat belongs to which handover (staff reply to any of them).
    db["handover_messages"].create(
        {"chat": str, "message": str, "handover_id": int}, pk=("chat", "message")
    )
    db["handover_messages"].create_index(["handover_id"])


def _v6_inbox(db: sqlite_utils.Database) -> None:
    # Updates accepted from Telegram and not yet handled: confirmed to Telegram at once (so one
    # slow user cannot hold back everyone's updates), resumed from here after a crash.
    db["inbox"].create({"update_id": int, "payload": str, "at": str}, pk="update_id")


def _v7_scope(db: sqlite_utils.Database) -> None:
    # What is not ours (knowledge/scope.yaml): one row per list, its items as a JSON array.
    db["scope"].create({"name": str, "items": str}, pk="name")


def _v8_trusted_sources(db: sqlite_utils.Database) -> None:
    # Words a special-case entry is answered for (an embassy abroad, one group of people).
    # Sources keep their JSON column: rows written before this release hold plain URLs, which
    # read back as sources of standing "other" until the next import gives them their standing.
    db["entries"].add_column("only_when", str)


def _v9_console(db: sqlite_utils.Database) -> None:
    # The editors' web console: one-time sign-in links and sessions, each kept only as a hash
    # of its token (a copy of the database signs nobody in), and sign-ins as an audit trail.
    db["console_links"].create(
        {"token_hash": str, "editor": str, "name": str, "expires_at": str, "used_at": str},
        pk="token_hash")
    db["console_sessions"].create(
        {"token_hash": str, "editor": str, "name": str, "csrf": str, "created_at": str,
         "expires_at": str}, pk="token_hash")
    db["console_signins"].create({"id": int, "at": str, "editor": str, "name": str}, pk="id")


def _v10_editor_names(db: sqlite_utils.Database) -> None:
    # Editors acting in Telegram were recorded as "tg:<id>"; docs/security.md and every new
    # revision say "telegram:<id>".
    db.execute("update revisions set editor = 'telegram:' || substr(editor, 4) "
               "where editor like 'tg:%'")


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _v1_knowledge, _v2_people, _v3_journal, _v4_gap_resolution, _v5_handover_and_subscriptions,
    _v6_inbox, _v7_scope, _v8_trusted_sources, _v9_console, _v10_editor_names,
]


def schema_version(db: sqlite_utils.Database) -> int:
    """The number of migrations applied (0 for a new file)."""
    if "meta" not in db.table_names():
        return 0
    row = db.execute("select value from meta where key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrate(db: sqlite_utils.Database) -> None:
    """Apply every migration the file has not had yet, each in its own transaction."""
    for number, migration in enumerate(MIGRATIONS, start=1):
        if schema_version(db) >= number:
            continue
        with db.atomic():
            migration(db)
            db["meta"].upsert({"key": "schema_version", "value": str(number)}, pk="key")


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner only (SQLite gives its -wal and -shm files
    the same mode), in a folder only the owner can enter when govbot has to create the folder.
    An existing file that others can read is left as it is, with a warning."""
    if path.exists():
        if path.stat().st_mode & 0o077:
            log.warning("the database %s can be read by other accounts on this machine; "
                        "restrict it with: chmod 600 %s", path, path)
        return
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def open_db(path: str | Path, busy_timeout: float = 10.0) -> sqlite_utils.Database:
    """Open (creating if needed) and migrate the store; WAL so readers never wait for a writer.

    `busy_timeout`: how long a write waits for another writer (an editor's import) before it
    fails; the bot uses a short one, since its records can wait and its replies cannot.
    """
    if str(path) != ":memory:":
        _create_private(Path(path))
    conn = sqlite3.connect(str(path), timeout=busy_timeout, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    db.execute("pragma foreign_keys = on")
    # Deleted rows are overwritten with zeros, not left in free space: with `scrub` below,
    # what /forget and the retention purge delete is gone from the files (docs/security.md).
    db.execute("pragma secure_delete = on")
    if str(path) != ":memory:":
        db.enable_wal()
    migrate(db)
    return db


def scrub(db: sqlite_utils.Database) -> bool:
    """Copy every change into the main file and truncate the WAL to zero bytes.

    With `secure_delete` on, deleted rows are then gone from the database, its -wal and its
    -shm file: run after /forget and after each retention purge. False when a reader on another
    connection kept the WAL from being emptied (the next scrub will).
    """
    busy, _, _ = db.execute("pragma wal_checkpoint(TRUNCATE)").fetchone()
    if busy:
        log.warning("could not empty the write-ahead log (another connection is reading); "
                    "deleted data stays in it until the next scrub")
    return not busy


def open_or_rebuild(path: Path, busy_timeout: float = 10.0) -> sqlite_utils.Database:
    """Open the store; a file SQLite cannot read is moved aside and a new store started.

    The knowledge base is rebuilt from `knowledge/` by the caller; what is lost is only the
    query log and feedback, which a corrupt file could not give back anyway.
    """
    try:
        db = open_db(path, busy_timeout)
        db.execute("pragma quick_check").fetchone()
        return db
    except sqlite3.DatabaseError as exc:
        aside = path.with_name(f"{path.name}.corrupt-{int(time.time())}")
        log.error("the database %s cannot be read (%s): moved to %s, starting a new one and "
                  "rebuilding the knowledge base from the knowledge files", path, exc, aside)
        path.rename(aside)
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return open_db(path, busy_timeout)
