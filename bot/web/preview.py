"""An entry shown as Telegram would show it: the same reply the bot builds, the same HTML.

The reply comes from the conversation core (`entry_reply`) and the HTML from the Telegram
renderer, so the preview cannot drift from what people get. An answer whose HTML Telegram
would reject gets no preview (the validator says why): only checked HTML reaches the page,
and the page's Content-Security-Policy stops any script in it anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from bot.conversation import Conversation
from bot.kb.html_check import check_telegram_html
from bot.model import Entry
from bot.telegram.render import to_messages


@dataclass(frozen=True)
class Preview:
    """One language's messages (Telegram HTML) and the button rows under the last one."""

    messages: tuple[Markup, ...]
    buttons: tuple[tuple[str, ...], ...]


def previews(conversation: Conversation, entry: Entry) -> dict[str, Preview | None]:
    """The entry in each of its languages; None where its HTML would be refused."""
    shown: dict[str, Preview | None] = {}
    for lang, text in entry.texts.items():
        if check_telegram_html(text.answer):
            shown[lang] = None
            continue
        reply = conversation.entry_reply(entry, lang, personal=True)
        shown[lang] = Preview(
            tuple(Markup(m.html) for m in to_messages(reply)),
            tuple(tuple(b.label for b in row) for row in reply.buttons),
        )
    return shown
