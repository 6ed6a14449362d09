"""The fake's shared state: Bot API constants, small state records, and chat/user lookup.

Why a module of its own: every concern of the server (messages, polling, webhook, users)
reads the same chats, users and messages; keeping their lookup rules here means each
concern applies Telegram's rules (unknown chat, blocked bot) the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .models import (
    ChatMessage,
    FakeChat,
    FakeUser,
    SentMessage,
)
from .validate import (
    ApiError,
    Params,
    bad_request,
)

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


class ChatState:
    """Finding and storing users, chats and messages, and Telegram's rules on who may be sent to.

    A mixin of :class:`~tests.fakeapi.server.FakeBotApi`, whose ``__init__`` sets up the state.
    """

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
