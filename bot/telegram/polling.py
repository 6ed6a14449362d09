"""Long polling that confirms an update to Telegram only after it has been handled.

PTB's own Updater confirms a whole batch with its next getUpdates call, while the batch is still
being handled: a crash then loses every update fetched but not yet answered. Here the offset sent
to Telegram never passes an update still in flight, so after a crash Telegram delivers those
again; the journal (bot/store/journal.py) skips the ones that were answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Sequence

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

log = logging.getLogger(__name__)

LONG_POLL_SECONDS = 10
BATCH = 100
MAX_IN_FLIGHT = 256
IDLE_PAUSE = 0.1  # Telegram re-sends unconfirmed updates at once; don't spin on them
LONGEST_BACKOFF = 10.0


class Poller:
    """Fetches updates and hands each to the application in its own task."""

    def __init__(
        self,
        application: Application,
        allowed_updates: Sequence[str] | None = None,
        long_poll: int = LONG_POLL_SECONDS,
        max_in_flight: int = MAX_IN_FLIGHT,
    ) -> None:
        self.application = application
        self.allowed_updates = list(allowed_updates) if allowed_updates else None
        self.long_poll = long_poll
        self.max_in_flight = max_in_flight
        self._in_flight: set[int] = set()
        self._done: set[int] = set()  # handled, not yet confirmed to Telegram
        self._highest = -1
        self._tasks: set[asyncio.Task[None]] = set()
        self._changed = asyncio.Event()
        self._stopping = False

    @property
    def offset(self) -> int | None:
        """The first update id Telegram may still need to deliver."""
        if self._in_flight:
            return min(self._in_flight)
        return self._highest + 1 if self._highest >= 0 else None

    async def run(self) -> None:
        """Poll until `stop()`; network trouble backs off and retries, forever."""
        backoff = 0.5
        while not self._stopping:
            if len(self._in_flight) >= self.max_in_flight:
                await self._wait_for_change(1.0)
                continue
            try:
                updates = await self.application.bot.get_updates(
                    offset=self.offset, timeout=self.long_poll, limit=BATCH,
                    allowed_updates=self.allowed_updates,
                )
            except TelegramError as exc:
                log.warning("getUpdates failed (%s); retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, LONGEST_BACKOFF)
                continue
            backoff = 0.5
            fresh = [u for u in updates
                     if u.update_id not in self._in_flight and u.update_id not in self._done]
            for update in fresh:
                self._start(update)
            if updates and not fresh:
                await self._wait_for_change(IDLE_PAUSE)
            self._forget_confirmed()

    def _start(self, update: Update) -> None:
        self._in_flight.add(update.update_id)
        self._highest = max(self._highest, update.update_id)
        task = asyncio.create_task(self._handle(update))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, update: Update) -> None:
        try:
            await self.application.process_update(update)
        except Exception:  # process_update already reported it to the error handlers
            log.exception("update %d could not be handled", update.update_id)
        finally:
            self._in_flight.discard(update.update_id)
            self._done.add(update.update_id)
            self._changed.set()

    def _forget_confirmed(self) -> None:
        offset = self.offset
        if offset is not None:
            self._done = {u for u in self._done if u >= offset}

    async def _wait_for_change(self, seconds: float) -> None:
        self._changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), seconds)

    def request_stop(self) -> None:
        """Fetch no more updates after the current long poll."""
        self._stopping = True
        self._changed.set()

    async def stop(self, grace: float = 10.0) -> None:
        """Stop fetching; let handling finish (up to `grace` seconds), then confirm."""
        self.request_stop()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=grace)
        offset = self.offset
        if offset is not None:
            with contextlib.suppress(TelegramError):
                await self.application.bot.get_updates(offset=offset, timeout=0, limit=1)


@contextlib.asynccontextmanager
async def polling(application: Application, allowed_updates: Sequence[str] | None = None,
                  long_poll: int = LONG_POLL_SECONDS):
    """Run the poller in the background for the duration of the block."""
    await application.bot.delete_webhook(drop_pending_updates=False)
    poller = Poller(application, allowed_updates, long_poll)
    task = asyncio.create_task(poller.run())
    try:
        yield poller
    finally:
        # Let the pending long poll return (at most `long_poll` seconds) rather than cancel it:
        # a cancelled request can hold the one getUpdates connection until the pool times out.
        poller.request_stop()
        await task
        await poller.stop()


async def serve(application: Application, allowed_updates: Sequence[str] | None) -> None:
    """The whole life of a polling bot: start, poll until SIGINT/SIGTERM, stop cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with application:
        if application.post_init:
            await application.post_init(application)
        await application.start()
        async with polling(application, allowed_updates):
            log.info("polling for updates")
            await stop.wait()
        await application.stop()
