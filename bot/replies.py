"""What the conversation says, independent of any channel: blocks of text and buttons.

Adapters render these (Telegram as HTML and inline keyboards, the terminal as plain text with
numbered buttons); they never need to know why a reply was chosen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TITLE, TEXT, HTML, NOTE = "title", "text", "html", "note"


@dataclass(frozen=True)
class Block:
    """A piece of a reply: `title`, `text` and `note` are plain text, `html` is entry HTML."""

    kind: str
    text: str


@dataclass(frozen=True)
class Button:
    """Either an action for the conversation (`action`) or a link (`url`)."""

    label: str
    action: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Reply:
    """One message to the user."""

    blocks: tuple[Block, ...]
    buttons: tuple[tuple[Button, ...], ...] = ()
    image: bytes | None = None  # a PNG shown with the blocks as its caption


@dataclass
class Outcome:
    """What to send back for one event.

    `notice`: a short confirmation for a button press; `replace`: the single reply takes the
    place of the message whose button was pressed (menu navigation), where the channel can.
    """

    replies: list[Reply] = field(default_factory=list)
    notice: str | None = None
    replace: bool = False


@dataclass(frozen=True)
class Sender:
    """Who sent the event: a channel-scoped reference ("tg:123") and the channel's language."""

    ref: str
    lang_hint: str | None = None


@dataclass(frozen=True)
class InlineResult:
    """One shareable answer for inline mode."""

    entry_id: str
    title: str
    description: str
    reply: Reply
