"""Plain records for the simulated Telegram side: users, chats, messages and what the bot did.

Why separate records instead of raw dicts: end-to-end tests read these a lot (``reply.text``,
``reply.buttons``), and typed attributes make a failing assertion say what was wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CallbackAnswer",
    "ChatMessage",
    "FakeChat",
    "FakeUser",
    "InlineAnswer",
    "RequestRecord",
    "SentMessage",
    "WebhookDelivery",
]


@dataclass(eq=False)
class FakeUser:
    """A Telegram user who talks to the bot."""

    id: int
    first_name: str
    language_code: str | None = "km"
    username: str | None = None
    last_name: str | None = None
    is_bot: bool = False

    def to_api(self) -> dict[str, Any]:
        """The user as a Bot API ``User`` object."""
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass(eq=False)
class FakeChat:
    """A private chat (id == the user's id) or a group/supergroup (negative id).

    ``bot_status`` is the bot's membership: ``"member"``, ``"administrator"``, ``"left"`` or
    ``"kicked"`` (for a private chat, ``"kicked"`` means the user blocked the bot).
    ``started`` says whether a private chat exists from the bot's point of view, i.e. the user
    has written to the bot at least once.
    """

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    user: FakeUser | None = None
    members: set[int] = field(default_factory=set)
    bot_status: str = "member"
    started: bool = False

    @property
    def blocked(self) -> bool:
        """True when the private chat's user blocked the bot."""
        return self.type == "private" and self.bot_status == "kicked"

    def to_api(self) -> dict[str, Any]:
        """The chat as a Bot API ``Chat`` object."""
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private" and self.user is not None:
            data["first_name"] = self.user.first_name
            if self.user.last_name:
                data["last_name"] = self.user.last_name
            if self.user.username:
                data["username"] = self.user.username
        else:
            data["title"] = self.title or f"Group {self.id}"
            if self.username:
                data["username"] = self.username
        return data


def _buttons(markup: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not markup or "inline_keyboard" not in markup:
        return []
    return [button for row in markup["inline_keyboard"] for button in row]


@dataclass(eq=False)
class ChatMessage:
    """The current state of one message in a chat (after edits; ``deleted`` once deleted)."""

    chat: FakeChat
    message_id: int
    date: int
    from_bot: bool
    user: FakeUser | None = None
    text: str | None = None
    html: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    kind: str = "text"
    extra: dict[str, Any] = field(default_factory=dict)
    edit_date: int | None = None
    deleted: bool = False
    update_id: int | None = None
    reply_to: ChatMessage | None = None

    @property
    def chat_id(self) -> int:
        """The chat's id."""
        return self.chat.id

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """Inline keyboard buttons, row by row, flattened."""
        return _buttons(self.reply_markup)

    def to_api(self, bot_user: dict[str, Any], *, nested: bool = False) -> dict[str, Any]:
        """The message as a Bot API ``Message`` object."""
        sender = bot_user if self.from_bot else (self.user.to_api() if self.user else None)
        data: dict[str, Any] = {"message_id": self.message_id}
        if sender is not None:
            data["from"] = sender
        data["chat"] = self.chat.to_api()
        data["date"] = self.date
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if self.reply_to is not None and not nested:
            data["reply_to_message"] = self.reply_to.to_api(bot_user, nested=True)
        if self.kind == "text":
            data["text"] = self.text or ""
            if self.entities:
                data["entities"] = self.entities
        else:
            data.update(self.extra)
            if self.text:
                data["caption"] = self.text
                if self.entities:
                    data["caption_entities"] = self.entities
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            data["reply_markup"] = self.reply_markup
        return data


@dataclass(eq=False)
class SentMessage:
    """One successful bot→user action that changed what a user sees.

    ``method`` is the Bot API method (``sendMessage``, ``editMessageText``,
    ``editMessageReplyMarkup``, ``sendPhoto``, ``sendDocument``, ``deleteMessage``); ``text``
    is the plain text after entity parsing (the caption for media), ``html`` the raw text as
    the bot sent it. ``client_saw_error`` is True when a ``*_after_delivery`` fault hid the
    success from the bot: the user got the message, the bot was told it failed.
    """

    seq: int
    method: str
    chat_id: int
    message_id: int
    text: str | None
    html: str | None
    parse_mode: str | None
    entities: list[dict[str, Any]]
    reply_markup: dict[str, Any] | None
    date: int
    client_saw_error: bool = False
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """Inline keyboard buttons, row by row, flattened."""
        return _buttons(self.reply_markup)

    @property
    def button_texts(self) -> list[str]:
        """The label of every inline button."""
        return [button.get("text", "") for button in self.buttons]

    @property
    def callback_data(self) -> list[str]:
        """The ``callback_data`` of every callback button."""
        return [b["callback_data"] for b in self.buttons if "callback_data" in b]

    def button(self, text: str | None = None, *, contains: str | None = None) -> dict[str, Any]:
        """The first button whose label equals ``text`` (or contains ``contains``)."""
        for candidate in self.buttons:
            label = candidate.get("text", "")
            if (text is not None and label == text) or (contains is not None and contains in label):
                return candidate
        raise LookupError(f"no button {text or contains!r} in {self.button_texts}")

    def __str__(self) -> str:
        markup = f" buttons={self.button_texts}" if self.buttons else ""
        return f"{self.method}(chat={self.chat_id}, id={self.message_id}): {self.text!r}{markup}"


@dataclass
class RequestRecord:
    """One HTTP request the bot made, with the outcome the bot saw."""

    method: str
    params: dict[str, Any]
    status: int | str
    description: str | None = None
    fault: str | None = None
    time: float = 0.0
    files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True for a 200 answer."""
        return self.status == 200


@dataclass
class CallbackAnswer:
    """A successful ``answerCallbackQuery``."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int
    query: dict[str, Any]


@dataclass
class InlineAnswer:
    """A successful ``answerInlineQuery``.

    ``results`` are the result objects as sent; ``texts`` holds, per result, the plain text the
    user would post by choosing it (``None`` for results without a text message).
    """

    inline_query_id: str
    results: list[dict[str, Any]]
    cache_time: int
    is_personal: bool
    next_offset: str
    button: dict[str, Any] | None
    query: dict[str, Any]
    texts: list[str | None] = field(default_factory=list)

    @property
    def titles(self) -> list[str]:
        """The ``title`` of every result (empty string where a result has none)."""
        return [str(result.get("title", "")) for result in self.results]


@dataclass
class WebhookDelivery:
    """One POST of an update to the bot's webhook."""

    update_id: int
    attempt: int
    status: int | None
    error: str | None
    secret_header: str | None
    time: float


def dumps(value: Any) -> str:
    """Compact JSON, as Telegram writes it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
