"""Subscriptions, the chats of people who asked to be messaged, and the outbox of notifications.

People are known by their pseudonym (see `bot.store.people`). To message someone the bot needs
their chat, so a `contacts` row exists only while they have a subscription or an open request to
staff, and is deleted with the last of those (or by /forget).

The outbox is a queue in SQLite: one row per message to send, written in the same transaction as
the knowledge import that caused it, and marked sent only after Telegram accepted the message. A
restart resumes where the last process stopped; a row that keeps failing for a transient reason
is retried up to `MAX_ATTEMPTS` times.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlite_utils

from bot.model import LANGS, SUBSCRIBABLE_TOPICS, Entry
from bot.store.knowledge import now_iso
from bot.store.revisions import revisions_of_version

PENDING, SENT, FAILED, DROPPED = "pending", "sent", "failed", "dropped"
UPDATE, OPENS, DEADLINE = "update", "opens", "deadline"
MAX_ATTEMPTS = 20
KEEP_DAYS = 7  # sent, failed and dropped rows are kept this long (for figures), then deleted
REMIND_DAYS = (1, 7)  # reminders of `opens` / `deadline`: a week before, and the day before


@dataclass(frozen=True)
class Notification:
    """One message waiting in the outbox, with the chat to send it to."""

    id: int
    user_hash: str
    chat: str
    lang: str
    kind: str
    entries: tuple[str, ...]
    topics: tuple[str, ...]
    attempts: int = 0


# -- contacts ------------------------------------------------------------------------------------


def save_contact(db: sqlite_utils.Database, user_hash: str, chat: str, lang: str) -> None:
    """Remember how to reach a person (their chat), for a subscription or a request to staff."""
    at = now_iso()
    db.execute(
        "insert into contacts (user_hash, chat, lang, created, updated) values (?, ?, ?, ?, ?) "
        "on conflict(user_hash) do update set chat = excluded.chat, lang = excluded.lang, "
        "updated = excluded.updated",
        [user_hash, chat, lang, at, at],
    )


def contact(db: sqlite_utils.Database, user_hash: str) -> str | None:
    """The person's chat, while the bot keeps it."""
    row = db.execute("select chat from contacts where user_hash = ?", [user_hash]).fetchone()
    return row[0] if row else None


def release_contact(db: sqlite_utils.Database, user_hash: str) -> bool:
    """Delete the person's chat unless a subscription or an open request still needs it."""
    needed = db.execute(
        "select exists(select 1 from subscriptions where user_hash = ?) or exists(select 1 "
        "from handovers where user_hash = ? and status in ('draft', 'open'))",
        [user_hash, user_hash],
    ).fetchone()[0]
    if needed:
        return False
    db.execute("delete from notifications where user_hash = ? and status = ?",
               [user_hash, PENDING])
    db.execute("delete from contacts where user_hash = ?", [user_hash])
    return True


# -- subscriptions -------------------------------------------------------------------------------


def subscribe(db: sqlite_utils.Database, user_hash: str, topic: str) -> bool:
    """Subscribe to a topic; False when already subscribed."""
    cursor = db.execute(
        "insert or ignore into subscriptions (user_hash, topic, created) values (?, ?, ?)",
        [user_hash, topic, now_iso()],
    )
    return cursor.rowcount == 1


def unsubscribe(db: sqlite_utils.Database, user_hash: str, topic: str) -> bool:
    """End a subscription; False when there was none. The chat goes with the last one."""
    cursor = db.execute("delete from subscriptions where user_hash = ? and topic = ?",
                        [user_hash, topic])
    release_contact(db, user_hash)
    return cursor.rowcount == 1


def topics_of(db: sqlite_utils.Database, user_hash: str) -> list[str]:
    """The topics a person subscribes to, in the order they subscribed."""
    return [row[0] for row in db.execute(
        "select topic from subscriptions where user_hash = ? order by created, topic",
        [user_hash])]


def subscriber_count(db: sqlite_utils.Database) -> int:
    """How many people subscribe to at least one topic."""
    return db.execute("select count(distinct user_hash) from subscriptions").fetchone()[0]


def forget(db: sqlite_utils.Database, user_hash: str) -> None:
    """Delete a person's subscriptions, queued messages and chat (part of /forget)."""
    db.execute("delete from subscriptions where user_hash = ?", [user_hash])
    db.execute("delete from notifications where user_hash = ?", [user_hash])
    db.execute("delete from contacts where user_hash = ?", [user_hash])


def unreachable(db: sqlite_utils.Database, user_hash: str) -> None:
    """The person blocked the bot or deleted the chat: stop messaging them."""
    with db.atomic():
        db.execute("delete from subscriptions where user_hash = ?", [user_hash])
        db.execute("update notifications set status = ?, error = 'unreachable' "
                   "where user_hash = ? and status = ?", [DROPPED, user_hash, PENDING])
        release_contact(db, user_hash)


# -- filling the outbox --------------------------------------------------------------------------


def _subscribers(
    db: sqlite_utils.Database, topics: Iterable[str]
) -> dict[str, tuple[str, set[str]]]:
    """user hash → (language, the given topics they subscribe to), for reachable people."""
    topics = sorted(set(topics))
    found: dict[str, tuple[str, set[str]]] = {}
    if not topics:
        return found
    marks = ", ".join("?" for _ in topics)
    for user_hash, topic, lang in db.execute(
        "select s.user_hash, s.topic, coalesce(u.lang, c.lang) from subscriptions s "
        "join contacts c on c.user_hash = s.user_hash "
        f"left join users u on u.user_hash = s.user_hash where s.topic in ({marks})",
        topics,
    ):
        found.setdefault(user_hash, (lang if lang in LANGS else "km", set()))[1].add(topic)
    return found


def enqueue(db: sqlite_utils.Database, batch: str, kind: str, entries: Iterable[Entry]) -> int:
    """One message per subscriber of the entries' topics (never two for the same `batch`).

    Returns the number of messages queued.
    """
    by_topic: dict[str, list[str]] = {}
    for entry in entries:
        by_topic.setdefault(entry.topic, []).append(entry.id)
    at = now_iso()
    rows = []
    for user_hash, (lang, topics) in _subscribers(db, by_topic).items():
        ordered = sorted(topics)
        ids = [entry_id for topic in ordered for entry_id in by_topic[topic]]
        rows.append([user_hash, lang, kind, batch, json.dumps(ids), json.dumps(ordered), at,
                     PENDING, 0])
    if not rows:
        return 0
    cursor = db.conn.executemany(
        "insert or ignore into notifications (user_hash, lang, kind, batch, entries, topics, "
        "created, status, attempts) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    return cursor.rowcount


def _news(before: Entry, after: Entry) -> bool:
    """Whether a changed entry says something new to a reader (not only new question wording,
    sources or review date)."""
    if (before.official_url, before.opens, before.deadline) != (
            after.official_url, after.opens, after.deadline):
        return True
    for lang in LANGS:
        old, new = before.texts.get(lang), after.texts.get(lang)
        if (old is None) != (new is None):
            return True
        if old is not None and new is not None and (
                old.title.strip(), old.answer.strip()) != (new.title.strip(), new.answer.strip()):
            return True
    return False


def news_of_version(db: sqlite_utils.Database, version: int, today: date) -> list[Entry]:
    """Entries that one content change added or changed for readers, in subscribable topics."""
    found = []
    for revision in revisions_of_version(db, version):
        after, before = revision.after, revision.before
        if after is None or after.topic not in SUBSCRIBABLE_TOPICS or not after.is_current(today):
            continue
        if before is None or not before.is_current(today) or _news(before, after):
            found.append(after)
    return found


def announce_version(db: sqlite_utils.Database, version: int, today: date | None = None) -> int:
    """Queue a message to each subscriber of what knowledge `version` added or changed."""
    news = news_of_version(db, version, today or date.today())
    return enqueue(db, f"import:{version}", UPDATE, news) if news else 0


def due_reminders(entries: Iterable[Entry], today: date) -> list[tuple[str, str, Entry]]:
    """(batch key, kind, entry) of every `opens`/`deadline` reminder due today.

    A reminder is due from `REMIND_DAYS` days before the date until the date; the smallest
    window that applies names it, so a person gets at most one per window.
    """
    due = []
    for entry in entries:
        if entry.topic not in SUBSCRIBABLE_TOPICS or not entry.is_current(today):
            continue
        for kind, when in ((OPENS, entry.opens), (DEADLINE, entry.deadline)):
            if when is None:
                continue
            left = (when - today).days
            windows = [d for d in sorted(REMIND_DAYS) if 0 <= left <= d]
            if windows:
                due.append((f"{kind}:{entry.id}:{when.isoformat()}:{windows[0]}", kind, entry))
    return due


# -- emptying the outbox -------------------------------------------------------------------------


def pending(db: sqlite_utils.Database, limit: int = 100, channel: str = "tg:",
            after_id: int = 0) -> list[Notification]:
    """The oldest unsent messages to people reachable on `channel` (a chat prefix)."""
    rows = db.execute(
        "select n.id, n.user_hash, c.chat, n.lang, n.kind, n.entries, n.topics, n.attempts "
        "from notifications n join contacts c on c.user_hash = n.user_hash "
        "where n.status = ? and n.id > ? and c.chat like ? order by n.id limit ?",
        [PENDING, after_id, channel.replace("%", "") + "%", limit],
    )
    return [Notification(r[0], r[1], r[2], r[3], r[4], tuple(json.loads(r[5])),
                          tuple(json.loads(r[6])), r[7]) for r in rows]


def finish(
    db: sqlite_utils.Database,
    sent: Iterable[int] = (),
    dropped: Mapping[int, str] | None = None,
    failed: Mapping[int, str] | None = None,
    retry: Mapping[int, str] | None = None,
) -> None:
    """Record what became of messages, in one transaction."""
    at = now_iso()
    with db.atomic():
        db.conn.executemany("update notifications set status = ?, sent_at = ? where id = ?",
                            [(SENT, at, i) for i in sent])
        for status, table in ((DROPPED, dropped), (FAILED, failed)):
            db.conn.executemany(
                "update notifications set status = ?, error = ? where id = ?",
                [(status, reason[:200], i) for i, reason in (table or {}).items()])
        db.conn.executemany(
            "update notifications set attempts = attempts + 1, error = ?, status = case when "
            "attempts + 1 >= ? then ? else status end where id = ?",
            [(reason[:200], MAX_ATTEMPTS, FAILED, i) for i, reason in (retry or {}).items()])


def counts(db: sqlite_utils.Database) -> dict[str, int]:
    """Messages in the outbox by status."""
    return dict(db.execute("select status, count(*) from notifications group by status"))


def purge(db: sqlite_utils.Database, days: int = KEEP_DAYS) -> None:
    """Delete finished messages older than `days` days."""
    cutoff = (datetime.now(UTC) - timedelta(days=days)).replace(microsecond=0).isoformat()
    with db.atomic():
        db.execute("delete from notifications where status != ? and created < ?",
                   [PENDING, cutoff])
