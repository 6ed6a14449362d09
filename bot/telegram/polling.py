"""Long polling that loses no update in a crash and lets no user hold back the others.

PTB's own Updater confirms a whole batch with its next getUpdates call, while the batch is still
being handled: a crash then loses every update fetched but not yet answered. Here each batch is
written to the inbox (SQLite) before it is confirmed; after a restart the inbox is handled
first, and the journal (bot/store/journal.py) skips any update that had already been answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from telegram import Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application

from bot.store.inbox import Inbox

log = logging.getLogger(__name__)

LONG_POLL_SECONDS = 10
BATCH = 100
MAX_IN_FLIGHT = 256
IDLE_PAUSE = 0.1  # Telegram re-sends unconfirmed updates at once; don't spin on them
LONGEST_BACKOFF = 10.0
INBOX = "inbox"


class Poller:
    """Fetches updates, stores them in the inbox, confirms them, and handles each in a task.

    Confirming right after the inbox write means one slow conversation (a flooding user being
    paced) never holds back the updates of everyone else. Updates come from PTB's typed
    ``get_updates`` (parsed once, by PTB); the inbox keeps each one's ``to_dict()``, which
    includes fields PTB does not model (``api_kwargs``), so nothing is lost across a restart.
    When the inbox cannot be written (database locked or full), the poller falls back to
    confirming only up to the oldest update still in flight, which is just as safe, only slower.
    """

    def __init__(
        self,
        application: Application,
        inbox: Inbox,
        allowed_updates: Sequence[str] | None = None,
        long_poll: int = LONG_POLL_SECONDS,
        max_in_flight: int = MAX_IN_FLIGHT,
    ) -> None:
        self.application = application
        self.inbox = inbox
        self.allowed_updates = list(allowed_updates) if allowed_updates else None
        self.long_poll = long_poll
        self.max_in_flight = max_in_flight
        self._in_flight: set[int] = set()
        self._unstored: set[int] = set()  # in flight and not in the inbox: hold the offset
        self._highest = -1
        self._tasks: set[asyncio.Task[None]] = set()
        self._changed = asyncio.Event()
        self._stopping = False

    @property
    def offset(self) -> int | None:
        """The first update id Telegram may still need to deliver."""
        if self._unstored:
            return min(self._unstored)
        return self._highest + 1 if self._highest >= 0 else None

    def resume(self) -> int:
        """Handle what the inbox still holds from before a restart; returns how many."""
        pending = self.inbox.pending()
        for raw in pending:
            self._start(Update.de_json(raw, self.application.bot), stored=True)
        if pending:
            log.info("resuming %d update(s) accepted before the last stop", len(pending))
        return len(pending)

    async def run(self) -> None:
        """Poll until `stop()`; network trouble backs off and retries, forever."""
        backoff = 0.5
        while not self._stopping:
            if len(self._in_flight) >= self.max_in_flight:
                await self._wait_for_change(1.0)
                continue
            try:
                # read_timeout is on top of the long poll: PTB adds `timeout` to it.
                batch = await self.application.bot.get_updates(
                    offset=self.offset, limit=BATCH, timeout=self.long_poll,
                    allowed_updates=self.allowed_updates, read_timeout=10.0,
                )
            except TelegramError as exc:
                log.warning("getUpdates failed (%s); retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, LONGEST_BACKOFF)
                continue
            backoff = 0.5
            try:
                fresh = [u for u in batch if u.update_id not in self._in_flight]
                stored = self.inbox.accept([u.to_dict() for u in fresh])
                for update in fresh:
                    self._start(update, stored=stored)
            except Exception:  # an unexpected payload must not end polling for everyone
                log.exception("could not take a batch of updates; polling goes on")
                await asyncio.sleep(1.0)
                continue
            if batch and not fresh:
                await self._wait_for_change(IDLE_PAUSE)

    def _start(self, update: Update, *, stored: bool) -> None:
        update_id = update.update_id
        if update_id in self._in_flight:
            return
        self._in_flight.add(update_id)
        if not stored:
            self._unstored.add(update_id)
        self._highest = max(self._highest, update_id)
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
            self._unstored.discard(update.update_id)
            self.inbox.done(update.update_id)
            self._changed.set()

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
    poller = Poller(application, application.bot_data[INBOX], allowed_updates, long_poll)
    poller.resume()
    task = asyncio.create_task(poller.run())
    try:
        yield poller
    finally:
        # Let the pending long poll return (at most `long_poll` seconds) rather than cancel it:
        # a cancelled request can hold the one getUpdates connection until the pool times out.
        poller.request_stop()
        await task
        await poller.stop()


async def initialize(application: Application, stop: asyncio.Event) -> None:
    """Reach the Bot API, however long it is away: a bot that exits on a network outage at
    start-up is down until someone notices. A rejected token is final and raised."""
    backoff = 1.0
    while not stop.is_set():
        try:
            await application.initialize()
            return
        except InvalidToken:
            raise
        except NetworkError as exc:
            log.error("cannot reach the Bot API (%s); retrying in %.0fs", exc, backoff)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), backoff)
            backoff = min(backoff * 2, 60.0)
