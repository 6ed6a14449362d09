"""Building and running the Telegram bot: polling (worker) or webhook (web), as in the Procfile."""

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
from bot.store.inbox import Inbox
from bot.store.journal import Journal
from bot.telegram import handlers
from bot.telegram.broadcast import RATE as BROADCAST_RATE
from bot.telegram.broadcast import Broadcaster
from bot.telegram.guard import Guard
from bot.telegram.polling import INBOX

log = logging.getLogger(__name__)

REFRESH_SECONDS = 5.0
FLUSH_SECONDS = 5.0
BROADCAST_SECONDS = 1.0
OVERALL_RATE = 30.0  # PTB's AIORateLimiter default: Telegram's limit for one bot
REMIND_SECONDS = 3600.0
GUARD = "guard"
BROADCASTER = "broadcaster"

COMMANDS: dict[str, str] = {
    "menu": _("Browse topics"),
    "language": _("ភាសាខ្មែរ / English"),
    "help": _("How to use this bot"),
    "privacy": _("What this bot stores about you"),
    "forget": _("Delete what this bot stores about you"),
    "human": _("Write to the support team"),
    "subscriptions": _("Your topic updates"),
}


_PROTECTED: set[str] = set()


def protect_logs(token: str) -> None:
    """Make the token unloggable: every record, from any library, is redacted when created.

    A record factory (not a handler filter) covers handlers added later too, and the traceback
    text of exceptions (httpx errors quote the request URL, which holds the token).
    """
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if not token or token in _PROTECTED:
        return
    _PROTECTED.add(token)
    make_record = logging.getLogRecordFactory()

    def redacted(*args: object, **kwargs: object) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        message = record.getMessage()
        if token in message:
            record.msg, record.args = message.replace(token, "<token>"), ()
        if record.exc_info and not record.exc_text:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = text.replace(token, "<token>")
        return record

    logging.setLogRecordFactory(redacted)


def webhook_secret(settings: Settings) -> str:
    """The X-Telegram-Bot-Api-Secret-Token value, derived from GOVBOT_SECRET (A-Z a-z 0-9 only)."""
    return hmac.new(settings.secret.encode(), b"telegram-webhook", hashlib.sha256).hexdigest()


async def _refresh(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Pick up a new knowledge version; the rebuild runs in a thread so replies never wait."""
    conversation: Conversation = context.bot_data[handlers.CONVERSATION]
    try:
        await asyncio.to_thread(conversation.assistant.refresh)
    except Exception:  # a bad rebuild must not stop the bot; it keeps the old snapshot
        log.exception("knowledge refresh failed; still answering from version %d",
                      conversation.assistant.snapshot.version)


async def _flush(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Write records deferred while the database refused writes."""
    conversation: Conversation = context.bot_data[handlers.CONVERSATION]
    if conversation.people.writes.pending:
        conversation.people.writes.flush()


async def _daily(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Retention: purge old questions, feedback, idle users and journal entries; close idle
    requests to staff, delete old request texts and finished outbox messages."""
    conversation: Conversation = context.bot_data[handlers.CONVERSATION]
    conversation.housekeeping()
    guard: Guard = context.bot_data[GUARD]
    guard.journal.purge()
    guard.prune()


async def _broadcast(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send waiting messages to subscribers (see bot/telegram/broadcast.py)."""
    broadcaster: Broadcaster = context.bot_data[BROADCASTER]
    await broadcaster.run(context.bot)


async def _remind(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Queue reminders of approaching `opens`/`deadline` dates for subscribers."""
    conversation: Conversation = context.bot_data[handlers.CONVERSATION]
    if conversation.subscriptions is not None:
        queued = conversation.subscriptions.remind()
        if queued:
            log.info("queued %d date reminder(s) for subscribers", queued)


def _guarded(handler: handlers.Handler) -> handlers.Handler:
    """The handler behind the journal check, per-user order and flood pacing."""

    async def run(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await context.bot_data[GUARD].run(update, context, handler, handlers.slow_down)

    return run


async def _post_init(application: Application) -> None:
    for lang in ("en", "km"):
        commands = [BotCommand(name, gettext(lang, text)) for name, text in COMMANDS.items()]
        await application.bot.set_my_commands(
            commands, language_code=None if lang == "en" else lang
        )


def build_application(
    settings: Settings,
    conversation: Conversation,
    request_timeout: float | None = None,
    *,
    overall_rate: float = OVERALL_RATE,
    broadcast_rate: float = BROADCAST_RATE,
    broadcast_concurrency: int | None = None,
    broadcast_seconds: float = BROADCAST_SECONDS,
) -> Application:
    """The PTB Application with every handler, the rate limiter and the jobs.

    `request_timeout` overrides PTB's per-request timeouts (tests use short ones to meet
    hanging servers quickly). `overall_rate` is the rate limiter's messages a second in all
    (Telegram's limit is about 30); `broadcast_rate` the share announcements to subscribers may
    use, sent by a job every `broadcast_seconds` (tests raise both against the fake server).
    """
    if not settings.token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    protect_logs(settings.token)
    limits: dict[str, float] = {"max_retries": 5}
    if overall_rate != OVERALL_RATE:  # else PTB's own default (Telegram's ~30 a second)
        limits["overall_max_rate"] = overall_rate
    builder = ApplicationBuilder()
    if request_timeout is not None:
        for option in ("connect_timeout", "read_timeout", "write_timeout",
                       "get_updates_connect_timeout", "get_updates_write_timeout"):
            builder = getattr(builder, option)(request_timeout)
    application = (
        builder
        .token(settings.token)
        .base_url(f"{settings.api_url}/bot")
        .base_file_url(f"{settings.api_url}/file/bot")
        .rate_limiter(AIORateLimiter(**limits))
        # Many updates at once: a flooding user's paced updates wait without holding up others.
        .concurrent_updates(256)
        # On shutdown PTB confirms the last updates while a long poll may still hold the one
        # getUpdates connection: wait for it rather than fail the confirmation.
        .get_updates_pool_timeout(15)
        # Replies go out concurrently; PTB's default pool of 256 costs more in connection
        # checks than it gains (docs/performance.md).
        .connection_pool_size(16)
        .post_init(_post_init)
        .build()
    )
    people = conversation.people
    application.bot_data[handlers.CONVERSATION] = conversation
    application.bot_data[GUARD] = Guard(Journal(people.db, people.writes))
    inbox = application.bot_data[INBOX] = Inbox(people.db, people.writes)
    people.scrubbed.append(inbox.scrub_when_handled)
    new_message = filters.UpdateType.MESSAGE
    application.add_handler(
        MessageHandler(new_message & filters.COMMAND, _guarded(handlers.on_command))
    )
    application.add_handler(
        MessageHandler(new_message & filters.TEXT & ~filters.COMMAND, _guarded(handlers.on_text))
    )
    application.add_handler(MessageHandler(
        new_message & filters.ChatType.PRIVATE & ~filters.TEXT & ~filters.StatusUpdate.ALL,
        _guarded(handlers.on_other),
    ))
    # A photo or sticker replying to the bot in a group (staff answering a request with one).
    application.add_handler(MessageHandler(
        new_message & filters.ChatType.GROUPS & filters.REPLY & ~filters.TEXT
        & ~filters.StatusUpdate.ALL,
        _guarded(handlers.on_other),
    ))
    application.add_handler(CallbackQueryHandler(_guarded(handlers.on_button)))
    application.add_handler(InlineQueryHandler(_guarded(handlers.on_inline)))
    application.add_error_handler(handlers.on_error)
    jobs = application.job_queue
    jobs.run_repeating(_refresh, interval=REFRESH_SECONDS, first=REFRESH_SECONDS)
    jobs.run_repeating(_flush, interval=FLUSH_SECONDS, first=FLUSH_SECONDS)
    jobs.run_repeating(_daily, interval=86_400, first=60)
    concurrency = broadcast_concurrency or max(4, min(64, int(broadcast_rate // 2)))
    application.bot_data[BROADCASTER] = Broadcaster(
        conversation, rate=broadcast_rate, concurrency=concurrency)
    # A run may outlast the interval (a big announcement): a second instance finds it busy and
    # returns, instead of APScheduler warning that it skipped one.
    jobs.run_repeating(_broadcast, interval=broadcast_seconds, first=broadcast_seconds,
                       job_kwargs={"max_instances": 2, "coalesce": True})
    jobs.run_repeating(_remind, interval=REMIND_SECONDS, first=30)
    return application


def run(
    settings: Settings, conversation: Conversation, webhook: bool, listen: str = "0.0.0.0"
) -> None:
    """Serve until stopped: long polling with the editors' console on GOVBOT_CONSOLE_HOST:PORT,
    or one web server on `listen`:$PORT for Telegram's webhook and the console."""
    from bot.web.server import serve_bot  # the web stack only when serving

    application = build_application(settings, conversation)
    allowed = Update.ALL_TYPES
    if not webhook:
        asyncio.run(serve_bot(application, conversation, settings, allowed, webhook=False,
                              listen=settings.console_host))
        return
    if not settings.webhook_url:
        raise ValueError("webhook mode needs WEBHOOK_URL (the public https address)")
    if not settings.secret:
        raise ValueError("webhook mode needs GOVBOT_SECRET (it derives the webhook secret token)")
    asyncio.run(serve_bot(
        application, conversation, settings, allowed, webhook=True, listen=listen,
        webhook_path=urlparse(settings.webhook_url).path, secret=webhook_secret(settings)))
