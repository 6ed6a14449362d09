"""Replies → Telegram messages: HTML with every dynamic string escaped, keyboards, 4,096 limit.

The conversation core never formats HTML; this is the only place that does for Telegram. Entry
answers are already Telegram HTML (checked at import); everything else is escaped here.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.conversation import HTML, NOTE, TITLE, Button, Reply
from bot.replies import QUOTE

MAX_MESSAGE = 4096


@dataclass(frozen=True)
class Message:
    """One Telegram message: HTML text and an optional inline keyboard."""

    html: str
    keyboard: InlineKeyboardMarkup | None = None


def _block_html(kind: str, text: str) -> str:
    if kind == HTML:
        return text
    escaped = html.escape(text, quote=False)
    if kind == TITLE:
        return f"<b>{escaped}</b>"
    if kind == NOTE:
        return f"<i>{escaped}</i>"
    if kind == QUOTE:
        return f"<blockquote>{escaped}</blockquote>"
    return escaped


def deep_link(bot_username: str, payload: str) -> str:
    """The link that opens a chat with the bot and sends /start <payload>."""
    return f"https://t.me/{bot_username}?start={payload}"


def _button(button: Button, bot_username: str) -> InlineKeyboardButton | None:
    if button.url:
        return InlineKeyboardButton(button.label, url=button.url)
    if button.start:
        if not bot_username:
            return None
        return InlineKeyboardButton(button.label, url=deep_link(bot_username, button.start))
    return InlineKeyboardButton(button.label, callback_data=button.action)


def keyboard(reply: Reply, bot_username: str = "") -> InlineKeyboardMarkup | None:
    """The reply's buttons as an inline keyboard (links as URL buttons; entry links as deep
    links to the bot, which need its username)."""
    rows = [
        [b for b in (_button(button, bot_username) for button in row) if b is not None]
        for row in reply.buttons
    ]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


def _size(markup: str) -> int:
    """Telegram counts UTF-16 code units of the visible text; the markup's own UTF-16 length is
    never smaller, so staying under the limit with it is always safe."""
    return len(markup.encode("utf-16-le")) // 2


def _pieces(kind: str, text: str) -> list[str]:
    """HTML pieces of one block, each within the limit (only plain text can need cutting)."""
    rendered = _block_html(kind, text)
    if _size(rendered) <= MAX_MESSAGE or kind == HTML:
        return [rendered]
    # Cut plain text before escaping so an entity (&amp;) is never split. A character becomes
    # at most 5 units ("&amp;"), plus the block's tags: this step can never overflow.
    step = (MAX_MESSAGE - 16) // 5
    return [_block_html(kind, text[i : i + step]) for i in range(0, len(text), step)]


def to_messages(reply: Reply, bot_username: str = "") -> list[Message]:
    """The reply as one message, or several when it exceeds Telegram's 4,096 characters.

    Cuts fall between blocks (never inside a tag); the keyboard goes with the last message.
    """
    chunks: list[str] = []
    current = ""
    for block in reply.blocks:
        for number, piece in enumerate(_pieces(block.kind, block.text)):
            # blocks are paragraphs; the pieces of one cut block continue each other
            joint = "\n\n" if number == 0 else ""
            candidate = f"{current}{joint}{piece}" if current else piece
            if _size(candidate) <= MAX_MESSAGE:
                current = candidate
            else:
                chunks.append(current)
                current = piece
    if current or not chunks:
        chunks.append(current)
    messages = [Message(text) for text in chunks[:-1]]
    messages.append(Message(chunks[-1], keyboard(reply, bot_username)))
    return messages
