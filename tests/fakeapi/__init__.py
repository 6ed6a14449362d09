"""A strict fake Telegram Bot API server for govbot's end-to-end tests and benchmarks.

Why it exists: see :mod:`tests.fakeapi.server`. Start it with ``async with FakeBotApi(token)``
and point python-telegram-bot at ``base_url=f"{api.root}/bot"`` (or ``TELEGRAM_API_URL`` at
``api.root``); drive users with ``api.user(...)``/``api.send_text(...)`` and inspect
``api.sent``. Standalone: ``python -m tests.fakeapi --port 8081 --token 123:ABC``.
"""

from .faults import FAULT_KINDS, FaultInjector, FaultRule, RateLimiter
from .html_entities import EntityParseError, ParsedText, check_url, parse_html, utf16_len
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
from .server import FakeBotApi
from .validate import ApiError

__all__ = [
    "FAULT_KINDS",
    "ApiError",
    "CallbackAnswer",
    "ChatMessage",
    "EntityParseError",
    "FakeBotApi",
    "FakeChat",
    "FakeUser",
    "FaultInjector",
    "FaultRule",
    "InlineAnswer",
    "ParsedText",
    "RateLimiter",
    "RequestRecord",
    "SentMessage",
    "WebhookDelivery",
    "check_url",
    "parse_html",
    "utf16_len",
]
