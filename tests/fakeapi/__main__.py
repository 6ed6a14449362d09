"""Run the fake Bot API server on its own: ``python -m tests.fakeapi --port 8081 --token 123:ABC``.

Why: to try the bot by hand or benchmark it from another process without Telegram. The root URL
is printed on the first line of stdout (point ``TELEGRAM_API_URL`` at it); simulated users are
driven through the small JSON control API under ``<root>/_fake/`` (see
:meth:`tests.fakeapi.server.FakeBotApi._control`), e.g.::

    curl -s <root>/_fake/user -d '{"id": 1001, "first_name": "Dara"}'
    curl -s <root>/_fake/send_text -d '{"user_id": 1001, "text": "/start"}'
    curl -s <root>/_fake/sent
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from .server import FakeBotApi
from .state import LOOPBACK_HOSTS


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakeapi", description="Strict fake Telegram Bot API server."
    )
    parser.add_argument("--host", default="127.0.0.1", choices=sorted(LOOPBACK_HOSTS))
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--token", required=True, help="the only token the server accepts")
    parser.add_argument("--bot-username", default="govbot_test_bot")
    parser.add_argument(
        "--no-privacy", action="store_true", help="deliver every group message to the bot"
    )
    parser.add_argument(
        "--rate-limit", action="store_true", help="enforce Telegram's flood limits (429)"
    )
    parser.add_argument(
        "--lenient-html", action="store_true", help="accept bare & and > like Telegram does"
    )
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    api = FakeBotApi(
        args.token,
        host=args.host,
        bot_username=args.bot_username,
        privacy_mode=not args.no_privacy,
        strict_html=not args.lenient_html,
    )
    if args.rate_limit:
        api.rate_limiter.enable()
    root = await api.start(args.port)
    print(root, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await api.stop()


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = _parse_args(argv)
    try:
        asyncio.run(_serve(args))
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
