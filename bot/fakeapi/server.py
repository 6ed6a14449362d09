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
import contextlib
import inspect
import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from .faults import FaultInjector, FaultRule, RateLimiter
from .html_entities import check_url, command_entities, utf16_len
from .models import (
    CallbackAnswer,
    ChatMessage,
    FakeChat,
    FakeUser,
    InlineAnswer,
    RequestRecord,
    SentMessage,
    WebhookDelivery,
    dumps,
)
from .validate import (
    CAPTION_LIMIT,
    MESSAGE_LIMIT,
    ApiError,
    Params,
    UploadedFile,
    bad_request,
    format_text,
    validate_commands,
    validate_inline_results,
    validate_reply_markup,
    validate_scope,
)

__all__ = ["FakeBotApi"]

log = logging.getLogger(__name__)

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})

UPDATE_TYPES = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
)
#: What Telegram sends when ``allowed_updates`` was never set (or set to an empty list).
DEFAULT_ALLOWED_UPDATES = frozenset(UPDATE_TYPES) - {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
#: Methods that count against the (optional) flood limits.
RATE_LIMITED = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "editMessageText", "editMessageReplyMarkup"}
)
CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_NGINX_PAGE = (
    "<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{code} {reason}</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]+")
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF")
_MB = 1024 * 1024


@dataclass
class _Described:
    """A successful result that Telegram accompanies with a ``description``."""

    result: Any
    description: str


@dataclass
class _Poll:
    """One waiting ``getUpdates`` request."""

    terminated: bool = False


@dataclass
class _Query:
    """A callback or inline query waiting for the bot's answer."""

    created: float
    payload: dict[str, Any]
    answered: bool = False


@dataclass
class _Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None
    generation: int
    inflight: dict[int, asyncio.Task[None]] = field(default_factory=dict)


class _Signal:
    """A broadcast "something changed" pulse that any number of coroutines can wait on."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def pulse(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float | None) -> None:
        event = self._event
        if timeout is not None and timeout <= 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)


class _Waiters:
    """Futures waiting for a condition on the fake's state, re-checked on every change.

    Why not one event per waiter: benchmarks run hundreds of concurrent simulated users, each
    waiting for its reply; waking every one of them as a task on every request made the fake,
    not the bot, the bottleneck. Checking cheap conditions inline costs microseconds.
    """

    def __init__(self) -> None:
        self._items: list[tuple[Callable[[], Any], asyncio.Future[Any]]] = []

    def add(self, condition: Callable[[], Any]) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._items.append((condition, future))
        return future

    def discard(self, future: asyncio.Future[Any]) -> None:
        self._items = [(c, f) for c, f in self._items if f is not future]

    def notify(self) -> None:
        if not self._items:
            return
        keep = []
        for condition, future in self._items:
            if future.done():
                continue
            try:
                value = condition()
            except Exception as exc:  # a broken predicate must fail its own test
                future.set_exception(exc)
                continue
            if value:
                future.set_result(value)
            else:
                keep.append((condition, future))
        self._items = keep


UserRef = FakeUser | int
ChatRef = FakeChat | int
MessageRef = ChatMessage | SentMessage | dict[str, Any]


class FakeBotApi:
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
            :class:`~bot.fakeapi.faults.RateLimiter`; tune with ``api.rate_limiter.enable``).
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

    # ------------------------------------------------------------------ HTTP plumbing

    async def _not_found(self, request: web.Request) -> web.Response:
        return _json(ApiError(404, "Not Found").body(), 404)

    async def _read_params(self, request: web.Request) -> Params:
        params = Params(values=dict(request.query))
        if request.method not in {"POST", "PUT"} or not request.can_read_body:
            return params
        ctype = request.content_type
        if ctype == "application/json":
            raw = await request.read()
            try:
                body = json.loads(raw.decode("utf-8", "surrogatepass") or "{}")
            except ValueError as exc:
                raise bad_request("can't parse JSON encoded request parameters") from exc
            if not isinstance(body, dict):
                raise bad_request("can't parse JSON encoded request parameters")
            for key, value in body.items():
                if value is None:
                    continue
                params.values[key] = value if isinstance(value, str) else dumps(value)
        elif ctype == "application/x-www-form-urlencoded":
            form = await request.post()
            params.values.update({key: str(value) for key, value in form.items()})
        elif ctype == "multipart/form-data":
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                    continue
                if part.filename is not None:
                    data = await part.read(decode=False)
                    params.files[part.name] = UploadedFile(
                        part.name, part.filename, part.headers.get("Content-Type"), bytes(data)
                    )
                else:
                    params.values[part.name] = await part.text()
        return params

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _json(ApiError(401, "Unauthorized").body(), 401)
        entry = self._methods.get(request.match_info["method"].lower())
        if entry is None:
            return _json(ApiError(404, "Not Found").body(), 404)
        method, handler = entry
        record = RequestRecord(method=method, params={}, status=0, time=time.time())
        self.requests.append(record)
        if method != "getUpdates":
            self._last_activity = time.monotonic()
        try:
            params = await self._read_params(request)
        except ApiError as exc:
            return self._fail(record, exc)
        record.params = params.public()
        record.files = sorted(params.files)

        rule = self.faults.match(method, params.get_str("chat_id"))
        if rule is not None and not rule.after_delivery:
            self.faults.fire(rule, method)
            record.fault = rule.kind
            response = await self._fault_before(request, rule, record)
            if response is not None:
                self._notify()
                return response

        if method in RATE_LIMITED and self.rate_limiter.enabled:
            chat_ref = params.get_str("chat_id") or ""
            chat = self.chats.get(int(chat_ref)) if re.fullmatch(r"-?\d+", chat_ref) else None
            wait = self.rate_limiter.check(
                chat_ref, is_group=chat is not None and chat.type != "private"
            )
            if wait:
                return self._fail(
                    record,
                    ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait}),
                )

        sent_before = len(self.sent)
        try:
            result = handler(params)
            if inspect.isawaitable(result):
                result = await result
        except ApiError as exc:
            return self._fail(record, exc)
        except Exception as exc:
            # Malformed input the validators did not foresee: answer like Telegram would
            # (a 400), but keep a trace so a test can tell a fake bug from a bot bug.
            log.exception("fake Bot API failed on %s", method)
            self.internal_errors.append(f"{method}: {type(exc).__name__}: {exc}")
            return self._fail(record, bad_request(f"invalid request parameters ({exc})"))
        body: dict[str, Any] = {"ok": True, "result": result}
        if isinstance(result, _Described):
            body = {"ok": True, "result": result.result, "description": result.description}
        record.status = 200
        self._notify()

        if rule is not None and rule.after_delivery:
            self.faults.fire(rule, method)
            record.fault = rule.kind
            for item in self.sent[sent_before:]:
                item.client_saw_error = True
            if rule.kind == "drop_after_delivery":
                record.status = "dropped"
                return _drop(request)
            record.status = "hung"
            await self._sleep(rule.delay if rule.delay is not None else self.hang_seconds)
        return _json(body, 200)

    def _fail(self, record: RequestRecord, exc: ApiError) -> web.Response:
        record.status = exc.status
        record.description = exc.description
        self._notify()
        return _json(exc.body(), exc.status)

    async def _fault_before(
        self, request: web.Request, rule: FaultRule, record: RequestRecord
    ) -> web.StreamResponse | None:
        """Answer with the injected fault, or return None to go on (``slow``)."""
        kind = rule.kind
        if kind == "429":
            exc = ApiError(
                429,
                f"Too Many Requests: retry after {rule.retry_after}",
                {"retry_after": rule.retry_after},
            )
            return self._fail(record, exc)
        if kind == "500":
            return self._fail(record, ApiError(500, "Internal Server Error"))
        if kind in {"502", "504"}:
            record.status = int(kind)
            return _nginx(int(kind))
        if kind == "drop":
            record.status = "dropped"
            return _drop(request)
        if kind == "hang":
            record.status = "hung"
            await self._sleep(rule.delay if rule.delay is not None else self.hang_seconds)
            return _nginx(504)
        # slow
        await self._sleep(rule.delay if rule.delay is not None else self.slow_seconds)
        return None

    def _notify(self) -> None:
        """Something changed: wake long polls and the webhook loop, re-check test waiters."""
        self._changed.pulse()
        self._waiters.notify()

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake early when the server stops (so tests never wait for a hang)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    # ------------------------------------------------------------------ chats and messages

    def _user(self, ref: UserRef) -> FakeUser:
        if isinstance(ref, FakeUser):
            return ref
        try:
            return self.users[int(ref)]
        except KeyError:
            raise LookupError(f"no user {ref}; create it with await api.user(...)") from None

    def _chat(self, ref: ChatRef) -> FakeChat:
        if isinstance(ref, FakeChat):
            return ref
        try:
            return self.chats[int(ref)]
        except KeyError:
            raise LookupError(f"no chat {ref}") from None

    def _private(self, user: FakeUser) -> FakeChat:
        chat = self.chats.get(user.id)
        if chat is None:
            chat = FakeChat(id=user.id, type="private", user=user, members={user.id})
            self.chats[user.id] = chat
        return chat

    def _new_message_id(self, chat: FakeChat) -> int:
        self._message_seq[chat.id] = self._message_seq.get(chat.id, 0) + 1
        return self._message_seq[chat.id]

    def _store(self, message: ChatMessage) -> ChatMessage:
        self._messages.setdefault(message.chat.id, {})[message.message_id] = message
        return message

    def _resolve_chat(self, params: Params, *, required: bool = True) -> FakeChat | None:
        raw = params.get_str("chat_id")
        if raw is None:
            if required:
                raise bad_request("chat_id is empty")
            return None
        chat: FakeChat | None = None
        if raw.startswith("@"):
            name = raw[1:].lower()
            chat = next(
                (
                    c
                    for c in self.chats.values()
                    if c.type != "private" and (c.username or "").lower() == name
                ),
                None,
            )
        elif re.fullmatch(r"-?\d{1,19}", raw):
            chat = self.chats.get(int(raw))
        if chat is None:
            raise bad_request("chat not found")
        if chat.type == "private" and chat.id not in self._known_users:
            # The bot has never seen this user: Telegram cannot resolve the id for it.
            raise bad_request("chat not found")
        return chat

    def _check_can_send(self, chat: FakeChat) -> None:
        if chat.type == "private":
            if chat.bot_status == "kicked":
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if not chat.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
            return
        noun = "supergroup chat" if chat.type == "supergroup" else "group chat"
        if chat.bot_status == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {noun}")
        if chat.bot_status == "left":
            raise ApiError(403, f"Forbidden: bot is not a member of the {noun}")

    def _reply_target(self, chat: FakeChat, params: Params) -> ChatMessage | None:
        reply = params.get_json("reply_parameters", "can't parse ReplyParameters JSON object")
        if reply is not None:
            if not isinstance(reply, dict) or "message_id" not in reply:
                raise bad_request('can\'t find field "message_id"')
            target_id, allow = reply["message_id"], bool(reply.get("allow_sending_without_reply"))
            if not isinstance(target_id, int):
                raise bad_request('field "message_id" must be of type Integer')
        else:
            target_id = params.get_int("reply_to_message_id")
            allow = params.get_bool("allow_sending_without_reply")
        if target_id is None:
            return None
        target = self._messages.get(chat.id, {}).get(int(target_id))
        if target is None or target.deleted:
            if allow:
                return None
            raise bad_request("message to be replied not found")
        return target

    def _record_sent(self, method: str, message: ChatMessage, params: Params) -> SentMessage:
        item = SentMessage(
            seq=len(self.sent),
            method=method,
            chat_id=message.chat.id,
            message_id=message.message_id,
            text=message.text,
            html=params.get_str("text") if message.kind == "text" else params.get_str("caption"),
            parse_mode=params.get_str("parse_mode"),
            entities=list(message.entities),
            reply_markup=message.reply_markup,
            date=message.edit_date or message.date,
            params=params.public(),
        )
        self.sent.append(item)
        return item

    def _formatted(self, params: Params, name: str) -> tuple[str, list[dict[str, Any]]]:
        raw = params.get_str(name, "") or ""
        entities_field = "entities" if name == "text" else "caption_entities"
        shown = format_text(
            raw,
            params.get_str("parse_mode"),
            params.get_json(entities_field, "can't parse entities JSON object"),
            strict_html=self.strict_html,
        )
        self.warnings.extend(shown.warnings)
        return shown.text, shown.entities

    def _message_text(self, params: Params) -> tuple[str, list[dict[str, Any]]]:
        if not params.has("text"):
            raise bad_request("message text is empty")
        text, entities = self._formatted(params, "text")
        if text == "":
            raise bad_request("text must be non-empty")
        if utf16_len(text) > MESSAGE_LIMIT:
            raise bad_request("message is too long")
        return text, entities

    def _check_link_preview(self, params: Params) -> None:
        options = params.get_json(
            "link_preview_options", "can't parse LinkPreviewOptions JSON object"
        )
        if options is None:
            return
        if not isinstance(options, dict):
            raise bad_request("can't parse LinkPreviewOptions JSON object")
        for name in ("is_disabled", "prefer_small_media", "prefer_large_media", "show_above_text"):
            if name in options and not isinstance(options[name], bool):
                raise bad_request(f'field "{name}" must be of type Boolean')

    # ------------------------------------------------------------------ Bot API methods

    def _api_getMe(self, params: Params) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": self.inline_mode,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _api_close(self, params: Params) -> bool:
        return True

    def _api_logOut(self, params: Params) -> bool:
        return True

    def _api_sendMessage(self, params: Params) -> dict[str, Any]:
        if not params.has("chat_id"):
            raise bad_request("chat_id is empty")
        if not params.has("text"):
            raise bad_request("message text is empty")
        chat = self._resolve_chat(params)
        assert chat is not None
        if params.has("message_thread_id"):
            raise bad_request("message thread not found")
        text, entities = self._message_text(params)
        markup = validate_reply_markup(params)
        self._check_link_preview(params)
        reply_to = self._reply_target(chat, params)
        self._check_can_send(chat)
        message = self._store(
            ChatMessage(
                chat=chat,
                message_id=self._new_message_id(chat),
                date=int(time.time()),
                from_bot=True,
                text=text,
                html=params.get_str("text"),
                entities=entities,
                reply_markup=markup,
                reply_to=reply_to,
            )
        )
        self._record_sent("sendMessage", message, params)
        return message.to_api(self.bot_user)

    def _input_file(self, params: Params, name: str, kind: str) -> tuple[str, dict[str, Any]]:
        upload = params.files.get(name)
        value = params.get_str(name)
        if upload is None and value and value.startswith("attach://"):
            upload = params.files.get(value[len("attach://") :])
            if upload is None:
                raise bad_request(f"file {value} not found in the request")
        if upload is not None:
            limit = 10 * _MB if kind == "photo" else 50 * _MB
            if len(upload.data) > limit:
                raise ApiError(413, "Request Entity Too Large")
            if len(upload.data) == 0:
                raise bad_request("file must be non-empty")
            if kind == "photo" and not upload.data.startswith(_IMAGE_MAGIC):
                raise bad_request("IMAGE_PROCESS_FAILED")
            file_id = self._new_file(kind)
            info = {"file_name": upload.filename, "mime_type": upload.content_type}
            return file_id, {k: v for k, v in info.items() if v} | {"file_size": len(upload.data)}
        if value is None:
            raise bad_request(f"there is no {kind} in the request")
        if value in self._files:
            if self._files[value] != kind:
                raise bad_request(
                    f"can't use file of type {self._files[value].capitalize()} as "
                    f"{kind.capitalize()}"
                )
            return value, {}
        if value.lower().startswith(("http://", "https://")) and check_url(value) is None:
            return self._new_file(kind), {}
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _new_file(self, kind: str) -> str:
        file_id = f"{kind[:2].upper()}ACAgQAAx{self._random.getrandbits(96):024x}"
        self._files[file_id] = kind
        return file_id

    def _send_media(self, params: Params, kind: str) -> dict[str, Any]:
        chat = self._resolve_chat(params)
        assert chat is not None
        file_id, info = self._input_file(params, kind, kind)
        caption, entities = ("", [])
        if params.has("caption"):
            caption, entities = self._formatted(params, "caption")
            if utf16_len(caption) > CAPTION_LIMIT:
                raise bad_request("message caption is too long")
        markup = validate_reply_markup(params)
        reply_to = self._reply_target(chat, params)
        self._check_can_send(chat)
        unique = file_id[-12:]
        if kind == "photo":
            extra: dict[str, Any] = {
                "photo": [
                    {
                        "file_id": file_id,
                        "file_unique_id": unique + "s",
                        "width": 90,
                        "height": 90,
                        "file_size": 1024,
                    },
                    {
                        "file_id": file_id,
                        "file_unique_id": unique,
                        "width": 800,
                        "height": 600,
                        "file_size": info.get("file_size", 65536),
                    },
                ]
            }
        else:
            extra = {"document": {"file_id": file_id, "file_unique_id": unique, **info}}
        message = self._store(
            ChatMessage(
                chat=chat,
                message_id=self._new_message_id(chat),
                date=int(time.time()),
                from_bot=True,
                text=caption or None,
                html=params.get_str("caption"),
                entities=entities,
                reply_markup=markup,
                kind=kind,
                extra=extra,
                reply_to=reply_to,
            )
        )
        self._record_sent("sendPhoto" if kind == "photo" else "sendDocument", message, params)
        return message.to_api(self.bot_user)

    def _api_sendPhoto(self, params: Params) -> dict[str, Any]:
        return self._send_media(params, "photo")

    def _api_sendDocument(self, params: Params) -> dict[str, Any]:
        return self._send_media(params, "document")

    def _editable(self, params: Params, verb: str) -> ChatMessage:
        if params.has("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self._resolve_chat(params)
        assert chat is not None
        message_id = params.get_int("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = self._messages.get(chat.id, {}).get(message_id)
        if message is None or message.deleted:
            raise bad_request(f"message to {verb} not found")
        return message

    def _api_editMessageText(self, params: Params) -> dict[str, Any]:
        if not params.has("inline_message_id") and not params.has("chat_id"):
            raise bad_request("chat_id is empty")
        message = self._editable(params, "edit")
        text, entities = self._message_text(params)
        markup = validate_reply_markup(params, inline_only=True)
        self._check_link_preview(params)
        if not message.from_bot:
            raise bad_request("message can't be edited")
        if message.kind != "text":
            raise bad_request("there is no text in the message to edit")
        self._check_can_send(message.chat)
        if (message.text, message.entities, message.reply_markup) == (text, entities, markup):
            raise bad_request(NOT_MODIFIED)
        message.text, message.entities, message.reply_markup = text, entities, markup
        message.html = params.get_str("text")
        message.edit_date = int(time.time())
        self._record_sent("editMessageText", message, params)
        return message.to_api(self.bot_user)

    def _api_editMessageReplyMarkup(self, params: Params) -> dict[str, Any]:
        if not params.has("inline_message_id") and not params.has("chat_id"):
            raise bad_request("chat_id is empty")
        message = self._editable(params, "edit")
        markup = validate_reply_markup(params, inline_only=True)
        if not message.from_bot:
            raise bad_request("message can't be edited")
        self._check_can_send(message.chat)
        if message.reply_markup == markup:
            raise bad_request(NOT_MODIFIED)
        message.reply_markup = markup
        message.edit_date = int(time.time())
        item = self._record_sent("editMessageReplyMarkup", message, params)
        item.html = message.html
        return message.to_api(self.bot_user)

    def _api_deleteMessage(self, params: Params) -> bool:
        message = self._editable(params, "delete")
        if (
            message.chat.type != "private"
            and not message.from_bot
            and (message.chat.bot_status != "administrator")
        ):
            raise bad_request("message can't be deleted")
        message.deleted = True
        self.deletions.append((message.chat.id, message.message_id))
        return True

    def _take_query(self, table: dict[str, _Query], query_id: str | None) -> _Query:
        query = table.get(query_id or "")
        if query is None or query.answered or time.monotonic() - query.created > self.query_ttl:
            raise bad_request(QUERY_TOO_OLD)
        return query

    def _api_answerCallbackQuery(self, params: Params) -> bool:
        query = self._take_query(self._callback_queries, params.get_str("callback_query_id"))
        text = params.get_str("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        url = params.get_str("url")
        if url is not None and not url.startswith(("https://t.me/", "t.me/", "tg://")):
            raise bad_request("URL_INVALID")
        query.answered = True
        self.callback_answers.append(
            CallbackAnswer(
                callback_query_id=query.payload["id"],
                text=text,
                show_alert=params.get_bool("show_alert"),
                url=url,
                cache_time=params.get_int("cache_time", 0) or 0,
                query=query.payload,
            )
        )
        return True

    def _api_answerInlineQuery(self, params: Params) -> bool:
        query = self._take_query(self._inline_queries, params.get_str("inline_query_id"))
        if not params.has("results"):
            raise bad_request('parameter "results" is required')
        results = validate_inline_results(
            params.get_json("results", "can't parse inline query results JSON object"),
            strict_html=self.strict_html,
        )
        next_offset = params.get_str("next_offset", "") or ""
        if len(next_offset.encode()) > 64:
            raise bad_request("NEXT_OFFSET_INVALID")
        button = params.get_json("button", "can't parse InlineQueryResultsButton JSON object")
        if button is not None:
            if not isinstance(button, dict) or not button.get("text"):
                raise bad_request("can't parse InlineQueryResultsButton: Can't find field \"text\"")
            start = button.get("start_parameter")
            if start is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", str(start)):
                raise bad_request("START_PARAM_INVALID")
        texts = [result.pop("_text", None) for result in results]
        for result in results:
            result.pop("_entities", None)
        query.answered = True
        self.inline_answers.append(
            InlineAnswer(
                inline_query_id=query.payload["id"],
                results=results,
                cache_time=params.get_int("cache_time", 300) or 0,
                is_personal=params.get_bool("is_personal"),
                next_offset=next_offset,
                button=button,
                query=query.payload,
                texts=texts,
            )
        )
        return True

    def _command_key(self, params: Params) -> tuple[str, str]:
        scope = validate_scope(params.get_json("scope", "can't parse BotCommandScope JSON object"))
        if "chat_id" in scope:
            probe = Params(values={"chat_id": str(scope["chat_id"])})
            chat = self._resolve_chat(probe)
            assert chat is not None
            scope["chat_id"] = chat.id
        language = params.get_str("language_code", "") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise bad_request("invalid language code specified")
        return dumps(dict(sorted(scope.items()))), language

    def _api_setMyCommands(self, params: Params) -> bool:
        if "commands" not in params.values:
            raise bad_request('parameter "commands" is required')
        commands = validate_commands(
            params.get_json("commands", "can't parse commands JSON object") or []
        )
        key = self._command_key(params)
        if commands:
            self.commands[key] = commands
        else:
            self.commands.pop(key, None)
        return True

    def _api_getMyCommands(self, params: Params) -> list[dict[str, str]]:
        return list(self.commands.get(self._command_key(params), []))

    def _api_deleteMyCommands(self, params: Params) -> bool:
        self.commands.pop(self._command_key(params), None)
        return True

    def commands_for(
        self,
        scope: str | dict[str, Any] = "default",
        language_code: str = "",
        *,
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> list[dict[str, str]]:
        """The command list set for a scope and language (``[]`` when none was set)."""
        data: dict[str, Any] = dict(scope) if isinstance(scope, dict) else {"type": scope}
        if chat_id is not None:
            data["chat_id"] = chat_id
        if user_id is not None:
            data["user_id"] = user_id
        return list(self.commands.get((dumps(dict(sorted(data.items()))), language_code), []))

    def _api_setChatMenuButton(self, params: Params) -> bool:
        chat = self._resolve_chat(params, required=False)
        button = params.get_json("menu_button", "can't parse MenuButton JSON object")
        if button is None:
            button = {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in {
            "commands",
            "web_app",
            "default",
        }:
            raise bad_request("can't parse MenuButton: Unsupported type specified")
        if button["type"] == "web_app":
            url = (button.get("web_app") or {}).get("url")
            if not button.get("text") or not isinstance(url, str) or not url.startswith("https://"):
                raise bad_request("can't parse MenuButton: Web App URL must be HTTPS")
        self.menu_buttons[chat.id if chat else None] = button
        return True

    def _api_getChatMenuButton(self, params: Params) -> dict[str, Any]:
        chat = self._resolve_chat(params, required=False)
        key = chat.id if chat else None
        return self.menu_buttons.get(key, self.menu_buttons.get(None, {"type": "default"}))

    def _api_sendChatAction(self, params: Params) -> bool:
        chat = self._resolve_chat(params)
        assert chat is not None
        action = params.get_str("action")
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self._check_can_send(chat)
        self.chat_actions.append((chat.id, action))
        return True

    def _api_getChat(self, params: Params) -> dict[str, Any]:
        chat = self._resolve_chat(params)
        assert chat is not None
        return {**chat.to_api(), "accent_color_id": 0, "max_reaction_count": 11}

    # ------------------------------------------------------------------ updates: polling

    def _set_allowed(self, allowed: Any) -> None:
        """Remember ``allowed_updates``; like Telegram, it persists until set again."""
        if not isinstance(allowed, list):
            raise bad_request("can't parse allowed_updates JSON object")
        known = [kind for kind in allowed if kind in UPDATE_TYPES]
        self._explicit_allowed = known or None
        self._allowed_updates = frozenset(known) if known else DEFAULT_ALLOWED_UPDATES

    def _confirm(self, offset: int) -> None:
        """Forget updates below ``offset`` (or all but the last ``-offset``): confirmed."""
        if offset < 0:
            self._pending = self._pending[offset:]
        else:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        self._notify()

    async def _api_getUpdates(self, params: Params) -> list[dict[str, Any]]:
        """Long polling: answer at once if updates wait, else hold up to ``timeout`` seconds.

        A newer ``getUpdates`` terminates a waiting one with 409, which is how Telegram tells
        a bot that a second instance is polling with the same token.
        """
        if self._webhook is not None:
            raise ApiError(409, CONFLICT_WEBHOOK)
        offset = params.get_int("offset")
        limit = min(max(params.get_int("limit", 100) or 100, 1), 100)
        timeout = max(params.get_int("timeout", 0) or 0, 0)
        allowed = params.get_json("allowed_updates", "can't parse allowed_updates JSON object")
        if allowed is not None:
            self._set_allowed(allowed)
        if offset is not None:
            self._confirm(offset)
        if self._poll is not None:
            self._poll.terminated = True
        poll = _Poll()
        self._poll = poll
        self._notify()
        deadline = time.monotonic() + timeout
        try:
            while True:
                if poll.terminated:
                    raise ApiError(409, CONFLICT_POLL)
                if self._webhook is not None:
                    raise ApiError(409, CONFLICT_WEBHOOK)
                if self._pending or self._closing.is_set():
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                await self._changed.wait(remaining)
            return list(self._pending[:limit])
        finally:
            if self._poll is poll:
                self._poll = None

    # ------------------------------------------------------------------ updates: webhook

    def _api_getWebhookInfo(self, params: Params) -> dict[str, Any]:
        return self.webhook_info()

    def webhook_info(self) -> dict[str, Any]:
        """What ``getWebhookInfo`` answers right now."""
        info: dict[str, Any] = {
            "url": self._webhook.url if self._webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self._webhook is not None:
            info["max_connections"] = self._webhook.max_connections
            info["ip_address"] = "127.0.0.1"
            if self._webhook.allowed_updates:
                info["allowed_updates"] = self._webhook.allowed_updates
        if self._webhook_error is not None:
            info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

    def _api_setWebhook(self, params: Params) -> _Described:
        url = params.get_str("url", "") or ""
        if url == "":
            return self._delete_webhook(params)
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"}:
            raise bad_request("bad webhook: Unsupported URL protocol")
        if self.require_https_webhook and parts.scheme != "https":
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if (parts.hostname or "") not in LOOPBACK_HOSTS:
            raise bad_request(
                "bad webhook: Failed to resolve host: Name or service not known "
                "(this fake server only delivers to loopback addresses)"
            )
        if params.has("certificate"):
            raise bad_request("bad webhook: custom certificates are not supported by the fake")
        secret = params.get_str("secret_token")
        if secret is not None:
            if len(secret) > 256:
                raise bad_request("secret token is too long")
            if not _SECRET_RE.fullmatch(secret):
                raise bad_request("secret token contains unallowed characters")
        max_connections = min(max(params.get_int("max_connections", 40) or 40, 1), 100)
        allowed = params.get_json("allowed_updates", "can't parse allowed_updates JSON object")
        if allowed is not None:
            self._set_allowed(allowed)
        if params.get_bool("drop_pending_updates"):
            self._pending.clear()
        current = self._webhook
        if current is not None and (current.url, current.secret_token, current.max_connections) == (
            url,
            secret,
            max_connections,
        ):
            return _Described(True, "Webhook is already set")
        self._webhook_generation += 1
        self._webhook = _Webhook(
            url=url,
            secret_token=secret,
            max_connections=max_connections,
            allowed_updates=self._explicit_allowed,
            generation=self._webhook_generation,
        )
        self._webhook_error = None
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.get_running_loop().create_task(self._webhook_loop())
        self._notify()
        return _Described(True, "Webhook was set")

    def _api_deleteWebhook(self, params: Params) -> _Described:
        return self._delete_webhook(params)

    def _delete_webhook(self, params: Params) -> _Described:
        if params.get_bool("drop_pending_updates"):
            self._pending.clear()
        if self._webhook is None:
            return _Described(True, "Webhook is already deleted")
        self._webhook = None
        self._webhook_error = None
        self._notify()
        return _Described(True, "Webhook was deleted")

    async def _stop_webhook_delivery(self) -> None:
        hook, self._webhook = self._webhook, None
        tasks: list[asyncio.Task[None]] = list(hook.inflight.values()) if hook else []
        if self._webhook_task is not None:
            tasks.append(self._webhook_task)
            self._webhook_task = None
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    @staticmethod
    def _order_key(update: dict[str, Any]) -> Any:
        """Updates sharing a key are delivered one at a time, in order (as Telegram does)."""
        for kind, body in update.items():
            if kind == "update_id" or not isinstance(body, dict):
                continue
            if "chat" in body:
                return ("chat", body["chat"]["id"])
            if isinstance(body.get("message"), dict):
                return ("chat", body["message"]["chat"]["id"])
            if "from" in body:
                return ("user", body["from"]["id"])
        return ("update", update["update_id"])

    async def _webhook_loop(self) -> None:
        while not self._closing.is_set():
            hook = self._webhook
            if hook is None:
                await self._changed.wait(0.5)
                if self._webhook is None:
                    return
                continue
            # Walk the queue in order; the first update of each chat/user "claims" it, so a
            # later update of the same chat waits until the earlier one was acknowledged.
            claimed: set[Any] = set()
            for update in list(self._pending):
                if len(hook.inflight) >= hook.max_connections:
                    break
                update_id = update["update_id"]
                key = self._order_key(update)
                if key in claimed:
                    continue
                claimed.add(key)
                if update_id not in hook.inflight:
                    hook.inflight[update_id] = asyncio.get_running_loop().create_task(
                        self._deliver(hook, update)
                    )
            await self._changed.wait(0.5)

    async def _deliver(self, hook: _Webhook, update: dict[str, Any]) -> None:
        update_id = update["update_id"]
        delay = self.webhook_retry_base
        attempt = 0
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        try:
            while self._webhook is hook and not self._closing.is_set():
                if not any(u is update for u in self._pending):
                    return
                attempt += 1
                status: int | None = None
                error: str | None = None
                reply: bytes = b""
                reply_type = ""
                assert self._session is not None
                try:
                    async with self._session.post(
                        hook.url,
                        data=dumps(update).encode(),
                        headers=headers,
                        timeout=aiohttp.ClientTimeout(total=self.webhook_timeout),
                        allow_redirects=False,
                    ) as response:
                        status = response.status
                        reply = await response.read()
                        reply_type = response.content_type
                        if not 200 <= status < 300:
                            error = f"Wrong response from the webhook: {status} {response.reason}"
                except TimeoutError:
                    error = "Read timeout expired"
                except aiohttp.ClientConnectorError:
                    error = "Connection refused"
                except aiohttp.ClientError as exc:
                    error = f"Connection error: {type(exc).__name__}"
                self.webhook_deliveries.append(
                    WebhookDelivery(
                        update_id=update_id,
                        attempt=attempt,
                        status=status,
                        error=error,
                        secret_header=hook.secret_token,
                        time=time.time(),
                    )
                )
                if error is None:
                    if update in self._pending:
                        self._pending.remove(update)
                    self._notify()
                    if reply and reply_type == "application/json":
                        self._webhook_reply_method(reply)
                    return
                self._webhook_error = (int(time.time()), error)
                self._notify()
                if attempt >= self.webhook_max_attempts:
                    if update in self._pending:
                        self._pending.remove(update)
                    self.dropped_updates.append(update)
                    self.warnings.append(f"update {update_id} given up after {attempt} attempts")
                    return
                await self._sleep(delay)
                delay = min(delay * 2, self.webhook_retry_max)
        finally:
            hook.inflight.pop(update_id, None)
            self._notify()

    def _webhook_reply_method(self, reply: bytes) -> None:
        """Execute a method the bot put in its webhook response, as Telegram allows."""
        try:
            body = json.loads(reply)
        except ValueError:
            return
        if not isinstance(body, dict) or "method" not in body:
            return
        entry = self._methods.get(str(body["method"]).lower())
        if entry is None or entry[0] == "getUpdates":
            return
        values = {
            k: v if isinstance(v, str) else dumps(v)
            for k, v in body.items()
            if k != "method" and v is not None
        }
        record = RequestRecord(entry[0], dict(body), 0, fault="webhook-reply", time=time.time())
        self.requests.append(record)
        try:
            entry[1](Params(values=values))
            record.status = 200
        except ApiError as exc:
            record.status, record.description = exc.status, exc.description

    # ------------------------------------------------------------------ the Telegram side

    def _emit(self, kind: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """Create an update; it waits in the queue until confirmed or delivered."""
        if kind not in self._allowed_updates:
            # Telegram does not create updates of types the bot did not ask for.
            self.filtered_updates.append({kind: body})
            return None
        update = {"update_id": self._next_update_id, kind: body}
        self._next_update_id += 1
        self.updates.append(update)
        self._pending.append(update)
        self._notify()
        return update

    async def user(
        self,
        id: int,
        first_name: str,
        language_code: str | None = "km",
        username: str | None = None,
        *,
        last_name: str | None = None,
        started: bool = False,
    ) -> FakeUser:
        """Create (or replace) a Telegram user. The bot does not know them until they write.

        ``started=True``: as if the user had written to the bot before (the bot may message
        them), without creating an update — for setting up thousands of known users at once.
        """
        user = FakeUser(
            id=id,
            first_name=first_name,
            language_code=language_code,
            username=username,
            last_name=last_name,
        )
        self.users[id] = user
        chat = self.chats.get(id)
        if chat is not None:
            chat.user = user
        if started:
            self._private(user).started = True
            self._known_users.add(id)
        return user

    async def private_chat(self, user: UserRef) -> FakeChat:
        """The private chat between ``user`` and the bot (not "started" until the user writes)."""
        return self._private(self._user(user))

    async def group(
        self,
        id: int,
        title: str,
        members: Iterable[UserRef] = (),
        *,
        type: str = "group",
        username: str | None = None,
        bot_status: str = "member",
    ) -> FakeChat:
        """Create a group (or supergroup, ``type="supergroup"``) with the bot in it."""
        if id >= 0:
            raise ValueError("group chat ids are negative")
        if type not in {"group", "supergroup"}:
            raise ValueError("type must be 'group' or 'supergroup'")
        chat = FakeChat(
            id=id,
            type=type,
            title=title,
            username=username,
            members={self._user(m).id for m in members},
            bot_status=bot_status,
        )
        self.chats[id] = chat
        return chat

    def _bot_sees(self, chat: FakeChat, message: ChatMessage) -> bool:
        if chat.type == "private":
            return True
        if chat.bot_status in {"left", "kicked"}:
            return False
        if not self.privacy_mode or chat.bot_status == "administrator":
            return True
        if message.reply_to is not None and message.reply_to.from_bot:
            return True
        text = message.text or ""
        me = self.bot_username.lower()
        for entity in message.entities:
            piece = _utf16_slice(text, entity["offset"], entity["length"])
            if entity["type"] == "bot_command":
                target = piece.partition("@")[2].lower()
                if target in {"", me}:
                    return True
            if entity["type"] == "mention" and piece[1:].lower() == me:
                return True
        return False

    async def _incoming(
        self,
        user: UserRef,
        chat: ChatRef | None,
        *,
        kind: str = "text",
        text: str | None = None,
        entities: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
        reply_to: MessageRef | None = None,
    ) -> ChatMessage:
        sender = self._user(user)
        where = self._chat(chat) if chat is not None else self._private(sender)
        if where.type == "private":
            if where.id != sender.id:
                raise ValueError("a private chat belongs to one user")
            if where.blocked:
                raise RuntimeError(f"user {sender.id} blocked the bot; call api.unblock() first")
            where.started = True
        else:
            where.members.add(sender.id)
        if entities is None:
            entities = command_entities(text or "")
        message = self._store(
            ChatMessage(
                chat=where,
                message_id=self._new_message_id(where),
                date=int(time.time()),
                from_bot=False,
                user=sender,
                text=text,
                entities=entities,
                kind=kind,
                extra=extra or {},
                reply_to=self._find(reply_to) if reply_to is not None else None,
            )
        )
        if self._bot_sees(where, message):
            self._known_users.add(sender.id)
            update = self._emit("message", message.to_api(self.bot_user))
            message.update_id = update["update_id"] if update else None
        await asyncio.sleep(0)
        return message

    async def send_text(
        self,
        user: UserRef,
        text: str,
        chat: ChatRef | None = None,
        *,
        entities: list[dict[str, Any]] | None = None,
        reply_to: MessageRef | None = None,
    ) -> ChatMessage:
        """The user writes ``text`` (in their private chat unless ``chat`` is given).

        Entities for ``/commands``, ``@mentions``, URLs and hashtags are computed like Telegram
        clients do, unless given. Returns the stored message; its ``update_id`` is ``None``
        when the bot cannot see it (privacy mode in groups).
        """
        return await self._incoming(user, chat, text=text, entities=entities, reply_to=reply_to)

    async def send_command(
        self,
        user: UserRef,
        command: str,
        args: str = "",
        chat: ChatRef | None = None,
        *,
        mention: bool = False,
    ) -> ChatMessage:
        """The user sends ``/command args`` (``/command@bot`` with ``mention=True``)."""
        name = command.lstrip("/")
        text = f"/{name}@{self.bot_username}" if mention else f"/{name}"
        if args:
            text = f"{text} {args}"
        return await self.send_text(user, text, chat)

    async def send_sticker(
        self, user: UserRef, chat: ChatRef | None = None, *, emoji: str = "👍"
    ) -> ChatMessage:
        """The user sends a sticker."""
        file_id = self._new_file("sticker")
        sticker = {
            "file_id": file_id,
            "file_unique_id": file_id[-12:],
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "set_name": "FakeStickers",
        }
        return await self._incoming(user, chat, kind="sticker", extra={"sticker": sticker})

    async def send_photo(
        self, user: UserRef, chat: ChatRef | None = None, *, caption: str | None = None
    ) -> ChatMessage:
        """The user sends a photo, optionally with a caption."""
        file_id = self._new_file("photo")
        photo = [
            {
                "file_id": file_id,
                "file_unique_id": file_id[-12:] + "s",
                "width": 90,
                "height": 67,
                "file_size": 1500,
            },
            {
                "file_id": file_id,
                "file_unique_id": file_id[-12:],
                "width": 1280,
                "height": 960,
                "file_size": 120_000,
            },
        ]
        return await self._incoming(
            user,
            chat,
            kind="photo",
            text=caption,
            entities=command_entities(caption or ""),
            extra={"photo": photo},
        )

    async def send_voice(
        self, user: UserRef, chat: ChatRef | None = None, *, duration: int = 3
    ) -> ChatMessage:
        """The user sends a voice note."""
        file_id = self._new_file("voice")
        voice = {
            "file_id": file_id,
            "file_unique_id": file_id[-12:],
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": 4000 * duration,
        }
        return await self._incoming(user, chat, kind="voice", extra={"voice": voice})

    async def send_location(
        self,
        user: UserRef,
        latitude: float = 11.5564,
        longitude: float = 104.9282,
        chat: ChatRef | None = None,
    ) -> ChatMessage:
        """The user shares a location (Phnom Penh by default)."""
        location = {"latitude": latitude, "longitude": longitude}
        return await self._incoming(user, chat, kind="location", extra={"location": location})

    async def edit_text(self, user: UserRef, message: MessageRef, text: str) -> ChatMessage:
        """The user edits one of their text messages (an ``edited_message`` update)."""
        stored = self._find(message)
        sender = self._user(user)
        if stored.from_bot or stored.user is None or stored.user.id != sender.id:
            raise ValueError("users can only edit their own messages")
        stored.text = text
        stored.entities = command_entities(text)
        stored.edit_date = int(time.time())
        if self._bot_sees(stored.chat, stored):
            self._emit("edited_message", stored.to_api(self.bot_user))
        await asyncio.sleep(0)
        return stored

    def _find(self, ref: MessageRef) -> ChatMessage:
        if isinstance(ref, ChatMessage):
            return ref
        if isinstance(ref, SentMessage):
            chat_id, message_id = ref.chat_id, ref.message_id
        else:
            chat_id, message_id = ref["chat"]["id"], ref["message_id"]
        try:
            return self._messages[chat_id][message_id]
        except KeyError:
            raise LookupError(f"no message {message_id} in chat {chat_id}") from None

    async def press_button(
        self,
        user: UserRef,
        message: MessageRef,
        callback_data: str | None = None,
        *,
        text: str | None = None,
        forge: bool = False,
    ) -> str:
        """The user taps an inline button; returns the callback query id.

        Pick the button by ``callback_data`` or by its label (``text=``). The button must be on
        the message *as it is now* (after edits), as on a real phone; ``forge=True`` skips that
        check, to test how the bot treats crafted or stale callback data.
        """
        stored = self._find(message)
        presser = self._user(user)
        if stored.deleted and not forge:
            raise LookupError("the message was deleted; its buttons are gone")
        buttons = stored.buttons
        if callback_data is None:
            if text is None:
                raise ValueError("give callback_data or text")
            match = [b for b in buttons if b.get("text") == text and "callback_data" in b]
            if not match:
                labels = [b.get("text") for b in buttons]
                raise LookupError(f"no callback button labelled {text!r}; buttons: {labels}")
            callback_data = str(match[0]["callback_data"])
        if not forge and not any(b.get("callback_data") == callback_data for b in buttons):
            offered = [b.get("callback_data") for b in buttons if "callback_data" in b]
            raise LookupError(
                f"message {stored.message_id} has no button with callback_data "
                f"{callback_data!r}; it offers {offered} (use forge=True to send it anyway)"
            )
        if stored.chat.type == "private" and stored.chat.id != presser.id:
            raise ValueError("only the chat's user can press buttons in a private chat")
        query_id = str(self._random.getrandbits(63))
        payload = {
            "id": query_id,
            "from": presser.to_api(),
            "message": stored.to_api(self.bot_user),
            "chat_instance": str(abs(hash((stored.chat.id, self.bot_id))) % 10**18),
            "data": callback_data,
        }
        self._callback_queries[query_id] = _Query(time.monotonic(), payload)
        self._known_users.add(presser.id)
        self._emit("callback_query", payload)
        await asyncio.sleep(0)
        return query_id

    async def inline_query(
        self, user: UserRef, query: str, *, offset: str = "", chat_type: str = "sender"
    ) -> str:
        """The user types ``@bot query`` in some chat; returns the inline query id."""
        if not self.inline_mode:
            raise RuntimeError("inline mode is off for this bot")
        sender = self._user(user)
        query_id = str(self._random.getrandbits(63))
        payload = {
            "id": query_id,
            "from": sender.to_api(),
            "query": query,
            "offset": offset,
            "chat_type": chat_type,
        }
        self._inline_queries[query_id] = _Query(time.monotonic(), payload)
        self._known_users.add(sender.id)
        self._emit("inline_query", payload)
        await asyncio.sleep(0)
        return query_id

    async def _member_update(self, chat: FakeChat, user: FakeUser, old: str, new: str) -> None:
        def member(status: str) -> dict[str, Any]:
            data: dict[str, Any] = {"status": status, "user": dict(self.bot_user)}
            if status == "kicked":
                data["until_date"] = 0  # required by ChatMemberBanned; 0 = for ever
            return data

        self._emit(
            "my_chat_member",
            {
                "chat": chat.to_api(),
                "from": user.to_api(),
                "date": int(time.time()),
                "old_chat_member": member(old),
                "new_chat_member": member(new),
            },
        )
        await asyncio.sleep(0)

    async def block(self, user: UserRef) -> None:
        """The user blocks the bot: sends then fail with 403 "bot was blocked by the user"."""
        sender = self._user(user)
        chat = self._private(sender)
        chat.bot_status = "kicked"
        if chat.started:
            await self._member_update(chat, sender, "member", "kicked")

    async def unblock(self, user: UserRef) -> None:
        """The user unblocks the bot (the chat is usable again once they write)."""
        sender = self._user(user)
        chat = self._private(sender)
        chat.bot_status = "member"
        if chat.started:
            await self._member_update(chat, sender, "kicked", "member")

    # ------------------------------------------------------------------ inspection and waiting

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates created but not yet confirmed (polling) or acknowledged (webhook)."""
        return list(self._pending)

    def messages_in(
        self, chat: ChatRef | FakeUser, *, include_deleted: bool = False
    ) -> list[ChatMessage]:
        """Every message in a chat (a user means their private chat), in order, as it is now."""
        chat_id = chat.id if isinstance(chat, FakeChat | FakeUser) else int(chat)
        messages = sorted(self._messages.get(chat_id, {}).values(), key=lambda m: m.message_id)
        return [m for m in messages if include_deleted or not m.deleted]

    def bot_messages(self, chat: ChatRef | FakeUser) -> list[ChatMessage]:
        """The bot's messages in a chat as the user sees them now."""
        return [m for m in self.messages_in(chat) if m.from_bot]

    def calls(self, method: str) -> list[RequestRecord]:
        """Logged requests of one method (case-insensitive)."""
        return [r for r in self.requests if r.method.lower() == method.lower()]

    def mark(self) -> int:
        """A position in :attr:`sent`, for ``wait_for(..., since=api.mark())``."""
        return len(self.sent)

    def _diagnosis(self) -> str:
        last = [str(s) for s in self.sent[-5:]] or ["(nothing sent)"]
        failed = [
            f"{r.method} -> {r.status} {r.description or ''}".strip()
            for r in self.requests[-50:]
            if r.status != 200
        ][-5:]
        return (
            f"last sent: {last}; recent failed requests: {failed or 'none'}; "
            f"pending updates: {len(self._pending)}"
        )

    async def wait_until(
        self, condition: Callable[[], Any], timeout: float = 5.0, what: str = "condition"
    ) -> Any:
        """Wait until ``condition()`` is truthy; return its value or raise ``TimeoutError``."""
        value = condition()
        if value:
            return value
        future = self._waiters.add(condition)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"timed out after {timeout}s waiting for {what}; {self._diagnosis()}"
            ) from None
        finally:
            self._waiters.discard(future)

    async def wait_for(
        self,
        predicate_or_count: int | Callable[[SentMessage], Any],
        timeout: float = 5.0,
        *,
        since: int = 0,
    ) -> Any:
        """Wait for the bot's output.

        ``wait_for(n)`` waits until ``n`` messages/edits were sent after position ``since`` and
        returns them as a list; ``wait_for(predicate)`` returns the first :class:`SentMessage`
        after ``since`` for which ``predicate(item)`` is true.
        """
        if isinstance(predicate_or_count, int):
            count = predicate_or_count

            def enough() -> list[SentMessage] | None:
                if len(self.sent) - since < count:
                    return None
                return self.sent[since : since + count]

            return await self.wait_until(enough, timeout, f"{count} sent message(s)")
        predicate = predicate_or_count
        position = since

        def found() -> SentMessage | None:
            # Scan only what is new since the last look: many concurrent waiters (benchmarks)
            # must not rescan the whole history on every change.
            nonlocal position
            while position < len(self.sent):
                item = self.sent[position]
                position += 1
                if predicate(item):
                    return item
            return None

        return await self.wait_until(found, timeout, "a matching sent message")

    async def ask(
        self, user: UserRef, text: str, chat: ChatRef | None = None, *, timeout: float = 5.0
    ) -> SentMessage:
        """Send ``text`` as ``user`` and return the bot's next message in that chat."""
        since = self.mark()
        message = await self.send_text(user, text, chat)
        chat_id = message.chat.id
        return await self.wait_for(
            lambda s: s.chat_id == chat_id and s.method.startswith("send"),
            timeout,
            since=since,
        )

    async def wait_confirmed(self, update_id: int | None = None, timeout: float = 5.0) -> None:
        """Wait until an update (default: every update so far) left the queue.

        With polling that means the bot asked for a later ``offset``; with a webhook, that the
        webhook answered 2xx.
        """

        def done() -> bool:
            if update_id is None:
                return not self._pending
            return all(u["update_id"] != update_id for u in self._pending)

        await self.wait_until(done, timeout, f"confirmation of update {update_id or 'all'}")

    async def wait_idle(self, quiet: float = 0.2, timeout: float = 5.0) -> None:
        """Wait until every update is confirmed and the bot made no call for ``quiet`` s.

        Useful to assert that the bot stayed silent: long polls do not count as activity.
        """
        await self.wait_confirmed(timeout=timeout)
        deadline = time.monotonic() + timeout
        while True:
            idle_for = time.monotonic() - self._last_activity
            if idle_for >= quiet and not self._pending:
                return
            if time.monotonic() >= deadline:
                raise TimeoutError(f"bot not idle after {timeout}s; {self._diagnosis()}")
            await asyncio.sleep(max(0.01, min(quiet - idle_for, 0.05)))

    # ------------------------------------------------------------------ control API

    async def _control(self, request: web.Request) -> web.Response:
        """A small JSON API on ``/_fake/<action>`` to drive the fake from another process.

        Actions: ``user`` {id, first_name, language_code?, username?}; ``send_text``
        {user_id, text, chat_id?}; ``press_button`` {user_id, chat_id, message_id,
        callback_data}; ``inline_query`` {user_id, query}; ``fault`` {method, kind, times?,
        probability?, retry_after?, delay?}; ``sent`` (GET, ?since=N); ``state`` (GET).
        """
        action = request.match_info["action"]
        try:
            body: dict[str, Any] = await request.json() if request.can_read_body else {}
        except ValueError:
            return _json({"ok": False, "description": "body must be JSON"}, 400)
        try:
            result = await self._control_action(action, body, request)
        except (LookupError, ValueError, TypeError, RuntimeError) as exc:
            return _json({"ok": False, "description": str(exc)}, 400)
        if result is None:
            return _json({"ok": False, "description": f"unknown action {action!r}"}, 404)
        return _json({"ok": True, "result": result}, 200)

    async def _control_action(self, action: str, body: dict[str, Any], request: web.Request) -> Any:
        if action == "user":
            user = await self.user(
                int(body["id"]),
                str(body.get("first_name", "User")),
                body.get("language_code", "km"),
                body.get("username"),
            )
            return user.to_api()
        if action == "send_text":
            message = await self.send_text(
                int(body["user_id"]), str(body["text"]), body.get("chat_id")
            )
            return message.to_api(self.bot_user)
        if action == "press_button":
            stored = self._messages[int(body["chat_id"])][int(body["message_id"])]
            return await self.press_button(
                int(body["user_id"]), stored, body.get("callback_data"), text=body.get("text")
            )
        if action == "inline_query":
            return await self.inline_query(int(body["user_id"]), str(body.get("query", "")))
        if action == "fault":
            rule = self.faults.inject(
                str(body["method"]),
                str(body["kind"]),
                times=body.get("times"),
                probability=body.get("probability"),
                retry_after=int(body.get("retry_after", 1)),
                delay=body.get("delay"),
            )
            return {"method": rule.method, "kind": rule.kind}
        if action == "sent":
            since = int(request.query.get("since", body.get("since", 0)))
            return [
                {
                    "seq": s.seq,
                    "method": s.method,
                    "chat_id": s.chat_id,
                    "message_id": s.message_id,
                    "text": s.text,
                    "html": s.html,
                    "reply_markup": s.reply_markup,
                }
                for s in self.sent[since:]
            ]
        if action == "state":
            return {
                "sent": len(self.sent),
                "requests": len(self.requests),
                "pending_updates": len(self._pending),
                "webhook": self.webhook_info(),
                "faults": {f"{m}:{k}": n for (m, k), n in self.faults.counts.items()},
            }
        return None


def _utf16_slice(text: str, offset: int, length: int) -> str:
    data = text.encode("utf-16-le", "surrogatepass")
    return data[offset * 2 : (offset + length) * 2].decode("utf-16-le", "surrogatepass")


def _json(body: dict[str, Any], status: int) -> web.Response:
    return web.Response(
        body=dumps(body).encode("utf-8", "surrogatepass"),
        status=status,
        content_type="application/json",
    )


def _nginx(code: int) -> web.Response:
    reason = {502: "Bad Gateway", 504: "Gateway Time-out"}.get(code, "Error")
    return web.Response(
        text=_NGINX_PAGE.format(code=code, reason=reason), status=code, content_type="text/html"
    )


def _drop(request: web.Request) -> web.Response:
    """Close the connection without an answer (the client sees a protocol error)."""
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=204)
