"""Inspection and waiting: what the bot sent, and waiting for it without timed sleeps.

Why: tests assert on what a user would see; waiting on conditions re-checked at every change
keeps them fast and free of fixed sleeps.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from .models import (
    ChatMessage,
    FakeChat,
    FakeUser,
    RequestRecord,
    SentMessage,
)
from .state import (
    ChatRef,
    UserRef,
)


class WaitingMixin:
    """Inspection helpers of :class:`~tests.fakeapi.server.FakeBotApi` (a mixin)."""

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates created but not yet confirmed (polling) or acknowledged (webhook)."""
        return list(self._pending)

    def messages_in(
        self, chat: ChatRef | FakeUser, *, include_deleted: bool = False
    ) -> list[ChatMessage]:
        """Every message in a chat (a user means their private chat), in order, as it is now."""
        chat_id = chat.id if isinstance(chat, FakeChat | FakeUser) else int(chat)
        messages = sorted(self._messages.get(chat_id, {}).values(), key=lambda m: m.message_id)
        return [m for m in messages if include_deleted or not m.deleted]

    def bot_messages(self, chat: ChatRef | FakeUser) -> list[ChatMessage]:
        """The bot's messages in a chat as the user sees them now."""
        return [m for m in self.messages_in(chat) if m.from_bot]

    def calls(self, method: str) -> list[RequestRecord]:
        """Logged requests of one method (case-insensitive)."""
        return [r for r in self.requests if r.method.lower() == method.lower()]

    def mark(self) -> int:
        """A position in :attr:`sent`, for ``wait_for(..., since=api.mark())``."""
        return len(self.sent)

    def _diagnosis(self) -> str:
        last = [str(s) for s in self.sent[-5:]] or ["(nothing sent)"]
        failed = [
            f"{r.method} -> {r.status} {r.description or ''}".strip()
            for r in self.requests[-50:]
            if r.status != 200
        ][-5:]
        return (
            f"last sent: {last}; recent failed requests: {failed or 'none'}; "
            f"pending updates: {len(self._pending)}"
        )

    async def wait_until(
        self, condition: Callable[[], Any], timeout: float = 5.0, what: str = "condition"
    ) -> Any:
        """Wait until ``condition()`` is truthy; return its value or raise ``TimeoutError``."""
        value = condition()
        if value:
            return value
        future = self._waiters.add(condition)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"timed out after {timeout}s waiting for {what}; {self._diagnosis()}"
            ) from None
        finally:
            self._waiters.discard(future)

    async def wait_for(
        self,
        predicate_or_count: int | Callable[[SentMessage], Any],
        timeout: float = 5.0,
        *,
        since: int = 0,
    ) -> Any:
        """Wait for the bot's output.

        ``wait_for(n)`` waits until ``n`` messages/edits were sent after position ``since`` and
        returns them as a list; ``wait_for(predicate)`` returns the first :class:`SentMessage`
        after ``since`` for which ``predicate(item)`` is true.
        """
        if isinstance(predicate_or_count, int):
            count = predicate_or_count

            def enough() -> list[SentMessage] | None:
                if len(self.sent) - since < count:
                    return None
                return self.sent[since : since + count]

            return await self.wait_until(enough, timeout, f"{count} sent message(s)")
        predicate = predicate_or_count
        position = since

        def found() -> SentMessage | None:
            # Scan only what is new since the last look: many concurrent waiters (benchmarks)
            # must not rescan the whole history on every change.
            nonlocal position
            while position < len(self.sent):
                item = self.sent[position]
                position += 1
                if predicate(item):
                    return item
            return None

        return await self.wait_until(found, timeout, "a matching sent message")

    async def ask(
        self, user: UserRef, text: str, chat: ChatRef | None = None, *, timeout: float = 5.0
    ) -> SentMessage:
        """Send ``text`` as ``user`` and return the bot's next message in that chat."""
        since = self.mark()
        message = await self.send_text(user, text, chat)
        chat_id = message.chat.id
        return await self.wait_for(
            lambda s: s.chat_id == chat_id and s.method.startswith("send"),
            timeout,
            since=since,
        )

    async def wait_confirmed(self, update_id: int | None = None, timeout: float = 5.0) -> None:
        """Wait until an update (default: every update so far) left the queue.

        With polling that means the bot asked for a later ``offset``; with a webhook, that the
        webhook answered 2xx.
        """

        def done() -> bool:
            if update_id is None:
                return not self._pending
            return all(u["update_id"] != update_id for u in self._pending)

        await self.wait_until(done, timeout, f"confirmation of update {update_id or 'all'}")

    async def wait_idle(self, quiet: float = 0.2, timeout: float = 5.0) -> None:
        """Wait until every update is confirmed and the bot made no call for ``quiet`` s.

        Useful to assert that the bot stayed silent: long polls do not count as activity.
        """
        await self.wait_confirmed(timeout=timeout)
        deadline = time.monotonic() + timeout
        while True:
            idle_for = time.monotonic() - self._last_activity
            if idle_for >= quiet and not self._pending:
                return
            if time.monotonic() >= deadline:
                raise TimeoutError(f"bot not idle after {timeout}s; {self._diagnosis()}")
            await asyncio.sleep(max(0.01, min(quiet - idle_for, 0.05)))
