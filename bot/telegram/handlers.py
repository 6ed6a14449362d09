"""python-telegram-bot handlers: translate updates into conversation events and send replies.

Handlers stay thin (the rules-bot way): they pick the event out of the update, ask the
conversation, and render. Nothing here decides what to say.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import (
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.conversation import Conversation, Outcome, Sender
from bot.telegram.delivery import persist
from bot.telegram.render import keyboard, to_messages

log = logging.getLogger(__name__)
Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
CONVERSATION = "conversation"


def _conversation(context: ContextTypes.DEFAULT_TYPE) -> Conversation:
    return context.bot_data[CONVERSATION]


def _sender(update: Update) -> Sender:
    user = update.effective_user
    return Sender(f"tg:{user.id}", user.language_code)


async def _send(outcome: Outcome, message: Message) -> None:
    """Each reply as new messages under `message` (quoting it in groups, where threads mix)."""
    quote = message.chat.type != ChatType.PRIVATE
    for reply in outcome.replies:
        if reply.image is not None:
            [caption] = to_messages(reply)[:1]  # captions are short notes
            await persist(lambda reply=reply, caption=caption: message.reply_photo(
                reply.image, caption=caption.html, parse_mode=ParseMode.HTML,
                reply_markup=caption.keyboard, do_quote=quote,
            ), "sendPhoto")
            continue
        for part in to_messages(reply):
            await persist(lambda part=part: message.reply_html(
                part.html, reply_markup=part.keyboard, link_preview_options=NO_PREVIEW,
                do_quote=quote,
            ), "sendMessage")


def _addressed_text(update: Update, username: str) -> str | None:
    """The question in a message: all of it in private, in groups only when the bot is addressed.

    In a group the bot answers a message that mentions it or replies to one of its messages,
    and stays quiet otherwise; the mention itself is not part of the question.
    """
    message = update.effective_message
    text = message.text or ""
    if message.chat.type == ChatType.PRIVATE:
        return text
    mention = f"@{username}".lower()
    replied = message.reply_to_message
    if mention in text.lower():
        start = text.lower().index(mention)
        return (text[:start] + text[start + len(mention):]).strip()
    if replied is not None and replied.from_user is not None and replied.from_user.username \
            and replied.from_user.username.lower() == username.lower():
        return text
    return None


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A text message: a question."""
    text = _addressed_text(update, context.bot.username)
    if text is None:
        return
    outcome = _conversation(context).text(_sender(update), text)
    await _send(outcome, update.effective_message)


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start, /menu, /language, /help, /privacy, /forget and anything else after a slash."""
    message = update.effective_message
    word, _, args = (message.text or "").partition(" ")
    name, _, target = word[1:].partition("@")
    if target and target.lower() != context.bot.username.lower():
        return  # a command for another bot in the same group
    outcome = _conversation(context).command(_sender(update), name.lower(), args.strip())
    await _send(outcome, message)


async def on_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice, locations … in a private chat."""
    await _send(_conversation(context).unsupported(_sender(update)), update.effective_message)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button press: always answered (so the client stops waiting), then the replies."""
    query = update.callback_query
    outcome = _conversation(context).action(_sender(update), query.data or "")
    try:
        await persist(lambda: query.answer(outcome.notice), "answerCallbackQuery")
    except BadRequest as exc:  # too old to answer: the replies below still matter
        log.info("callback query not answered: %s", exc)
    message = query.message
    if message is None or not isinstance(message, Message):
        return  # the message is too old for Telegram to show it to us
    if outcome.replace and len(outcome.replies) == 1:
        parts = to_messages(outcome.replies[0])
        if len(parts) == 1:
            try:
                await persist(lambda: message.edit_text(
                    parts[0].html, parse_mode=ParseMode.HTML, reply_markup=parts[0].keyboard,
                    link_preview_options=NO_PREVIEW,
                ), "editMessageText")
                return
            except BadRequest as exc:
                if "not modified" in str(exc).lower():
                    return
                log.info("could not edit a menu in place, sending it anew: %s", exc)
    await _send(outcome, message)


async def on_inline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """@bot query in any chat: matching answers to share."""
    query = update.inline_query
    results = _conversation(context).inline(_sender(update), query.query[:256])
    articles = []
    for result in results:
        [message] = to_messages(result.reply)[:1]
        articles.append(InlineQueryResultArticle(
            id=result.entry_id,
            title=result.title,
            description=result.description,
            input_message_content=InputTextMessageContent(
                message.html, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW),
            reply_markup=keyboard(result.reply),
        ))
    await persist(lambda: query.answer(articles, cache_time=60, is_personal=True),
                  "answerInlineQuery")


async def slow_down(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The one notice a flooding user gets (see bot/telegram/guard.py)."""
    message = update.effective_message
    if message is not None:
        await _send(_conversation(context).slow_down(_sender(update)), message)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log any failure in a handler; the bot keeps serving everyone else."""
    log.error("handling an update failed: %s", context.error, exc_info=context.error)
