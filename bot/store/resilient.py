"""Writes that must never cost a reply: when SQLite is locked, full or read-only, they wait.

The bot answers from its in-memory index, so the database is needed only for records (query
log, feedback, the update journal). A failed record is kept in memory, in order, and written
when the database accepts writes again; past `MAX_PENDING` the oldest are dropped — records,
never replies — and the log says so.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections import deque
from collections.abc import Callable

log = logging.getLogger(__name__)

MAX_PENDING = 10_000


class DeferredWrites:
    """Runs writes now, or later if the database refuses them."""

    def __init__(self, max_pending: int = MAX_PENDING) -> None:
        self._pending: deque[Callable[[], object]] = deque(maxlen=max_pending)
        self._lock = threading.Lock()
        self.dropped = 0
        self.failing = False

    @property
    def pending(self) -> int:
        """Writes waiting for the database."""
        return len(self._pending)

    def run(self, write: Callable[[], object]) -> bool:
        """Write now if nothing is waiting and the database accepts it; else queue it."""
        with self._lock:
            if not self._pending:
                try:
                    write()
                    return True
                except sqlite3.Error as exc:
                    self._note_failure(exc)
            if len(self._pending) == self._pending.maxlen:
                self.dropped += 1
                log.error("database still unavailable: dropped the oldest deferred record "
                          "(%d dropped so far); replies are not affected", self.dropped)
            self._pending.append(write)
            return False

    def flush(self) -> int:
        """Write what waits, in order, until the database refuses again. Returns writes done."""
        done = 0
        with self._lock:
            while self._pending:
                try:
                    self._pending[0]()
                except sqlite3.Error as exc:
                    self._note_failure(exc)
                    return done
                self._pending.popleft()
                done += 1
            if self.failing:
                self.failing = False
                log.warning("database writable again: %d deferred record(s) written", done)
        return done

    def _note_failure(self, exc: sqlite3.Error) -> None:
        if not self.failing:
            log.warning("database write failed (%s); answering from memory and keeping "
                        "records until it recovers", exc)
        self.failing = True
