"""Every update handled once, each user's messages in order, and one user's flood kept to them.

- Updates already answered (journal) are skipped: Telegram redelivers after restarts.
- One user's updates are handled one at a time, in order; other users are never queued behind.
- A user holds at most `1 + QUEUE` updates in progress (one being handled, the rest waiting);
  what they send beyond that while the queue is full is dropped at once. A waiting update
  holds one of the shared processing slots (256, polling and webhook alike), so without this
  bound a single flooding account could fill every slot and stall everybody else.
- A user who sends more than `FLOOD_LIMIT` messages in `FLOOD_WINDOW` seconds is told once to
  slow down (that their extra messages are skipped), and what is handled is answered at `PACE`
  seconds a message, so the shared Telegram sending budget (about 30 messages a second) stays
  free for everyone else.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from telegram import Update
from telegram.ext import ContextTypes

from bot.store.journal import Journal
from bot.telegram.handlers import Handler

log = logging.getLogger(__name__)

FLOOD_WINDOW = 10.0
FLOOD_LIMIT = 10
PACE = 1.0
QUEUE = FLOOD_LIMIT  # a burst that is not yet a flood is answered in full


@dataclass
class _Sender:
    """One user's turn-taking state."""

    limit: int
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    arrivals: deque[float] = field(default_factory=deque)  # the last `limit + 1` arrival times
    inside: int = 0  # updates being handled or waiting for their turn
    warned: bool = False
    next_turn: float = 0.0


class Guard:
    """Per-user order, a small per-user queue and pacing, plus the journal check."""

    def __init__(
        self,
        journal: Journal,
        clock: Callable[[], float] = time.monotonic,
        window: float = FLOOD_WINDOW,
        limit: int = FLOOD_LIMIT,
        pace: float = PACE,
        queue: int = QUEUE,
    ) -> None:
        self.journal = journal
        self._clock = clock
        self.window, self.limit, self.pace, self.queue = window, limit, pace, queue
        self._senders: dict[int, _Sender] = {}
        self.dropped = 0

    def _flooding(self, sender: _Sender) -> bool:
        """Note an arrival; True while more than `limit` arrived within `window` seconds."""
        now = self._clock()
        sender.arrivals.append(now)
        while len(sender.arrivals) > self.limit + 1:
            sender.arrivals.popleft()
        flooding = (len(sender.arrivals) > self.limit
                    and now - sender.arrivals[0] <= self.window)
        if not flooding:
            sender.warned = False
        return flooding

    def _wait(self, sender: _Sender) -> float:
        """Seconds a flooding user's next handled message waits for its turn."""
        now = self._clock()
        turn = max(now, sender.next_turn)
        sender.next_turn = turn + self.pace
        return turn - now

    async def run(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        handler: Handler,
        slow_down: Handler,
    ) -> None:
        """Handle `update` once, in its user's order; paced, or dropped, if the user floods."""
        if self.journal.seen(update.update_id):
            return
        user = update.effective_user
        if user is None:
            await handler(update, context)
            self.journal.record(update.update_id)
            return
        sender = self._senders.setdefault(user.id, _Sender(self.limit))
        flooding = self._flooding(sender)
        if sender.inside > self.queue:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.warning("dropped %d update(s) from users sending faster than they are "
                            "answered", self.dropped)
            await self._warn(sender, update, context, slow_down)
            return
        sender.inside += 1
        try:
            if flooding:
                await self._warn(sender, update, context, slow_down)
            async with sender.lock:
                if self.journal.seen(update.update_id):
                    return
                wait = self._wait(sender) if flooding else 0.0
                if wait:
                    await asyncio.sleep(wait)
                await handler(update, context)
                self.journal.record(update.update_id)
        finally:
            sender.inside -= 1

    @staticmethod
    async def _warn(sender: _Sender, update: Update, context: ContextTypes.DEFAULT_TYPE,
                    slow_down: Handler) -> None:
        """The one slow-down notice of a flood."""
        if not sender.warned:
            sender.warned = True
            await slow_down(update, context)

    def prune(self) -> None:
        """Forget idle users' turn-taking state (run from the daily job)."""
        now = self._clock()
        for user_id, sender in list(self._senders.items()):
            if not sender.inside and (not sender.arrivals
                                      or now - sender.arrivals[-1] > self.window):
                del self._senders[user_id]
