"""python-telegram-bot handlers: translate updates into conversation events and send replies.

Handlers stay thin (the rules-bot way): they pick the event out of the update, ask the
conversation, and render. Nothing here decides what to say.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import (
    Bot,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot.conversation import Conversation, Outcome, Sender
from bot.replies import Delivery
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
    chat = update.effective_chat
    return Sender(f"tg:{user.id}", user.language_code, f"tg:{chat.id}" if chat else None,
                  user.full_name)


def chat_id(ref: str) -> int | None:
    """The Telegram chat id in a chat reference ("tg:-1001234"), None for other channels."""
    kind, _, number = ref.partition(":")
    return int(number) if kind == "tg" and number.lstrip("-").isdigit() else None


async def _send_to(bot: Bot, delivery: Delivery) -> list[str]:
    """Send a delivery to its chat (answering its thread message, if any); the new messages'
    ids. Raises TelegramError when the chat refuses it."""
    target = chat_id(delivery.to)
    if target is None:
        raise BadRequest(f"not a Telegram chat: {delivery.to}")
    thread = None
    if delivery.reply_to and delivery.reply_to.isdigit():
        thread = ReplyParameters(int(delivery.reply_to), allow_sending_without_reply=True)
    sent = []
    for part in to_messages(delivery.reply, bot.username):
        message = await persist(lambda part=part: bot.send_message(
            target, part.html, parse_mode=ParseMode.HTML, reply_markup=part.keyboard,
            link_preview_options=NO_PREVIEW, reply_parameters=thread,
        ), "sendMessage")
        sent.append(str(message.message_id))
    return sent


async def _deliver(outcome: Outcome, context: ContextTypes.DEFAULT_TYPE) -> Outcome:
    """Send the outcome's messages for other chats (the staff chat, a person staff answer)
    first; when a chat refuses one, the conversation says what to tell the sender instead."""
    conversation = _conversation(context)
    for delivery in outcome.deliveries:
        try:
            messages = await _send_to(context.bot, delivery)
        except TelegramError as exc:
            log.warning("a message for another chat (%s) was refused: %s", delivery.purpose, exc)
            # Only a blocked bot or a vanished chat is final; anything else may pass next time.
            final = isinstance(exc, Forbidden) or "chat not found" in str(exc).lower()
            return conversation.undelivered(delivery, outcome, final=final)
        conversation.delivered(delivery, messages)
    return outcome


def _bot_message_replied(message: Message, context: ContextTypes.DEFAULT_TYPE) -> str | None:
    """The id of the bot's message that `message` replies to, if it replies to one."""
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
        return None
    return str(replied.message_id)


async def _send(outcome: Outcome, message: Message) -> None:
    """Each reply as new messages under `message` (quoting it in groups, where threads mix)."""
    quote = message.chat.type != ChatType.PRIVATE
    username = message.get_bot().username  # deep-link buttons need it
    for reply in outcome.replies:
        if reply.image is not None:
            [caption] = to_messages(reply, username)[:1]  # captions are short notes
            await persist(lambda reply=reply, caption=caption: message.reply_photo(
                reply.image, caption=caption.html, parse_mode=ParseMode.HTML,
                reply_markup=caption.keyboard, do_quote=quote,
            ), "sendPhoto")
            continue
        for part in to_messages(reply, username):
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
    for said in message.parse_entities([MessageEntity.MENTION]).values():
        if said.lower() == mention:  # exactly this bot, not @thisbot_helper
            return text.replace(said, "", 1).strip()
    if replied is not None and replied.from_user is not None and replied.from_user.username \
            and replied.from_user.username.lower() == username.lower():
        return text
    return None


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A text message: a question."""
    text = _addressed_text(update, context.bot.username)
    if text is None:
        return
    message = update.effective_message
    outcome = _conversation(context).text(_sender(update), text,
                                          reply_to=_bot_message_replied(message, context))
    await _send(await _deliver(outcome, context), message)


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start, /menu, /language, /help, /privacy, /forget and anything else after a slash."""
    message = update.effective_message
    word, *rest = (message.text or "/").split(maxsplit=1)  # "/entry\nid" is "/entry id"
    args = rest[0] if rest else ""
    name, _, target = word[1:].partition("@")
    if target and target.lower() != context.bot.username.lower():
        return  # a command for another bot in the same group
    outcome = _conversation(context).command(_sender(update), name.lower(), args.strip())
    await _send(await _deliver(outcome, context), message)


async def on_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice, locations … in a private chat, or replying to the bot in a
    group (the staff chat is told that only text reaches the person)."""
    message = update.effective_message
    outcome = _conversation(context).unsupported(
        _sender(update), reply_to=_bot_message_replied(message, context))
    await _send(outcome, message)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button press: always answered (so the client stops waiting), then the replies."""
    query = update.callback_query
    outcome = _conversation(context).action(_sender(update), query.data or "")
    try:
        await persist(lambda: query.answer(outcome.notice), "answerCallbackQuery")
    except BadRequest as exc:  # too old to answer: the replies below still matter
        log.info("callback query not answered: %s", exc)
    outcome = await _deliver(outcome, context)
    message = query.message
    if message is None or not isinstance(message, Message):
        return  # the message is too old for Telegram to show it to us
    if outcome.clear_buttons and message.reply_markup is not None:
        try:
            await persist(lambda: message.edit_reply_markup(None), "editMessageReplyMarkup")
        except BadRequest as exc:
            log.info("could not remove the buttons of a message: %s", exc)
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
