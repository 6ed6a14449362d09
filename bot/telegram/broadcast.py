"""Sending the outbox (messages to subscribers) within Telegram's limits, from a repeating job.

Telegram lets a bot send about 30 messages a second in all; an announcement to 10,000
subscribers therefore takes minutes, and must leave room for the replies people are waiting for.
Each job run takes the oldest waiting messages from the outbox (`bot.store.outbox`) and sends
them at `rate` messages a second, a few at a time. PTB's AIORateLimiter stays in front of every
request and honours 429 flood waits; `persist` retries network faults and 429s the limiter gave
up on. A message is marked sent only after Telegram accepted it, in small groups: a crash loses
no message, and at most one group can be sent twice after a crash. Messages that fail for a
transient reason stay waiting and are retried by the next run; a person who blocked the bot is
unsubscribed.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time

from aiolimiter import AsyncLimiter
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.conversation import Conversation
from bot.store import outbox
from bot.store.knowledge import knowledge_version
from bot.store.outbox import Notification
from bot.telegram.delivery import persist
from bot.telegram.handlers import NO_PREVIEW, chat_id
from bot.telegram.render import to_messages

log = logging.getLogger(__name__)

RATE = 20.0  # messages a second for announcements: Telegram allows ~30 in all, replies go first
CONCURRENCY = 8  # messages in flight at once (a flood wait holds up one of them)
RUN_SECONDS = 5.0  # one job run sends for at most this long, so shutdown never waits long
GROUP = 50  # messages fetched per read, and marked sent per database transaction

SENT, GONE, FAILED, RETRY, DROPPED = "sent", "gone", "failed", "retry", "dropped"


class Broadcaster:
    """Empties the outbox a little on each job run."""

    def __init__(
        self,
        conversation: Conversation,
        rate: float = RATE,
        concurrency: int = CONCURRENCY,
        run_seconds: float = RUN_SECONDS,
    ) -> None:
        self.conversation = conversation
        self.rate = rate
        self.concurrency = max(1, concurrency)
        self.run_seconds = run_seconds
        self._limiter: AsyncLimiter | None = None
        self._busy = False
        self.sent = 0

    @property
    def db(self):
        return self.conversation.assistant.db

    async def run(self, bot: Bot) -> int:
        """Send waiting messages for up to `run_seconds`; returns how many were sent.

        A run that finds another still going returns at once.
        """
        if self._busy:
            return 0
        self._busy = True
        try:
            return await self._run(bot)
        except sqlite3.Error as exc:  # the store is locked or failing: the queue waits
            log.warning("the outbox cannot be read now (%s); retrying on the next run", exc)
            return 0
        finally:
            self._busy = False

    async def _run(self, bot: Bot) -> int:
        """Workers take messages from a queue the outbox fills page by page, so one slow
        message (a flood wait) never holds up the others; results are recorded in groups."""
        if self._limiter is None:
            self._limiter = AsyncLimiter(max(1.0, self.rate), 1.0)
        deadline = time.monotonic() + self.run_seconds
        queue: asyncio.Queue[Notification | None] = asyncio.Queue(self.concurrency * 2)
        done: list[tuple[Notification, str, str]] = []
        trouble = False
        sent_now = 0

        def flush() -> None:
            nonlocal sent_now
            if not done:
                return
            batch = done[:]
            done.clear()
            try:
                sent_now += self._record([n for n, _, _ in batch],
                                         [(status, why) for _, status, why in batch])
            except sqlite3.Error as exc:  # locked by an import: record them with the next group
                log.warning("could not record %d subscriber message(s) yet: %s", len(batch), exc)
                done[:0] = batch

        async def produce() -> None:
            after = 0
            try:
                while time.monotonic() < deadline and not trouble:
                    page = outbox.pending(self.db, limit=GROUP, after_id=after)
                    if not page:
                        break
                    await self._fresh()
                    after = page[-1].id
                    for notification in page:
                        await queue.put(notification)
            finally:
                for _ in range(self.concurrency):
                    await queue.put(None)

        async def work() -> None:
            nonlocal trouble
            while (notification := await queue.get()) is not None:
                status, why = await self._one(bot, notification)
                done.append((notification, status, why))
                if status == RETRY:
                    trouble = True  # Telegram or the network is struggling: stop for now
                if len(done) >= GROUP:
                    flush()

        try:
            await asyncio.gather(produce(), *(work() for _ in range(self.concurrency)))
        finally:
            flush()
        self.sent += sent_now
        return sent_now

    async def _fresh(self) -> None:
        """Messages name entries of the knowledge version that queued them (an import in
        another process, perhaps seconds ago): load it before composing them."""
        assistant = self.conversation.assistant
        if knowledge_version(self.db) != assistant.snapshot.version:
            await asyncio.to_thread(assistant.refresh)

    async def _one(self, bot: Bot, notification: Notification) -> tuple[str, str]:
        try:
            reply = self.conversation.notification(notification)
        except Exception as exc:  # a message that cannot be composed must not stop the rest
            log.exception("could not compose subscriber message %d", notification.id)
            return RETRY, f"{type(exc).__name__}: {exc}"
        if reply is None:
            return DROPPED, "no longer relevant"
        target = chat_id(notification.chat)
        if target is None:
            return FAILED, "not a Telegram chat"
        assert self._limiter is not None
        try:
            for part in to_messages(reply, bot.username):
                async with self._limiter:
                    await persist(lambda part=part: bot.send_message(
                        target, part.html, parse_mode=ParseMode.HTML,
                        reply_markup=part.keyboard, link_preview_options=NO_PREVIEW,
                    ), "sendMessage")
        except Forbidden as exc:
            return GONE, str(exc)
        except BadRequest as exc:
            if "chat not found" in str(exc).lower():
                return GONE, str(exc)
            log.error("a subscriber message was refused: %s", exc)
            return FAILED, str(exc)
        except TelegramError as exc:  # network trouble or 429s beyond every retry
            return RETRY, str(exc)
        return SENT, ""

    def _record(self, batch: list[Notification], results: list[tuple[str, str]]) -> int:
        """Mark a group of messages in one transaction; returns how many were sent."""
        sent = [n.id for n, (status, _) in zip(batch, results, strict=True) if status == SENT]
        by_status: dict[str, dict[int, str]] = {DROPPED: {}, FAILED: {}, RETRY: {}}
        gone: list[str] = []
        for n, (status, reason) in zip(batch, results, strict=True):
            if status in by_status:
                by_status[status][n.id] = reason
            elif status == GONE:
                by_status[DROPPED][n.id] = "unreachable"
                gone.append(n.user_hash)
        outbox.finish(self.db, sent=sent, dropped=by_status[DROPPED],
                      failed=by_status[FAILED], retry=by_status[RETRY])
        for user_hash in gone:
            outbox.unreachable(self.db, user_hash)
        if gone:
            log.info("%d subscriber(s) blocked the bot or left: unsubscribed", len(gone))
        if by_status[RETRY]:
            log.warning("%d subscriber message(s) will be retried: %s", len(by_status[RETRY]),
                        next(iter(by_status[RETRY].values())))
        return len(sent)
