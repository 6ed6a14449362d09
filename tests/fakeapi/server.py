"""A strict fake Telegram Bot API server for end-to-end tests and benchmarks.

Why a fake at all: the bot must be tested as it runs (python-telegram-bot's real Application,
real HTTP, long polling or webhook) without Telegram, tokens or network. Why *strict*: a fake that
accepts whatever the bot sends proves nothing; this one refuses what Telegram refuses (bad HTML,
4,097-character texts, 65-byte callback data, edits of unknown messages, sends to users who never
started the bot) with Telegram's status codes and wording, and where the documentation is stricter
than Telegram's actual behaviour it follows the documentation. It also plays the Telegram side:
users who write, press buttons and type inline queries, delivered by ``getUpdates`` with offset
confirmation or POSTed to a webhook with the secret-token header and retried like Telegram does.

The server only ever listens on, and only ever connects to, the loopback interface.

This module holds the server's state and life cycle; each concern is a mixin in its own module:
``routes`` (HTTP, faults, flood limits), ``messages`` (send, edit, delete, queries, commands),
``files`` (uploads and file ids), ``polling`` (getUpdates), ``webhook`` (setWebhook and
delivery), ``users`` (the Telegram side: simulated users), ``waiting`` (inspection and waits),
``control`` (the ``/_fake/`` API), with shared lookups and constants in ``state``.

Typical use::

    async with FakeBotApi("123:ABC") as api:
        app = Application.builder().token("123:ABC").base_url(f"{api.root}/bot").build()
        ...
        dara = await api.user(1001, "Dara", language_code="km")
        reply = await api.ask(dara, "/start")
        assert "ទិដ្ឋាការ" in reply.text
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from .control import ControlMixin
from .faults import FaultInjector, RateLimiter
from .files import FilesMixin
from .messages import MessagesMixin
from .models import (
    CallbackAnswer,
    ChatMessage,
    FakeChat,
    FakeUser,
    InlineAnswer,
    RequestRecord,
    SentMessage,
    WebhookDelivery,
)
from .polling import PollingMixin
from .routes import RoutesMixin
from .state import (
    _MB,
    DEFAULT_ALLOWED_UPDATES,
    LOOPBACK_HOSTS,
    ChatState,
    _Poll,
    _Query,
    _Signal,
    _Waiters,
    _Webhook,
)
from .users import UsersMixin
from .validate import Params
from .waiting import WaitingMixin
from .webhook import WebhookMixin

__all__ = ["FakeBotApi"]

log = logging.getLogger(__name__)


class FakeBotApi(
    ChatState,
    RoutesMixin,
    MessagesMixin,
    FilesMixin,
    PollingMixin,
    WebhookMixin,
    UsersMixin,
    WaitingMixin,
    ControlMixin,
):
    """A strict, loopback-only stand-in for ``https://api.telegram.org`` (see module docs).

    Args:
        token: the bot token the server accepts; any other gets 401 Unauthorized.
        host: listening address; must be a loopback address.
        bot_username: the bot's @username (without "@").
        bot_first_name: the bot's display name.
        strict_html: reject bare ``&``/``>`` and unknown named entities (the documented rule)
            where Telegram itself would tolerate them.
        privacy_mode: like BotFather's default, the bot only sees group messages that are
            commands, mention it, or reply to it.
        inline_mode: whether the bot supports inline queries (``getMe``).
        query_ttl: seconds after which callback and inline queries can no longer be answered.
        hang_seconds: how long ``hang`` faults hold a request by default.
        slow_seconds: how long ``slow`` faults delay a request by default.
        webhook_timeout: seconds to wait for the webhook's answer.
        webhook_retry_base: first retry delay after a failed webhook POST (doubles each time).
        webhook_retry_max: cap of the retry delay.
        webhook_max_attempts: attempts before an update is given up (recorded in
            ``dropped_updates``).
        require_https_webhook: demand an HTTPS webhook as api.telegram.org does; off by
            default because a self-hosted Bot API server (which this fake stands in for, via
            ``TELEGRAM_API_URL``) accepts plain HTTP.
        first_update_id: id of the first update.
        seed: seed for random ids and probabilistic faults, for reproducible runs.
        rate_limit: enforce Telegram's flood limits from the start (see
            :class:`~tests.fakeapi.faults.RateLimiter`; tune with ``api.rate_limiter.enable``).
    """

    def __init__(
        self,
        token: str,
        *,
        host: str = "127.0.0.1",
        bot_username: str = "govbot_test_bot",
        bot_first_name: str = "GovBot Test",
        strict_html: bool = True,
        privacy_mode: bool = True,
        inline_mode: bool = True,
        query_ttl: float = 15.0,
        hang_seconds: float = 30.0,
        slow_seconds: float = 1.0,
        webhook_timeout: float = 10.0,
        webhook_retry_base: float = 0.05,
        webhook_retry_max: float = 1.0,
        webhook_max_attempts: int = 50,
        require_https_webhook: bool = False,
        first_update_id: int = 100_000,
        seed: int | None = 0,
        rate_limit: bool = False,
    ) -> None:
        if host not in LOOPBACK_HOSTS:
            raise ValueError(f"FakeBotApi only listens on loopback, not {host!r}")
        self.token = token
        self.host = host
        prefix = token.split(":", 1)[0]
        self.bot_id = int(prefix) if prefix.isdigit() else 1
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.strict_html = strict_html
        self.privacy_mode = privacy_mode
        self.inline_mode = inline_mode
        self.query_ttl = query_ttl
        self.hang_seconds = hang_seconds
        self.slow_seconds = slow_seconds
        self.webhook_timeout = webhook_timeout
        self.webhook_retry_base = webhook_retry_base
        self.webhook_retry_max = webhook_retry_max
        self.webhook_max_attempts = webhook_max_attempts
        self.require_https_webhook = require_https_webhook

        self.faults = FaultInjector(seed=seed)
        self.rate_limiter = RateLimiter()
        if rate_limit:
            self.rate_limiter.enable()
        self._random = random.Random(seed)

        # Inspection (public, read by tests).
        self.sent: list[SentMessage] = []
        self.deletions: list[tuple[int, int]] = []
        self.requests: list[RequestRecord] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.inline_answers: list[InlineAnswer] = []
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.chat_actions: list[tuple[int, str]] = []
        self.updates: list[dict[str, Any]] = []
        self.filtered_updates: list[dict[str, Any]] = []
        self.dropped_updates: list[dict[str, Any]] = []
        self.webhook_deliveries: list[WebhookDelivery] = []
        self.warnings: list[str] = []
        self.internal_errors: list[str] = []
        self.users: dict[int, FakeUser] = {}
        self.chats: dict[int, FakeChat] = {}

        self._messages: dict[int, dict[int, ChatMessage]] = {}
        self._message_seq: dict[int, int] = {}
        self._known_users: set[int] = set()
        self._pending: list[dict[str, Any]] = []
        self._next_update_id = first_update_id
        self._allowed_updates: frozenset[str] = DEFAULT_ALLOWED_UPDATES
        self._explicit_allowed: list[str] | None = None
        self._poll: _Poll | None = None
        self._webhook: _Webhook | None = None
        self._webhook_generation = 0
        self._webhook_task: asyncio.Task[None] | None = None
        self._webhook_error: tuple[int, str] | None = None
        self._callback_queries: dict[str, _Query] = {}
        self._inline_queries: dict[str, _Query] = {}
        self._files: dict[str, str] = {}
        self._changed = _Signal()
        self._waiters = _Waiters()
        self._closing = asyncio.Event()
        self._last_activity = time.monotonic()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._port: int | None = None
        self._methods: dict[str, tuple[str, Callable[[Params], Any]]] = {
            name.lower(): (name, getattr(self, f"_api_{name}"))
            for name in (
                "getMe",
                "getUpdates",
                "setWebhook",
                "deleteWebhook",
                "getWebhookInfo",
                "sendMessage",
                "editMessageText",
                "editMessageReplyMarkup",
                "deleteMessage",
                "answerCallbackQuery",
                "answerInlineQuery",
                "setMyCommands",
                "getMyCommands",
                "deleteMyCommands",
                "setChatMenuButton",
                "getChatMenuButton",
                "sendChatAction",
                "sendPhoto",
                "sendDocument",
                "getChat",
                "close",
                "logOut",
            )
        }

    # ------------------------------------------------------------------ lifecycle

    async def start(self, port: int = 0) -> str:
        """Listen on ``host:port`` (0 = any free port); return :attr:`root`."""
        if self._runner is not None:
            return self.root
        self._closing.clear()
        app = web.Application(client_max_size=60 * _MB)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/_fake/{action}", self._control)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, self.host, port)
        await site.start()
        self._runner = runner
        address = runner.addresses[0]
        self._port = int(address[1])
        self._session = aiohttp.ClientSession()
        log.debug("fake Bot API listening on %s", self.root)
        return self.root

    async def stop(self) -> None:
        """Stop serving: wake every waiting request, stop webhook delivery, close sockets."""
        self._closing.set()
        self._notify()
        await self._stop_webhook_delivery()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on (after :meth:`start`)."""
        if self._port is None:
            raise RuntimeError("FakeBotApi is not started")
        return self._port

    @property
    def root(self) -> str:
        """The server root, e.g. ``http://127.0.0.1:8081`` (what ``TELEGRAM_API_URL`` holds)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What python-telegram-bot wants as ``base_url``: ``<root>/bot``."""
        return f"{self.root}/bot"

    def method_url(self, method: str) -> str:
        """Full URL of one Bot API method, for raw HTTP tests."""
        return f"{self.root}/bot{self.token}/{method}"

    @property
    def bot_user(self) -> dict[str, Any]:
        """The bot as a ``User`` object (as it appears in ``from`` of its messages)."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }
