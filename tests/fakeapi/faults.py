"""Fault injection and flood limits for the fake Bot API server.

Why: the failures that hurt a Telegram bot in production are not the 400s (those are bugs the
strict parser finds) but the transport-level ones: a 429 flood wait, a 502 from Telegram's nginx,
a request that hangs past the client's timeout, a connection that drops. The nastiest case for
exactly-once delivery is a request Telegram *executed* whose response never arrived: the bot
sees an error, retries, and the user gets the answer twice. Tests need to produce each of these
on demand, deterministically, so every rule here is explicit and counted.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from dataclasses import dataclass, field

__all__ = ["AFTER_DELIVERY_KINDS", "FAULT_KINDS", "FaultInjector", "FaultRule", "RateLimiter"]

#: Faults applied *before* the request is executed: nothing is delivered.
BEFORE_KINDS = frozenset({"429", "500", "502", "504", "hang", "drop", "slow"})
#: Faults applied *after* the request was executed: the effect happened, the client sees an error.
AFTER_DELIVERY_KINDS = frozenset({"drop_after_delivery", "hang_after_delivery"})
FAULT_KINDS = BEFORE_KINDS | AFTER_DELIVERY_KINDS


@dataclass
class FaultRule:
    """One injected fault.

    Attributes:
        method: Bot API method name (case-insensitive), or ``"*"`` for every method.
        kind: one of :data:`FAULT_KINDS`:
            ``"429"`` flood wait with ``parameters.retry_after``; ``"500"`` Telegram's JSON
            "Internal Server Error"; ``"502"``/``"504"`` nginx HTML error pages; ``"hang"`` hold
            the request ``delay`` seconds (default: the server's ``hang_seconds``, longer than
            any sane client timeout), then answer 504 without executing it; ``"drop"`` close the
            connection without executing; ``"slow"`` wait ``delay`` (default 1 s) then execute
            normally; ``"drop_after_delivery"`` execute, then close the connection;
            ``"hang_after_delivery"`` execute, then hold the response ``delay`` seconds.
        times: how many more times the rule fires (``None`` = unlimited).
        probability: chance of firing per matching request (``None`` = always).
        retry_after: seconds announced by a ``"429"``.
        delay: seconds for ``hang``/``slow`` kinds.
        chat_id: only requests for this chat match (``None`` = any chat).
        fired: how often the rule fired so far.
    """

    method: str
    kind: str
    times: int | None = 1
    probability: float | None = None
    retry_after: int = 1
    delay: float | None = None
    chat_id: int | str | None = None
    fired: int = 0

    @property
    def exhausted(self) -> bool:
        """True once the rule has fired ``times`` times."""
        return self.times is not None and self.fired >= self.times

    @property
    def after_delivery(self) -> bool:
        """True for kinds that execute the request before failing."""
        return self.kind in AFTER_DELIVERY_KINDS


@dataclass
class FaultInjector:
    """The list of active fault rules and the counts of faults that fired.

    ``counts`` is keyed by ``(method, kind)`` with the canonical method name, so a test can
    assert e.g. ``api.faults.counts["sendMessage", "429"] == 1``.
    """

    seed: int | None = 0
    rules: list[FaultRule] = field(default_factory=list)
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def inject(
        self,
        method: str,
        kind: str,
        *,
        times: int | None = None,
        probability: float | None = None,
        retry_after: int = 1,
        delay: float | None = None,
        chat_id: int | str | None = None,
    ) -> FaultRule:
        """Add a rule; without ``times`` and ``probability`` it fires exactly once.

        With only ``probability`` it fires on that share of matching requests, forever (the
        random generator is seeded, so runs are reproducible).
        """
        kind = str(kind)
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; choose from {sorted(FAULT_KINDS)}")
        if probability is not None and not 0.0 <= probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")
        if times is None and probability is None:
            times = 1
        rule = FaultRule(
            method=method,
            kind=kind,
            times=times,
            probability=probability,
            retry_after=max(1, int(retry_after)),
            delay=delay,
            chat_id=chat_id,
        )
        self.rules.append(rule)
        return rule

    def clear(self) -> None:
        """Remove every rule (counts are kept: they describe what already happened)."""
        self.rules.clear()

    def total(self, kind: str | None = None) -> int:
        """Number of faults fired, optionally of one kind."""
        return sum(n for (_, k), n in self.counts.items() if kind is None or k == kind)

    def match(self, method: str, chat_id: str | None) -> FaultRule | None:
        """Pick the first live rule matching this request (does not mark it fired)."""
        for rule in self.rules:
            if rule.exhausted:
                continue
            if rule.method != "*" and rule.method.lower() != method.lower():
                continue
            if rule.chat_id is not None and str(rule.chat_id) != (chat_id or ""):
                continue
            if rule.probability is not None and self._random.random() >= rule.probability:
                continue
            return rule
        return None

    def fire(self, rule: FaultRule, method: str) -> None:
        """Record that ``rule`` fired for ``method``."""
        rule.fired += 1
        self.counts[method, rule.kind] += 1


@dataclass
class _Bucket:
    capacity: float
    rate: float  # tokens per second
    tokens: float
    stamp: float

    def take(self, now: float) -> float:
        """Take one token; return 0 on success, else the seconds until one is available."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


@dataclass
class RateLimiter:
    """Telegram's documented broadcast limits, as token buckets; off by default.

    Telegram asks bots to stay under about one message per second per chat (short bursts are
    tolerated), 20 messages per minute per group, and about 30 messages per second overall, and
    answers excess with 429 ``retry_after``. Tests of the bot's throttling turn this on with
    :meth:`enable`; everything else runs unthrottled so the suite stays fast.
    """

    enabled: bool = False
    per_chat_per_second: float = 1.0
    chat_burst: int = 3
    group_per_minute: float = 20.0
    global_per_second: float = 30.0
    limited: int = 0
    _chats: dict[str, _Bucket] = field(default_factory=dict)
    _groups: dict[str, _Bucket] = field(default_factory=dict)
    _global: _Bucket | None = None

    def enable(
        self,
        *,
        per_chat_per_second: float = 1.0,
        chat_burst: int = 3,
        group_per_minute: float = 20.0,
        global_per_second: float = 30.0,
    ) -> None:
        """Turn the limiter on (resetting its buckets) with the given limits."""
        self.enabled = True
        self.per_chat_per_second = per_chat_per_second
        self.chat_burst = chat_burst
        self.group_per_minute = group_per_minute
        self.global_per_second = global_per_second
        self._chats.clear()
        self._groups.clear()
        self._global = None

    def disable(self) -> None:
        """Turn the limiter off."""
        self.enabled = False

    def check(self, chat_id: str, *, is_group: bool, now: float | None = None) -> int:
        """Account one outgoing message; return 0 if allowed, else ``retry_after`` seconds."""
        if not self.enabled:
            return 0
        now = time.monotonic() if now is None else now
        if self._global is None:
            cap = max(1.0, self.global_per_second)
            self._global = _Bucket(cap, self.global_per_second, cap, now)
        chat = self._chats.setdefault(
            chat_id,
            _Bucket(float(self.chat_burst), self.per_chat_per_second, float(self.chat_burst), now),
        )
        waits = [chat.take(now), self._global.take(now)]
        if is_group:
            group = self._groups.setdefault(
                chat_id,
                _Bucket(
                    self.group_per_minute, self.group_per_minute / 60.0, self.group_per_minute, now
                ),
            )
            waits.append(group.take(now))
        wait = max(waits)
        if wait <= 0:
            return 0
        # A refused message must not consume tokens from the buckets that allowed it.
        for bucket, took in zip([chat, self._global], waits[:2], strict=True):
            if took == 0:
                bucket.tokens += 1.0
        if is_group and waits[2] == 0:
            self._groups[chat_id].tokens += 1.0
        self.limited += 1
        return max(1, math.ceil(wait))
