"""The bot process of the end-to-end benchmark: `python -m bot.bench.botproc [--unthrottled]`.

It runs exactly what `govbot run` runs (the real PTB Application from
`bot.telegram.app.run`, long polling, settings from the environment), in a process of its own so
that the bot has its own interpreter and core, as it would in production, and the benchmark's
simulated users and fake Bot API server do not eat into its CPU.

`--unthrottled` builds the same Application without the overall 30 messages/s cap of PTB's
AIORateLimiter (Telegram's own limit for one bot), to measure what the bot itself can serve;
without it the figure is the shipped configuration's. `--profile FILE` writes a cProfile of the
whole run, for finding what limits throughput.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import sys

from telegram.ext import AIORateLimiter

import bot.telegram.app as telegram_app
from bot.assistant import Assistant
from bot.config import Settings
from bot.conversation import Conversation
from bot.store.people import People


def _without_overall_cap(**kwargs: float) -> AIORateLimiter:
    return AIORateLimiter(**{**kwargs, "overall_max_rate": 0, "overall_time_period": 0})


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGINT/SIGTERM (PTB's run_polling stops cleanly on either)."""
    parser = argparse.ArgumentParser(prog="python -m bot.bench.botproc")
    parser.add_argument("--unthrottled", action="store_true",
                        help="no overall 30/s cap (keeps retries on 429)")
    parser.add_argument("--profile", help="write a cProfile of the run to this file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.unthrottled:
        # build_application looks the class up at call time; the bench lifts only the overall
        # cap (whatever build_application asks for), keeping retries and the per-group limits.
        telegram_app.AIORateLimiter = _without_overall_cap  # type: ignore[misc,assignment]
    settings = Settings.from_env()
    assistant = Assistant.open(settings)
    conversation = Conversation(assistant, People(assistant.db, settings.secret),
                                settings.retention_days)
    profiler = cProfile.Profile() if args.profile else None
    if profiler is not None:
        profiler.enable()
    try:
        telegram_app.run(settings, conversation, webhook=False)
    finally:
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
