"""Every update handled once, each user's messages in order, and one user's flood kept to them.

- Updates already answered (journal) are skipped: Telegram redelivers after restarts.
- One user's updates are handled one at a time, in order; other users are never queued behind.
- A user who sends more than `FLOOD_LIMIT` messages in `FLOOD_WINDOW` seconds is told once to
  slow down and then answered at `PACE` seconds a message: nothing is dropped, and the shared
  Telegram sending budget (about 30 messages a second) stays free for everyone else.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

from telegram import Update
from telegram.ext import ContextTypes

from bot.store.journal import Journal
from bot.telegram.handlers import Handler

FLOOD_WINDOW = 10.0
FLOOD_LIMIT = 10
PACE = 1.0


class Guard:
    """Per-user order and pacing, plus the journal check, around every handler."""

    def __init__(
        self,
        journal: Journal,
        clock: Callable[[], float] = time.monotonic,
        window: float = FLOOD_WINDOW,
        limit: int = FLOOD_LIMIT,
        pace: float = PACE,
    ) -> None:
        self.journal = journal
        self._clock = clock
        self.window, self.limit, self.pace = window, limit, pace
        self._locks: dict[int, asyncio.Lock] = {}
        self._recent: dict[int, deque[float]] = {}
        self._warned: set[int] = set()
        self._next_turn: dict[int, float] = {}

    def _pace(self, user_id: int) -> tuple[bool, float]:
        """(send the slow-down notice now?, seconds to wait before handling)."""
        now = self._clock()
        recent = self._recent.setdefault(user_id, deque())
        while recent and now - recent[0] > self.window:
            recent.popleft()
        recent.append(now)
        if len(recent) <= self.limit:
            self._warned.discard(user_id)
            return False, 0.0
        warn = user_id not in self._warned
        self._warned.add(user_id)
        turn = max(now, self._next_turn.get(user_id, now))
        self._next_turn[user_id] = turn + self.pace
        return warn, turn - now

    async def run(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        handler: Handler,
        slow_down: Handler,
    ) -> None:
        """Handle `update` once, in its user's order, paced if the user floods."""
        if self.journal.seen(update.update_id):
            return
        user = update.effective_user
        if user is None:
            await handler(update, context)
            self.journal.record(update.update_id)
            return
        lock = self._locks.setdefault(user.id, asyncio.Lock())
        async with lock:
            if self.journal.seen(update.update_id):
                return
            warn, wait = self._pace(user.id)
            if warn:
                await slow_down(update, context)
            if wait:
                await asyncio.sleep(wait)
            await handler(update, context)
            self.journal.record(update.update_id)

    def prune(self) -> None:
        """Forget idle users' locks and counters (run from the daily job)."""
        now = self._clock()
        for user_id in [u for u, lock in self._locks.items() if not lock.locked()]:
            recent = self._recent.get(user_id)
            if not recent or now - recent[-1] > self.window:
                self._locks.pop(user_id, None)
                self._recent.pop(user_id, None)
                self._next_turn.pop(user_id, None)
                self._warned.discard(user_id)
