"""Updates by long polling: ``getUpdates`` with offset confirmation and ``allowed_updates``.

Why apart from the webhook: both deliver the same queue of updates, but polling is pulled by
the bot (and a second poller gets 409) while the webhook is pushed by the server.
"""

from __future__ import annotations

import time
from typing import Any

from .state import (
    CONFLICT_POLL,
    CONFLICT_WEBHOOK,
    DEFAULT_ALLOWED_UPDATES,
    UPDATE_TYPES,
    _Poll,
)
from .validate import (
    ApiError,
    Params,
    bad_request,
)


class PollingMixin:
    """``getUpdates`` for :class:`~tests.fakeapi.server.FakeBotApi` (a mixin)."""

    def _set_allowed(self, allowed: Any) -> None:
        """Remember ``allowed_updates``; like Telegram, it persists until set again."""
        if not isinstance(allowed, list):
            raise bad_request("can't parse allowed_updates JSON object")
        known = [kind for kind in allowed if kind in UPDATE_TYPES]
        self._explicit_allowed = known or None
        self._allowed_updates = frozenset(known) if known else DEFAULT_ALLOWED_UPDATES

    def _confirm(self, offset: int) -> None:
        """Forget updates below ``offset`` (or all but the last ``-offset``): confirmed."""
        if offset < 0:
            self._pending = self._pending[offset:]
        else:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        self._notify()

    async def _api_getUpdates(self, params: Params) -> list[dict[str, Any]]:
        """Long polling: answer at once if updates wait, else hold up to ``timeout`` seconds.

        A newer ``getUpdates`` terminates a waiting one with 409, which is how Telegram tells
        a bot that a second instance is polling with the same token.
        """
        if self._webhook is not None:
            raise ApiError(409, CONFLICT_WEBHOOK)
        offset = params.get_int("offset")
        limit = min(max(params.get_int("limit", 100) or 100, 1), 100)
        timeout = max(params.get_int("timeout", 0) or 0, 0)
        allowed = params.get_json("allowed_updates", "can't parse allowed_updates JSON object")
        if allowed is not None:
            self._set_allowed(allowed)
        if offset is not None:
            self._confirm(offset)
        if self._poll is not None:
            self._poll.terminated = True
        poll = _Poll()
        self._poll = poll
        self._notify()
        deadline = time.monotonic() + timeout
        try:
            while True:
                if poll.terminated:
                    raise ApiError(409, CONFLICT_POLL)
                if self._webhook is not None:
                    raise ApiError(409, CONFLICT_WEBHOOK)
                if self._pending or self._closing.is_set():
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                await self._changed.wait(remaining)
            return list(self._pending[:limit])
        finally:
            if self._poll is poll:
                self._poll = None
