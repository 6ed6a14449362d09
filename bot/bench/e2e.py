"""End to end: simulated users → fake Bot API server → the real bot process → back, timed from
the users' side.

The fake server (tests/fakeapi in the source tree, 127.0.0.1 only) and the users run in this
process; the bot runs in its own (`python -m bot.bench.botproc`), polling as in production, so
it has a core of its own as it would in production. Latency is from the moment a user's message
enters the fake server's update queue to the moment the fake server accepts the bot's
sendMessage to that chat.
Both processes' CPU use is recorded, so the table shows which side was saturated.

Two ways to load the bot, because they answer different questions:
- closed loop (`rate=None`): every conversation sends its next question as soon as the reply
  arrives. The bot is always saturated: replies/s is its capacity, and latency is mostly
  queueing (Little's law: latency ≈ conversations in flight / replies per second).
- paced (`rate=R`): questions arrive at R a second whatever the bot does, as real traffic does.
  Latency is then what a user waits at that load; if R exceeds capacity, it shows the backlog.

"50 concurrent users" are 50 conversations in flight, each played by a succession of people who
send /start (untimed) and then a few questions: one person asking 40 questions back to back
would be a flood, and the bot rightly paces floods (bot.telegram.guard), which would measure
the pacing instead of the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.bench.data import Question
from bot.bench.fakeserver import load_fake_api
from bot.bench.measure import Latency

if TYPE_CHECKING:  # the fake server is loaded from the source tree only when e2e runs
    from tests.fakeapi import FakeBotApi, FakeUser, SentMessage

TOKEN = "424242:bench-token-not-a-secret"
REPLY_TIMEOUT = 30.0
READY_TIMEOUT = 90.0
FIRST_USER_ID = 8_000_000
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

Person = tuple["FakeUser", list[str]]


@dataclass(frozen=True)
class E2EResult:
    """One configuration of the bot under load."""

    label: str
    users: int
    messages: int
    rate: float | None  # offered questions a second (None: closed loop)
    replies_per_s: list[float]  # one per run
    latency: Latency  # reply latency, pooled over runs
    bot_peak_mb: float
    bot_cpu_pct: float  # of one core, during the measured runs
    driver_cpu_pct: float  # this process: users + fake server
    ready_s: float  # process start → first getUpdates
    timeouts: int


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (all its threads), from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS
    except (OSError, IndexError, ValueError):
        return float("nan")


def _status_mb(pid: int, field: str) -> float:
    """A memory line of /proc/<pid>/status (VmHWM, VmRSS) in MB.

    VmHWM is the peak of the process's own address space since exec. The kernel's
    `ru_maxrss` is not used for the bot: it also counts the benchmark process's memory at the
    moment it forked the bot, which here is larger than the bot itself.
    """
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def questions_per_person() -> int:
    """Questions each simulated person asks after /start: below the bot's flood limit (with
    /start, within its window), so that no reply is paced."""
    try:
        from bot.telegram.guard import FLOOD_LIMIT
    except ImportError:  # no guard: any number is fine, keep people realistic
        FLOOD_LIMIT = 10
    return max(1, min(8, FLOOD_LIMIT - 2))


def _plan(messages: int, slots: int, per_person: int) -> list[list[int]]:
    """Message counts per person, per slot: `messages` in all, people of `per_person` each,
    dealt round-robin over the slots so every slot stays busy to the end."""
    people = [per_person] * (messages // per_person)
    if messages % per_person:
        people.append(messages % per_person)
    plan: list[list[int]] = [[] for _ in range(slots)]
    for i, count in enumerate(people):
        plan[i % slots].append(count)
    return plan


class ReplyClock:
    """Timestamps each bot reply the moment the fake server accepts it, matched to the oldest
    unanswered question in that chat (replies in a chat come in order: the bot handles one
    user's messages one at a time)."""

    def __init__(self, api: FakeBotApi) -> None:
        self.api = api
        self._asked: dict[int, deque[float]] = {}
        self._position = api.mark()
        self.latencies: list[float] = []
        self.replied: dict[int, int] = {}
        self._stopped = False
        self._watch: asyncio.Future[object] | None = None

    def start(self) -> None:
        """Scan on every change of the fake server's state, so each reply is timed when it
        arrives even while nobody is waiting for it (paced runs)."""

        def tick() -> bool:
            self.scan()
            return self._stopped

        self._watch = asyncio.ensure_future(self.api.wait_until(tick, 24 * 3600, "the end"))

    async def stop(self) -> None:
        """Stop scanning."""
        self._stopped = True
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch

    def asked(self, chat_id: int, at: float) -> None:
        """A question was just sent in `chat_id`."""
        self._asked.setdefault(chat_id, deque()).append(at)

    def scan(self) -> None:
        """Match replies the server accepted since the last scan (called on every change)."""
        now = time.perf_counter()
        sent = self.api.sent
        while self._position < len(sent):
            item: SentMessage = sent[self._position]
            self._position += 1
            waiting = self._asked.get(item.chat_id)
            if item.method == "sendMessage" and waiting:
                self.latencies.append(now - waiting.popleft())
                self.replied[item.chat_id] = self.replied.get(item.chat_id, 0) + 1

    async def wait_replies(self, chat_id: int, count: int, timeout: float) -> bool:
        """Wait until `chat_id` has `count` replies in all; False on timeout."""

        def done() -> bool:
            self.scan()
            return self.replied.get(chat_id, 0) >= count

        try:
            await self.api.wait_until(done, timeout, f"reply {count} in chat {chat_id}")
        except TimeoutError:
            return False
        return True


async def _closed_slot(api: FakeBotApi, clock: ReplyClock, people: list[Person]) -> int:
    """One conversation slot: each question sent when the previous reply arrived."""
    missing = 0
    for person, texts in people:
        for number, text in enumerate(texts, start=1):
            clock.asked(person.id, time.perf_counter())
            await api.send_text(person, text)
            if not await clock.wait_replies(person.id, number, REPLY_TIMEOUT):
                missing += 1
                clock.replied[person.id] = number  # give up on it; keep the count aligned
    return missing


async def _paced(
    api: FakeBotApi, clock: ReplyClock, slots: list[list[Person]], rate: float
) -> int:
    """Questions sent at `rate` a second, slot after slot in turn; then wait for the replies."""
    queues = [deque((p, t) for p, texts in slot for t in texts) for slot in slots]
    order: list[tuple[FakeUser, str]] = []
    while any(queues):
        for queue in queues:
            if queue:
                order.append(queue.popleft())
    start = time.perf_counter()
    expected: dict[int, int] = {}
    for k, (person, text) in enumerate(order):
        delay = start + k / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        clock.asked(person.id, time.perf_counter())
        await api.send_text(person, text)
        expected[person.id] = expected.get(person.id, 0) + 1
    results = await asyncio.gather(*(clock.wait_replies(chat, count, REPLY_TIMEOUT)
                                     for chat, count in expected.items()))
    return sum(expected[chat] - clock.replied.get(chat, 0)
               for chat, ok in zip(expected, results, strict=True) if not ok)


async def _stop(proc: subprocess.Popen[bytes], api: FakeBotApi, timeout: float) -> float:
    """Stop the bot like an operator would (SIGINT) and reap it; return its peak RSS in MB
    while it served (read just before the signal).

    The bot lets a pending long poll run out (up to 10 s) rather than cancel it; after a
    second, the fake server is stopped, which ends the poll at once: the benchmark has its
    figures and need not wait.
    """
    if proc.poll() is not None:  # already gone: no figure to read
        return float("nan")
    peak = _status_mb(proc.pid, "VmHWM")
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGINT)
    for wait in (1.0, timeout):
        try:
            await asyncio.wait_for(asyncio.to_thread(proc.wait), wait)
            return peak
        except TimeoutError:
            await api.stop()
    proc.kill()
    await asyncio.to_thread(proc.wait)
    return peak


def py_spy() -> str | None:
    """The py-spy executable (beside this interpreter or on PATH), if installed."""
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


def _start_profiler(pid: int, out: Path) -> subprocess.Popen[bytes] | None:
    """py-spy sampling the bot (Python frames, 200 Hz), if py-spy is installed."""
    executable = py_spy()
    if executable is None:
        return None
    return subprocess.Popen(
        [executable, "record", "--pid", str(pid), "--format", "raw", "--rate", "200",
         "--output", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


async def run_e2e(
    label: str, questions: Sequence[Question], users: int, messages: int, runs: int,
    workdir: Path, *, rate: float | None = None, unthrottled: bool = True,
    profile: Path | None = None, command: Sequence[str] | None = None,
) -> E2EResult:
    """Start the fake server and a bot process, then `runs` rounds of `messages` questions with
    `users` conversations in flight: closed loop, or paced at `rate` questions a second.
    `profile` (a file) records a py-spy profile of the bot during the timed rounds; `command`
    replaces the bot process's command line (to measure a variant of the bot)."""
    fake = load_fake_api()  # first: without a source tree, say so before any work
    texts = [q.q for q in questions]
    workdir.mkdir(parents=True, exist_ok=True)
    # A fresh store per bot: the fake server numbers updates from the same id each time, and
    # the bot's journal would rightly skip updates a previous bot already answered.
    db_path = Path(tempfile.mkdtemp(prefix="e2e-", dir=workdir)) / "govbot.db"
    async with fake.FakeBotApi(TOKEN) as api:
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": api.root,
               "GOVBOT_DB": str(db_path), "GOVBOT_SECRET": "bench-secret"}
        if command is None:
            command = [sys.executable, "-m", "bot.bench.botproc"]
            if unthrottled:
                command = [*command, "--unthrottled"]
        log_path = db_path.with_suffix(".log")
        started = time.perf_counter()
        with log_path.open("wb") as log:
            proc = subprocess.Popen(list(command), env=env, stdout=log, stderr=subprocess.STDOUT,
                                    cwd=workdir)
        peak = float("nan")
        profiler = None
        try:
            deadline = started + READY_TIMEOUT
            while not api.calls("getUpdates") and proc.poll() is None:
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"the bot did not poll within {READY_TIMEOUT:.0f} s; "
                                       f"see {log_path}")
                await asyncio.sleep(0.02)
            if proc.poll() is not None:
                tail = log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the bot process exited with {proc.returncode}:\n{tail}")
            ready = time.perf_counter() - started
            per_person = questions_per_person()
            next_id = FIRST_USER_ID
            rates: list[float] = []
            latencies: list[float] = []
            missing = 0
            bot_cpu = driver_cpu = wall = 0.0
            for run in range(runs):
                slots: list[list[Person]] = []
                question = run * 101
                for counts in _plan(messages, users, per_person):
                    slot = []
                    for count in counts:
                        person = await api.user(next_id, f"User {next_id}",
                                                "km" if next_id % 2 else "en")
                        next_id += 1
                        slot.append((person, [texts[(question + k * 7) % len(texts)]
                                              for k in range(count)]))
                        question += count * 7 + 1
                    slots.append(slot)
                # First contact, untimed: when timed, these people are the bot's known users.
                everyone = [person for slot in slots for person, _ in slot]
                for i in range(0, len(everyone), users):
                    await asyncio.gather(*(api.ask(p, "/start", timeout=REPLY_TIMEOUT)
                                           for p in everyone[i:i + users]))
                if profile is not None and profiler is None:
                    profiler = _start_profiler(proc.pid, profile)
                clock = ReplyClock(api)
                clock.start()
                cpu_bot, cpu_me = _cpu_seconds(proc.pid), time.process_time()
                t0 = time.perf_counter()
                if rate is None:
                    lost = sum(await asyncio.gather(*(_closed_slot(api, clock, slot)
                                                      for slot in slots)))
                else:
                    lost = await _paced(api, clock, slots, rate)
                elapsed = time.perf_counter() - t0
                await clock.stop()
                missing += lost
                latencies.extend(clock.latencies)
                rates.append(len(clock.latencies) / elapsed)
                bot_cpu += _cpu_seconds(proc.pid) - cpu_bot
                driver_cpu += time.process_time() - cpu_me
                wall += elapsed
        finally:
            if profiler is not None:
                profiler.send_signal(signal.SIGINT)
                await asyncio.to_thread(profiler.wait, 30)
            if proc.returncode is None:
                peak = await _stop(proc, api, 30)
    return E2EResult(
        label=label, users=users, messages=messages, rate=rate, replies_per_s=rates,
        latency=Latency.of(latencies, runs), bot_peak_mb=peak,
        bot_cpu_pct=100 * bot_cpu / wall if wall else float("nan"),
        driver_cpu_pct=100 * driver_cpu / wall if wall else float("nan"),
        ready_s=ready, timeouts=missing,
    )
