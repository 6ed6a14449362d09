"""Building and running the Telegram bot: polling (worker) or webhook (web), per design.md §8."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from urllib.parse import urlparse

from telegram import BotCommand, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.config import Settings
from bot.conversation import Conversation
from bot.i18n import _, gettext
from bot.telegram import handlers

log = logging.getLogger(__name__)

REFRESH_SECONDS = 5.0

COMMANDS: dict[str, str] = {
    "menu": _("Browse topics"),
    "language": _("ភាសាខ្មែរ / English"),
    "help": _("How to use this bot"),
    "privacy": _("What this bot stores about you"),
    "forget": _("Delete what this bot stores about you"),
}


class RedactToken(logging.Filter):
    """Removes the bot token from every log record, whoever logs it (httpx logs full URLs)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if self.token and self.token in record.getMessage():
            record.msg = record.getMessage().replace(self.token, "<token>")
            record.args = ()
        return True


def protect_logs(token: str) -> None:
    """Redact the token on every handler of the root logger, and keep httpx's URLs quiet."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    redact = RedactToken(token)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)


def webhook_secret(settings: Settings) -> str:
    """The X-Telegram-Bot-Api-Secret-Token value, derived from GOVBOT_SECRET (A-Z a-z 0-9 only)."""
    return hmac.new(settings.secret.encode(), b"telegram-webhook", hashlib.sha256).hexdigest()


async def _refresh(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Pick up a new knowledge version; the rebuild runs in a thread so replies never wait."""
    conversation: Conversation = context.bot_data[handlers.CONVERSATION]
    await asyncio.to_thread(conversation.assistant.refresh)


async def _post_init(application: Application) -> None:
    for lang in ("en", "km"):
        commands = [BotCommand(name, gettext(lang, text)) for name, text in COMMANDS.items()]
        await application.bot.set_my_commands(
            commands, language_code=None if lang == "en" else lang
        )


def build_application(settings: Settings, conversation: Conversation) -> Application:
    """The PTB Application with every handler, the rate limiter and the refresh job."""
    if not settings.token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    application = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(f"{settings.api_url}/bot")
        .base_file_url(f"{settings.api_url}/file/bot")
        .rate_limiter(AIORateLimiter(max_retries=5))
        .concurrent_updates(32)
        # On shutdown PTB confirms the last updates while a long poll may still hold the one
        # getUpdates connection: wait for it rather than fail the confirmation.
        .get_updates_pool_timeout(15)
        .post_init(_post_init)
        .build()
    )
    application.bot_data[handlers.CONVERSATION] = conversation
    new_message = filters.UpdateType.MESSAGE
    application.add_handler(MessageHandler(new_message & filters.COMMAND, handlers.on_command))
    application.add_handler(
        MessageHandler(new_message & filters.TEXT & ~filters.COMMAND, handlers.on_text)
    )
    application.add_handler(MessageHandler(
        new_message & filters.ChatType.PRIVATE & ~filters.TEXT & ~filters.StatusUpdate.ALL,
        handlers.on_other,
    ))
    application.add_handler(CallbackQueryHandler(handlers.on_button))
    application.add_handler(InlineQueryHandler(handlers.on_inline))
    application.add_error_handler(handlers.on_error)
    application.job_queue.run_repeating(_refresh, interval=REFRESH_SECONDS, first=REFRESH_SECONDS)
    return application


def run(
    settings: Settings, conversation: Conversation, webhook: bool, listen: str = "0.0.0.0"
) -> None:
    """Serve until stopped: long polling, or a webhook server on `listen`:$PORT."""
    protect_logs(settings.token)
    application = build_application(settings, conversation)
    allowed = Update.ALL_TYPES
    if not webhook:
        application.run_polling(allowed_updates=allowed)
        return
    if not settings.webhook_url:
        raise ValueError("webhook mode needs WEBHOOK_URL (the public https address)")
    if not settings.secret:
        raise ValueError("webhook mode needs GOVBOT_SECRET (it derives the webhook secret token)")
    application.run_webhook(
        listen=listen,
        port=settings.port,
        url_path=urlparse(settings.webhook_url).path.lstrip("/"),
        webhook_url=settings.webhook_url,
        secret_token=webhook_secret(settings),
        allowed_updates=allowed,
    )
