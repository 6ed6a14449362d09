"""Request parameters and the Bot API's validation rules, with Telegram's error wording.

Why in one place: the same rules (formatted text, inline keyboards, URLs) apply to several
methods (``sendMessage``, ``editMessageText``, ``answerInlineQuery``…), and a rule checked in
one method but forgotten in another is exactly the gap through which a bug reaches production.
Wording follows what the real Bot API answers; where the fake is deliberately stricter than
Telegram, the message says so.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from .html_entities import EntityParseError, ParsedText, check_url, parse_html, utf16_len

__all__ = [
    "ApiError",
    "Params",
    "UploadedFile",
    "bad_request",
    "format_text",
    "validate_commands",
    "validate_inline_keyboard",
    "validate_inline_results",
    "validate_reply_markup",
    "validate_scope",
]

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
MAX_BUTTONS = 100


class ApiError(Exception):
    """An error answer: HTTP status, Telegram's description and optional ``parameters``."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        data: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            data["parameters"] = self.parameters
        return data


def bad_request(description: str) -> ApiError:
    """A 400 with the ``Bad Request: `` prefix Telegram puts on every such answer."""
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class UploadedFile:
    """A file part of a multipart request."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class Params:
    """Request parameters, all as strings, as the Bot API server sees them.

    Telegram flattens every encoding (query string, form, multipart, JSON body) into string
    arguments: JSON scalars become their text, nested objects their JSON. The accessors below
    then convert, so a bot that sends ``"123"`` or ``123`` is treated alike, like on Telegram.
    An empty string counts as absent, as it does there.
    """

    values: dict[str, str] = field(default_factory=dict)
    files: dict[str, UploadedFile] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        """True when the parameter is present and non-empty."""
        return self.values.get(name, "") != "" or name in self.files

    def get_str(self, name: str, default: str | None = None) -> str | None:
        """The raw string value, or ``default`` when absent."""
        value = self.values.get(name, "")
        return value if value != "" else default

    def get_int(self, name: str, default: int | None = None) -> int | None:
        """An integer parameter; a non-integer is refused rather than guessed."""
        value = self.values.get(name, "")
        if value == "":
            return default
        if not re.fullmatch(r"-?\d{1,19}", value.strip()):
            raise bad_request(f'field "{name}" must be of type Integer')
        return int(value)

    def get_bool(self, name: str, default: bool = False) -> bool:
        """A Boolean parameter: ``true``/``1`` is true, anything else false (Telegram's rule)."""
        value = self.values.get(name, "")
        if value == "":
            return default
        return value.lower() == "true" or value == "1"

    def get_json(self, name: str, error: str) -> Any:
        """A JSON-serialized parameter; ``error`` is the description on malformed JSON."""
        value = self.values.get(name, "")
        if value == "":
            return None
        try:
            return json.loads(value)
        except ValueError as exc:
            raise bad_request(error) from exc

    def public(self) -> dict[str, Any]:
        """Parameters for the request log: JSON-looking values decoded for readability."""
        data: dict[str, Any] = {}
        for key, value in self.values.items():
            if value[:1] in "[{":
                try:
                    data[key] = json.loads(value)
                    continue
                except ValueError:
                    pass
            data[key] = value
        for key, upload in self.files.items():
            data[key] = f"<file {upload.filename or key}: {len(upload.data)} bytes>"
        return data


def _has_lone_surrogate(text: str) -> bool:
    return any(0xD800 <= ord(ch) <= 0xDFFF for ch in text)


def format_text(
    text: str,
    parse_mode: str | None,
    entities_json: Any = None,
    *,
    strict_html: bool = True,
) -> ParsedText:
    """Turn the bot's text + ``parse_mode``/``entities`` into what the user will see.

    Raises :class:`ApiError` with Telegram's wording ("can't parse entities: …",
    "unsupported parse_mode", "text must be encoded in UTF-8"). Length limits are checked by
    the caller, because the message differs (message text, caption, inline result).
    """
    if _has_lone_surrogate(text):
        raise bad_request("text must be encoded in UTF-8")
    mode = (parse_mode or "").strip()
    if entities_json is not None:
        # Telegram ignores parse_mode when explicit entities are given.
        stripped = text.strip()
        lead = utf16_len(text[: len(text) - len(text.lstrip())])
        entities = _validate_entities(entities_json, text)
        moved = []
        for entity in entities:
            offset = entity["offset"] - lead
            if offset >= 0:
                moved.append({**entity, "offset": offset})
        return ParsedText(stripped, moved)
    if mode == "":
        return ParsedText(text.strip(), [])
    if mode.lower() == "html":
        try:
            return parse_html(text, strict=strict_html)
        except EntityParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from exc
    if mode.lower() in {"markdown", "markdownv2"}:
        raise bad_request(
            f"can't parse entities: parse_mode {mode!r} is valid on Telegram but not implemented "
            "by this fake server; the bot is expected to send HTML"
        )
    raise bad_request("unsupported parse_mode")


_ENTITY_TYPES = frozenset(
    {
        "mention",
        "hashtag",
        "cashtag",
        "bot_command",
        "url",
        "email",
        "phone_number",
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "blockquote",
        "expandable_blockquote",
        "code",
        "pre",
        "text_link",
        "text_mention",
        "custom_emoji",
    }
)


def _validate_entities(raw: Any, text: str) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise bad_request("can't parse entities JSON object")
    total = utf16_len(text)
    result = []
    for entity in raw:
        if not isinstance(entity, dict):
            raise bad_request("can't parse MessageEntity: expected an Object")
        kind = entity.get("type")
        if kind is None:
            raise bad_request("can't parse MessageEntity: Can't find field \"type\"")
        if kind not in _ENTITY_TYPES:
            raise bad_request("can't parse MessageEntity: Unsupported type specified")
        offset, length = entity.get("offset"), entity.get("length")
        if not isinstance(offset, int) or not isinstance(length, int):
            raise bad_request('can\'t parse MessageEntity: Field "offset" must be a valid Number')
        if offset < 0:
            raise bad_request(f"receive an entity with incorrect offset {offset}")
        if offset > total:
            raise bad_request(f"entity begins after the end of the text at UTF-16 offset {offset}")
        if offset + length > total:
            raise bad_request(
                f"entity beginning at UTF-16 offset {offset} ends after the end of the text "
                f"at UTF-16 offset {offset + length}"
            )
        if kind == "text_link":
            url = entity.get("url")
            if url is None:
                raise bad_request("can't parse MessageEntity: Can't find field \"url\"")
            problem = check_url(str(url))
            if problem:
                raise bad_request(f"entity URL '{url}' is invalid: {problem}")
        if kind == "text_mention" and "user" not in entity:
            raise bad_request("can't parse MessageEntity: Can't find field \"user\"")
        if kind == "custom_emoji" and "custom_emoji_id" not in entity:
            raise bad_request("can't parse MessageEntity: Can't find field \"custom_emoji_id\"")
        if length > 0:
            result.append(dict(entity))
    return sorted(result, key=lambda e: (e["offset"], -e["length"]))


_INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def _button_error(detail: str) -> ApiError:
    return bad_request(f"can't parse inline keyboard button: {detail}")


def _validate_inline_button(button: Any) -> dict[str, Any]:
    if not isinstance(button, dict):
        raise _button_error("InlineKeyboardButton must be an Object")
    if "text" not in button:
        raise _button_error('Can\'t find field "text"')
    if not isinstance(button["text"], str):
        raise _button_error('Field "text" must be of type String')
    if button["text"].strip() == "":
        raise bad_request("BUTTON_TEXT_INVALID")
    present = [
        name for name in _INLINE_ACTIONS if name in button and button[name] not in (None, "")
    ]
    if not present:
        raise _button_error("Text buttons are unallowed in the inline keyboard")
    if len(present) > 1:
        # Telegram silently uses one of them; the documentation says "exactly one".
        raise _button_error(
            f"exactly one of the optional fields must be used, got {', '.join(present)} "
            "(strict fake: Telegram would silently ignore all but one)"
        )
    action = present[0]
    value = button[action]
    if action == "callback_data":
        if not isinstance(value, str):
            raise _button_error('Field "callback_data" must be of type String')
        if len(value.encode("utf-8", "surrogatepass")) > CALLBACK_DATA_LIMIT:
            raise bad_request("BUTTON_DATA_INVALID")
    elif action == "url":
        if not isinstance(value, str):
            raise _button_error('Field "url" must be of type String')
        problem = check_url(value)
        if problem:
            raise bad_request(f"inline keyboard button URL '{value}' is invalid: {problem}")
    elif action == "web_app":
        url = value.get("url") if isinstance(value, dict) else None
        if not isinstance(url, str) or not url.lower().startswith("https://") or check_url(url):
            raise bad_request(
                f"inline keyboard button Web App URL '{url}' is invalid: "
                "Only HTTPS links are allowed"
            )
    elif action == "copy_text":
        text = value.get("text") if isinstance(value, dict) else None
        if not isinstance(text, str) or not 1 <= len(text) <= 256:
            raise bad_request("BUTTON_COPY_TEXT_INVALID")
    elif action in {"callback_game", "pay"}:
        raise bad_request("BUTTON_TYPE_INVALID")
    elif action in {"switch_inline_query", "switch_inline_query_current_chat"} and not isinstance(
        value, str
    ):
        raise _button_error(f'Field "{action}" must be of type String')
    return button


def validate_inline_keyboard(markup: Any) -> dict[str, Any]:
    """Validate an ``InlineKeyboardMarkup`` object and return it."""
    if not isinstance(markup, dict) or "inline_keyboard" not in markup:
        raise bad_request("can't parse inline keyboard markup JSON object")
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list):
        raise bad_request('field "inline_keyboard" must be of type Array')
    count = 0
    for row in rows:
        if not isinstance(row, list):
            raise bad_request('field "inline_keyboard" must be an Array of Arrays')
        for button in row:
            _validate_inline_button(button)
            count += 1
    if count > MAX_BUTTONS:
        raise bad_request("reply markup is too long")
    return {"inline_keyboard": [[dict(b) for b in row] for row in rows if row]}


def _check_bool(obj: dict[str, Any], *names: str) -> None:
    for name in names:
        if name in obj and not isinstance(obj[name], bool):
            raise bad_request(f'field "{name}" must be of type Boolean')


def validate_reply_markup(params: Params, *, inline_only: bool = False) -> dict[str, Any] | None:
    """Parse and validate ``reply_markup`` (any of the four kinds, or inline only)."""
    raw = params.get_json("reply_markup", "can't parse reply keyboard markup JSON object")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in raw:
        return validate_inline_keyboard(raw)
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in raw:
        if not isinstance(raw["keyboard"], list):
            raise bad_request('field "keyboard" must be of type Array')
        _check_bool(raw, "resize_keyboard", "one_time_keyboard", "is_persistent", "selective")
        for row in raw["keyboard"]:
            if not isinstance(row, list):
                raise bad_request('field "keyboard" must be an Array of Arrays')
            for button in row:
                label = (
                    button
                    if isinstance(button, str)
                    else (button.get("text") if isinstance(button, dict) else None)
                )
                if not isinstance(label, str) or label == "":
                    raise bad_request("can't parse keyboard button: Can't find field \"text\"")
        return raw
    if "remove_keyboard" in raw:
        _check_bool(raw, "remove_keyboard", "selective")
        return raw
    if "force_reply" in raw:
        _check_bool(raw, "force_reply", "selective")
        return raw
    raise bad_request("can't parse reply keyboard markup JSON object")


_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_SCOPE_TYPES = {
    "default": (),
    "all_private_chats": (),
    "all_group_chats": (),
    "all_chat_administrators": (),
    "chat": ("chat_id",),
    "chat_administrators": ("chat_id",),
    "chat_member": ("chat_id", "user_id"),
}


def validate_commands(raw: Any) -> list[dict[str, str]]:
    """Validate the ``commands`` array of ``setMyCommands``."""
    if not isinstance(raw, list):
        raise bad_request("can't parse commands JSON object")
    if len(raw) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    result = []
    for item in raw:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand: expected an Object")
        command = item.get("command")
        description = item.get("description")
        if not isinstance(command, str):
            raise bad_request('can\'t parse BotCommand: Field "command" must be of type String')
        if not isinstance(description, str):
            raise bad_request('can\'t parse BotCommand: Field "description" must be of type String')
        if command == "":
            raise bad_request("command must be non-empty")
        if description.strip() == "":
            raise bad_request("command description must be non-empty")
        if not _COMMAND_RE.fullmatch(command):
            raise bad_request("BOT_COMMAND_INVALID")
        if len(description) > 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        result.append({"command": command, "description": description})
    return result


def validate_scope(raw: Any) -> dict[str, Any]:
    """Validate a ``BotCommandScope`` (``None`` means the default scope)."""
    if raw is None:
        return {"type": "default"}
    if not isinstance(raw, dict) or "type" not in raw:
        raise bad_request("can't parse BotCommandScope: Can't find field \"type\"")
    kind = raw["type"]
    if kind not in _SCOPE_TYPES:
        raise bad_request("can't parse BotCommandScope: Unsupported type specified")
    scope: dict[str, Any] = {"type": kind}
    for name in _SCOPE_TYPES[kind]:
        if name not in raw:
            raise bad_request(f"can't parse BotCommandScope: Can't find field \"{name}\"")
        scope[name] = raw[name]
    return scope


_RESULT_TYPES = frozenset(
    {
        "article",
        "photo",
        "gif",
        "mpeg4_gif",
        "video",
        "audio",
        "voice",
        "document",
        "location",
        "venue",
        "contact",
        "game",
        "sticker",
    }
)


def validate_inline_results(raw: Any, *, strict_html: bool) -> list[dict[str, Any]]:
    """Validate ``answerInlineQuery.results``; articles' message text is parsed like a message."""
    if not isinstance(raw, list):
        raise bad_request("can't parse inline query results JSON object")
    if len(raw) > 50:
        raise bad_request("RESULTS_TOO_MUCH")
    seen: set[str] = set()
    results = []
    for item in raw:
        if not isinstance(item, dict):
            raise bad_request("can't parse InlineQueryResult: expected an Object")
        for name in ("type", "id"):
            if name not in item:
                raise bad_request(f"can't parse InlineQueryResult: Can't find field \"{name}\"")
        kind, result_id = item["type"], str(item["id"])
        if kind not in _RESULT_TYPES:
            raise bad_request("can't parse InlineQueryResult: Unsupported type specified")
        size = len(result_id.encode("utf-8", "surrogatepass"))
        if size == 0:
            raise bad_request("RESULT_ID_EMPTY")
        if size > 64:
            raise bad_request("RESULT_ID_INVALID")
        if result_id in seen:
            raise bad_request("RESULT_ID_DUPLICATE")
        seen.add(result_id)
        parsed = dict(item)
        if kind == "article":
            title = item.get("title")
            if not isinstance(title, str) or title.strip() == "":
                raise bad_request("can't parse InlineQueryResult: Can't find field \"title\"")
            content = item.get("input_message_content")
            if not isinstance(content, dict):
                raise bad_request(
                    "can't parse InlineQueryResult: Can't find field \"input_message_content\""
                )
            if "message_text" in content:
                text = content["message_text"]
                if not isinstance(text, str) or text == "":
                    raise bad_request("MESSAGE_EMPTY")
                shown = format_text(
                    text,
                    content.get("parse_mode"),
                    content.get("entities"),
                    strict_html=strict_html,
                )
                if shown.text.strip() == "":
                    raise bad_request("MESSAGE_EMPTY")
                if utf16_len(shown.text) > MESSAGE_LIMIT:
                    raise bad_request("MESSAGE_TOO_LONG")
                parsed["_text"] = shown.text
                parsed["_entities"] = shown.entities
            if item.get("url"):
                problem = check_url(str(item["url"]))
                if problem:
                    raise bad_request(f"URL '{item['url']}' is invalid: {problem}")
        if "reply_markup" in item and item["reply_markup"] is not None:
            parsed["reply_markup"] = validate_inline_keyboard(item["reply_markup"])
        results.append(parsed)
    return results
