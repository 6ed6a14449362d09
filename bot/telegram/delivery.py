"""Calls to the Bot API that must get through: retried through network faults and 5xx answers.

Flood limits (429 with retry_after) are handled by PTB's AIORateLimiter; this covers the rest:
connection drops, timeouts and server errors. A request Telegram rejected for a reason of its
own (400, 403) is final and not retried. A timed-out request may have been delivered before the
connection died; retrying it may then duplicate a message — the one case where exactly-once
cannot be guaranteed by any Bot API client (README, "Delivery guarantees").
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter

log = logging.getLogger(__name__)
T = TypeVar("T")

ATTEMPTS = 8
FIRST_PAUSE = 0.25
LONGEST_PAUSE = 8.0


async def persist(call: Callable[[], Awaitable[T]], what: str) -> T:
    """Run `call` until it succeeds, a final error occurs, or `ATTEMPTS` run out."""
    pause = FIRST_PAUSE
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await call()
        except (BadRequest, Forbidden, InvalidToken):
            raise
        except RetryAfter as exc:  # the rate limiter gave up its own retries
            if attempt == ATTEMPTS:
                raise
            wait = exc.retry_after
            await asyncio.sleep(wait.total_seconds() if hasattr(wait, "total_seconds")
                                else float(wait))
        except NetworkError as exc:  # includes TimedOut and 5xx answers
            if attempt == ATTEMPTS:
                raise
            log.info("%s failed (%s); retry %d in %.2fs", what, exc, attempt, pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE)
    raise AssertionError("unreachable")
