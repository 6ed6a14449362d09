"""Requests handed over to staff: one record per request, and the staff-chat messages of each.

A request is a `draft` while the bot waits for the person to type their question (after
/human), `open` once it reached the staff chat, and `closed` when staff or the person closed it.
Its record keeps when it was opened, first answered and closed, so response times can be
reported. People are known by pseudonym only; the question text is deleted after the retention
period (or at /forget), the timings stay for the figures.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlite_utils

from bot.store.knowledge import now_iso

DRAFT, OPEN, CLOSED = "draft", "open", "closed"
DRAFT_MINUTES = 30  # a /human prompt left unanswered this long is forgotten
IDLE_DAYS = 14  # an open request nobody wrote in for this long is closed by the daily job


@dataclass(frozen=True)
class Case:
    """One request to staff."""

    id: int
    user_hash: str | None
    lang: str
    question: str
    bot_status: str
    suggested: tuple[str, ...]
    status: str
    opened_at: str | None
    answered_at: str | None
    closed_at: str | None


_COLUMNS = ("id, user_hash, lang, question, bot_status, suggested, status, opened_at, "
            "answered_at, closed_at")


def _case(row: tuple | None) -> Case | None:
    if row is None:
        return None
    return Case(row[0], row[1], row[2], row[3] or "", row[4] or "",
                tuple(json.loads(row[5] or "[]")), row[6], row[7], row[8], row[9])


def _ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).replace(microsecond=0).isoformat()


def get(db: sqlite_utils.Database, case_id: int) -> Case | None:
    """A request by number."""
    return _case(db.execute(f"select {_COLUMNS} from handovers where id = ?",
                            [case_id]).fetchone())


def active(db: sqlite_utils.Database, user_hash: str) -> Case | None:
    """The person's open request, or a fresh draft (waiting for their question)."""
    return _case(db.execute(
        f"select {_COLUMNS} from handovers where user_hash = ? and (status = ? or "
        "(status = ? and created >= ?)) order by id desc limit 1",
        [user_hash, OPEN, DRAFT, _ago(minutes=DRAFT_MINUTES)],
    ).fetchone())


def start_draft(db: sqlite_utils.Database, user_hash: str, lang: str) -> Case:
    """Wait for the person's question (replaces an older draft)."""
    at = now_iso()
    with db.atomic():
        db.execute("delete from handovers where user_hash = ? and status = ?", [user_hash, DRAFT])
        db.execute(
            "insert into handovers (user_hash, lang, status, created, updated, staff_replies, "
            "user_messages) values (?, ?, ?, ?, ?, 0, 0)", [user_hash, lang, DRAFT, at, at])
        case_id = db.execute("select last_insert_rowid()").fetchone()[0]
    return get(db, case_id)  # type: ignore[return-value]


def cancel_draft(db: sqlite_utils.Database, user_hash: str) -> bool:
    """Drop the person's draft; False when there was none."""
    return db.execute("delete from handovers where user_hash = ? and status = ?",
                      [user_hash, DRAFT]).rowcount > 0


def open_case(
    db: sqlite_utils.Database, user_hash: str, lang: str, question: str, bot_status: str,
    suggested: list[str], in_hours: bool,
) -> Case:
    """Record a request sent to staff (a draft of the person's becomes it)."""
    at = now_iso()
    values = [lang, question, bot_status, json.dumps(suggested), OPEN, int(in_hours), at, at]
    with db.atomic():
        draft = db.execute("select id from handovers where user_hash = ? and status = ? "
                           "order by id desc limit 1", [user_hash, DRAFT]).fetchone()
        if draft:
            db.execute("update handovers set lang = ?, question = ?, bot_status = ?, "
                       "suggested = ?, status = ?, in_hours = ?, opened_at = ?, updated = ? "
                       "where id = ?", [*values, draft[0]])
            case_id = draft[0]
        else:
            db.execute(
                "insert into handovers (lang, question, bot_status, suggested, status, "
                "in_hours, opened_at, updated, user_hash, created, staff_replies, "
                "user_messages) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0)",
                [*values, user_hash, at])
            case_id = db.execute("select last_insert_rowid()").fetchone()[0]
    return get(db, case_id)  # type: ignore[return-value]


def discard(db: sqlite_utils.Database, case_id: int) -> None:
    """Forget a request that never reached staff (the staff chat refused it)."""
    with db.atomic():
        db.execute("delete from handover_messages where handover_id = ?", [case_id])
        db.execute("delete from handovers where id = ?", [case_id])


def remember(db: sqlite_utils.Database, chat: str, messages: list[str], case_id: int) -> None:
    """Note the staff-chat messages that belong to a request (replies to them reach it)."""
    with db.atomic():
        db.conn.executemany(
            "insert or ignore into handover_messages (chat, message, handover_id) "
            "values (?, ?, ?)", [(chat, m, case_id) for m in messages])


def by_message(db: sqlite_utils.Database, chat: str, message: str) -> Case | None:
    """The request a staff-chat message belongs to."""
    row = db.execute("select handover_id from handover_messages where chat = ? and message = ?",
                     [chat, message]).fetchone()
    return get(db, row[0]) if row else None


def thread(db: sqlite_utils.Database, case_id: int, chat: str) -> str | None:
    """The first staff-chat message of a request: what follow-ups answer."""
    row = db.execute("select message from handover_messages where handover_id = ? and chat = ? "
                     "order by rowid limit 1", [case_id, chat]).fetchone()
    return row[0] if row else None


def staff_replied(db: sqlite_utils.Database, case_id: int, staff: str) -> None:
    """A staff answer was passed on; the first one sets the response time."""
    at = now_iso()
    with db.atomic():
        db.execute(
            "update handovers set answered_at = coalesce(answered_at, ?), "
            "answered_by = coalesce(answered_by, ?), staff_replies = staff_replies + 1, "
            "updated = ? where id = ?", [at, staff, at, case_id])


def person_wrote(db: sqlite_utils.Database, case_id: int) -> None:
    """The person added a message to the request."""
    with db.atomic():
        db.execute("update handovers set user_messages = user_messages + 1, updated = ? "
                   "where id = ?", [now_iso(), case_id])


def close(db: sqlite_utils.Database, case_id: int, by: str) -> bool:
    """Close a request (`by`: staff, person, unreachable, idle, forgotten); False if it was
    not open."""
    at = now_iso()
    with db.atomic():
        done = db.execute(
            "update handovers set status = ?, closed_at = ?, closed_by = ?, updated = ? "
            "where id = ? and status = ?", [CLOSED, at, by, at, case_id, OPEN]).rowcount
    return done > 0


def forget(db: sqlite_utils.Database, user_hash: str) -> None:
    """Part of /forget: close the person's requests and delete their texts and pseudonym."""
    at = now_iso()
    db.execute("delete from handovers where user_hash = ? and status = ?", [user_hash, DRAFT])
    db.execute(
        "update handovers set closed_by = case when status = ? then 'forgotten' else closed_by "
        "end, closed_at = coalesce(closed_at, ?), status = ?, question = '', suggested = '[]', "
        "user_hash = null, updated = ? where user_hash = ?", [OPEN, at, CLOSED, at, user_hash])


def purge(db: sqlite_utils.Database, retention_days: int) -> list[Case]:
    """Daily: close requests idle for `IDLE_DAYS`; after the retention period delete question
    texts and pseudonyms (the timings stay). Returns the requests just closed as idle."""
    idle = [c for c in (_case(r) for r in db.execute(
        f"select {_COLUMNS} from handovers where status = ? and updated < ?",
        [OPEN, _ago(days=IDLE_DAYS)])) if c is not None]
    cutoff = _ago(days=retention_days)
    with db.atomic():
        for case in idle:
            close(db, case.id, "idle")
        db.execute("delete from handovers where status = ? and created < ?",
                   [DRAFT, _ago(minutes=DRAFT_MINUTES)])
        db.execute("update handovers set question = '', suggested = '[]', user_hash = null "
                   "where status = ? and closed_at < ?", [CLOSED, cutoff])
        db.execute("delete from handover_messages where handover_id in (select id from "
                   "handovers where status = ? and closed_at < ?)", [CLOSED, cutoff])
    return idle


@dataclass(frozen=True)
class HandoverFigures:
    """Requests opened in a period, and how staff answered them."""

    days: int
    opened: int
    answered: int
    closed: int
    waiting: int  # open and not yet answered, now
    median_response: timedelta | None


def _seconds(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def figures(db: sqlite_utils.Database, days: int) -> HandoverFigures:
    """Requests opened in the last `days` days: answered, closed, median first-answer time."""
    rows = db.execute(
        "select opened_at, answered_at, status from handovers where opened_at >= ?",
        [_ago(days=days)]).fetchall()
    times = [_seconds(o, a) for o, a, _ in rows if a]
    waiting = db.execute("select count(*) from handovers where status = ? and answered_at is "
                         "null", [OPEN]).fetchone()[0]
    return HandoverFigures(
        days, len(rows), sum(1 for r in rows if r[1]), sum(1 for r in rows if r[2] == CLOSED),
        waiting, timedelta(seconds=statistics.median(times)) if times else None,
    )


def typical_response(db: sqlite_utils.Database, days: int = 30, least: int = 3
                     ) -> timedelta | None:
    """Median first-answer time of requests opened in office hours lately; None with fewer
    than `least` of them (too few to promise anything)."""
    times = [_seconds(o, a) for o, a in db.execute(
        "select opened_at, answered_at from handovers where opened_at >= ? and in_hours = 1 "
        "and answered_at is not null", [_ago(days=days)])]
    if len(times) < least:
        return None
    return timedelta(seconds=statistics.median(times))
