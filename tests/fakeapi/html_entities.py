"""Telegram's HTML parse mode, reimplemented strictly, plus the entity helpers the fake needs.

Why a port and not ``html.parser``: Telegram does not parse HTML like a browser does. The Bot API
server hands the text to TDLib's ``parse_html``, which accepts a handful of tags, reports errors
with UTF-8 *byte* offsets, and measures entities in UTF-16 code units. A bot that is only tested
against a forgiving parser ships ``<br>`` or an unescaped ``&`` and breaks in production, so this
module follows TDLib's algorithm (same tag list, same error wording) and, in ``strict`` mode
(the default), additionally enforces what the Bot API documentation demands but TDLib tolerates:

* every ``&``, ``<`` and ``>`` that is not part of a tag or entity must be escaped;
* only ``&lt;``, ``&gt;``, ``&amp;``, ``&quot;`` and numeric entities exist, each ending in ``;``.

Being stricter than Telegram is deliberate: a bot that passes here also passes on Telegram, and
never the other way round.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "EntityParseError",
    "ParsedText",
    "check_url",
    "command_entities",
    "parse_html",
    "utf16_len",
]

SUPPORTED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)

_SIMPLE_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}

_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACES = frozenset(" \t\r\n\v\f\0")
_END = "\0"  # TDLib scans a NUL-terminated buffer; reading past the end yields NUL.


class EntityParseError(ValueError):
    """The text cannot be parsed; ``str(error)`` is the part after "can't parse entities: "."""


@dataclass
class ParsedText:
    """Result of parsing: the plain text a user would see and its entities (UTF-16 offsets)."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Open:
    tag: str
    argument: str
    utf16_start: int
    text_start: int


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram uses for limits and entity offsets."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _byte_offset(text: str, pos: int) -> int:
    return len(text[:pos].encode("utf-8", "surrogatepass"))


def _decode_entity(text: str, pos: int, *, strict: bool) -> tuple[str | None, int]:
    """Decode the character reference at ``text[pos] == '&'``.

    Returns ``(character, next_position)`` or ``(None, pos)`` when there is no valid reference
    (TDLib then keeps the ``&`` literally; strict callers reject it).
    """
    n = len(text)
    end = pos + 1
    if end < n and text[end] == "#":
        end += 1
        value = 0
        digits = 0
        if end < n and text[end] in "xX":
            end += 1
            while end < n and text[end] in "0123456789abcdefABCDEF":
                value = value * 16 + int(text[end], 16)
                end += 1
                digits += 1
                if value >= 0x10FFFF:
                    return None, pos
        else:
            while end < n and text[end].isascii() and text[end].isdigit():
                value = value * 10 + int(text[end])
                end += 1
                digits += 1
                if value >= 0x10FFFF:
                    return None, pos
        if digits == 0 or value == 0 or 0xD800 <= value <= 0xDFFF:
            return None, pos
        char = chr(value)
    else:
        while end < n and text[end].isascii() and text[end].isalpha():
            end += 1
        name = text[pos + 1 : end]
        if name not in _NAMED_ENTITIES:
            return None, pos
        char = _NAMED_ENTITIES[name]
    if end < n and text[end] == ";":
        return char, end + 1
    if strict:
        return None, pos
    return char, end


_HOST_LABEL = re.compile(r"^(?!-)[0-9a-z\u00a1-\uffff-]{1,63}(?<!-)$", re.IGNORECASE)
_TLD = re.compile(r"^(?:[a-z\u00a1-\uffff]{2,63}|xn--[0-9a-z-]{1,59})$", re.IGNORECASE)


def check_url(url: str, *, allow_tg: bool = True) -> str | None:
    """Validate a link the way Telegram does for buttons and ``<a href>``.

    Returns ``None`` when the URL is acceptable, else the reason Telegram gives ("Wrong HTTP
    URL", "Unsupported URL protocol", "URL host is empty"). Telegram refuses hosts such as
    ``localhost`` or ``minio`` (no public top-level domain), which surprises many bots in
    production; the fake refuses them too.
    """
    if url == "":
        return "URL host is empty"
    if any(ch.isspace() for ch in url):
        return "Wrong HTTP URL"
    scheme, sep, rest = url.partition("://")
    if not sep:
        bare_scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):(?!\d*(?:[/?#]|$))", url)
        if bare_scheme:  # "javascript:…", "mailto:…": a scheme, not host:port
            return "Unsupported URL protocol"
        scheme, rest = "http", url
    scheme = scheme.lower()
    if scheme in {"tg", "ton"}:
        return None if allow_tg and rest else "Unsupported URL protocol"
    if scheme not in {"http", "https"}:
        return "Unsupported URL protocol"
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    authority = authority.rpartition("@")[2]
    if authority.startswith("["):
        host, _, port = authority.partition("]")
        host, port = host + "]", port.removeprefix(":")
    else:
        host, _, port = authority.partition(":")
    if port and (not port.isdigit() or not 0 < int(port) < 65536):
        return "Wrong port number specified in the URL"
    if not host:
        return "URL host is empty"
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        # A link to a loopback or private address cannot work on a user's phone.
        public = not (address.is_private or address.is_loopback or address.is_unspecified)
        return None if public else "Wrong HTTP URL"
    labels = host.rstrip(".").split(".")
    if len(labels) < 2 or not all(_HOST_LABEL.match(label) for label in labels):
        return "Wrong HTTP URL"
    if not _TLD.match(labels[-1]):
        return "Wrong HTTP URL"
    return None


def _user_id_from_link(url: str) -> int | None:
    match = re.fullmatch(r"tg://user\?id=(\d{1,18})", url)
    return int(match.group(1)) if match else None


def parse_html(text: str, *, strict: bool = True) -> ParsedText:
    """Parse Telegram-HTML ``text`` into plain text and Bot API ``MessageEntity`` dicts.

    Raises :class:`EntityParseError` with TDLib's wording, e.g.
    ``Unsupported start tag "br" at byte offset 5``. Leading and trailing whitespace is trimmed
    afterwards, as Telegram does before measuring and storing a message.
    """
    n = len(text)

    def at(k: int) -> str:
        return text[k] if k < n else _END

    def err(message: str) -> EntityParseError:
        return EntityParseError(message)

    out: list[str] = []
    out_len = 0
    utf16 = 0
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    warnings: list[str] = []
    i = 0
    while i < n:
        c = text[i]
        if c == "&":
            char, nxt = _decode_entity(text, i, strict=strict)
            if char is not None:
                out.append(char)
                out_len += 1
                utf16 += utf16_len(char)
                i = nxt
                continue
            if strict:
                raise err(
                    f'Unescaped "&" at byte offset {_byte_offset(text, i)}: write it as &amp; '
                    "(only &lt; &gt; &amp; &quot; and numeric entities ending in ';' exist)"
                )
        if c == ">" and strict:
            raise err(f'Unescaped ">" at byte offset {_byte_offset(text, i)}: write it as &gt;')
        if c != "<":
            out.append(c)
            out_len += 1
            utf16 += utf16_len(c)
            i += 1
            continue

        begin = i
        i += 1
        if at(i) != "/":
            # A start tag.
            while at(i) not in _SPACES and at(i) != ">":
                i += 1
            if at(i) == _END and i >= n:
                raise err(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
            tag = text[begin + 1 : i].lower()
            if tag not in SUPPORTED_TAGS:
                raise err(
                    f'Unsupported start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
                )
            argument = ""
            while at(i) != ">":
                while i < n and at(i) in _SPACES:
                    i += 1
                if at(i) == ">":
                    break
                if i >= n:
                    raise err(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
                attr_begin = i
                while at(i) not in _SPACES and at(i) not in "=>":
                    i += 1
                attr_name = text[attr_begin:i]
                if not attr_name:
                    raise err(
                        f'Empty attribute name in the tag "{tag}" at byte offset '
                        f"{_byte_offset(text, begin)}"
                    )
                while i < n and at(i) in _SPACES:
                    i += 1
                if at(i) != "=":
                    if tag == "blockquote" and attr_name == "expandable":
                        argument = "1"
                        continue
                    raise err(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {_byte_offset(text, begin)}'
                    )
                i += 1
                while i < n and at(i) in _SPACES:
                    i += 1
                if i >= n:
                    raise err(
                        f'Unclosed start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
                    )
                if at(i) not in "'\"":
                    token_begin = i
                    while at(i).isascii() and (at(i).isalnum() or at(i) in ".-"):
                        i += 1
                    value = text[token_begin:i].lower()
                    if at(i) not in _SPACES and at(i) != ">":
                        raise err(
                            "Unexpected end of name token at byte offset "
                            f"{_byte_offset(text, token_begin)}"
                        )
                else:
                    quote = at(i)
                    i += 1
                    chars: list[str] = []
                    while i < n and at(i) != quote:
                        if at(i) == "&":
                            char, nxt = _decode_entity(text, i, strict=False)
                            if char is not None:
                                chars.append(char)
                                i = nxt
                                continue
                        chars.append(at(i))
                        i += 1
                    if at(i) == quote:
                        i += 1
                    value = "".join(chars)
                if i >= n:
                    raise err(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
                if tag == "a" and attr_name == "href":
                    argument = value
                elif tag == "code" and attr_name == "class" and value.startswith("language-"):
                    argument = value[len("language-") :]
                elif tag == "span" and attr_name == "class" and value.startswith("tg-"):
                    argument = value[len("tg-") :]
                elif tag == "tg-emoji" and attr_name == "emoji-id":
                    argument = value
                elif tag == "blockquote" and attr_name == "expandable":
                    argument = "1"
            if tag == "span" and argument != "spoiler":
                raise err(
                    'Tag "span" must have class "tg-spoiler" at byte offset '
                    f"{_byte_offset(text, begin)}"
                )
            stack.append(_Open(tag, argument, utf16, out_len))
            i += 1  # skip '>'
            continue

        # An end tag.
        if not stack:
            raise err(f"Unexpected end tag at byte offset {_byte_offset(text, begin)}")
        while at(i) not in _SPACES and at(i) != ">":
            i += 1
        end_name = text[begin + 2 : i].lower()
        while i < n and at(i) in _SPACES:
            i += 1
        if at(i) != ">":
            raise err(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
        i += 1
        opened = stack.pop()
        if end_name and end_name != opened.tag:
            raise err(
                f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
                f'expected "</{opened.tag}>", found "</{end_name}>"'
            )
        length = utf16 - opened.utf16_start
        if length <= 0:
            continue
        entity: dict[str, Any] = {"offset": opened.utf16_start, "length": length}
        if opened.tag in _SIMPLE_TYPES:
            entity["type"] = _SIMPLE_TYPES[opened.tag]
        elif opened.tag == "a":
            url = opened.argument or "".join(out[opened.text_start :])
            user_id = _user_id_from_link(url)
            if user_id is not None:
                entity.update(type="text_mention", user={"id": user_id, "is_bot": False})
            elif check_url(url) is None:
                entity.update(type="text_link", url=url)
            else:
                # Telegram silently drops a link it considers invalid; say so for the tests.
                warnings.append(f"link dropped by Telegram: href {url!r} is not a valid URL")
                continue
        elif opened.tag == "code":
            entity["type"] = "code"
            if opened.argument:
                entity["_language"] = opened.argument
        elif opened.tag == "pre":
            entity["type"] = "pre"
            last = entities[-1] if entities else None
            if (
                last is not None
                and last["type"] == "code"
                and last["offset"] == entity["offset"]
                and last["length"] == entity["length"]
            ):
                entities.pop()
                if "_language" in last:
                    entity["language"] = last["_language"]
        elif opened.tag == "blockquote":
            entity["type"] = "expandable_blockquote" if opened.argument else "blockquote"
        elif opened.tag == "tg-emoji":
            if not opened.argument.isdigit() or int(opened.argument) >= 2**63:
                raise err("Invalid custom emoji identifier specified")
            entity.update(type="custom_emoji", custom_emoji_id=opened.argument)
        entities.append(entity)

    if stack:
        raise err(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    for entity in entities:
        entity.pop("_language", None)
    plain, trimmed = _trim("".join(out), entities)
    return ParsedText(plain, trimmed, warnings)


def _trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Strip surrounding whitespace like Telegram and shift/clip entities accordingly."""
    stripped = text.strip()
    if stripped == text:
        return text, _sorted(entities)
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    result = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return stripped, _sorted(result)


def _sorted(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Order entities as Telegram does (by offset, longer first), keys in Telegram's order."""
    ordered = sorted(entities, key=lambda e: (e["offset"], -e["length"]))
    return [{"type": e["type"], "offset": e["offset"], "length": e["length"], **e} for e in ordered]


def _utf16_index(text: str) -> list[int]:
    """UTF-16 offset of every code point position (plus the end)."""
    offsets = [0]
    for ch in text:
        offsets.append(offsets[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return offsets


_COMMAND = re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@])")
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{4,32}(?![\w@])")
_URL = re.compile(r"(?<![\w@/])https?://[^\s<>\"]+", re.IGNORECASE)
_HASHTAG = re.compile(r"(?<![\w#])#\w*[^\W\d_]\w*")


def command_entities(text: str) -> list[dict[str, Any]]:
    """Entities Telegram's clients attach to what a user types: commands, mentions, URLs, tags.

    Needed because python-telegram-bot's ``CommandHandler`` only reacts to a ``bot_command``
    entity at offset 0; a fake that omitted entities would make ``/start`` look like plain text.
    """
    index = _utf16_index(text)
    found: list[dict[str, Any]] = []
    for kind, pattern in (
        ("bot_command", _COMMAND),
        ("mention", _MENTION),
        ("url", _URL),
        ("hashtag", _HASHTAG),
    ):
        for match in pattern.finditer(text):
            start, end = match.span()
            if kind == "url":
                while end > start and text[end - 1] in ".,;:!?)":
                    end -= 1
            lo, hi = index[start], index[end]
            if any(lo < e["offset"] + e["length"] and e["offset"] < hi for e in found):
                continue
            found.append({"type": kind, "offset": lo, "length": hi - lo})
    return _sorted(found)
