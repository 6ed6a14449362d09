"""Bot API methods on messages and chats: send, edit, delete, answer queries, commands, menus.

Why strict: each method refuses what Telegram refuses (see :mod:`tests.fakeapi.validate`),
with Telegram's status codes and wording, so the bot's error handling is tested for real.
"""

from __future__ import annotations

import re
import time
from typing import Any

from .html_entities import utf16_len
from .models import (
    CallbackAnswer,
    ChatMessage,
    FakeChat,
    InlineAnswer,
    SentMessage,
    dumps,
)
from .state import (
    CHAT_ACTIONS,
    NOT_MODIFIED,
    QUERY_TOO_OLD,
    _Query,
)
from .validate import (
    MESSAGE_LIMIT,
    Params,
    bad_request,
    format_text,
    validate_commands,
    validate_inline_results,
    validate_reply_markup,
    validate_scope,
)


class MessagesMixin:
    """Message and chat methods of :class:`~tests.fakeapi.server.FakeBotApi` (a mixin)."""

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
