"""The one web server: the console, and in webhook mode Telegram's webhook, in the bot's loop.

python-telegram-bot's documented custom-webhook pattern: the Application runs without its own
webhook server, and a Starlette route puts each update on `application.update_queue`. Owning
the route lets it refuse an unauthenticated or oversized request before reading its body (PTB's
own server reads up to 100 MB first): the secret token is compared in constant time, a declared
Content-Length over 1 MB is refused at once, and a streamed body is cut off at 1 MB.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import signal
from collections.abc import Sequence

import uvicorn
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from bot.config import Settings
from bot.conversation import Conversation
from bot.telegram.polling import initialize, polling
from bot.web.app import create_app

log = logging.getLogger(__name__)

MAX_WEBHOOK_BODY = 1024 * 1024
SECRET_HEADER = "x-telegram-bot-api-secret-token"


def webhook_route(application: Application, path: str, secret: str) -> Route:
    """POST `path`: Telegram's updates, queued for the application."""
    expected = secret.encode()

    async def receive(request: Request) -> Response:
        sent = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(sent, expected):
            log.warning("refused a webhook request without the right secret token (403)")
            return Response(status_code=403)
        declared = request.headers.get("content-length", "")
        if declared and (not declared.isdigit() or int(declared) > MAX_WEBHOOK_BODY):
            log.warning("refused a webhook request of %s bytes (413)", declared)
            return Response(status_code=413)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_WEBHOOK_BODY:
                log.warning("refused a streamed webhook request over %d bytes (413)",
                            MAX_WEBHOOK_BODY)
                return Response(status_code=413)
        try:
            update = Update.de_json(json.loads(body), application.bot)
        except (ValueError, TypeError, KeyError):
            log.warning("refused a webhook request that is not an update (400)")
            return Response(status_code=400)
        await application.update_queue.put(update)
        return Response(status_code=200)

    return Route("/" + path.lstrip("/"), receive, methods=["POST"])


class _Server(uvicorn.Server):
    """uvicorn inside the bot's own life: the bot handles SIGINT/SIGTERM and stops us."""

    @contextlib.contextmanager
    def capture_signals(self):  # type: ignore[override]
        yield


def web_server(app, host: str, port: int) -> uvicorn.Server:
    """A uvicorn server for `app` that leaves signals to its caller."""
    return _Server(uvicorn.Config(app, host=host, port=port, log_level="warning",
                                  proxy_headers=False, server_header=False, lifespan="off"))


async def _until_stopped(stop: asyncio.Event, server: uvicorn.Server, required: bool) -> None:
    """Serve until `stop`. A server that cannot start (its port taken) ends everything when
    `required` (the webhook: no updates without it); else the bot goes on without a console."""
    task = asyncio.create_task(server.serve())
    waiting = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({task, waiting}, return_when=asyncio.FIRST_COMPLETED)
        if task.done() and not stop.is_set():
            failure = "the web server could not start on %s:%d"
            config = server.config
            if required:
                raise RuntimeError(failure % (config.host, config.port))
            log.error(failure + "; the bot goes on without the console", config.host,
                      config.port)
            await waiting
    finally:
        waiting.cancel()
        server.should_exit = True
        with contextlib.suppress(SystemExit):
            await task


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def serve_bot(
    application: Application, conversation: Conversation, settings: Settings,
    allowed_updates: Sequence[str] | None, *, webhook: bool, listen: str,
    webhook_path: str = "", secret: str = "",
) -> None:
    """The whole life of the bot and its web server until SIGINT/SIGTERM: long polling with the
    console on GOVBOT_CONSOLE_HOST:PORT, or the webhook and the console on `listen`:$PORT."""
    stop = _stop_event()
    await initialize(application, stop)
    if stop.is_set():
        return
    extra = [webhook_route(application, webhook_path, secret)] if webhook else []
    app = create_app(conversation, settings, extra)
    host, port = (listen, settings.port) if webhook else (settings.console_host,
                                                          settings.console_port)
    server = web_server(app, host, port)
    async with application:
        if application.post_init:
            await application.post_init(application)
        await application.start()
        try:
            if webhook:
                await application.bot.set_webhook(
                    settings.webhook_url, allowed_updates=allowed_updates, secret_token=secret)
                log.info("webhook and console on %s:%d", host, port)
                await _until_stopped(stop, server, required=True)
            else:
                async with polling(application, allowed_updates):
                    log.info("polling for updates; console on %s", settings.console_base)
                    await _until_stopped(stop, server, required=False)
        finally:
            await application.stop()


async def serve_console(conversation: Conversation, settings: Settings) -> None:
    """The console alone, on the same database, until SIGINT/SIGTERM (editing while the bot
    is stopped; a bot running elsewhere picks up each save within seconds)."""
    stop = _stop_event()
    server = web_server(create_app(conversation, settings), settings.console_host,
                        settings.console_port)
    log.info("console on %s", settings.console_base)
    await _until_stopped(stop, server, required=True)
